// syscalls: strace -c for Wasm: per WASI function, calls, errors, total and mean time
//
// Every call of a WASI preview 1 function is timed with `nsecs` (the monotonic clock) from just before
// the call to just after it; `syscall_ns[event_name]` collects the durations as `stats` (its count is
// the number of calls, its sum the total time).  A call that returns an errno other than `success` also
// counts in `syscall_errors`.  WASI calls do not nest, so one start time is enough.  `proc_exit` never
// returns: it is counted (its time as 0) before it runs.
//
// Table: % time, total ns, mean ns, calls, errors, syscall -- most time first, as `strace -c` sorts,
// with a total line.  The times include the instrumentation's clock reads.
var syscall_start: u64;
report var syscall_ns: map<str, stats>;
report var syscall_errors: map<str, u64>;

wasi:p1:*:before { syscall_start = nsecs; }

// every function but proc_exit, which never returns and so has no after mode
wasi:p1:*:after {
    syscall_ns[event_name].add(nsecs - syscall_start);
    if (errno != ERRNO_SUCCESS) { syscall_errors[event_name]++; }
}

wasi:p1:proc_exit:before { syscall_ns[event_name].add(0); }
