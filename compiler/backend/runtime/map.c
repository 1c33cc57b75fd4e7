/* Maps (LANGUAGE.md §8, decisions D7 and D8) and their printers (REWRITING.md §12.3).
 *
 * A map is an open-addressing hash table with linear probing over fixed-size entries
 * [u32 hash tag | key bytes | value bytes], the key and value laid out per their type descriptors
 * (types.c); tag 0 marks a free entry.  Maps are found by their i32 id through a second, id-keyed
 * table, so the caller chooses ids: the rewriter gives script maps 0, 1, 2, ... and its internal maps
 * ids outside that sequence.  `delete` removes an entry by backward-shift deletion (the entries after it
 * in its probe run move back), so no tombstones are needed.
 */
#include "runtime.h"

typedef struct {
    i32 id;
    u32 count;           /* entries in use */
    u32 cap;             /* entries allocated, a power of two */
    u32 key_size, val_size, stride;
    u32 raw_key;         /* the key holds no str or bool: hash and equality can use its bytes as is */
    const u8 *key_desc;  /* the runtime's copy of the descriptor; the value descriptor follows */
    const u8 *val_desc;
    u8 *entries;
    u8 *zero;            /* val_size zero bytes: what reading an absent key yields (D7) */
    u8 *scratch;         /* key then value, copied in before an insertion may move the entries */
} Map;

typedef struct {
    i32 id;
    Map *map;            /* 0 = free slot */
} DirSlot;

static DirSlot *dir;
static u32 dir_cap, dir_count;

static u32 mix(u32 h) {
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    return h ^ (h >> 16);
}

static Map **dir_slot(i32 id) {
    u32 i = mix((u32)id) & (dir_cap - 1);
    while (dir[i].map && dir[i].id != id) i = (i + 1) & (dir_cap - 1);
    dir[i].id = id;
    return &dir[i].map;
}

static Map *find_map(i32 id) {
    if (!dir_cap) fail_no_map(id);
    Map *m = *dir_slot(id);
    if (!m) fail_no_map(id);
    return m;
}

static void dir_grow(void) {
    DirSlot *old = dir;
    u32 old_cap = dir_cap;
    dir_cap = old_cap ? old_cap * 2 : 16;
    dir = rt_alloc(dir_cap * sizeof(DirSlot));
    __builtin_memset(dir, 0, dir_cap * sizeof(DirSlot));
    for (u32 i = 0; i < old_cap; i++)
        if (old[i].map) *dir_slot(old[i].id) = old[i].map;
    rt_free(old);
}

static u8 *alloc_entries(u32 cap, u32 stride) {
    u8 *e = rt_alloc(cap * stride);
    __builtin_memset(e, 0, cap * stride);
    return e;
}

static int key_eq(const Map *m, const u8 *a, const u8 *b) {
    if (!m->raw_key) return value_eq(m->key_desc, a, b);
    if (m->key_size == 4) return load_u32(a) == load_u32(b);
    if (m->key_size == 8) return load_u64(a) == load_u64(b);
    for (u32 i = 0; i < m->key_size; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static int has_str_or_bool(const u8 *d) {
    if (*d == T_STR || *d == T_BOOL) return 1;
    if (*d != T_TUPLE) return 0;
    u32 n = d[1];
    for (d += 2; n--; d = type_skip(d))
        if (has_str_or_bool(d)) return 1;
    return 0;
}

/* The entry for `key` (hash `h`), or the free entry where it belongs. */
static u8 *probe(const Map *m, const u8 *key, u32 h) {
    u32 i = h & (m->cap - 1);
    for (;;) {
        u8 *e = m->entries + i * m->stride;
        u32 tag = load_u32(e);
        if (!tag || (tag == h && key_eq(m, e + 4, key))) return e;
        i = (i + 1) & (m->cap - 1);
    }
}

static u32 key_hash(const Map *m, const u8 *key) {
    u32 h;
    if (m->raw_key && m->key_size == 4) h = mix(load_u32(key));
    else if (m->raw_key && m->key_size == 8) h = mix(load_u32(key) ^ mix(load_u32(key + 4)));
    else h = mix(value_hash(m->key_desc, key, 2166136261u));
    return h ? h : 1;
}

static void grow(Map *m) {
    u8 *old = m->entries;
    u32 old_cap = m->cap;
    m->cap *= 2;
    m->entries = alloc_entries(m->cap, m->stride);
    for (u32 i = 0; i < old_cap; i++) {
        u8 *e = old + i * m->stride;
        u32 tag = load_u32(e);
        if (tag) __builtin_memcpy(probe(m, e + 4, tag), e, m->stride);
    }
    rt_free(old);
}

/* The value bytes of `key`, inserting a zero value if it is absent. */
static u8 *slot(Map *m, const u8 *key) {
    u32 h = key_hash(m, key);
    u8 *e = probe(m, key, h);
    if (load_u32(e)) return e + 4 + m->key_size;
    if ((m->count + 1) * 4 > m->cap * 3) {
        __builtin_memcpy(m->scratch, key, m->key_size); /* `key` may point into the old entries */
        key = m->scratch;
        grow(m);
        e = probe(m, key, h);
    }
    store_u32(e, h);
    value_copy_in(m->key_desc, e + 4, key);
    m->count++;
    return e + 4 + m->key_size;
}

/* ---- exports ---- */

/* Create (or reset to empty) the map `id`; `desc` holds the key type descriptor followed by the value
 * type descriptor.  The descriptor is copied. */
EXPORT("whamm_map_create") void whamm_map_create(i32 id, i32 desc) {
    const u8 *kd = (const u8 *)desc;
    const u8 *vd = type_skip(kd);
    u32 desc_len = (u32)(type_skip(vd) - kd);
    Map *m;
    if (dir_cap && (m = *dir_slot(id)) != 0) {
        rt_free(m->entries);
        rt_free(m->zero);
        rt_free(m->scratch);
        rt_free((void *)m->key_desc);
    } else {
        if ((dir_count + 1) * 2 > dir_cap) dir_grow();
        m = rt_alloc(sizeof(Map));
        *dir_slot(id) = m;
        dir_count++;
    }
    u8 *copy = rt_alloc(desc_len);
    __builtin_memcpy(copy, kd, desc_len);
    m->id = id;
    m->count = 0;
    m->cap = 8;
    m->key_desc = copy;
    m->val_desc = copy + (vd - kd);
    m->key_size = type_size(m->key_desc);
    m->raw_key = !has_str_or_bool(m->key_desc);
    m->val_size = type_size(m->val_desc);
    m->stride = (4 + m->key_size + m->val_size + 3) & ~3u;
    m->entries = alloc_entries(m->cap, m->stride);
    m->zero = alloc_entries(1, m->val_size + 1);
    m->scratch = rt_alloc(m->key_size + m->val_size + 1);
}

/* m[key]: a pointer to the value bytes, or to zero bytes if the key is absent (reading does not
 * insert, D7).  Read-only; valid until the next map call. */
EXPORT("whamm_map_get") i32 whamm_map_get(i32 id, i32 key) {
    Map *m = find_map(id);
    u8 *e = probe(m, (const u8 *)key, key_hash(m, (const u8 *)key));
    return (i32)(load_u32(e) ? e + 4 + m->key_size : m->zero);
}

/* m[key] = value: keys and values are copied, strings included. */
EXPORT("whamm_map_put") void whamm_map_put(i32 id, i32 key, i32 value) {
    Map *m = find_map(id);
    u8 *v = m->scratch + m->key_size; /* `value` may point into the entries, which may move */
    __builtin_memcpy(v, (const u8 *)value, m->val_size);
    u8 *dst = slot(m, (const u8 *)key);
    value_copy_in(m->val_desc, dst, v);
}

/* A pointer to m[key]'s value bytes inside the map, inserting a zero value if absent: for in-place
 * updates of numeric values by generated code.  Valid until the next map call. */
EXPORT("whamm_map_slot") i32 whamm_map_slot(i32 id, i32 key) {
    return (i32)slot(find_map(id), (const u8 *)key);
}

/* m[key] += delta for a numeric value type (integers wrap at their width; floats add delta converted
 * to the value type); `m[k]++` is whamm_map_add(id, k, 1). */
EXPORT("whamm_map_add") void whamm_map_add(i32 id, i32 key, i64 delta) {
    Map *m = find_map(id);
    u8 *v = slot(m, (const u8 *)key);
    switch (*m->val_desc) {
    case T_U8: case T_I8: v[0] = (u8)(v[0] + delta); return;
    case T_U16: case T_I16: store_u16(v, (u16)(load_u16(v) + delta)); return;
    case T_U32: case T_I32: store_u32(v, (u32)(load_u32(v) + delta)); return;
    case T_U64: case T_I64: store_u64(v, load_u64(v) + (u64)delta); return;
    case T_F32: {
        float f;
        __builtin_memcpy(&f, v, 4);
        f += (float)delta;
        __builtin_memcpy(v, &f, 4);
        return;
    }
    case T_F64: {
        double f;
        __builtin_memcpy(&f, v, 8);
        f += (double)delta;
        __builtin_memcpy(v, &f, 8);
        return;
    }
    }
    __builtin_trap();
}

/* The number of entries in map `id`. */
EXPORT("whamm_map_len") i32 whamm_map_len(i32 id) { return (i32)find_map(id)->count; }

/* delete(m[key]) (ANALYSIS.md §2): remove the entry if present.  Backward-shift deletion: each later
 * entry of the probe run whose home slot does not lie cyclically in (hole, its slot] moves into the
 * hole, so every remaining entry stays reachable from its home without tombstones. */
EXPORT("whamm_map_delete") void whamm_map_delete(i32 id, i32 key) {
    Map *m = find_map(id);
    u8 *e = probe(m, (const u8 *)key, key_hash(m, (const u8 *)key));
    if (!load_u32(e)) return;
    u32 mask = m->cap - 1;
    u32 hole = (u32)(e - m->entries) / m->stride;
    for (u32 i = (hole + 1) & mask;; i = (i + 1) & mask) {
        u8 *f = m->entries + i * m->stride;
        u32 tag = load_u32(f);
        if (!tag) break;
        if (((i - (tag & mask)) & mask) >= ((i - hole) & mask)) {
            __builtin_memcpy(m->entries + hole * m->stride, f, m->stride);
            hole = i;
        }
    }
    __builtin_memset(m->entries + hole * m->stride, 0, m->stride);
    m->count--;
}

/* clear(m) (ANALYSIS.md §2): remove every entry (the capacity stays). */
EXPORT("whamm_map_clear") void whamm_map_clear(i32 id) {
    Map *m = find_map(id);
    __builtin_memset(m->entries, 0, m->cap * m->stride);
    m->count = 0;
}

/* ---- printing ---- */

static const Map *sort_map;
static int sort_by_value;   /* print's order: numeric value descending, then key */

static int entry_cmp(const u8 *a, const u8 *b) {
    if (sort_by_value) {
        u32 off = 4 + sort_map->key_size;
        int c = num_cmp(sort_map->val_desc, b + off, a + off);
        if (c) return c;
    }
    return value_cmp(sort_map->key_desc, a + 4, b + 4);
}

static void sift_down(const u8 **a, u32 root, u32 n) {
    for (;;) {
        u32 child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && entry_cmp(a[child], a[child + 1]) < 0) child++;
        if (entry_cmp(a[root], a[child]) >= 0) return;
        const u8 *t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

/* The map's entries sorted by key, or with `by_value` by numeric value descending then key (heapsort:
 * in place, O(n log n) whatever the keys). */
static const u8 **sorted_entries(const Map *m, int by_value) {
    const u8 **a = rt_alloc(m->count * sizeof(u8 *) + 1);
    u32 n = 0;
    for (u32 i = 0; i < m->cap; i++) {
        const u8 *e = m->entries + i * m->stride;
        if (load_u32(e)) a[n++] = e;
    }
    sort_map = m;
    sort_by_value = by_value;
    for (u32 i = n / 2; i-- > 0;) sift_down(a, i, n);
    for (u32 i = n; i-- > 1;) {
        const u8 *t = a[0];
        a[0] = a[i];
        a[i] = t;
        sift_down(a, 0, i);
    }
    return a;
}

static void print_entry(const Map *m, const u8 *e, const char *sep, u32 sep_len) {
    print_value(m->key_desc, e + 4, 1);
    out_bytes((const u8 *)sep, sep_len);
    print_value(m->val_desc, e + 4 + m->key_size, 1);
}

/* The entries in key order, for tools reading a live instance: an array of whamm_map_len(id) pointers
 * to key bytes (each value follows its key), allocated for the caller, who releases it with mem_free. */
EXPORT("whamm_map_entries") i32 whamm_map_entries(i32 id) {
    Map *m = find_map(id);
    const u8 **a = sorted_entries(m, 0);
    for (u32 i = 0; i < m->count; i++) a[i] += 4;
    return (i32)a;
}

/* whamm_core.print_map: `empty map`, or `k->v;k->v` sorted by key, no newline. */
EXPORT("print_map") void core_print_map(i32 id) {
    Map *m = find_map(id);
    if (!m->count) {
        out_bytes((const u8 *)"empty map", 9);
        return;
    }
    const u8 **a = sorted_entries(m, 0);
    for (u32 i = 0; i < m->count; i++) {
        if (i) out_byte(';');
        print_entry(m, a[i], "->", 2);
    }
    rt_free(a);
}

/* whamm_core.print_map_as_csv: the `== map<id> CSV FLUSH ==` block of REWRITING.md §12.3. */
EXPORT("print_map_as_csv") void core_print_map_as_csv(i32 id) {
    Map *m = find_map(id);
    out_bytes((const u8 *)"== map", 6);
    out_i32(id);
    out_bytes((const u8 *)" CSV FLUSH ==\n", 14);
    if (m->count || *m->key_desc != T_TUPLE) {
        out_bytes((const u8 *)"key (", 5);
        print_type_label(m->key_desc);
        out_bytes((const u8 *)"), val (", 8);
        print_type_label(m->val_desc);
        out_bytes((const u8 *)")\n", 2);
    }
    if (!m->count) {
        out_bytes((const u8 *)"empty map\n", 10);
        return;
    }
    const u8 **a = sorted_entries(m, 0);
    for (u32 i = 0; i < m->count; i++) {
        print_entry(m, a[i], ", ", 2);
        out_byte('\n');
    }
    rt_free(a);
}

/* print(m) (ANALYSIS.md §2): one `name[key]: value` line per entry, in descending order of a numeric
 * value (then by key), else by key; an aggregate value in bpftrace's form headed `@name[key]:`.  An
 * empty map prints nothing. */
EXPORT("whamm_print_map_human") void whamm_print_map_human(i32 name, i32 name_len, i32 id) {
    Map *m = find_map(id);
    if (!m->count) return;
    u8 v = *m->val_desc;
    int agg = v == T_STATS || v == T_HIST || v == T_LHIST;
    const u8 **a = sorted_entries(m, v >= T_U8 && v <= T_F64);
    for (u32 i = 0; i < m->count; i++) {
        if (agg) out_byte('@');
        out_bytes((const u8 *)name, (u32)name_len);
        out_byte('[');
        print_key_human(m->key_desc, a[i] + 4);
        out_byte(']');
        print_value_human(m->val_desc, a[i] + 4 + m->key_size);
    }
    rt_free(a);
}
