/* Line-buffered output and the integer/bool printers (REWRITING.md §12.1, §12.5).
 *
 * Output is collected in a buffer in the runtime's memory and handed to `whamm.write` when a "\n" is
 * added (everything up to and including the last newline), when the buffer is full, and on an explicit
 * `whamm_flush`.  This reproduces how upstream's output interleaved with the application's own
 * line-buffered output, and keeps the number of fd_write calls low.
 */
#include "runtime.h"

#define OUT_CAPACITY 4096 /* runtime_abi.OUTPUT_BUFFER_SIZE */

static u8 out_buf[OUT_CAPACITY];
static u32 out_len;

static void out_write(u32 n) {
    host_write(1, out_buf, n);
    __builtin_memmove(out_buf, out_buf + n, out_len - n);
    out_len -= n;
}

void out_flush(void) {
    if (out_len) out_write(out_len);
}

void out_byte(u8 c) {
    out_buf[out_len++] = c;
    if (c == '\n' || out_len == OUT_CAPACITY) out_flush();
}

void out_bytes(const u8 *p, u32 n) {
    while (n) {
        u32 room = OUT_CAPACITY - out_len;
        u32 take = n < room ? n : room;
        u32 last_nl = 0; /* one past the last newline copied, 0 if none */
        for (u32 i = 0; i < take; i++) {
            u8 c = p[i];
            out_buf[out_len + i] = c;
            if (c == '\n') last_nl = out_len + i + 1;
        }
        out_len += take;
        p += take;
        n -= take;
        if (out_len == OUT_CAPACITY) out_flush();
        else if (last_nl) out_write(last_nl);
    }
}

void out_u64(u64 v) {
    u8 tmp[20];
    u32 i = sizeof tmp;
    do {
        tmp[--i] = (u8)('0' + v % 10);
        v /= 10;
    } while (v);
    out_bytes(tmp + i, sizeof tmp - i);
}

void out_i64(i64 v) {
    if (v < 0) {
        out_byte('-');
        out_u64(0 - (u64)v);
    } else {
        out_u64((u64)v);
    }
}

void out_u32(u32 v) { out_u64(v); }
void out_i32(i32 v) { out_i64(v); }

void out_bool(u32 v) {
    if (v) out_bytes((const u8 *)"true", 4);
    else out_bytes((const u8 *)"false", 5);
}

/* LANGUAGE.md §12.3: pending output first, then the message on stderr, then `unreachable`. */
_Noreturn void fail_no_map(i32 id) {
    static const char prefix[] = "whamm: no map with id ";
    u8 msg[sizeof prefix + 12];
    u32 n = 0;
    out_flush();
    for (; prefix[n]; n++) msg[n] = (u8)prefix[n];
    u32 mag = id < 0 ? 0u - (u32)id : (u32)id;
    if (id < 0) msg[n++] = '-';
    u8 tmp[10];
    u32 k = 0;
    do {
        tmp[k++] = (u8)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    while (k) msg[n++] = tmp[--k];
    msg[n++] = '\n';
    host_write(2, msg, n);
    __builtin_trap();
}

/* ---- exports: the whamm_core printers (LANGUAGE.md §12.3) and the flush ---- */

EXPORT("whamm_flush") void whamm_flush(void) { out_flush(); }
EXPORT("putc") void core_putc(i32 c) { out_byte((u8)c); }
EXPORT("puts") void core_puts(i32 ptr, i32 len) { out_bytes((const u8 *)ptr, (u32)len); }
EXPORT("putu8") void core_putu8(i32 v) { out_u32((u8)v); }
EXPORT("puti8") void core_puti8(i32 v) { out_i32((i8)v); }
EXPORT("putu16") void core_putu16(i32 v) { out_u32((u16)v); }
EXPORT("puti16") void core_puti16(i32 v) { out_i32((i16)v); }
EXPORT("putu32") void core_putu32(i32 v) { out_u32((u32)v); }
EXPORT("puti32") void core_puti32(i32 v) { out_i32(v); }
EXPORT("putu64") void core_putu64(i64 v) { out_u64((u64)v); }
EXPORT("puti64") void core_puti64(i64 v) { out_i64(v); }
EXPORT("putbool") void core_putbool(i32 v) { out_bool((u32)v); }
EXPORT("putf32") void core_putf32(float v) { out_f32(v); }
EXPORT("putf64") void core_putf64(double v) { out_f64(v); }
