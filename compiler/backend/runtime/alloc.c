/* The allocator behind `mem_alloc`/`mem_free` and every runtime structure (REWRITING.md §9).
 *
 * Segregated free lists of power-of-two payload sizes: a block is an 8-byte header holding its size
 * class, then the payload, so payloads are 8-byte aligned and `mem_free` can recycle them (maps free
 * their old tables when they grow).  Fresh blocks are cut from a bump region that starts at the first
 * 8-byte boundary at or above `whamm_heap_next`, or at `__heap_base` while that word is 0.  The rewriter
 * reserves a static region [__heap_base, X) for string literals and variable slots by adding an active
 * data segment that stores X at address `whamm_heap_next` (exported as a global holding that address).
 * The memory grows on demand; if it cannot, the program traps.
 */
#include "runtime.h"

extern u8 __heap_base;

u32 whamm_heap_next;          /* next free byte of the bump region; 0 = start at __heap_base */
static u32 free_lists[32];    /* class c: payloads of 2^c bytes, linked through their first word */

#define MIN_CLASS 3
#define MAX_CLASS 30

static u32 bump(u32 bytes) {
    u32 p = whamm_heap_next ? whamm_heap_next : (u32)&__heap_base;
    p = (p + 7) & ~7u;
    u64 end = (u64)p + bytes;
    u64 have = (u64)__builtin_wasm_memory_size(0) << 16;
    if (end > have) {
        u64 pages = (end - have + 0xffff) >> 16;
        if (end > (1ull << 32) || __builtin_wasm_memory_grow(0, (u32)pages) == (__SIZE_TYPE__)-1)
            __builtin_trap();
    }
    whamm_heap_next = (u32)end;
    return p;
}

void *rt_alloc(u32 size) {
    u32 c = MIN_CLASS;
    while (c <= MAX_CLASS && (1u << c) < size) c++;
    if (c > MAX_CLASS) __builtin_trap();
    u32 payload = free_lists[c];
    if (payload) {
        free_lists[c] = *(u32 *)payload;
    } else {
        u32 block = bump(8 + (1u << c));
        *(u32 *)block = c;
        payload = block + 8;
    }
    return (void *)payload;
}

void rt_free(void *p) {
    if (!p) return;
    u32 c = *((u32 *)p - 2);
    *(u32 *)p = free_lists[c];
    free_lists[c] = (u32)p;
}

/* whamm_core (LANGUAGE.md §12.3): 8-byte aligned, never 0. */
EXPORT("mem_alloc") i32 core_mem_alloc(i32 size) { return (i32)rt_alloc((u32)size); }
EXPORT("mem_free") void core_mem_free(i32 ptr) { rt_free((void *)ptr); }
