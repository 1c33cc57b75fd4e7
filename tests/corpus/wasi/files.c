/* A file-heavy WASI program for the wasi:p1 provider's tests (tests/rewrite/test_wasi_provider.py).
 *
 * Run with a directory preopened as /sandbox.  It calls WASI directly (wasi/api.h), so every call it makes
 * is one it can describe: after each, it records a line "call NAME key=value ... errno=N errno_name=NAME
 * fd_path=PATH", the oracle the tests compare the provider's variables with (errno names from api.h's
 * constants, fd_path from the program's own table of what each descriptor is).  The lines are printed
 * only at the end, so until then the only WASI calls are the program's own.
 *
 * Calls: fd_prestat_get, fd_prestat_dir_name, path_open (create, open, a missing file, one a policy may
 * deny), fd_write (to a file, stdout, stderr), fd_seek, fd_read, fd_tell, fd_filestat_get, fd_renumber,
 * path_rename, path_create_directory, path_remove_directory, path_unlink_file, fd_close.
 */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static __wasi_fd_t root = 3;               /* the preopen named /sandbox, found at start-up */
static char trace_buf[8192];
static size_t trace_len;
static char names[16][64];                 /* what each descriptor refers to, as fd_path should say */

static const char *errno_name(__wasi_errno_t e) {
    switch (e) {
    case __WASI_ERRNO_SUCCESS: return "success";
    case __WASI_ERRNO_NOENT: return "noent";
    case __WASI_ERRNO_ACCES: return "acces";
    case __WASI_ERRNO_EXIST: return "exist";
    case __WASI_ERRNO_NOTCAPABLE: return "notcapable";
    default: return "?";
    }
}

static void trace(const char *fmt_name, __wasi_fd_t fd, __wasi_errno_t e, const char *rest) {
    trace_len += snprintf(trace_buf + trace_len, sizeof trace_buf - trace_len,
                          "call %s fd=%u %s errno=%u errno_name=%s fd_path=%s\n", fmt_name, (unsigned)fd, rest,
                          (unsigned)e, errno_name(e), fd < 16 ? names[fd] : "");
}

static __wasi_fd_t open_file(const char *path, __wasi_oflags_t oflags) {
    __wasi_fd_t fd = 0;
    __wasi_rights_t rights = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
                             __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET;
    __wasi_errno_t e = __wasi_path_open(root, 0, path, oflags, rights, rights, 0, &fd);
    char rest[256];
    snprintf(rest, sizeof rest, "path=%s oflags=%u opened_fd=%u", path, (unsigned)oflags, e == 0 ? (unsigned)fd : 0u);
    trace("path_open", root, e, rest);
    if (e != 0) return (__wasi_fd_t)-1;
    snprintf(names[fd], sizeof names[fd], "%s/%s", names[root], path);
    return fd;
}

static void write_to(__wasi_fd_t fd, const char *a, const char *b) {
    __wasi_ciovec_t iovs[2] = {{(const uint8_t *)a, strlen(a)}, {(const uint8_t *)b, strlen(b)}};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_write(fd, iovs, 2, &n);
    char rest[128];
    snprintf(rest, sizeof rest, "iovs_len=2 bytes=%zu nwritten=%u", strlen(a) + strlen(b), (unsigned)n);
    trace("fd_write", fd, e, rest);
}

static void close_fd(__wasi_fd_t fd) {
    __wasi_errno_t e = __wasi_fd_close(fd);
    trace("fd_close", fd, e, "-");
    names[fd][0] = 0;
}

int main(void) {
    strcpy(names[0], "<stdin>");
    strcpy(names[1], "<stdout>");
    strcpy(names[2], "<stderr>");
    __wasi_prestat_t pre;
    for (__wasi_fd_t fd = 3; fd < 16 && __wasi_fd_prestat_get(fd, &pre) == 0; fd++) {
        char name[64] = {0};
        if (pre.tag == __WASI_PREOPENTYPE_DIR && pre.u.dir.pr_name_len < sizeof name) {
            __wasi_errno_t e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, pre.u.dir.pr_name_len);
            char rest[128];
            snprintf(rest, sizeof rest, "path=%s", name);
            trace("fd_prestat_dir_name", fd, e, rest);  /* fd_path: the table is updated after the probe */
            strcpy(names[fd], name);
            if (strcmp(name, "/sandbox") == 0) {
                root = fd;
                break;
            }
        }
    }
    char rest[128];

    /* create and write a file, read it back */
    __wasi_fd_t a = open_file("notes.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC);
    write_to(a, "hello, ", "wasi\n");
    __wasi_filesize_t pos = 99;
    __wasi_errno_t e = __wasi_fd_seek(a, 0, __WASI_WHENCE_SET, &pos);
    snprintf(rest, sizeof rest, "offset=0 whence=0 newoffset=%llu", (unsigned long long)pos);
    trace("fd_seek", a, e, rest);
    char buf[32] = {0};
    __wasi_iovec_t riov[2] = {{(uint8_t *)buf, 5}, {(uint8_t *)buf + 5, 20}};
    __wasi_size_t got = 0;
    e = __wasi_fd_read(a, riov, 2, &got);
    snprintf(rest, sizeof rest, "iovs_len=2 bytes=25 nread=%u", (unsigned)got);
    trace("fd_read", a, e, rest);
    __wasi_filesize_t here = 0;
    e = __wasi_fd_tell(a, &here);
    snprintf(rest, sizeof rest, "offset=%llu", (unsigned long long)here);
    trace("fd_tell", a, e, rest);
    __wasi_filestat_t st;
    e = __wasi_fd_filestat_get(a, &st);
    snprintf(rest, sizeof rest, "buf_ptr=%u", (unsigned)(size_t)&st);
    trace("fd_filestat_get", a, e, rest);

    /* a missing file */
    open_file("missing.txt", 0);

    /* a second file, renumbered onto a third descriptor, then written through it */
    __wasi_fd_t b = open_file("log.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC);
    __wasi_fd_t c = open_file("other.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC);
    e = __wasi_fd_renumber(b, c);
    snprintf(rest, sizeof rest, "to=%u", (unsigned)c);
    trace("fd_renumber", b, e, rest);
    strcpy(names[c], names[b]);
    names[b][0] = 0;
    write_to(c, "renumbered ", "log\n");

    /* a file a policy may deny */
    __wasi_fd_t d = open_file("secret.txt", __WASI_OFLAGS_CREAT);
    if (d != (__wasi_fd_t)-1) close_fd(d);

    /* stdout and stderr */
    write_to(1, "to stdout\n", "");
    write_to(2, "to stderr\n", "");

    /* rename, directories, unlink */
    e = __wasi_path_rename(root, "log.txt", root, "renamed.txt");
    trace("path_rename", root, e, "old_path=log.txt new_path=renamed.txt");
    e = __wasi_path_create_directory(root, "tmpdir");
    trace("path_create_directory", root, e, "path=tmpdir");
    e = __wasi_path_remove_directory(root, "tmpdir");
    trace("path_remove_directory", root, e, "path=tmpdir");
    e = __wasi_path_unlink_file(root, "missing.txt");
    trace("path_unlink_file", root, e, "path=missing.txt");

    close_fd(a);
    close_fd(c);
    fputs(trace_buf, stdout);
    return 0;
}
