"""Batch mode: ``history`` lists earlier sessions' commands (the history file) and this batch's."""


def test_history_of_earlier_sessions_and_this_one(shell, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    (tmp_path / "whamm-shell").mkdir()
    (tmp_path / "whamm-shell" / "history").write_text("\n# 2026-01-01 10:00:00.000000\n+run\n"
                                                      "\n# 2026-01-01 10:00:01.000000\n+probes\n")
    r = shell("-c", "wasm:func:entry { }; history")
    assert r.out.splitlines()[-4:] == ["1  run", "2  probes", "3  wasm:func:entry { }", "4  history"]
    last = shell("-c", "probes; history 2")
    assert last.out.splitlines()[-2:] == ["1  probes", "2  history 2"]


def test_history_without_a_file(shell, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "empty"))
    assert shell("-c", "history").out == "1  history\n"
    assert "usage: history [N]" in shell("-c", "history x").err
