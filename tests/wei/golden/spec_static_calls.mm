// WEI.md §4: @static in a static predicate stays in $P; in the body it becomes $S.
use lib;
var v: i32;
wasm:opcode:i32.load:before / @static lib.hot(fid as i32, pc as i32) as bool / { v = @static lib.val(pc as i32); }
