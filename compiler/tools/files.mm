// files: per path: opens (ok, failed with which errno), bytes read, bytes written
//
// A path is what `fd_path` names: `<stdin>`, `<stdout>`, `<stderr>`, a preopened directory, or the path a
// `path_open` was given, joined to its directory's path.  Opens are counted per (directory's `fd_path`,
// `path`, `errno_name`) at `path_open`'s return, and the table joins the first two as `fd_path` does (a
// `/` between them unless the path is absolute), so failed opens -- which have no descriptor -- name the
// same paths as the reads and writes.  Bytes are the counts the calls report (`nread`, `nwritten`) of
// the successful `fd_read`, `fd_pread`, `fd_write` and `fd_pwrite` calls.
//
// Table: opens, failed (with the errno names), bytes read, bytes written, path -- most bytes first.
report var file_opens: map<(str, str, str), u32>;
report var file_read: map<str, u64>;
report var file_written: map<str, u64>;

wasi:p1:path_open:after { file_opens[(fd_path, path, errno_name)]++; }

wasi:p1:fd_read:after / errno == 0 / { file_read[fd_path] += nread as u64; }
wasi:p1:fd_pread:after / errno == 0 / { file_read[fd_path] += nread as u64; }
wasi:p1:fd_write:after / errno == 0 / { file_written[fd_path] += nwritten as u64; }
wasi:p1:fd_pwrite:after / errno == 0 / { file_written[fd_path] += nwritten as u64; }
