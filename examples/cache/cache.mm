// Cache simulation: every load and store of the application goes through a direct-mapped cache
// implemented in C (examples/cache/cache.c, compiled to cache.wasm), counting hits and misses per
// function.  Run:  whamm run -s cache.mm -a matrix.wasm -u cache=cache.wasm
use cache;

report var hits: map<str, u32>;
report var misses: map<str, u32>;

wasm:opcode:*load*|*store*:before {
    if (cache.check_access(effective_addr as i32, data_size as i32) == 1) {
        hits[fname]++;
    } else {
        misses[fname]++;
    }
}
