// calls: calls per function, hottest first
//
// Every defined function counts its entries (a `wasm:func:entry` probe has one site per function, so
// the per-site variable `calls` is one report row per function).  Imported functions are not counted:
// they have no body to enter (the `syscalls` tool counts WASI calls).
//
// Table: calls, fid, function -- hottest first, functions never entered left out (their number is
// given below the table).
wasm:func:entry {
    report var calls: u64;
    calls++;
}
