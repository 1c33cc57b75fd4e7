// deny: a policy: opening a path under PATH_PREFIX fails with ERRNO_ACCES (or ERRNO); each denial is counted
//
// param PATH_PREFIX (path_prefix): the path prefix to deny: absolute (`/sandbox/secret`) as the program names it, or relative as it passes it to `path_open` (`secret`)
// param ERRNO (errno, default acces): the errno the denied `path_open` returns (e.g. perm, notcapable)
//
// `path_open`'s `alt` mode replaces the call where the predicate holds: under the prefix the body
// returns the errno without asking the host (nothing is created, truncated or opened, and the result
// pointer is left alone); any other path is opened as usual.  wasi-libc passes `/sandbox/secret.txt`
// to `path_open` as `secret.txt` relative to the preopen /sandbox: an absolute prefix is compared with
// that path joined to its directory's `fd_path` (`/sandbox/secret.txt`), a relative one with the path as
// passed.  The comparison is textual: `/sandbox/se` denies `/sandbox/secret.txt` too (end a directory's
// prefix with `/`), and a path spelled another way (`/sandbox/./secret.txt`, `sub/../secret.txt`) is not
// under `/sandbox/secret` -- against a hostile program, the host's sandbox (`--dir`) is the boundary.
//
// Table: denials, path -- most denied first, and the number of denials.
report var denied: map<str, u32>;

wasi:p1:path_open:alt / {{PATH_PREFIX}} / {
    denied[path]++;
    return {{ERRNO}};
}
