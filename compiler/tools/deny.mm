// deny: a policy: opening a path under PATH_PREFIX fails with ERRNO_ACCES (or ERRNO); each denial is counted
//
// param PATH_PREFIX (relpath): the path prefix to deny, as the program passes it to `path_open`
// param ERRNO (errno, default acces): the errno the denied `path_open` returns (e.g. perm, notcapable)
//
// `path_open`'s `alt` mode replaces the call where the predicate holds: under the prefix the body
// returns the errno without asking the host (nothing is created, truncated or opened, and the result
// pointer is left alone); any other path is opened as usual.  The prefix is compared with the path
// the program passed, relative to the directory it passed it with (never absolute: wasi-libc passes
// `/sandbox/secret.txt` as `secret.txt` under the preopen /sandbox), as text: `se` denies `secret.txt`
// too (end a directory's prefix with `/`), and `./secret.txt` or `sub/../secret.txt` are not under
// `secret` -- against a hostile program, the host's sandbox (`--dir`) is the boundary.
//
// Table: denials, path -- most denied first, and the number of denials.
report var denied: map<str, u32>;

wasi:p1:path_open:alt / path.starts_with({{PATH_PREFIX}}) / {
    denied[path]++;
    return {{ERRNO}};
}
