/* A file-heavy WASI program for the wasi:p1 provider's tests (tests/events/test_wasi_provider.py).
 *
 * Run with a directory preopened as /sandbox.  It calls WASI directly (wasi/api.h) so that every call it
 * makes is one it can describe: each call prints one "call NAME key=value ..." line on stdout, the
 * oracle the tests compare the provider's variables with.  WASI calls made by wasi-libc itself (start-up,
 * printf's own fd_write) are not in that trace: the tests count those independently.
 *
 * Calls: path_open (create, open, a missing file, a denied one), fd_write (to a file, stdout, stderr),
 * fd_read, fd_seek, fd_tell, fd_filestat_get, fd_renumber, path_rename, path_unlink_file,
 * path_create_directory, path_remove_directory, fd_close.
 */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static __wasi_fd_t root = 3;               /* the first preopen (/sandbox), found at start-up */
static char out_line[512];

static void trace(const char *line) { fputs(line, stdout); fflush(stdout); }

static __wasi_fd_t open_file(const char *path, __wasi_oflags_t oflags) {
    __wasi_fd_t fd = 0;
    __wasi_rights_t rights = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
                             __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET;
    __wasi_errno_t e = __wasi_path_open(root, 0, path, oflags, rights, rights, 0, &fd);
    snprintf(out_line, sizeof out_line, "call path_open fd=%u path=%s oflags=%u errno=%u opened_fd=%u\n",
             (unsigned)root, path, (unsigned)oflags, (unsigned)e, e == 0 ? (unsigned)fd : 0u);
    trace(out_line);
    return e == 0 ? fd : (__wasi_fd_t)-1;
}

static void write_to(__wasi_fd_t fd, const char *a, const char *b) {
    __wasi_ciovec_t iovs[2] = {{(const uint8_t *)a, strlen(a)}, {(const uint8_t *)b, strlen(b)}};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_write(fd, iovs, 2, &n);
    snprintf(out_line, sizeof out_line, "call fd_write fd=%u iovs_len=2 bytes=%zu errno=%u nwritten=%u\n",
             (unsigned)fd, strlen(a) + strlen(b), (unsigned)e, (unsigned)n);
    trace(out_line);
}

static void close_fd(__wasi_fd_t fd) {
    __wasi_errno_t e = __wasi_fd_close(fd);
    snprintf(out_line, sizeof out_line, "call fd_close fd=%u errno=%u\n", (unsigned)fd, (unsigned)e);
    trace(out_line);
}

int main(void) {
    __wasi_prestat_t pre;
    for (__wasi_fd_t fd = 3; __wasi_fd_prestat_get(fd, &pre) == 0; fd++) {
        char name[64] = {0};
        if (pre.tag == __WASI_PREOPENTYPE_DIR && pre.u.dir.pr_name_len < sizeof name &&
            __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, pre.u.dir.pr_name_len) == 0 &&
            strcmp(name, "/sandbox") == 0) {
            root = fd;
            break;
        }
    }

    /* create and write a file, read it back */
    __wasi_fd_t a = open_file("notes.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC);
    write_to(a, "hello, ", "wasi\n");
    __wasi_filesize_t pos = 0;
    __wasi_errno_t e = __wasi_fd_seek(a, 0, __WASI_WHENCE_SET, &pos);
    snprintf(out_line, sizeof out_line, "call fd_seek fd=%u offset=0 whence=0 errno=%u newoffset=%llu\n",
             (unsigned)a, (unsigned)e, (unsigned long long)pos);
    trace(out_line);
    char buf[32] = {0};
    __wasi_iovec_t riov[2] = {{(uint8_t *)buf, 5}, {(uint8_t *)buf + 5, 20}};
    __wasi_size_t got = 0;
    e = __wasi_fd_read(a, riov, 2, &got);
    snprintf(out_line, sizeof out_line, "call fd_read fd=%u iovs_len=2 bytes=25 errno=%u nread=%u\n",
             (unsigned)a, (unsigned)e, (unsigned)got);
    trace(out_line);
    __wasi_filesize_t here = 0;
    e = __wasi_fd_tell(a, &here);
    snprintf(out_line, sizeof out_line, "call fd_tell fd=%u errno=%u offset=%llu\n", (unsigned)a, (unsigned)e,
             (unsigned long long)here);
    trace(out_line);
    __wasi_filestat_t st;
    e = __wasi_fd_filestat_get(a, &st);
    snprintf(out_line, sizeof out_line, "call fd_filestat_get fd=%u errno=%u size=%llu\n", (unsigned)a,
             (unsigned)e, (unsigned long long)st.size);
    trace(out_line);

    /* a missing file */
    open_file("missing.txt", 0);

    /* a second file, renumbered onto a third descriptor, then written through it */
    __wasi_fd_t b = open_file("log.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC);
    __wasi_fd_t c = open_file("other.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC);
    e = __wasi_fd_renumber(b, c);
    snprintf(out_line, sizeof out_line, "call fd_renumber fd=%u to=%u errno=%u\n", (unsigned)b, (unsigned)c,
             (unsigned)e);
    trace(out_line);
    write_to(c, "renumbered ", "log\n");

    /* a file a policy may deny */
    __wasi_fd_t d = open_file("secret/key.txt", __WASI_OFLAGS_CREAT);
    if (d != (__wasi_fd_t)-1) close_fd(d);

    /* stdout and stderr */
    write_to(1, "to stdout\n", "");
    write_to(2, "to stderr\n", "");

    /* rename, directories, unlink */
    e = __wasi_path_rename(root, "log.txt", root, "renamed.txt");
    snprintf(out_line, sizeof out_line, "call path_rename fd=%u old_path=log.txt new_path=renamed.txt errno=%u\n",
             (unsigned)root, (unsigned)e);
    trace(out_line);
    e = __wasi_path_create_directory(root, "tmpdir");
    snprintf(out_line, sizeof out_line, "call path_create_directory fd=%u path=tmpdir errno=%u\n", (unsigned)root,
             (unsigned)e);
    trace(out_line);
    e = __wasi_path_remove_directory(root, "tmpdir");
    snprintf(out_line, sizeof out_line, "call path_remove_directory fd=%u path=tmpdir errno=%u\n", (unsigned)root,
             (unsigned)e);
    trace(out_line);
    e = __wasi_path_unlink_file(root, "missing.txt");
    snprintf(out_line, sizeof out_line, "call path_unlink_file fd=%u path=missing.txt errno=%u\n", (unsigned)root,
             (unsigned)e);
    trace(out_line);

    close_fd(a);
    close_fd(c);
    return 0;
}
