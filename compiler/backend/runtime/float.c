/* Shortest round-trip float formatting in the `{:+e}` style (REWRITING.md §12.2).
 *
 * Exact for every input: the free-format algorithm of Steele & White as presented by Burger & Dybvig
 * ("Printing Floating-Point Numbers Quickly and Accurately", 1996) on exact big integers.  The value and
 * the half-way points to its neighbours are scaled into integers r, m-, m+ over a common denominator s;
 * digits are generated until the remaining interval admits stopping, which yields the shortest digit
 * string that reads back as the same value in its own type (f32 or f64).  The last digit is the one
 * closest to the exact value; an exact tie goes to the even digit, like CPython's repr (David Gay's
 * dtoa mode 0), which is the reference in valuefmt.py.  Boundaries count as inside the interval when the
 * significand is even, because IEEE round-half-even reading maps a midpoint to the even neighbour.
 */
#include "runtime.h"

/* 1280 bits: the largest intermediate (f64 subnormals scaled by 10^323, or f64 max times 10) stays
 * below 2^1090. */
#define BIG_WORDS 40

typedef struct {
    u32 n;             /* words in use; the top one is non-zero unless n == 0 */
    u32 w[BIG_WORDS];  /* little-endian base-2^32 digits */
} Big;

static void big_set(Big *a, u64 v) {
    a->w[0] = (u32)v;
    a->w[1] = (u32)(v >> 32);
    a->n = a->w[1] ? 2 : a->w[0] ? 1 : 0;
}

static void big_shl(Big *a, u32 bits) {
    if (a->n == 0) return;
    u32 words = bits / 32, sh = bits % 32;
    u32 n = a->n;
    if (sh) {
        u32 carry = a->w[n - 1] >> (32 - sh);
        for (u32 i = n - 1; i > 0; i--) a->w[i] = (a->w[i] << sh) | (a->w[i - 1] >> (32 - sh));
        a->w[0] <<= sh;
        if (carry) a->w[n++] = carry;
    }
    if (words) {
        for (u32 i = n; i-- > 0;) a->w[i + words] = a->w[i];
        for (u32 i = 0; i < words; i++) a->w[i] = 0;
        n += words;
    }
    a->n = n;
}

static void big_mul_small(Big *a, u32 m) {
    u64 carry = 0;
    for (u32 i = 0; i < a->n; i++) {
        u64 t = (u64)a->w[i] * m + carry;
        a->w[i] = (u32)t;
        carry = t >> 32;
    }
    if (carry) a->w[a->n++] = (u32)carry;
}

static void big_mul_pow10(Big *a, u32 k) {
    static const u32 small[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    for (; k >= 9; k -= 9) big_mul_small(a, 1000000000u);
    if (k) big_mul_small(a, small[k]);
}

static int big_cmp(const Big *a, const Big *b) {
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    for (u32 i = a->n; i-- > 0;)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

static void big_add(Big *r, const Big *a, const Big *b) {
    const Big *l = a->n >= b->n ? a : b, *s = a->n >= b->n ? b : a;
    u64 carry = 0;
    u32 i = 0;
    for (; i < l->n; i++) {
        u64 t = (u64)l->w[i] + (i < s->n ? s->w[i] : 0) + carry;
        r->w[i] = (u32)t;
        carry = t >> 32;
    }
    if (carry) r->w[i++] = (u32)carry;
    r->n = i;
}

/* a -= b, requires a >= b */
static void big_sub(Big *a, const Big *b) {
    i64 borrow = 0;
    for (u32 i = 0; i < a->n; i++) {
        i64 t = (i64)a->w[i] - (i < b->n ? b->w[i] : 0) - borrow;
        borrow = t < 0;
        a->w[i] = (u32)t;
    }
    while (a->n && a->w[a->n - 1] == 0) a->n--;
}

/* ceil(x * log10(2)); x * log10(2) is never within 1e-4 of an integer for 0 < |x| < 1200. */
static i32 ceil_log10_pow2(i32 x) {
    double t = x * 0.30102999566398119521;
    i32 k = (i32)t;
    return k < t ? k + 1 : k;
}

/* The digit loop of shortest_digits on machine words: used when s < 2^60, so r, m+ and m- (all below s
 * whenever the loop continues) can be multiplied by 10 without overflow.  The common case (values
 * whose exponent is moderate) then needs no big-integer arithmetic at all. */
static u32 digits_u64(u64 r, u64 s, u64 mp, u64 mm, int even, u8 *digits) {
    u32 n = 0;
    for (;;) {
        r *= 10;
        mp *= 10;
        mm *= 10;
        u8 d = (u8)(r / s);
        r %= s;
        int low = even ? r <= mm : r < mm;
        int high = even ? r + mp >= s : r + mp > s;
        if (!low && !high) {
            digits[n++] = d;
            continue;
        }
        if (low && high) {
            if (2 * r > s || (2 * r == s && (d & 1))) d++;
        } else if (high) {
            d++;
        }
        digits[n++] = d;
        return n;
    }
}

static u64 big_to_u64(const Big *a) {
    return a->n == 0 ? 0 : a->n == 1 ? a->w[0] : ((u64)a->w[1] << 32) | a->w[0];
}

/* Digits of the positive value f * 2^e (f < 2^p; e == min_e for subnormals).  Writes the digits
 * (0..9) to `digits`, returns their count and sets *exp10 so the value is d1.d2...dn * 10^exp10. */
static u32 shortest_digits(u64 f, i32 e, u32 p, i32 min_e, u8 *digits, i32 *exp10) {
    Big r, s, mp, mm, t;
    int even = (f & 1) == 0;
    int lower_closer = f == (1ull << (p - 1)) && e > min_e; /* the gap below is half the gap above */
    if (e >= 0) {
        big_set(&r, f);
        big_shl(&r, (u32)e + 1 + lower_closer);
        big_set(&s, 2u << lower_closer);
        big_set(&mp, 1);
        big_shl(&mp, (u32)e + lower_closer);
        big_set(&mm, 1);
        big_shl(&mm, (u32)e);
    } else {
        big_set(&r, f);
        big_shl(&r, 1 + lower_closer);
        big_set(&s, 1);
        big_shl(&s, (u32)(1 - e) + lower_closer);
        big_set(&mp, 1u << lower_closer);
        big_set(&mm, 1);
    }
    i32 k = ceil_log10_pow2(e + 63 - __builtin_clzll(f));
    if (k >= 0) {
        big_mul_pow10(&s, (u32)k);
    } else {
        big_mul_pow10(&r, (u32)-k);
        big_mul_pow10(&mp, (u32)-k);
        big_mul_pow10(&mm, (u32)-k);
    }
    for (;;) { /* the estimate may be low: make (r + m+) / s < 1 (<= 1 when the boundary is excluded) */
        big_add(&t, &r, &mp);
        int c = big_cmp(&t, &s);
        if (even ? c < 0 : c <= 0) break;
        big_mul_small(&s, 10);
        k++;
    }
    *exp10 = k - 1;
    if (s.n == 1 || (s.n == 2 && s.w[1] < (1u << 28)))
        return digits_u64(big_to_u64(&r), big_to_u64(&s), big_to_u64(&mp), big_to_u64(&mm), even, digits);
    u32 n = 0;
    for (;;) {
        big_mul_small(&r, 10);
        big_mul_small(&mp, 10);
        big_mul_small(&mm, 10);
        u8 d = 0;
        while (big_cmp(&r, &s) >= 0) {
            big_sub(&r, &s);
            d++;
        }
        int c_low = big_cmp(&r, &mm);
        int low = even ? c_low <= 0 : c_low < 0;
        big_add(&t, &r, &mp);
        int c_high = big_cmp(&t, &s);
        int high = even ? c_high >= 0 : c_high > 0;
        if (!low && !high) {
            digits[n++] = d;
            continue;
        }
        if (low && high) {
            big_add(&t, &r, &r);
            int c = big_cmp(&t, &s);
            if (c > 0 || (c == 0 && (d & 1))) d++;
        } else if (high) {
            d++;
        }
        digits[n++] = d;
        return n;
    }
}

static void out_finite(int negative, u64 f, i32 e, u32 p, i32 min_e) {
    u8 digits[24];
    i32 exp10;
    out_byte(negative ? '-' : '+');
    if (f == 0) {
        out_bytes((const u8 *)"0e0", 3);
        return;
    }
    u32 n = shortest_digits(f, e, p, min_e, digits, &exp10);
    out_byte((u8)('0' + digits[0]));
    if (n > 1) {
        out_byte('.');
        for (u32 i = 1; i < n; i++) out_byte((u8)('0' + digits[i]));
    }
    out_byte('e');
    out_i32(exp10);
}

void out_f64(double v) {
    u64 bits;
    __builtin_memcpy(&bits, &v, 8);
    int negative = (int)(bits >> 63);
    u32 biased = (u32)(bits >> 52) & 0x7ff;
    u64 frac = bits & ((1ull << 52) - 1);
    if (biased == 0x7ff) {
        if (frac) out_bytes((const u8 *)"NaN", 3);
        else out_bytes((const u8 *)(negative ? "-inf" : "+inf"), 4);
        return;
    }
    if (biased == 0) out_finite(negative, frac, -1074, 53, -1074);
    else out_finite(negative, frac | (1ull << 52), (i32)biased - 1075, 53, -1074);
}

void out_f32(float v) {
    u32 bits;
    __builtin_memcpy(&bits, &v, 4);
    int negative = (int)(bits >> 31);
    u32 biased = (bits >> 23) & 0xff;
    u32 frac = bits & ((1u << 23) - 1);
    if (biased == 0xff) {
        if (frac) out_bytes((const u8 *)"NaN", 3);
        else out_bytes((const u8 *)(negative ? "-inf" : "+inf"), 4);
        return;
    }
    if (biased == 0) out_finite(negative, frac, -149, 24, -149);
    else out_finite(negative, frac | (1u << 23), (i32)biased - 150, 24, -149);
}
