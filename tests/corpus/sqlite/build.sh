#!/bin/sh
# Rebuild sqlite.wasm: a WASI command running main.c on SQLite's amalgamation.
# The amalgamation ships inside the npm package better-sqlite3 (deps/sqlite3/); it is fetched into a
# temporary directory and never committed.  Needs npm, Debian's clang, lld and wasi-libc.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent better-sqlite3 >/dev/null && tar xzf better-sqlite3-*.tgz)
src="$tmp/package/deps/sqlite3"
clang --target=wasm32-wasi -O2 -I"$src" \
    -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL -DSQLITE_OMIT_SHARED_CACHE \
    -DSQLITE_OMIT_DEPRECATED -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_OMIT_RANDOMNESS \
    -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID \
    -Wno-everything \
    "$here/main.c" "$src/sqlite3.c" \
    -lwasi-emulated-mman -lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-getpid \
    -Wl,--strip-debug -o "$here/sqlite.wasm"
ls -l "$here/sqlite.wasm"
