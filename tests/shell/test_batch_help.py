"""Batch mode: ``help`` and ``help CMD`` (the registry's text; prefixes resolve)."""


def test_help_lists_every_command(shell) -> None:
    r = shell("-c", "help")
    assert r.status == 0
    for usage in ("help [CMD]", "load APP", "info RULE [-v] [-f]", "match RULE [/ PRED /] [--injected] [--all]",
                  "probe add RULE [/ PRED /] { BODY }", "probe rm N…", "probe enable [N…]",
                  "probe disable [N…]", "probe edit N", "probes", "global STATEMENT", "run [ARGS…] [--timings]",
                  "report [VAR|N]", "plot VAR [--top K]", "globals", "wat FUNC [--around PC] [--diff]",
                  "sites N", "save FILE.mm", "source FILE", "export OUT.wasm", "set args ARG…",
                  "set env K=V…", "set dir HOST[::GUEST]…", "set stdin [FILE]", "set timeout SECONDS|off",
                  "set fuel N|off", "set unknown-imports trap|default|off", "show settings", "history [N]", "quit"):
        assert f"  {usage}" in r.out, usage
    assert "Type a probe or a global statement directly to add it." in r.out


def test_help_for_one_command_and_prefixes(shell) -> None:
    r = shell("-c", "help pr a")
    assert r.out.startswith("usage: probe add RULE [/ PRED /] { BODY }\n\nadd a probe")
    assert "wasm:opcode:call:before { count++; }" in r.out
    r = shell("-c", "help probe")
    assert r.out.startswith("`probe` sub-commands:")
    assert "  rm N…" not in r.out and "probe rm N…" in r.out
    assert shell("-c", "help quit").out.rstrip().endswith("aliases: exit")


def test_help_for_an_unknown_topic_fails(shell) -> None:
    r = shell("-c", "help frobnicate")
    assert r.status == 1
    assert "error: no help for `frobnicate`" in r.err
