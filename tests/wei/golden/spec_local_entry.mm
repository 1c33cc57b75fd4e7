// WEI.md §4: a local with a type bound at function entry.
var y: i32;
wasm(local0: i32):func:entry { y = local0; }
