/* print(v) (ANALYSIS.md §2): one variable in the human form.  Scalars and tuples `name: value` (the value
 * as in the report, REWRITING.md §12.1-§12.2), map entries `name[key]: value` (a tuple key without its
 * parentheses, elements joined by ", "; map.c sorts them), aggregates in bpftrace's form:
 *   @name: count 3, average 10, total 30, min 5, max 15
 *   @name:
 *   [4, 8)                 3 |@@@@@@@@@@@@                                        |
 * one histogram line per bucket from the first to the last non-empty one: the bucket in 16 columns
 * (powers of 1024 as K, M, G, T, P, E), the count right-aligned in 8, a bar of '@' scaled to the largest
 * bucket in 52.  compiler/report/human.py is the Python twin.
 */
#include "runtime.h"

#define CMP(x, y) ((x) < (y) ? -1 : (x) > (y) ? 1 : 0)

/* Numeric order of two values of an integer or float type (NaN below every number). */
int num_cmp(const u8 *d, const u8 *a, const u8 *b) {
    switch (*d) {
    case T_U8: return CMP(a[0], b[0]);
    case T_I8: return CMP((i8)a[0], (i8)b[0]);
    case T_U16: return CMP(load_u16(a), load_u16(b));
    case T_I16: return CMP((i16)load_u16(a), (i16)load_u16(b));
    case T_U32: return CMP(load_u32(a), load_u32(b));
    case T_I32: return CMP((i32)load_u32(a), (i32)load_u32(b));
    case T_U64: return CMP(load_u64(a), load_u64(b));
    case T_I64: return CMP((i64)load_u64(a), (i64)load_u64(b));
    case T_F32: {
        float x, y;
        __builtin_memcpy(&x, a, 4);
        __builtin_memcpy(&y, b, 4);
        if (x != x || y != y) return (y != y) - (x != x);
        return CMP(x, y);
    }
    case T_F64: {
        double x, y;
        __builtin_memcpy(&x, a, 8);
        __builtin_memcpy(&y, b, 8);
        if (x != x || y != y) return (y != y) - (x != x);
        return CMP(x, y);
    }
    }
    __builtin_trap();
}

/* Decimal digits of v into buf (no terminator); their count. */
static u32 fmt_u64(char *buf, u64 v) {
    char tmp[20];
    u32 n = 0, k = 0;
    do tmp[n++] = (char)('0' + v % 10); while (v /= 10);
    while (n) buf[k++] = tmp[--n];
    return k;
}

static u32 fmt_i64(char *buf, i64 v) {
    if (v >= 0) return fmt_u64(buf, (u64)v);
    buf[0] = '-';
    return 1 + fmt_u64(buf + 1, 0 - (u64)v);
}

/* bpftrace's bound of a power-of-two bucket: 1024-multiples as 1K, 4M, ...; 2^64 (log2 = 64) is 16E. */
static u32 fmt_power(char *buf, u32 log2) {
    static const char suffixes[] = " KMGTPE";
    u32 k = log2 / 10 < 6 ? log2 / 10 : 6;
    u32 n = fmt_u64(buf, 1ull << (log2 - 10 * k));
    if (k) buf[n++] = suffixes[k];
    return n;
}

static void spaces(u32 n) {
    while (n--) out_byte(' ');
}

/* 128-bit a * b as (hi, lo). */
static void mul_wide(u64 a, u64 b, u64 *hi, u64 *lo) {
    u64 a0 = (u32)a, a1 = a >> 32, b0 = (u32)b, b1 = b >> 32;
    u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    u64 mid = (p00 >> 32) + (u32)p01 + (u32)p10;
    *lo = (mid << 32) | (u32)p00;
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* floor(n * width / top) for n <= top, exactly (counts may exceed 2^58). */
static u32 bar_length(u64 n, u64 top, u32 width) {
    u64 nh, nl;
    mul_wide(n, width, &nh, &nl);
    u32 k = width;
    for (;; k--) {
        u64 th, tl;
        mul_wide(top, k, &th, &tl);
        if (th < nh || (th == nh && tl <= nl)) return k;
    }
}

#define BAR_WIDTH 52

/* The lines after an aggregate's `@name` (stats on the same line). */
static void print_agg_human(const u8 *d, const u8 *v) {
    if (*d == T_STATS) {
        out_bytes((const u8 *)": count ", 8);
        out_u64(load_u64(v));
        out_bytes((const u8 *)", average ", 10);
        out_i64(whamm_agg_read((i32)d, (i32)v, 4));
        out_bytes((const u8 *)", total ", 8);
        out_i64((i64)load_u64(v + 8));
        out_bytes((const u8 *)", min ", 6);
        out_i64((i64)load_u64(v + 16));
        out_bytes((const u8 *)", max ", 6);
        out_i64((i64)load_u64(v + 24));
        out_byte('\n');
        return;
    }
    out_bytes((const u8 *)":\n", 2);
    u32 words = agg_words(d), first = words, last = 0;
    u64 top = 0;
    for (u32 i = 0; i < words; i++) {
        u64 n = load_u64(v + 8 * i);
        if (!n) continue;
        if (first == words) first = i;
        last = i;
        if (n > top) top = n;
    }
    if (!top) return;
    i64 lo = 0, hi = 0, step = 0;
    if (*d == T_LHIST) {
        lo = (i64)load_u64(d + 1);
        hi = (i64)load_u64(d + 9);
        step = (i64)load_u64(d + 17);
    }
    for (u32 i = first; i <= last; i++) {
        char label[64];
        u32 k = 0;
        if (*d == T_HIST && i < 2) {
            label[k++] = '[';
            label[k++] = (char)('0' + i);
            label[k++] = ']';
        } else if (*d == T_HIST) {
            label[k++] = '[';
            k += fmt_power(label + k, i - 1);
            label[k++] = ',';
            label[k++] = ' ';
            k += fmt_power(label + k, i);
            label[k++] = ')';
        } else if (i == 0) {
            __builtin_memcpy(label, "(..., ", 6);
            k = 6 + fmt_i64(label + 6, lo);
            label[k++] = ')';
        } else if (i == words - 1) {
            label[k++] = '[';
            k += fmt_i64(label + k, hi);
            __builtin_memcpy(label + k, ", ...)", 6);
            k += 6;
        } else {
            i64 a = (i64)((u64)lo + (u64)(i - 1) * (u64)step);
            i64 b = (u64)hi - (u64)a <= (u64)step ? hi : (i64)((u64)a + (u64)step);
            label[k++] = '[';
            k += fmt_i64(label + k, a);
            label[k++] = ',';
            label[k++] = ' ';
            k += fmt_i64(label + k, b);
            label[k++] = ')';
        }
        out_bytes((const u8 *)label, k);
        if (k < 16) spaces(16 - k);
        u64 n = load_u64(v + 8 * i);
        char count[20];
        u32 c = fmt_u64(count, n);
        if (c < 8) spaces(8 - c);
        out_bytes((const u8 *)count, c);
        out_bytes((const u8 *)" |", 2);
        u32 bar = bar_length(n, top, BAR_WIDTH);
        for (u32 j = 0; j < bar; j++) out_byte('@');
        spaces(BAR_WIDTH - bar);
        out_bytes((const u8 *)"|\n", 2);
    }
}

/* What follows `name` or `name[key]`: `: value` and a newline, or an aggregate's form. */
void print_value_human(const u8 *d, const u8 *v) {
    if (*d == T_STATS || *d == T_HIST || *d == T_LHIST) {
        print_agg_human(d, v);
        return;
    }
    out_bytes((const u8 *)": ", 2);
    print_value(d, v, 0);
    out_byte('\n');
}

/* A map key inside `name[...]`: a tuple's elements joined by ", ", anything else as in the report. */
void print_key_human(const u8 *d, const u8 *v) {
    if (*d != T_TUPLE) {
        print_value(d, v, 0);
        return;
    }
    u32 n = d[1];
    for (d += 2; n--; d = type_skip(d)) {
        print_value(d, v, 0);
        v += type_size(d);
        if (n) out_bytes((const u8 *)", ", 2);
    }
}

/* print(v) of a variable that is not a map: its name (`@name` for an aggregate) and its value at ptr. */
EXPORT("whamm_print_var") void whamm_print_var(i32 name, i32 name_len, i32 desc, i32 ptr) {
    const u8 *d = (const u8 *)desc;
    if (*d == T_STATS || *d == T_HIST || *d == T_LHIST) out_byte('@');
    out_bytes((const u8 *)name, (u32)name_len);
    print_value_human(d, (const u8 *)ptr);
}
