/* The fd -> path table behind the wasi:p1 variable `fd_path` (ANALYSIS.md §4, docs/WASI.md).
 *
 * The compiler adds calls of these functions after the application's successful fd_prestat_dir_name,
 * path_open, fd_renumber and fd_close calls, only when a script reads fd_path.  Each entry owns a copy of
 * its path.  Descriptors 0, 1 and 2 are <stdin>, <stdout>, <stderr> until something replaces or closes
 * them; a descriptor this table never saw (or >= FD_PATHS) is "" (unknown).
 */
#include "runtime.h"

#define FD_PATHS 1024
enum { DEFAULT = 0, KNOWN = 1, UNKNOWN = 2 };

static struct {
    u8 state;
    u32 len;
    u8 *bytes;
} table[FD_PATHS];

static const char *const STD_NAMES[3] = {"<stdin>", "<stdout>", "<stderr>"};
static const u32 STD_LENS[3] = {7, 8, 8};

static void forget(u32 fd) {
    if (table[fd].bytes) rt_free(table[fd].bytes);
    table[fd].bytes = 0;
    table[fd].len = 0;
    table[fd].state = UNKNOWN;
}

/* Copy `a` + "/" + `b` (just `b` when `a` is empty or `b` absolute; no second "/" after one) into fd. */
static void store(u32 fd, const u8 *a, u32 alen, const u8 *b, u32 blen) {
    if (fd >= FD_PATHS) return;
    if (blen && b[0] == '/') alen = 0;
    u32 slash = alen && a[alen - 1] != '/' ? 1 : 0;
    u32 n = alen + slash + blen;
    u8 *copy = rt_alloc(n ? n : 1);
    if (alen) __builtin_memcpy(copy, a, alen);
    if (slash) copy[alen] = '/';
    if (blen) __builtin_memcpy(copy + alen + slash, b, blen);
    forget(fd);
    table[fd].bytes = copy;
    table[fd].len = n;
    table[fd].state = KNOWN;
}

/* What fd refers to: (len << 32) | ptr. */
EXPORT("whamm_fd_path") u64 whamm_fd_path(u32 fd) {
    if (fd >= FD_PATHS) return 0;
    if (table[fd].state == DEFAULT && fd < 3) return ((u64)STD_LENS[fd] << 32) | (u32)STD_NAMES[fd];
    if (table[fd].state != KNOWN) return 0;
    return ((u64)table[fd].len << 32) | (u32)table[fd].bytes;
}

/* fd_prestat_dir_name: the preopened directory's name. */
EXPORT("whamm_fd_path_preopen") void whamm_fd_path_preopen(u32 fd, const u8 *name, u32 len) {
    store(fd, 0, 0, name, len);
}

/* path_open: the new descriptor refers to `path` under directory descriptor `dir`. */
EXPORT("whamm_fd_path_open") void whamm_fd_path_open(u32 fd, u32 dir, const u8 *path, u32 len) {
    u64 d = whamm_fd_path(dir);
    store(fd, (const u8 *)(u32)d, (u32)(d >> 32), path, len);
}

/* fd_renumber: `to` now refers to what `from` did, and `from` is closed. */
EXPORT("whamm_fd_path_renumber") void whamm_fd_path_renumber(u32 from, u32 to) {
    if (to >= FD_PATHS) { if (from < FD_PATHS) forget(from); return; }
    u64 d = from < FD_PATHS ? whamm_fd_path(from) : 0;
    if (from == to) return;
    store(to, 0, 0, (const u8 *)(u32)d, (u32)(d >> 32));
    if (!(u32)(d >> 32)) table[to].state = UNKNOWN;
    if (from < FD_PATHS) forget(from);
}

/* fd_close: the descriptor refers to nothing. */
EXPORT("whamm_fd_path_close") void whamm_fd_path_close(u32 fd) {
    if (fd < FD_PATHS) forget(fd);
}
