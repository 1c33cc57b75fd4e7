/* More WASI functions for the wasi:p1 provider's tests (tests/rewrite/test_wasi_more.py).
 *
 * Run with a directory preopened as `.` and arguments and environment given by the test.  Like files.c it
 * calls WASI directly and records, after each call, a line "call NAME key=value ... errno=N fd_path=PATH"
 * with what it passed and got back (fd_path from its own table of descriptors); the lines are printed at
 * the end, so until then the only WASI calls are the program's own.
 *
 * Calls: fd_prestat_get, fd_prestat_dir_name, args_sizes_get, args_get, environ_sizes_get, environ_get, clock_res_get, clock_time_get,
 * random_get, poll_oneoff, path_open (with `./` and `..` in the path), fd_pwrite, fd_pread, fd_readdir,
 * path_filestat_get, path_symlink, path_readlink, fd_renumber onto an open descriptor, fd_close and the
 * reuse of the closed number, fd_close.
 */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static __wasi_fd_t root = 3;
static char trace_buf[16384];
static size_t trace_len;
static char names[16][96];

static void trace(const char *fmt_name, __wasi_fd_t fd, __wasi_errno_t e, const char *rest) {
    trace_len += snprintf(trace_buf + trace_len, sizeof trace_buf - trace_len, "call %s fd=%u %s errno=%u fd_path=%s\n",
                          fmt_name, (unsigned)fd, rest, (unsigned)e, fd < 16 ? names[fd] : "");
}

static __wasi_fd_t open_file(const char *path, __wasi_oflags_t oflags) {
    __wasi_fd_t fd = 0;
    __wasi_rights_t rights = oflags & __WASI_OFLAGS_DIRECTORY
        ? __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_FILESTAT_GET
        : __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL;
    __wasi_errno_t e = __wasi_path_open(root, 0, path, oflags, rights, rights, 0, &fd);
    char rest[256];
    snprintf(rest, sizeof rest, "path=%s opened_fd=%u", path, e == 0 ? (unsigned)fd : 0u);
    trace("path_open", root, e, rest);
    if (e != 0) return (__wasi_fd_t)-1;
    snprintf(names[fd], sizeof names[fd], "%s/%s", names[root], path);
    return fd;
}

int main(void) {
    char rest[512];
    strcpy(names[0], "<stdin>");
    strcpy(names[1], "<stdout>");
    strcpy(names[2], "<stderr>");
    __wasi_prestat_t pre;
    char name[64] = {0};
    __wasi_errno_t e = __wasi_fd_prestat_get(root, &pre);
    if (e == 0 && pre.u.dir.pr_name_len < sizeof name)
        e = __wasi_fd_prestat_dir_name(root, (uint8_t *)name, pre.u.dir.pr_name_len);
    snprintf(rest, sizeof rest, "path=%s", name);
    trace("fd_prestat_dir_name", root, e, rest);   /* the table is updated after the probe */
    strcpy(names[root], name);

    __wasi_size_t argc = 0, argv_size = 0;
    e = __wasi_args_sizes_get(&argc, &argv_size);
    snprintf(rest, sizeof rest, "argc=%u argv_buf_size=%u", (unsigned)argc, (unsigned)argv_size);
    trace("args_sizes_get", 0, e, rest);
    uint8_t *argv[8];
    uint8_t argv_buf[256];
    e = __wasi_args_get(argv, argv_buf);
    snprintf(rest, sizeof rest, "argv_buf_0=%s", (char *)argv[0]);
    trace("args_get", 0, e, rest);

    __wasi_size_t envc = 0, env_size = 0;
    e = __wasi_environ_sizes_get(&envc, &env_size);
    snprintf(rest, sizeof rest, "environc=%u environ_buf_size=%u", (unsigned)envc, (unsigned)env_size);
    trace("environ_sizes_get", 0, e, rest);

    __wasi_timestamp_t res = 0, now = 0;
    e = __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res);
    snprintf(rest, sizeof rest, "id=1 resolution=%llu", (unsigned long long)res);
    trace("clock_res_get", 0, e, rest);
    e = __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1000, &now);
    snprintf(rest, sizeof rest, "id=0 precision=1000 time=%llu", (unsigned long long)now);
    trace("clock_time_get", 0, e, rest);

    uint8_t random[24];
    e = __wasi_random_get(random, sizeof random);
    snprintf(rest, sizeof rest, "buf_len=%u", (unsigned)sizeof random);
    trace("random_get", 0, e, rest);

    __wasi_subscription_t sub = {.userdata = 7, .u = {.tag = __WASI_EVENTTYPE_CLOCK,
        .u = {.clock = {.id = __WASI_CLOCKID_MONOTONIC, .timeout = 1000, .precision = 0, .flags = 0}}}};
    __wasi_event_t ev;
    __wasi_size_t nevents = 0;
    e = __wasi_poll_oneoff(&sub, &ev, 1, &nevents);
    snprintf(rest, sizeof rest, "nsubscriptions=1 nevents=%u", (unsigned)nevents);
    trace("poll_oneoff", 0, e, rest);

    e = __wasi_path_create_directory(root, "sub");
    trace("path_create_directory", root, e, "path=sub");
    __wasi_fd_t a = open_file("./sub/../data.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC);
    __wasi_ciovec_t out[3] = {{(const uint8_t *)"hello ", 6}, {(const uint8_t *)"", 0}, {(const uint8_t *)"pwrite", 6}};
    __wasi_size_t n = 0;
    e = __wasi_fd_pwrite(a, out, 3, 2, &n);
    snprintf(rest, sizeof rest, "iovs_len=3 bytes=12 offset=2 nwritten=%u", (unsigned)n);
    trace("fd_pwrite", a, e, rest);
    uint8_t in1[5], in2[100];
    __wasi_iovec_t ins[2] = {{in1, sizeof in1}, {in2, sizeof in2}};
    e = __wasi_fd_pread(a, ins, 2, 4, &n);
    snprintf(rest, sizeof rest, "iovs_len=2 bytes=105 offset=4 nread=%u", (unsigned)n);
    trace("fd_pread", a, e, rest);

    __wasi_fd_t d = open_file("sub", __WASI_OFLAGS_DIRECTORY);
    uint8_t dirbuf[512];
    __wasi_size_t used = 0;
    e = __wasi_fd_readdir(root, dirbuf, sizeof dirbuf, 0, &used);
    snprintf(rest, sizeof rest, "buf_len=%u cookie=0 bufused=%u", (unsigned)sizeof dirbuf, (unsigned)used);
    trace("fd_readdir", root, e, rest);

    __wasi_filestat_t st;
    e = __wasi_path_filestat_get(root, 0, "data.txt", &st);
    snprintf(rest, sizeof rest, "path=data.txt size=%llu", (unsigned long long)st.size);
    trace("path_filestat_get", root, e, rest);
    e = __wasi_path_filestat_get(root, 0, "missing.txt", &st);
    trace("path_filestat_get", root, e, "path=missing.txt size=0");

    e = __wasi_path_symlink("data.txt", root, "link.txt");
    trace("path_symlink", root, e, "old_path=data.txt new_path=link.txt");
    uint8_t link[64];
    e = __wasi_path_readlink(root, "link.txt", link, sizeof link, &used);
    snprintf(rest, sizeof rest, "path=link.txt buf_len=64 bufused=%u", (unsigned)used);
    trace("path_readlink", root, e, rest);

    /* renumber a onto the open directory descriptor d: d now is a's file, a is closed */
    e = __wasi_fd_renumber(a, d);
    snprintf(rest, sizeof rest, "to=%u", (unsigned)d);
    trace("fd_renumber", a, e, rest);
    if (e == 0) { strcpy(names[d], names[a]); names[a][0] = 0; }
    e = __wasi_fd_write(a, out, 1, &n);
    trace("fd_write", a, e, "iovs_len=1 bytes=6 nwritten=0");
    /* the closed number is reused by the next open */
    __wasi_fd_t b = open_file("sub/inner.txt", __WASI_OFLAGS_CREAT);
    e = __wasi_fd_write(b, out, 1, &n);
    snprintf(rest, sizeof rest, "iovs_len=1 bytes=6 nwritten=%u", (unsigned)n);
    trace("fd_write", b, e, rest);
    e = __wasi_fd_close(b);
    trace("fd_close", b, e, "-");
    names[b][0] = 0;
    e = __wasi_fd_close(d);
    trace("fd_close", d, e, "-");
    names[d][0] = 0;
    e = __wasi_fd_close(d);
    trace("fd_close", d, e, "-");
    printf("reused=%d\n", (int)(a == b));
    fputs(trace_buf, stdout);
    return 0;
}
