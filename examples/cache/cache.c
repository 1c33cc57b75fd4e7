/* A direct-mapped cache simulator, compiled to a Wasm library that whamm scripts call at run time
 * (`use cache;`, `-u cache=examples/cache/cache.wasm`).  64 lines of 64 bytes (4 KiB).
 *
 * check_access(addr, size) -> 1 on a hit, 0 on a miss (the line is then loaded).  An access that
 * straddles two lines touches both and is a hit only if both were present.  hits()/misses() give the
 * totals so far. */
#include <stdint.h>

#define LINE_BITS 6
#define LINES 64

static uint32_t tags[LINES];
static uint8_t valid[LINES];
static uint32_t n_hits, n_misses;

static int touch(uint32_t line) {
    uint32_t set = line % LINES, tag = line / LINES;
    if (valid[set] && tags[set] == tag)
        return 1;
    valid[set] = 1;
    tags[set] = tag;
    return 0;
}

__attribute__((export_name("check_access")))
int check_access(int addr, int size) {
    uint32_t first = (uint32_t)addr >> LINE_BITS;
    uint32_t last = ((uint32_t)addr + (uint32_t)(size > 0 ? size - 1 : 0)) >> LINE_BITS;
    int hit = touch(first);
    if (last != first)
        hit &= touch(last);
    if (hit)
        n_hits++;
    else
        n_misses++;
    return hit;
}

__attribute__((export_name("hits")))
int hits(void) { return (int)n_hits; }

__attribute__((export_name("misses")))
int misses(void) { return (int)n_misses; }
