/* `printf` conversions (ANALYSIS.md §2), one call per conversion: the compiler splits the format at
 * compile time (compiler/lang/printf_format.py), prints the literal pieces with `puts` and calls one of
 * the functions below per conversion with a descriptor `spec` = conversion character | flags << 8
 * (F_* below), the width and the precision (-1: none).
 *
 * The output is C's (glibc's) for the same value: integers in the value's own type; %u %x %X %o print
 * the bits of the value's type as unsigned (the compiler passes them zero-extended); floats exactly —
 * the binary value's full decimal expansion is generated on big integers and rounded half to even at
 * the requested digit, so `%.2f` of 0.125 is 0.12 as in glibc and CPython.
 */
#include "runtime.h"

enum { F_MINUS = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_UNSIGNED = 16 };

/* Digits of the integer part of an f64 (at most 309) plus fraction digits: %f with precision 400 of
 * a value near 2^1024, or %e with precision 400 of the smallest subnormal (323 leading zeros). */
#define DIGITS_MAX 1200

/* Emit `body` (len bytes) with the sign/prefix `pre` (plen bytes), padded to `width` as the flags say;
 * `zero_pad` inserts zeros between the prefix and the body. */
static void emit_padded(const u8 *pre, u32 plen, const u8 *body, u32 len, i32 width, i32 flags, int zero_pad) {
    i32 pad = width - (i32)(plen + len);
    if (pad > 0 && !(flags & F_MINUS) && !zero_pad)
        for (i32 i = 0; i < pad; i++) out_byte(' ');
    out_bytes(pre, plen);
    if (pad > 0 && zero_pad && !(flags & F_MINUS))
        for (i32 i = 0; i < pad; i++) out_byte('0');
    out_bytes(body, len);
    if (pad > 0 && (flags & F_MINUS))
        for (i32 i = 0; i < pad; i++) out_byte(' ');
}

static u32 sign_prefix(u8 *pre, int negative, i32 flags) {
    if (negative) { pre[0] = '-'; return 1; }
    if (flags & F_PLUS) { pre[0] = '+'; return 1; }
    if (flags & F_SPACE) { pre[0] = ' '; return 1; }
    return 0;
}

/* %d %i %u %x %X %o %c: `bits` is the value sign-extended (signed types) or zero-extended (unsigned
 * types and the unsigned conversions, whose bits are the type's); F_UNSIGNED says which. */
EXPORT("whamm_printf_int") void whamm_printf_int(i64 bits, i32 spec, i32 width, i32 prec) {
    i32 conv = spec & 0xFF, flags = spec >> 8;
    u8 pre[2];
    u8 body[520];
    if (conv == 'c') {
        body[0] = (u8)bits;
        emit_padded(pre, 0, body, 1, width, flags, 0);
        return;
    }
    int negative = (conv == 'd' || conv == 'i') && !(flags & F_UNSIGNED) && bits < 0;
    u64 v = negative ? (u64)0 - (u64)bits : (u64)bits;
    u32 base = conv == 'x' || conv == 'X' ? 16 : conv == 'o' ? 8 : 10;
    const char *digits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    u8 tmp[24];
    u32 n = 0;
    while (v) { tmp[n++] = (u8)digits[v % base]; v /= base; }
    u32 len = 0;
    i32 min_digits = prec >= 0 ? prec : 1;
    for (i32 i = (i32)n; i < min_digits; i++) body[len++] = '0';
    while (n) body[len++] = tmp[--n];
    u32 plen = (conv == 'd' || conv == 'i') ? sign_prefix(pre, negative, flags) : 0;
    emit_padded(pre, plen, body, len, width, flags, (flags & F_ZERO) && prec < 0);
}

/* %s of a string (`ptr`, `len` bytes; the precision caps the bytes printed). */
EXPORT("whamm_printf_str") void whamm_printf_str(i32 ptr, i32 len, i32 spec, i32 width, i32 prec) {
    u32 n = (u32)len;
    if (prec >= 0 && (u32)prec < n) n = (u32)prec;
    u8 pre[1];
    emit_padded(pre, 0, (const u8 *)ptr, n, width, spec >> 8, 0);
}

/* ---------------------------------------------------------------- exact decimal expansion of an f64 */

#define WORDS 40   /* 1280 bits: the integer part (< 2^1024) and the fraction (1074 bits + 31 of shift) */

typedef struct { u32 n; u32 w[WORDS + 1]; } Num;   /* little-endian base 2^32 */

/* q = a / 10^9, returns the remainder. */
static u32 num_div1e9(Num *a) {
    u64 rem = 0;
    for (u32 i = a->n; i-- > 0;) {
        u64 cur = (rem << 32) | a->w[i];
        a->w[i] = (u32)(cur / 1000000000u);
        rem = cur % 1000000000u;
    }
    while (a->n && !a->w[a->n - 1]) a->n--;
    return (u32)rem;
}

/* a *= 10^9 over `fw` fraction words: returns the 9 digits that crossed the binary point. */
static u32 frac_mul1e9(u32 *w, u32 fw) {
    u64 carry = 0;
    for (u32 i = 0; i < fw; i++) {
        u64 t = (u64)w[i] * 1000000000u + carry;
        w[i] = (u32)t;
        carry = t >> 32;
    }
    return (u32)carry;
}

static int frac_nonzero(const u32 *w, u32 fw) {
    for (u32 i = 0; i < fw; i++) if (w[i]) return 1;
    return 0;
}

typedef struct {
    u8 d[DIGITS_MAX];
    u32 n;        /* digits in d */
    i32 point;    /* digits before the decimal point (d[0..point) is the integer part, no leading zeros) */
    int sticky;   /* non-zero digits follow d[n-1] */
} Digits;

/* The decimal digits of a finite |v|: the integer part, then fraction digits until `frac_needed`
 * fraction digits exist and, when `sig_needed` > 0, at least that many significant digits. */
static void expand(double v, Digits *out, i32 frac_needed, i32 sig_needed) {
    u64 bits;
    __builtin_memcpy(&bits, &v, 8);
    i32 exp = (i32)((bits >> 52) & 0x7FF);
    u64 mant = bits & 0xFFFFFFFFFFFFFull;
    if (exp) mant |= 1ull << 52; else exp = 1;
    exp -= 1075;                         /* v = mant * 2^exp */
    Num ip = {0, {0}};
    u32 frac[WORDS + 1] = {0};
    u32 fw = 0;
    if (exp >= 0) {
        u32 words = (u32)exp / 32, sh = (u32)exp % 32;
        u64 lo = mant << sh, hi = sh ? mant >> (64 - sh) : 0;
        ip.w[words] = (u32)lo; ip.w[words + 1] = (u32)(lo >> 32); ip.w[words + 2] = (u32)hi;
        ip.n = words + 3;
    } else {
        u32 fbits = (u32)-exp;
        u64 ipart = fbits >= 64 ? 0 : mant >> fbits;
        ip.w[0] = (u32)ipart; ip.w[1] = (u32)(ipart >> 32); ip.n = 2;
        u64 fpart = fbits >= 64 ? mant : mant & ((1ull << fbits) - 1);
        /* fraction = fpart / 2^fbits; align the point to a word boundary: fw words of fraction */
        fw = (fbits + 31) / 32;
        u32 shift = fw * 32 - fbits;     /* < 32 */
        u64 lo = fpart << shift, hi = shift ? fpart >> (64 - shift) : 0;
        /* fpart < 2^fbits, so after the shift it fits in fw words from the bottom */
        if (fw >= 1) frac[0] = (u32)lo;
        if (fw >= 2) frac[1] = (u32)(lo >> 32);
        if (fw >= 3) frac[2] = (u32)hi;
    }
    while (ip.n && !ip.w[ip.n - 1]) ip.n--;
    /* integer part: chunks of 9 digits, least significant first */
    u32 chunks[40];
    u32 nc = 0;
    while (ip.n) chunks[nc++] = num_div1e9(&ip);
    u32 n = 0;
    for (u32 c = nc; c-- > 0;) {
        u32 x = chunks[c];
        u8 t[9];
        for (int k = 8; k >= 0; k--) { t[k] = (u8)('0' + x % 10); x /= 10; }
        int k = 0;
        if (c == nc - 1) while (k < 8 && t[k] == '0') k++;
        for (; k < 9; k++) out->d[n++] = t[k];
    }
    out->point = (i32)n;
    i32 sig = (i32)n;
    i32 frac_digits = 0;
    while ((frac_digits < frac_needed || (sig_needed > 0 && sig < sig_needed)) && fw && frac_nonzero(frac, fw)
           && n + 9 <= DIGITS_MAX) {
        u32 x = frac_mul1e9(frac, fw);
        for (int k = 8; k >= 0; k--) { out->d[n + (u32)k] = (u8)('0' + x % 10); x /= 10; }
        for (int k = 0; k < 9; k++) if (sig > 0 || out->d[n + (u32)k] != '0') sig++;
        n += 9;
        frac_digits += 9;
    }
    out->sticky = fw && frac_nonzero(frac, fw);
    out->n = n;
}

/* Round the digit string d[0..n) (with `sticky`) to its first `keep` digits, half to even; returns 1
 * when the rounding carried out of the first digit (the caller gains a leading '1'). */
static int round_digits(Digits *x, u32 keep) {
    if (keep >= x->n) {
        return 0;
    }
    u8 next = x->d[keep];
    int rest = x->sticky;
    for (u32 i = keep + 1; i < x->n && !rest; i++) rest = x->d[i] != '0';
    int up = next > '5' || (next == '5' && (rest || (keep > 0 && (x->d[keep - 1] - '0') % 2 == 1)));
    x->n = keep;
    x->sticky = 0;
    if (!up) return 0;
    for (u32 i = keep; i-- > 0;) {
        if (x->d[i] == '9') { x->d[i] = '0'; continue; }
        x->d[i]++;
        return 0;
    }
    return 1;
}

/* The digit at position i of the (padded with zeros) expansion. */
static u8 digit_at(const Digits *x, i32 i) { return i >= 0 && (u32)i < x->n ? x->d[i] : '0'; }

/* %f body: integer digits, and `prec` fraction digits. */
static u32 format_f(double a, i32 prec, u8 *out) {
    static Digits x;
    expand(a, &x, prec + 1, 0);
    /* pad the fraction so that exactly point + prec digits exist before rounding */
    while ((i32)x.n < x.point + prec + 1 && x.n < DIGITS_MAX) x.d[x.n++] = '0';
    u32 len = 0;
    if (round_digits(&x, (u32)(x.point + prec))) out[len++] = '1';
    if (x.point == 0 && len == 0) out[len++] = '0';
    for (i32 i = 0; i < x.point; i++) out[len++] = x.d[i];
    if (prec > 0) {
        out[len++] = '.';
        for (i32 i = 0; i < prec; i++) out[len++] = digit_at(&x, x.point + i);
    }
    return len;
}

/* The first significant digit's index in the expansion and the decimal exponent of |a| > 0. */
static i32 first_significant(const Digits *x) {
    i32 i = 0;
    while ((u32)i < x->n && x->d[i] == '0') i++;
    return i;
}

/* %e digits: `prec + 1` significant digits of a, rounded; returns the decimal exponent. */
static i32 e_digits(double a, i32 prec, u8 *sig) {
    static Digits x;
    if (a == 0) {
        for (i32 i = 0; i <= prec; i++) sig[i] = '0';
        return 0;
    }
    expand(a, &x, 0, prec + 2);
    i32 first = first_significant(&x);
    i32 exp10 = x.point - first - 1;
    /* drop the leading zeros, so a carry out of the kept digits is seen as one */
    for (u32 i = (u32)first; i < x.n; i++) x.d[i - (u32)first] = x.d[i];
    x.n -= (u32)first;
    while ((i32)x.n < prec + 2 && x.n < DIGITS_MAX) x.d[x.n++] = '0';
    if (round_digits(&x, (u32)(prec + 1))) {
        /* 9.99… carried: the digits are all zero now; the value is 10^(exp10+1) */
        sig[0] = '1';
        for (i32 i = 1; i <= prec; i++) sig[i] = '0';
        return exp10 + 1;
    }
    for (i32 i = 0; i <= prec; i++) sig[i] = x.d[i];
    return exp10;
}

static u32 format_e(double a, i32 prec, u8 *out, int strip) {
    u8 sig[DIGITS_MAX];
    i32 exp10 = e_digits(a, prec, sig);
    u32 len = 0;
    out[len++] = sig[0];
    i32 last = prec;
    if (strip) while (last > 0 && sig[last] == '0') last--;
    if (last > 0) {
        out[len++] = '.';
        for (i32 i = 1; i <= last; i++) out[len++] = sig[i];
    }
    out[len++] = 'e';
    out[len++] = exp10 < 0 ? '-' : '+';
    u32 e = (u32)(exp10 < 0 ? -exp10 : exp10);
    if (e >= 100) out[len++] = (u8)('0' + e / 100);
    out[len++] = (u8)('0' + e / 10 % 10);
    out[len++] = (u8)('0' + e % 10);
    return len;
}

/* %g: %e or %f by the exponent after rounding to P significant digits, trailing zeros removed. */
static u32 format_g(double a, i32 prec, u8 *out) {
    i32 p = prec < 0 ? 6 : prec == 0 ? 1 : prec;
    u8 sig[DIGITS_MAX];
    i32 x = e_digits(a, p - 1, sig);
    if (x < -4 || x >= p) return format_e(a, p - 1, out, 1);
    u32 len = format_f(a, p - 1 - x, out);
    int has_point = 0;
    for (u32 i = 0; i < len; i++) if (out[i] == '.') has_point = 1;
    if (has_point) {
        while (out[len - 1] == '0') len--;
        if (out[len - 1] == '.') len--;
    }
    return len;
}

/* %f %e %g of an f64 (f32 values are promoted exactly by the compiler). */
EXPORT("whamm_printf_float") void whamm_printf_float(double v, i32 spec, i32 width, i32 prec) {
    i32 conv = spec & 0xFF, flags = spec >> 8;
    u64 bits;
    __builtin_memcpy(&bits, &v, 8);
    /* a NaN prints without its sign: Wasm leaves the sign of a computed NaN nondeterministic, so the
     * same script could print `nan` or `-nan` (on another engine, or with folding off) */
    int negative = (int)(bits >> 63) && v == v;
    double a = negative ? -v : v;
    u8 pre[1];
    u32 plen = sign_prefix(pre, negative, flags);
    static u8 body[DIGITS_MAX + 16];
    u32 len;
    if (a != a || a > 1.7976931348623157e308) {
        const char *s = a != a ? "nan" : "inf";
        emit_padded(pre, plen, (const u8 *)s, 3, width, flags, 0);
        return;
    }
    if (prec < 0) prec = 6;
    if (conv == 'f') len = format_f(a, prec, body);
    else if (conv == 'e') len = format_e(a, prec, body, 0);
    else len = format_g(a, prec, body);
    emit_padded(pre, plen, body, len, width, flags, flags & F_ZERO);
}
