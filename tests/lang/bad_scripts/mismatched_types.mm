var a: u32;
var b: i32;
wasm:begin {
    var c: bool = a == b;
}
