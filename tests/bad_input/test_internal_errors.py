"""No traceback reaches a user: a bug is one sentence and a crash log, running out of memory is
bad input."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from bad_input.cases import assert_one_sentence
from conftest import run_cli


def test_an_internal_error_is_one_sentence_and_a_crash_log(base_run, tmp_path, monkeypatch):
    import ganforge.sampling

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.chdir(tmp_path)
    shutil.copytree(base_run, tmp_path / "run")
    monkeypatch.setattr(ganforge.sampling, "write_samples", broken)
    code, out, err = run_cli("sample", "run", "-o", "g.png")
    assert_one_sentence(code, out, err, 1, "failed unexpectedly (ZeroDivisionError: a bug)")
    log = tmp_path / "run" / "crash.log"
    assert f"traceback written to {Path('run') / 'crash.log'}" in err
    assert "Traceback" in log.read_text() and "ganforge sample run -o g.png" in log.read_text()
    code, out, err = run_cli("sample", "run", "-o", "g.png", "--debug")
    assert code == 1 and "Traceback" in err and "ZeroDivisionError" in err
    assert log.read_text().count("Traceback") == 2, "crash.log is appended to, never replaced"


def test_an_internal_error_outside_a_run_goes_to_a_temporary_file(monkeypatch, tmp_path):
    import ganforge.cli.parser

    def broken(args):
        raise KeyError("oops")

    monkeypatch.setattr(ganforge.cli.parser, "cmd_presets", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, out, err = run_cli("presets")
    assert_one_sentence(code, out, err, 1, "failed unexpectedly (KeyError")
    logs = list(tmp_path.glob("ganforge-crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err and "KeyError" in logs[0].read_text()


def test_running_out_of_memory_is_bad_input(base_run, tmp_path, monkeypatch):
    import ganforge.sampling

    def oom(*args, **kwargs):
        raise MemoryError()

    monkeypatch.chdir(tmp_path)
    shutil.copytree(base_run, tmp_path / "run")
    monkeypatch.setattr(ganforge.sampling, "write_samples", oom)
    code, out, err = run_cli("sample", "run", "-o", "g.png")
    assert_one_sentence(code, out, err, 2, "out of memory")
