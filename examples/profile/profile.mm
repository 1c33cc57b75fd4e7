// A call-stack profile: how often each call stack was entered.  `prof` is keyed by `callstack`, so
// `whamm run --folded prof=FILE` writes it as folded stacks for flamegraph.pl, inferno or speedscope,
// and the shell's `flame prof` draws it as a tree:
//   whamm run -s examples/profile/profile.mm -a examples/profile/work.wasm --folded prof=prof.folded
//   flamegraph.pl prof.folded > prof.svg
report var prof: map<str, u64>;
report var calls: u64;                    // the same events counted plainly: the profile sums to it
wasm:func:entry { prof[callstack]++; calls++; }
