/* Frame aggregates (docs/AGGREGATES.md): one zeroed region per activation of an instrumented function
 * that has `frame` aggregate variables, holding all of them.
 *
 * The live regions form a stack, linked innermost first: a region is an allocator block whose first
 * word points to the region below it (`frame_top` is the innermost), the aggregates start 8 bytes in.
 * The generated code keeps its region's address in a local and passes it back when it leaves, so a
 * release frees every region above its own too: regions of callees an exception unwound without running
 * their exit code are freed by the first enclosing activation that exits or catches (a reset).
 * A function with no frame aggregates of its own that catches exceptions marks the stack's height when
 * it is entered and unwinds to that mark where it catches and where it exits: otherwise the regions a
 * throw left above it would only be freed by an enclosing activation with frame aggregates, and with
 * none (an uninstrumented catcher in a loop) they would pile up without bound.
 * After a trap the abandoned regions stay linked below the regions of later calls, never reused.
 */
#include "runtime.h"

static u32 frame_top;         /* the innermost live region's block, 0 = none */

/* Free the regions above `block`; trap if `block` is not live (a generated-code bug, never a silent
 * wrong answer). */
static void free_above(u32 block) {
    while (frame_top != block) {
        if (!frame_top) __builtin_trap();
        u32 below = *(u32 *)frame_top;
        rt_free((void *)frame_top);
        frame_top = below;
    }
}

EXPORT("whamm_frame_enter") i32 whamm_frame_enter(i32 size) {
    u8 *block = rt_alloc(8 + (u32)size);
    *(u32 *)block = frame_top;
    __builtin_memset(block + 8, 0, (u32)size);
    frame_top = (u32)block;
    return (i32)(block + 8);
}

EXPORT("whamm_frame_leave") void whamm_frame_leave(i32 region) {
    u32 block = (u32)region - 8;
    free_above(block);
    frame_top = *(u32 *)block;
    rt_free((void *)block);
}

EXPORT("whamm_frame_reset") void whamm_frame_reset(i32 region) { free_above((u32)region - 8); }

EXPORT("whamm_frame_mark") i32 whamm_frame_mark(void) { return (i32)frame_top; }

EXPORT("whamm_frame_unwind") void whamm_frame_unwind(i32 mark) { free_above((u32)mark); }
