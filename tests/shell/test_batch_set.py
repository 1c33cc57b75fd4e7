"""Batch mode: ``set args/env/dir/stdin/timeout/fuel/compiler`` and ``show settings``."""
import re


def settings(out: str) -> dict[str, str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == ["setting", "value"])
    return {line.split(None, 1)[0]: line.split(None, 1)[1] for line in lines[start + 2:start + 9]}


def test_defaults(shell) -> None:
    assert settings(shell("-c", "show settings").out) == {
        "args": "(none)", "env": "(none)", "dirs": "(none: no host directory is visible)",
        "stdin": "(inherited)", "timeout": "off", "fuel": "off",
        "compiler": "fast (Winch; Cranelift for what Winch lacks)"}


def test_every_setting(shell, tmp_path) -> None:
    (tmp_path / "in.txt").write_text("x")
    r = shell("-c", f"set args a 'b c'; set env A=1 B=two; set dir {tmp_path}::/data; "
                    f"set stdin {tmp_path / 'in.txt'}; set timeout 2.5; set fuel 1000; set compiler optimized; sh se")
    assert r.status == 0, r.err
    assert settings(r.out) == {"args": "a 'b c'", "env": "A=1 B=two", "dirs": f"{tmp_path}::/data",
                               "stdin": str(tmp_path / "in.txt"), "timeout": "2.5 s", "fuel": "1000",
                               "compiler": "optimized (Cranelift)"}
    cleared = shell("-c", "set env A=1; set env; set timeout 1; set timeout off; show settings")
    assert settings(cleared.out)["env"] == "(none)" and settings(cleared.out)["timeout"] == "off"


def test_args_and_stdin_reach_the_app(ARGC_WAT, ECHO_WAT, shell, wat_app, tmp_path) -> None:
    argc = wat_app(tmp_path, "argc.wat", ARGC_WAT)
    assert "[exit status 3" in shell(argc, "-c", "wasm:func:entry { }; set args 1 2; run").out
    echo = wat_app(tmp_path, "echo.wat", ECHO_WAT)
    (tmp_path / "in.txt").write_text("piped in\n")
    r = shell(echo, "-c", f"wasm:func:entry {{ }}; set stdin {tmp_path / 'in.txt'}; run")
    assert r.out.splitlines()[2] == "piped in"


def test_timeout_and_fuel_stop_a_looping_app(LOOP_WAT, shell, wat_app, tmp_path) -> None:
    loop = wat_app(tmp_path, "loop.wat", LOOP_WAT)
    r = shell(loop, "-c", "wasm:opcode:br_if:before { report var n: u64; n++; }; set timeout 0.3; run; report")
    assert "warning: execution timed out after 0.3 s; the values collected so far are kept (`report`)" in r.err
    assert "[exit status 124" in r.out
    assert int(r.out.splitlines()[-2].split()[-1]) > 0
    r = shell(loop, "-c", "wasm:opcode:br_if:before { report var n: u64; n++; }; set fuel 5000; run; report")
    assert "warning: execution ran out of fuel" in r.err
    assert 0 < int(r.out.splitlines()[-2].split()[-1]) < 5000


def test_bad_settings(shell) -> None:
    assert "invalid value `soon` for timeout" in shell("-c", "set timeout soon").err
    assert "invalid timeout `0`" in shell("-c", "set timeout 0").err
    assert "must not be negative" in shell("-c", "set fuel -5").err
    assert "expected K=V" in shell("-c", "set env JUSTKEY").err
    assert "not a directory" in shell("-c", "set dir /no/such/dir").err
    assert "cannot read stdin file" in shell("-c", "set stdin /no/such/file").err
    assert re.search(r"unknown sub-command `set frob`", shell("-c", "set frob 1").err)
    r = shell("-c", "set compiler slow")
    assert r.status == 1 and r.err.startswith("error: invalid compiler `slow`: expected fast or optimized\n"
                                              "usage: set compiler fast|optimized")
    assert "usage: set compiler fast|optimized" in shell("-c", "set compiler").err
    assert "usage: set compiler fast|optimized" in shell("-c", "set compiler fast optimized").err


def test_compilers_give_the_same_report(shell, tmp_path) -> None:
    """The report does not depend on the compiler; ``run --timings`` names the one that compiled."""
    fast, optimized = tmp_path / "fast.csv", tmp_path / "optimized.csv"
    r = shell("-c", f"wasm:opcode:br_if:before {{ report var n: u64; n++; }}; run --timings; report --csv {fast}; "
                    f"set compiler optimized; run --timings; report --csv {optimized}; set compiler fast; run --timings")
    assert r.status == 0, r.err
    assert fast.read_text() == optimized.read_text() and fast.read_text().count("\n") > 3
    assert re.findall(r"compile [^,]* \((\w+)\)", r.out) == ["winch", "cranelift", "winch"]
