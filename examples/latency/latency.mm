// Latency histograms of a C program's functions (examples/profile/work.c), bpftrace style: for every
// call of fib, ack and sort, how many instructions it executed (its callees included), as a
// power-of-two histogram per function plus count, sum, min, max and average.  Instructions instead of
// nanoseconds make every number reproducible; put `nsecs` where `executed` is and the same script
// measures wall-clock latency.
var executed: u64;
var started: map<u32, u64>;               // per call depth: `executed` when that call began
report var latency: map<str, hist>;
report var summary: map<str, stats>;

wasm:opcode:*:before { executed++; }
wasm:func:entry / fname == "fib" || fname == "ack" || fname == "sort" / {
    started[stack_depth] = executed;
}
wasm:func:exit / fname == "fib" || fname == "ack" || fname == "sort" / {
    latency[fname].add(executed - started[stack_depth]);
    summary[fname].add(executed - started[stack_depth]);
}
wasm:end { print(latency); print(summary); }
