/* `callstack` (ANALYSIS.md §3): the string of the shadow stack the rewriter maintains.
 *
 * The rewriter keeps the stack's depth in a Wasm global and the last 256 frames in a ring of u32
 * entries (frame d at ring[d % 256], each the function's index among the defined functions); a name
 * table holds one (ptr, len) pair per defined function (its name-section name, or "#fid").  A read
 * joins the frames outermost first with ';'; deeper than 256 frames the outermost ones become one
 * "…" frame, so the string has at most 256 frames.
 *
 * Strings are immutable values that scripts may keep (a map key, a global), so a read cannot reuse one
 * buffer; but `callstack` is typically read at every function entry, and a fresh allocation per read
 * would grow the memory with the number of calls.  Reads are therefore interned: equal stacks give the
 * same string, and the memory used grows with the number of *distinct* stacks.
 */
#include "runtime.h"

#define RING 256u
#define ELLIPSIS "\xe2\x80\xa6"   /* U+2026, 3 bytes */

typedef struct { u32 hash, len; u8 *bytes; } Interned;

static Interned *table;      /* open addressing, capacity a power of two (0 = none yet) */
static u32 capacity, count;
static u8 *scratch;          /* the string being built */
static u32 scratch_cap;

static void scratch_reserve(u32 n) {
    if (n <= scratch_cap) return;
    u32 cap = scratch_cap ? scratch_cap : 256;
    while (cap < n) cap *= 2;
    u8 *fresh = rt_alloc(cap);
    rt_free(scratch);
    scratch = fresh;
    scratch_cap = cap;
}

static u32 fnv1a(const u8 *p, u32 n) {
    u32 h = 2166136261u;
    for (u32 i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static int same(const u8 *a, const u8 *b, u32 n) {
    for (u32 i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static void grow(void) {
    u32 cap = capacity ? capacity * 2 : 64;
    Interned *fresh = rt_alloc(cap * sizeof(Interned));
    __builtin_memset(fresh, 0, cap * sizeof(Interned));
    for (u32 i = 0; i < capacity; i++) {
        if (!table[i].bytes) continue;
        u32 j = table[i].hash & (cap - 1);
        while (fresh[j].bytes) j = (j + 1) & (cap - 1);
        fresh[j] = table[i];
    }
    rt_free(table);
    table = fresh;
    capacity = cap;
}

/* The interned copy of the n bytes at p (never 0: an empty stack is a 0-byte allocation). */
static u8 *intern(const u8 *p, u32 n) {
    if ((count + 1) * 2 > capacity) grow();
    u32 h = fnv1a(p, n);
    u32 j = h & (capacity - 1);
    while (table[j].bytes) {
        if (table[j].hash == h && table[j].len == n && same(table[j].bytes, p, n))
            return table[j].bytes;
        j = (j + 1) & (capacity - 1);
    }
    u8 *copy = rt_alloc(n ? n : 1);
    __builtin_memcpy(copy, p, n);
    table[j].hash = h;
    table[j].len = n;
    table[j].bytes = copy;
    count++;
    return copy;
}

/* The callstack string of a shadow stack `depth` frames deep: (len << 32) | ptr. */
EXPORT("whamm_callstack") u64 whamm_callstack(u32 depth, const u32 *ring, const u32 *names) {
    u32 first = 0, n = 0;
    if (depth > RING) first = depth - (RING - 1);
    for (int pass = 0; pass < 2; pass++) {   /* pass 0 measures, pass 1 writes */
        u32 at = 0;
        if (first) {
            if (pass) __builtin_memcpy(scratch, ELLIPSIS, 3);
            at = 3;
        }
        for (u32 d = first; d < depth; d++) {
            u32 k = ring[d % RING];
            u32 ptr = names[2 * k], len = names[2 * k + 1];
            if (at) {
                if (pass) scratch[at] = ';';
                at++;
            }
            if (pass) __builtin_memcpy(scratch + at, (const u8 *)ptr, len);
            at += len;
        }
        n = at;
        if (!pass) scratch_reserve(n ? n : 1);
    }
    u8 *s = intern(scratch, n);
    return ((u64)n << 32) | (u32)s;
}
