// Per-site initialisation (unshared initialisers, @init) runs in $A at match time, @static calls in
// it included; a @static call in the body proper becomes $S.
use lib;
wasm:opcode:call:before {
    unshared var k: i32 = @static lib.val(fid as i32);
    @init lib.note(pc as i32);
    report var c: i32;
    c = c + k + @static lib.val(imm0 as i32);
}
wasm:opcode:drop:before { report var once: i32 = 7; once++; }
