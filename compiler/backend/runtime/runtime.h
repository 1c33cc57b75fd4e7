/* Shared declarations of the whamm instrumentation runtime (see README.md).
 *
 * The runtime is built freestanding (no libc): every helper it needs is defined here or in a sibling
 * file, so the linked module has exactly one import, `whamm.write`.
 */
#ifndef WHAMM_RUNTIME_H
#define WHAMM_RUNTIME_H

typedef unsigned char u8;
typedef signed char i8;
typedef unsigned short u16;
typedef short i16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;

#define EXPORT(name) __attribute__((export_name(name)))

/* The single import: write `len` bytes at `ptr` of this module's memory to file descriptor `fd`
 * (1 = stdout, 2 = stderr).  The rewriter implements it with WASI fd_write (REWRITING.md §12.5). */
__attribute__((import_module("whamm"), import_name("write")))
void host_write(i32 fd, const void *ptr, u32 len);

/* Type descriptor codes (runtime_abi.py TYPE_CODES mirrors this table). */
enum {
    T_U8 = 1, T_I8 = 2, T_U16 = 3, T_I16 = 4, T_U32 = 5, T_I32 = 6, T_U64 = 7, T_I64 = 8,
    T_F32 = 9, T_F64 = 10, T_BOOL = 11, T_STR = 12,
    T_STATS = 13, T_HIST = 14, /* aggregates (agg.c) */
    T_LHIST = 15, /* followed by MIN, MAX, STEP as little-endian i64 */
    T_TUPLE = 16, /* followed by one byte: element count, then the element descriptors */
};

/* output.c: the line buffer and scalar printers */
void out_byte(u8 c);
void out_bytes(const u8 *p, u32 n);
void out_flush(void);
void out_u32(u32 v);
void out_i32(i32 v);
void out_u64(u64 v);
void out_i64(i64 v);
void out_bool(u32 v);
_Noreturn void fail_no_map(i32 id);

/* float.c: shortest round-trip `{:+e}` formatting (REWRITING.md §12.2) */
void out_f32(float v);
void out_f64(double v);

/* alloc.c */
void *rt_alloc(u32 size);
void rt_free(void *p);

/* types.c: walking type descriptors and values laid out per LANGUAGE.md §6.1 "bytes in memory" */
u32 type_size(const u8 *desc);
const u8 *type_skip(const u8 *desc);
u32 value_hash(const u8 *desc, const u8 *v, u32 h);
int value_eq(const u8 *desc, const u8 *a, const u8 *b);
int value_cmp(const u8 *desc, const u8 *a, const u8 *b);
void value_copy_in(const u8 *desc, u8 *dst, const u8 *src);
void print_value(const u8 *desc, const u8 *v, int in_map);
void print_type_label(const u8 *desc);

/* agg.c: aggregates */
u32 agg_words(const u8 *desc);
void print_agg(const u8 *desc, const u8 *v);
i64 whamm_agg_read(i32 desc, i32 ptr, i32 what);

/* human.c: print(v)'s human form */
int num_cmp(const u8 *desc, const u8 *a, const u8 *b);
void print_value_human(const u8 *desc, const u8 *v);
void print_key_human(const u8 *desc, const u8 *v);

/* map.c: whamm_core.print_map (the report prints map-valued slots with it) */
void core_print_map(i32 id);

static inline u32 load_u32(const u8 *p) { u32 v; __builtin_memcpy(&v, p, 4); return v; }
static inline u64 load_u64(const u8 *p) { u64 v; __builtin_memcpy(&v, p, 8); return v; }
static inline u16 load_u16(const u8 *p) { u16 v; __builtin_memcpy(&v, p, 2); return v; }
static inline void store_u32(u8 *p, u32 v) { __builtin_memcpy(p, &v, 4); }
static inline void store_u64(u8 *p, u64 v) { __builtin_memcpy(p, &v, 8); }
static inline void store_u16(u8 *p, u16 v) { __builtin_memcpy(p, &v, 2); }

#endif
