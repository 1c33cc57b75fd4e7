/* Aggregates (ANALYSIS.md §1): stats, hist and lhist values, updated in place and printed.
 *
 * A value is an array of u64 words (zero = empty, so an absent map key reads as an empty aggregate):
 *   stats            count, sum, min, max
 *   hist             65 buckets: 0 (and negative samples), 1, [2,4), [4,8), ... [2^63, 2^64)
 *   lhist(lo,hi,st)  (-inf,lo), [lo,lo+st), ... the last inner bucket ends at hi, [hi,+inf)
 * Descriptors: T_STATS, T_HIST, or T_LHIST followed by lo, hi, step as little-endian i64.
 */
#include "runtime.h"

static i64 lhist_param(const u8 *d, u32 i) { return (i64)load_u64(d + 1 + 8 * i); }

/* lhist: the buckets between lo and hi (ceil((hi - lo) / step), in u64: hi - lo may exceed i64). */
static u64 lhist_inner(const u8 *d) {
    u64 width = (u64)lhist_param(d, 1) - (u64)lhist_param(d, 0), step = (u64)lhist_param(d, 2);
    return width / step + (width % step != 0);
}

u32 agg_words(const u8 *d) {
    if (*d == T_STATS) return 4;
    if (*d == T_HIST) return 65;
    return (u32)lhist_inner(d) + 2;
}

static u32 hist_bucket(u64 x) { return x ? 64 - (u32)__builtin_clzll(x) : 0; }

/* a.add(x): `x` widened to i64; `is_signed` says whether the source type was signed, so an u64 sample of
 * 2^63 or more counts as that large value (hist, lhist) rather than as a negative one. */
EXPORT("whamm_agg_add") void whamm_agg_add(i32 desc, i32 ptr, i64 x, i32 is_signed) {
    const u8 *d = (const u8 *)desc;
    u8 *v = (u8 *)ptr;
    u32 b;
    if (*d == T_STATS) {
        u64 count = load_u64(v);
        store_u64(v, count + 1);
        store_u64(v + 8, load_u64(v + 8) + (u64)x);
        if (!count || x < (i64)load_u64(v + 16)) store_u64(v + 16, (u64)x);
        if (!count || x > (i64)load_u64(v + 24)) store_u64(v + 24, (u64)x);
        return;
    }
    if (*d == T_HIST) {
        b = is_signed && x < 0 ? 0 : hist_bucket((u64)x);
    } else {
        i64 lo = lhist_param(d, 0), hi = lhist_param(d, 1);
        if (!is_signed && x < 0) b = (u32)lhist_inner(d) + 1;            /* an u64 above i64's range */
        else if (x < lo) b = 0;
        else if (x >= hi) b = (u32)lhist_inner(d) + 1;
        else b = 1 + (u32)(((u64)x - (u64)lo) / (u64)lhist_param(d, 2));
    }
    u8 *w = v + 8 * b;
    store_u64(w, load_u64(w) + 1);
}

/* The readers: 0 count, 1 sum, 2 min, 3 max, 4 avg (sum / count truncated toward 0; 0 when empty). */
EXPORT("whamm_agg_read") i64 whamm_agg_read(i32 desc, i32 ptr, i32 what) {
    const u8 *d = (const u8 *)desc, *v = (const u8 *)ptr;
    if (*d != T_STATS) {
        u64 n = 0;
        for (u32 i = agg_words(d); i--;) n += load_u64(v + 8 * i);
        return (i64)n;
    }
    if (what == 4) {
        u64 count = load_u64(v);
        return count ? (i64)load_u64(v + 8) / (i64)count : 0;
    }
    return (i64)load_u64(v + 8 * (u32)what);
}

static void bucket(const char *open, u32 open_len, u8 lo_kind, i64 lo, i64 hi, u64 n, u8 hi_kind) {
    out_bytes((const u8 *)open, open_len);
    if (lo_kind == 's') out_i64(lo);
    else if (lo_kind == 'u') out_u64((u64)lo);
    out_byte(',');
    if (hi_kind == 's') out_i64(hi);
    else if (hi_kind == 'u') out_u64((u64)hi);
    else out_bytes((const u8 *)"+inf", 4);
    out_bytes((const u8 *)")=", 2);
    out_u64(n);
}

/* The report form: `count=3 sum=30 min=5 max=15 avg=10`, or the non-empty buckets `[lo,hi)=n` joined by
 * spaces (`0=n`, `1=n`, `(-inf,MIN)=n`, `[MAX,+inf)=n`); an empty histogram prints nothing. */
void print_agg(const u8 *d, const u8 *v) {
    if (*d == T_STATS) {
        out_bytes((const u8 *)"count=", 6);
        out_u64(load_u64(v));
        out_bytes((const u8 *)" sum=", 5);
        out_i64((i64)load_u64(v + 8));
        out_bytes((const u8 *)" min=", 5);
        out_i64((i64)load_u64(v + 16));
        out_bytes((const u8 *)" max=", 5);
        out_i64((i64)load_u64(v + 24));
        out_bytes((const u8 *)" avg=", 5);
        out_i64(whamm_agg_read((i32)d, (i32)v, 4));
        return;
    }
    u32 words = agg_words(d), first = 1;
    for (u32 i = 0; i < words; i++) {
        u64 n = load_u64(v + 8 * i);
        if (!n) continue;
        if (!first) out_byte(' ');
        first = 0;
        if (*d == T_HIST) {
            if (i < 2) {
                out_byte('0' + i);
                out_byte('=');
                out_u64(n);
            } else if (i == 64) {   /* 2^64 does not fit in u64 */
                out_bytes((const u8 *)"[9223372036854775808,18446744073709551616)=", 43);
                out_u64(n);
            } else {
                bucket("[", 1, 'u', (i64)(1ull << (i - 1)), (i64)(1ull << i), n, 'u');
            }
            continue;
        }
        i64 lo = lhist_param(d, 0), hi = lhist_param(d, 1), step = lhist_param(d, 2);
        if (i == 0) bucket("(-inf", 5, 0, 0, lo, n, 's');
        else if (i == words - 1) bucket("[", 1, 's', hi, 0, n, 0);
        else {
            i64 a = (i64)((u64)lo + (u64)(i - 1) * (u64)step);
            i64 b = (u64)hi - (u64)a <= (u64)step ? hi : (i64)((u64)a + (u64)step);
            bucket("[", 1, 's', a, b, n, 's');
        }
    }
}
