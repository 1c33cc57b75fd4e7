// Report and unshared variables of several types, a per-site map, shared variables.
wasm:opcode:call:before {
    report var n: u64;
    report var name: str;
    report var pair: (u32, bool);
    report var seen: map<u32, u32>;
    unshared var visits: u32;
    shared var total: u32;
    report shared var all: u32;
    visits++;
    total++;
    all++;
    n = n + 2;
    name = target_fn_name;
    pair = (visits, visits > 1);
    seen[imm0]++;
}
