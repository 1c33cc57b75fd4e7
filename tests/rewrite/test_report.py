"""The default report (REWRITING.md §11): exact layout, every row kind, row order, value formats (§12),
and the layout object / ``whamm.report`` metadata that describe the same rows (§17)."""
from __future__ import annotations

from compiler.lang.types import Prim
from compiler.report.metadata import read_metadata
from compiler.report.rows import MemoryLocation, ReportVar
from compiler.wasm import read_module

# fid 1 = $sum (sum of n, n-1, …, 1), fid 2 = $main.  pcs of $sum (locals header 3 bytes):
#   3 block, 5 loop, 7 local.get, 9 i32.eqz, 10 br_if, 12 local.get, 14 local.get, 16 i32.add,
#   17 local.set, 19 local.get, 21 i32.const, 23 i32.sub, 24 local.set, 26 br, 28 end, 29 end,
#   30 local.get, 32 end
# $main calls sum(3) then sum(0): the br_if runs 4 + 1 times, taken twice.
APP = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $sum (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  (func $main (export "_start")
    (drop (call $sum (i32.const 3)))
    (drop (call $sum (i32.const 0)))))
"""


def test_branch_monitor_per_site_rows(instrument, run, report):
    script = """
    wasm:opcode:br_if:before {
        report var taken: u32;
        report var not_taken: u32;
        if (arg0 != 0) { taken++; } else { not_taken++; }
    }"""
    out = instrument(script, APP)
    a, b = (v.location.memory_offset for v in out.layout.report)
    status, stdout, _ = run(out.wasm)
    assert status == 0
    assert stdout == report(
        f"{a}, memaddr, taken, u32, i32, script0, sum, 1, 10, 0_wasm:opcode:br_if:before, 2",
        f"{b}, memaddr, not_taken, u32, i32, script0, sum, 1, 10, 0_wasm:opcode:br_if:before, 3")


def test_row_order_groups_sites_shared_frames_globals_maps(instrument, run, report):
    # declaration order is deliberately not report order
    script = """
    report var zeta: map<u32, u32>;
    report var words: str = "hello global";
    report var count: u32;
    var alpha: map<u32, u32>;
    report var pair: (i32, (i32, i32)) = (1, (12, 13));
    wasm:opcode:local.set:before {
        report var flag: bool;
        report var n: u8 = 250;
        report var where: (u32, str) = (pc, fname);
        flag = true;
        n++;
        shared report var sets: u64;
        sets++;
        count++;
        zeta[pc] = zeta[pc] + 1;
    }
    wasm:func:entry { frame report var calls_here: i32; calls_here = calls_here - 1; }
    """
    out = instrument(script, APP)
    rows = out.layout.report
    kinds = [(v.name, v.kind) for v in rows]
    # groups: u8, u32, i32, u64, bool, tuples; then globals by name; then maps by id
    assert kinds == [
        ("n", "site"), ("n", "site"),
        ("calls_here", "frame"), ("calls_here", "frame"),
        ("sets", "shared"),
        ("flag", "site"), ("flag", "site"),
        ("where", "site"), ("where", "site"),
        ("count", "global"), ("pair", "global"), ("words", "global"),
        ("zeta", "map"),
    ]
    assert [v.location.map_id for v in rows if v.kind == "map"] == [1]   # alpha is map 0 (name order)
    ids = [v.location.memory_offset if v.kind not in ("global", "map") else None for v in rows]
    g = {v.name: v.location.globals for v in rows if v.kind == "global"}
    status, stdout, _ = run(out.wasm)
    assert status == 0
    # local.set runs: sum(3) 3 iterations x 2 sets; sum(0) none. n: 250 + 3 wraps at 255 (u8) per site
    assert stdout == report(
        f"{ids[0]}, memaddr, n, u8, i32, script0, sum, 1, 17, 0_wasm:opcode:local.set:before, 253",
        f"{ids[1]}, memaddr, n, u8, i32, script0, sum, 1, 24, 0_wasm:opcode:local.set:before, 253",
        f"{ids[2]}, memaddr, calls_here, i32, i32, script0, sum, 1, , , -1",
        f"{ids[3]}, memaddr, calls_here, i32, i32, script0, main, 2, , , -1",
        f"{ids[4]}, memaddr, sets, u64, i64, script0, , , , 0_wasm:opcode:local.set:before, 6",
        f"{ids[5]}, memaddr, flag, bool, i32, script0, sum, 1, 17, 0_wasm:opcode:local.set:before, true",
        f"{ids[6]}, memaddr, flag, bool, i32, script0, sum, 1, 24, 0_wasm:opcode:local.set:before, true",
        f"{ids[7]}, memaddr, where, (u32,str), (i32; i32; i32), script0, sum, 1, 17, "
        "0_wasm:opcode:local.set:before, (17; sum)",
        f"{ids[8]}, memaddr, where, (u32,str), (i32; i32; i32), script0, sum, 1, 24, "
        "0_wasm:opcode:local.set:before, (24; sum)",
        f"{g['count'][0]}, global_id, count, u32, i32, script0, , , , , 6",
        f"({g['pair'][0]}; {g['pair'][1]}; {g['pair'][2]}), (global_id; global_id; global_id), pair, "
        "(i32,(i32,i32)), (i32; i32; i32), script0, , , , , (1; (12; 13))",
        f"({g['words'][0]}; {g['words'][1]}), (global_id; global_id), words, str, (i32; i32), script0, , , , , "
        "hello global",
        "1, map_id, zeta, map<u32,u32>, i32, script0, , , , , 17->3;24->3",
    )


def test_after_probe_at_final_end_allocates_rows_but_never_runs(instrument, run):
    out = instrument("wasm:opcode:end:after { report var e: i32 = 5; e = e + 2; }", APP)
    rows = [(v.fid, v.pc) for v in out.layout.report]
    # ends: loop (28), block (29) and the final ends (32 in sum, pc of main's final end)
    assert rows[:3] == [(1, 28), (1, 29), (1, 32)]
    status, stdout, _ = run(out.wasm)
    values = [line.rsplit(", ", 1)[1] for line in stdout.splitlines()[3:]]
    # the loop's end is never reached by fall-through (br loops), the block's end is reached by the
    # taken br_if twice; final ends keep their initial value
    assert values == ["5", "9", "5", "5"]


def test_empty_map_and_float_formats(instrument, run, report):
    script = """
    report var m: map<(u32, bool), str>;
    report var x: f32;
    report var y: f64;
    report var z: f64;
    wasm:opcode:br:before { x = 1000.18; y = 0.0 - 1.1; z = 123456789.0; }
    """
    out = instrument(script, APP)
    g = {v.name: v.location for v in out.layout.report}
    stdout = run(out.wasm)[1]
    assert stdout == report(
        f"{g['x'].globals[0]}, global_id, x, f32, f32, script0, , , , , +1.00018e3",
        f"{g['y'].globals[0]}, global_id, y, f64, f64, script0, , , , , -1.1e0",
        f"{g['z'].globals[0]}, global_id, z, f64, f64, script0, , , , , +1.23456789e8",
        "0, map_id, m, map<(u32,bool),str>, i32, script0, , , , , empty map")


def test_no_report_rows_prints_nothing(instrument, run):
    # a report variable in a probe that matches no site: no instance, no report at all
    out = instrument("wasm:opcode:i64.add:before { report var n: u32; n++; }", APP)
    assert out.layout.report == []
    assert run(out.wasm)[1] == ""


def test_wasm_report_replaces_the_default_report(instrument, run):
    script = """
    use whamm_core;
    report var hits: map<u32, u32>;
    wasm:opcode:br_if:before { hits[pc]++; }
    wasm:end { hits[1] = 7; }
    wasm:report { whamm_core.print_map_as_csv(0); whamm_core.putc(10); whamm_core.print_map(0); }
    """
    out = instrument(script, APP)
    assert run(out.wasm)[1] == "== map0 CSV FLUSH ==\nkey (i32), val (i32)\n1, 7\n10, 5\n\n1->7;10->5"


def test_metadata_section_describes_the_rows(instrument):
    out = instrument("report var total: u32;\nwasm:opcode:br_if:before { report var t: u32; t++; total++; }", APP)
    meta = read_metadata(read_module(out.wasm))
    assert meta.memory_export == "whamm:memory"
    site, glob = meta.rows
    assert site == ReportVar("t", "site", Prim.U32, "0_wasm:opcode:br_if:before", 1, "sum", 10,
                             MemoryLocation(out.layout.report[0].location.memory_offset))
    assert glob.location.export == "get_total" and glob.kind == "global"
    assert meta.rows == out.layout.report


def test_multi_value_report_globals_are_exported_for_tools(instrument):
    out = instrument('report var where: (u32, str);\nwasm:opcode:br_if:before { where = (pc, fname); }', APP)
    module = read_module(out.wasm)
    (var,) = read_metadata(module).rows
    assert var.location.export is None
    exported = {e.name: e.index for e in module.exports}
    names = ["whamm:global:where.0", "whamm:global:where.1", "whamm:global:where.2"]
    assert [exported[n] for n in names] == list(var.location.globals) == list(out.layout.report[0].location.globals)


def test_whamm_core_printers_and_unknown_map_id(instrument, run):
    script = """
    use whamm_core;
    var m: map<i32, str>;
    wasm:begin {
        m[-1] = "neg";
        var p: i32 = whamm_core.mem_alloc(4);
        memcpy(memid(whamm_core), "abcd".addr(), memid(whamm_core), p as u32, 4);
        whamm_core.puts(p, 4);
        whamm_core.mem_free(p);
        whamm_core.putc(32);
        whamm_core.putu8(-1); whamm_core.putc(32);
        whamm_core.puti8(255); whamm_core.putc(32);
        whamm_core.putu16(-1); whamm_core.putc(32);
        whamm_core.puti16(65535); whamm_core.putc(32);
        whamm_core.putu32(-1); whamm_core.putc(32);
        whamm_core.puti32(-5); whamm_core.putc(32);
        whamm_core.putu64(-1); whamm_core.putc(32);
        whamm_core.puti64(-7); whamm_core.putc(32);
        whamm_core.putf32(1000.18); whamm_core.putc(32);
        whamm_core.putf64(0.0 - 1.1); whamm_core.putc(32);
        whamm_core.putbool(2); whamm_core.putc(32);
        whamm_core.print_map(0); whamm_core.putc(10);
        whamm_core.print_map(5);
    }
    """
    out = instrument(script, APP)
    status, stdout, stderr = run(out.wasm, None)
    assert stdout == ("abcd 255 -1 65535 -1 4294967295 -5 18446744073709551615 -7 +1.00018e3 -1.1e0 true "
                      "-1->neg\n")
    assert stderr == "whamm: no map with id 5\n"
    assert isinstance(status, str) and status.startswith("trap")


def test_shared_initialisers_and_script_level_statements(instrument, run):
    script = """
    var base: u32 = 40;
    var exact: f64 = 0.1;
    base = base + 1;
    fn twice(x: u32) -> u32 { return x * 2; }
    report var doubled: u32 = twice(21);
    wasm:opcode:br_if:before {
        shared report var fixed: u32 = 10;
        shared report var from_global: u32 = base + 1;
        fixed++;
        from_global++;
    }
    wasm:end { var local_is_fine: f64 = exact * 10.0; }
    """
    out = instrument(script, APP)
    status, stdout, _ = run(out.wasm)
    rows = {line.split(", ")[2]: line.rsplit(", ", 1)[1] for line in stdout.splitlines()[3:]}
    # base = 41 after the script-level statements; br_if runs 5 times
    assert rows == {"fixed": "15", "from_global": "47", "doubled": "42"}
