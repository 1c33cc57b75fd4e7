/* The default report's per-slot rows (REWRITING.md §11), printed from a compact table.
 *
 * A branch monitor on a large module has one `memaddr` row per counter (55,000 on sqlite); storing each
 * row's text, or even one fixed-width record per row, made the table larger than the module itself.
 * The rows of a probe differ only in their function, pc and value address, so the table holds what rows
 * share once (a *template* per report variable and probe: the text around the function and pc, and the
 * value's type descriptor) and per row only what changes, as LEB128 differences from the row before
 * (compiler/rewrite/exit.py writes it; docs/OUTPUT_SIZE.md describes it):
 *
 *   table    = u32 template count, count x template, rows up to the table's end
 *   template = u32 fixed text address, u32 its length   (", memaddr, <name>, <type>, <wasm>, script0, ")
 *              u32 probe text address, u32 its length   (", <probe_id>, " or ", , ")
 *              u32 type descriptor address (0: the slot holds a map id, printed with print_map)
 *   row      = head: leb (template << 4 | value elsewhere << 3 | new function << 2 | new pc << 1
 *                            | unpredicted address)
 *              new function: leb text address, leb text length ("<fname>, <fid>, " or ", , "); pc := none
 *              new pc:       sleb, added to the pc field (pc + 1, 0 = none)
 *              unpredicted:  sleb, added to the predicted address
 *              elsewhere:    sleb, the value's slot minus the row's (a coalesced per-site counter
 *                            reads the slot its run shares, docs/COALESCING.md; the row keeps its id)
 *
 * The predicted address is the previous row's plus the difference between the previous two (both start
 * at 0), so the regular strides of per-site counters cost nothing; every row still has its own address
 * (several rows may name the same slot).
 */
#include "runtime.h"

enum { TEMPLATE_SIZE = 20, VALUE_ELSEWHERE = 8, NEW_FUNCTION = 4, NEW_PC = 2, UNPREDICTED = 1 };

/* The LEB128 number at *p, advancing p; `is_signed`: sign-extend it (SLEB128). */
static u32 read_leb(const u8 **p, int is_signed) {
    u32 value = 0, shift = 0;
    u8 b;
    do {
        b = *(*p)++;
        value |= (u32)(b & 0x7F) << shift;
        shift += 7;
    } while (b & 0x80);
    if (is_signed && shift < 32 && (b & 0x40)) value |= ~0u << shift;
    return value;
}

EXPORT("whamm_report_rows") void whamm_report_rows(i32 table, i32 end) {
    const u8 *templates = (const u8 *)table + 4;
    const u8 *p = templates + load_u32((const u8 *)table) * TEMPLATE_SIZE;
    const u8 *fn = 0;
    u32 fn_len = 0, pc_field = 0, addr = 0, stride = 0;
    while (p < (const u8 *)end) {
        u32 head = read_leb(&p, 0);
        const u8 *t = templates + (head >> 4) * TEMPLATE_SIZE;
        if (head & NEW_FUNCTION) {
            fn = (const u8 *)read_leb(&p, 0);
            fn_len = read_leb(&p, 0);
            pc_field = 0;
        }
        if (head & NEW_PC) pc_field += read_leb(&p, 1);
        u32 at = addr + stride;
        if (head & UNPREDICTED) at += read_leb(&p, 1);
        stride = at - addr;
        addr = at;
        u32 value = addr;
        if (head & VALUE_ELSEWHERE) value += read_leb(&p, 1);
        out_u32(addr);
        out_bytes((const u8 *)load_u32(t), load_u32(t + 4));
        out_bytes(fn, fn_len);
        if (pc_field) out_u32(pc_field - 1);
        out_bytes((const u8 *)load_u32(t + 8), load_u32(t + 12));
        u32 desc = load_u32(t + 16);
        if (desc) print_value((const u8 *)desc, (const u8 *)value, 0);
        else core_print_map((i32)load_u32((const u8 *)value));
        out_byte('\n');
    }
}
