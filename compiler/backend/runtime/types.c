/* Type descriptors and the values they describe (LANGUAGE.md §6.1, REWRITING.md §12).
 *
 * A descriptor is a byte string: one code per primitive type, or T_TUPLE, an element count and the
 * element descriptors (runtime_abi.encode_type builds them).  A value is laid out as in the "bytes in
 * memory" column of LANGUAGE.md §6.1, packed without padding: u8 1 byte, u16 2, u32/i32/f32/bool 4,
 * u64/i64/f64 8, str an (addr, len) pair of u32, tuples the concatenation of their elements.  These
 * walkers give maps their canonical hash, equality and order, and print values in both the report form
 * and the in-map form.
 */
#include "runtime.h"

u32 type_size(const u8 *d) {
    switch (*d) {
    case T_U8: case T_I8: return 1;
    case T_U16: case T_I16: return 2;
    case T_U32: case T_I32: case T_F32: case T_BOOL: return 4;
    case T_U64: case T_I64: case T_F64: case T_STR: return 8;
    case T_STATS: case T_HIST: case T_LHIST: return 8 * agg_words(d);
    case T_TUPLE: {
        u32 n = d[1], size = 0;
        for (d += 2; n--; d = type_skip(d)) size += type_size(d);
        return size;
    }
    }
    __builtin_trap();
}

const u8 *type_skip(const u8 *d) {
    if (*d == T_LHIST) return d + 25;
    if (*d != T_TUPLE) return d + 1;
    u32 n = d[1];
    for (d += 2; n--;) d = type_skip(d);
    return d;
}

static u32 fnv(u32 h, const u8 *p, u32 n) {
    for (u32 i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

u32 value_hash(const u8 *d, const u8 *v, u32 h) {
    switch (*d) {
    case T_BOOL: {
        u8 b = load_u32(v) != 0;
        return fnv(h, &b, 1);
    }
    case T_STR: {
        u32 len = load_u32(v + 4);
        h = fnv(h, v + 4, 4);
        return fnv(h, (const u8 *)load_u32(v), len);
    }
    case T_TUPLE: {
        u32 n = d[1];
        for (d += 2; n--; d = type_skip(d)) {
            h = value_hash(d, v, h);
            v += type_size(d);
        }
        return h;
    }
    }
    return fnv(h, v, type_size(d));
}

int value_eq(const u8 *d, const u8 *a, const u8 *b) {
    return value_cmp(d, a, b) == 0;
}

#define CMP(x, y) ((x) < (y) ? -1 : (x) > (y) ? 1 : 0)

/* REWRITING.md §12.3 key order: integers by the printed value (<= 32 bits as the signed i32 of their
 * representation, 64 bits by declared signedness), false < true, strings bytewise with a prefix first,
 * tuples element by element. */
int value_cmp(const u8 *d, const u8 *a, const u8 *b) {
    switch (*d) {
    case T_U8: return CMP(a[0], b[0]);
    case T_I8: return CMP((i8)a[0], (i8)b[0]);
    case T_U16: return CMP(load_u16(a), load_u16(b));
    case T_I16: return CMP((i16)load_u16(a), (i16)load_u16(b));
    case T_U32: case T_I32: return CMP((i32)load_u32(a), (i32)load_u32(b));
    case T_U64: return CMP(load_u64(a), load_u64(b));
    case T_I64: return CMP((i64)load_u64(a), (i64)load_u64(b));
    case T_BOOL: return CMP(load_u32(a) != 0, load_u32(b) != 0);
    case T_F32: case T_F64: { /* never keys; equality by bits is enough for values */
        u32 n = type_size(d);
        for (u32 i = 0; i < n; i++)
            if (a[i] != b[i]) return CMP(a[i], b[i]);
        return 0;
    }
    case T_STR: {
        const u8 *pa = (const u8 *)load_u32(a), *pb = (const u8 *)load_u32(b);
        u32 la = load_u32(a + 4), lb = load_u32(b + 4);
        u32 n = la < lb ? la : lb;
        for (u32 i = 0; i < n; i++)
            if (pa[i] != pb[i]) return CMP(pa[i], pb[i]);
        return CMP(la, lb);
    }
    case T_TUPLE: {
        u32 n = d[1];
        for (d += 2; n--; d = type_skip(d)) {
            int c = value_cmp(d, a, b);
            if (c) return c;
            u32 size = type_size(d);
            a += size;
            b += size;
        }
        return 0;
    }
    }
    __builtin_trap();
}

/* Copy a value into storage the runtime owns: strings are copied (and never freed, as strings read
 * from a map may outlive the entry), bools are normalised to 0/1. */
void value_copy_in(const u8 *d, u8 *dst, const u8 *src) {
    switch (*d) {
    case T_BOOL:
        store_u32(dst, load_u32(src) != 0);
        return;
    case T_STR: {
        u32 len = load_u32(src + 4);
        u8 *copy = 0;
        if (len) {
            copy = rt_alloc(len);
            __builtin_memcpy(copy, (const u8 *)load_u32(src), len);
        }
        store_u32(dst, (u32)copy);
        store_u32(dst + 4, len);
        return;
    }
    case T_TUPLE: {
        u32 n = d[1];
        for (d += 2; n--; d = type_skip(d)) {
            u32 size = type_size(d);
            value_copy_in(d, dst, src);
            dst += size;
            src += size;
        }
        return;
    }
    }
    __builtin_memcpy(dst, src, type_size(d));
}

/* REWRITING.md §12.1-§12.3.  The report form prints integers per their declared type and tuples as
 * `(a; b)`; the in-map form prints u32 as the signed i32 of its representation and tuples as `(a,b)`. */
void print_value(const u8 *d, const u8 *v, int in_map) {
    switch (*d) {
    case T_U8: out_u32(v[0]); return;
    case T_I8: out_i32((i8)v[0]); return;
    case T_U16: out_u32(load_u16(v)); return;
    case T_I16: out_i32((i16)load_u16(v)); return;
    case T_U32:
        if (in_map) out_i32((i32)load_u32(v));
        else out_u32(load_u32(v));
        return;
    case T_I32: out_i32((i32)load_u32(v)); return;
    case T_U64: out_u64(load_u64(v)); return;
    case T_I64: out_i64((i64)load_u64(v)); return;
    case T_F32: {
        float f;
        __builtin_memcpy(&f, v, 4);
        out_f32(f);
        return;
    }
    case T_F64: {
        double f;
        __builtin_memcpy(&f, v, 8);
        out_f64(f);
        return;
    }
    case T_BOOL: out_bool(load_u32(v)); return;
    case T_STR: out_bytes((const u8 *)load_u32(v), load_u32(v + 4)); return;
    case T_STATS: case T_HIST: case T_LHIST: print_agg(d, v); return;
    case T_TUPLE: {
        u32 n = d[1];
        out_byte('(');
        for (d += 2; n--; d = type_skip(d)) {
            print_value(d, v, in_map);
            v += type_size(d);
            if (n) {
                if (in_map) out_byte(',');
                else out_bytes((const u8 *)"; ", 2);
            }
        }
        out_byte(')');
        return;
    }
    }
    __builtin_trap();
}

/* CSV column labels (REWRITING.md §12.3): integers of <= 32 bits are i32, 64-bit ones i64. */
void print_type_label(const u8 *d) {
    static const char *const labels[] = {
        [T_U8] = "i32", [T_I8] = "i32", [T_U16] = "i32", [T_I16] = "i32", [T_U32] = "i32",
        [T_I32] = "i32", [T_U64] = "i64", [T_I64] = "i64", [T_F32] = "f32", [T_F64] = "f64",
        [T_BOOL] = "bool", [T_STR] = "str",
    };
    if (*d == T_TUPLE) {
        u32 n = d[1];
        out_byte('(');
        for (d += 2; n--; d = type_skip(d)) {
            print_type_label(d);
            if (n) out_byte(',');
        }
        out_byte(')');
        return;
    }
    if (*d == T_STATS) {
        out_bytes((const u8 *)"stats", 5);
        return;
    }
    if (*d == T_HIST) {
        out_bytes((const u8 *)"hist", 4);
        return;
    }
    if (*d == T_LHIST) {
        out_bytes((const u8 *)"lhist(", 6);
        for (u32 i = 0; i < 3; i++) {
            if (i) out_byte(',');
            out_i64((i64)load_u64(d + 1 + 8 * i));
        }
        out_byte(')');
        return;
    }
    if (*d >= T_U8 && *d <= T_STR) {
        const char *s = labels[*d];
        out_bytes((const u8 *)s, *d == T_BOOL ? 4 : 3);
        return;
    }
    __builtin_trap();
}

/* Report rows (REWRITING.md §11.2): a value of any non-map type in the report form. */
EXPORT("whamm_print_value") void whamm_print_value(i32 desc, i32 ptr) {
    print_value((const u8 *)desc, (const u8 *)ptr, 0);
}
