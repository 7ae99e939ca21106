"""Studies: grid expansion and naming, the sweep's skip/resume/failure handling, thread splits."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from conftest import TIMING_KEYS, TINY, TINY_DCGAN, as_foreground_job, resolved
from ganforge.cli import main
from ganforge.config import load_config
from ganforge.errors import ConfigError
from ganforge.models import build_networks
from ganforge.studies import expand, load_study, study_names, sweep, threads_per_job
from ganforge.studies.spec import parse_study
from ganforge.studies.state import action_for
from ganforge.studies.sweep import read_records


def as_mapping(overrides: list[str]) -> dict:
    """["a.b=1", ...] -> {"a.b": 1, ...}, a study's `overrides:` mapping."""
    return {k: yaml.safe_load(v) for k, v in (o.split("=", 1) for o in overrides)}


TINY_IMAGES = as_mapping(TINY + TINY_DCGAN)
# 2-D points through 8-wide dense nets: the cheapest runs, and `modes` needs no classifier
TINY_POINTS = as_mapping(
    [o for o in TINY if not o.startswith(("model.width", "data.limit"))]
    + ["model.name=mlp", "data.name=toy_ring", "data.limit=256", "train.steps=6"]
    + ["model.g.hidden=[8]", "model.d.hidden=[8]", "model.g.last_activation=none"]
)


def write_study(folder: Path, name: str, overrides: dict = TINY_IMAGES, **body) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"overrides": overrides, **body}))
    return path


# ---------------------------------------------------------------- expansion and naming


def test_points_are_named_by_what_differs() -> None:
    study = parse_study(
        "grid",
        """
        runs: [{name: a, preset: default}, {name: b, preset: seed000-conv,
                overrides: {model.width: 32}}]
        grid: {loss.name: [nonsaturating, lsgan], optim.d.lr: [1e-4]}
        seeds: [0, 1]
        """,
        folder=None,
    )
    points = expand(study, ["train.steps=5"])
    assert len(points) == 2 * 2 * 1 * 2
    assert [p.name for p in points[:4]] == [
        "a,loss.name=nonsaturating,seed=0",
        "a,loss.name=nonsaturating,seed=1",
        "a,loss.name=lsgan,seed=0",
        "a,loss.name=lsgan,seed=1",
    ]
    last = points[-1]
    assert last.name == "b,loss.name=lsgan,seed=1"  # the one-valued lr is not in the name
    assert last.source == "seed000-conv"
    assert last.overrides == (
        "model.width=32",
        "loss.name=lsgan",
        "optim.d.lr=1e-4",
        "seed=1",
        "train.steps=5",  # the command line comes last and wins
    )
    assert load_config(last.source, list(last.overrides)).optim.d.lr == pytest.approx(1e-4)


def test_a_single_run_study_and_list_values() -> None:
    study = parse_study("one", "base: default\ngrid: {model.d.hidden: [[8, 8], [16]]}", None)
    assert [p.name for p in expand(study)] == ["model.d.hidden=[8,8]", "model.d.hidden=[16]"]
    assert (
        parse_study("bare", "base: default", None)
        and expand(parse_study("bare", "base: default", None))[0].name == "run"
    )


def test_bad_studies_are_refused_with_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'grid'"):
        parse_study("x", "gird: {loss.name: [lsgan]}", None)
    with pytest.raises(ConfigError, match="names two runs the same"):
        parse_study("x", "runs: [{name: a}, {name: a}]", None)
    with pytest.raises(ConfigError, match="non-empty list"):
        parse_study("x", "grid: {loss.name: lsgan}", None)
    with pytest.raises(ConfigError, match="unknown study 'seed001-mnsit'.*did you mean"):
        load_study("seed001-mnsit")


def test_config_paths_in_a_study_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("extends: default\ntrain: {steps: 7}\n")
    path = tmp_path / "s.yaml"
    path.write_text("runs: [{config: mine.yaml}]\n")
    (point,) = expand(load_study(path))
    assert point.name == "mine"
    assert load_config(point.source, []).train.steps == 7


@pytest.mark.parametrize("name", study_names())
def test_shipped_studies_resolve(name: str) -> None:
    """Every point of every shipped study is a valid config (offline: nothing is loaded)."""
    study = load_study(name)
    assert study.description
    for point in expand(study):
        load_config(point.source, list(point.overrides))


def test_seed001_studies_cover_the_twenty_experiments() -> None:
    mnist, celeba = load_study("seed001-mnist"), load_study("seed001-celeba")
    assert [p.name for p in expand(mnist)] == [f"exp{i:02d}" for i in range(1, 11)]
    assert [p.name for p in expand(celeba)] == [f"exp{i:02d}" for i in range(11, 21)]
    assert set(mnist.published["values"]) == {f"exp{i:02d}" for i in range(1, 11)}
    exp = {i: load_config(f"seed001-exp{i:02d}", []) for i in (3, 4, 8, 10, 17, 18)}
    assert (exp[3].loss.name, exp[3].train.steps, exp[3].train.batch_size) == ("lsgan", 30000, 32)
    assert (exp[4].loss.clip_value, exp[4].train.n_critic, exp[4].optim.d.name) == (
        0.01,
        5,
        "rmsprop",
    )
    assert (exp[8].model.latent_dim, exp[8].train.batch_size) == (200, 128)
    assert (exp[10].train.steps, exp[10].train.batch_size) == (5000, 64)
    assert exp[17].data.resolution == 40 and exp[18].train.batch_size == 128


# ---------------------------------------------------------------- threads


def test_threads_are_split_between_jobs() -> None:
    assert threads_per_job(1, cores=16) == 16
    assert threads_per_job(2, cores=16) == 8
    assert threads_per_job(3, cores=16) == 5
    assert threads_per_job(4, cores=2) == 1  # never zero


# ---------------------------------------------------------------- the sweep itself


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> tuple[Path, int, Path]:
    """A study swept with 2 local worker processes: 2 good runs, one that fails in its worker
    (missing data file) and one refused before it starts (impossible config)."""
    folder = tmp_path_factory.mktemp("study")
    path = write_study(
        folder,
        "tiny",
        TINY_POINTS,
        runs=[
            {"name": "good0", "overrides": {"seed": 0}},
            {"name": "good1", "overrides": {"seed": 1}},
            {"name": "nodata", "overrides": {"data.name": "npz", "data.path": "missing.npz"}},
            {
                "name": "badconfig",
                "overrides": {"loss.name": "wasserstein", "model.d.last_activation": "sigmoid"},
            },
        ],
        eval={"metrics": ["modes2.5k"], "num_samples": 200},
    )
    code = sweep(load_study(path), root=folder / "runs", jobs=2, device="cpu", say=lambda *_: None)
    return folder / "runs" / "tiny", code, path


def test_a_failing_run_does_not_stop_the_sweep(swept) -> None:
    study_dir, code, _ = swept
    assert code == 1  # not every run succeeded
    rows = {r["run"]: r for r in read_records(study_dir)}
    assert set(rows) == {"good0", "good1", "nodata", "badconfig"}
    for name in ("good0", "good1"):
        assert rows[name]["status"] == "ok" and rows[name]["error"] is None
        assert "modes2.5k_modes" in rows[name]["eval"]
        assert (study_dir / name / "checkpoints" / "step_0000006.pt").exists()
    assert rows["nodata"]["status"] == "failed" and "missing.npz" in rows["nodata"]["error"]
    assert rows["badconfig"]["status"] == "failed" and "sigmoid" in rows["badconfig"]["error"]
    assert not (study_dir / "badconfig").exists()


def test_each_worker_gets_its_share_of_threads(swept) -> None:
    study_dir, _, _ = swept
    rows = [r for r in read_records(study_dir) if r["run"].startswith("good")]
    assert len(rows) == 2 and all(r["threads"] == threads_per_job(2) for r in rows)


def _clean_rows(run_dir: Path) -> list[dict]:
    from ganforge.runs import RunDir

    return [
        {k: v for k, v in row.items() if k not in TIMING_KEYS}
        for row in RunDir(run_dir).read_metrics()
    ]


def _final_state(run_dir: Path, step: int = 6) -> dict:
    """The final checkpoint without its clock (`seconds`, which train.minutes reads)."""
    state = torch.load(run_dir / "checkpoints" / f"step_{step:07d}.pt", weights_only=True)
    assert state.pop("seconds") > 0
    return state


def _assert_same(a, b, where: str) -> None:
    """Every tensor and value of two checkpoints equal, whatever the checkpoint layout."""
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), f"{where} differs after resume"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_rerun_skips_finished_and_resumes_killed_runs_bit_identically(swept, tmp_path) -> None:
    study_dir, _, study_path = swept
    copy = tmp_path / "runs" / "tiny"
    shutil.copytree(study_dir, copy)
    # good0: as if killed right after the step-2 checkpoint, in the middle of writing the next
    killed = copy / "good0"
    for late in ("step_0000004.pt", "step_0000006.pt"):
        (killed / "checkpoints" / late).unlink()
    (killed / "checkpoints" / ".step_0000004.pt.partial.tmp").write_bytes(b"half a checkpoint")
    for late in ("step_0000004.png", "step_0000006.png"):
        (killed / "samples" / late).unlink()
    assert action_for(killed, 6, ("modes2.5k",)) == "resume"
    # good1: finished and evaluated, so nothing to do
    assert action_for(copy / "good1", 6, ("modes2.5k",)) == "skip"
    finished_before = (copy / "good1" / "metrics.jsonl").read_text()

    study = load_study(study_path)
    code = sweep(study, root=tmp_path / "runs", jobs=2, device="cpu", launcher="inline", say=print)
    assert code == 1  # the two broken runs still fail, and are still recorded
    latest = {r["run"]: r for r in read_records(copy)}
    assert latest["good0"]["action"] == "resume" and latest["good0"]["status"] == "ok"
    assert latest["good1"]["action"] == "skip"
    assert (copy / "good1" / "metrics.jsonl").read_text() == finished_before

    original = study_dir / "good0"
    assert _clean_rows(killed) == _clean_rows(original)
    _assert_same(_final_state(killed), _final_state(original), "checkpoint")
    for png in ("step_0000002.png", "step_0000006.png"):
        assert (killed / "samples" / png).read_bytes() == (original / "samples" / png).read_bytes()


def start_long_sweep(tmp_path: Path, out: str) -> tuple[Path, subprocess.Popen]:
    """A 400-step sweep in a subprocess, in its own process group (as a terminal's foreground
    job), returned once its run has written the step-50 checkpoint."""
    overrides = {**TINY_POINTS, "train.steps": 400, "train.checkpoint_every": 50}
    overrides.update({"train.sample_every": 200, "train.log_every": 10})
    path = write_study(tmp_path, "long", overrides)
    # --jobs 2: one thread per run, as in the in-process sweeps below (and no oversubscription)
    command = [sys.executable, "-m", "ganforge", "sweep", str(path), "--device=cpu", "--jobs=2"]
    proc = subprocess.Popen(
        [*command, "--out", str(tmp_path / out)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=as_foreground_job,
    )
    checkpoint = tmp_path / out / "long" / "run" / "checkpoints" / "step_0000050.pt"
    deadline = time.monotonic() + 120
    while not checkpoint.exists():
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        assert time.monotonic() < deadline, "no checkpoint after 2 minutes"
        time.sleep(0.01)
    return path, proc


def test_a_sweep_killed_with_sigkill_finishes_bit_identical(tmp_path) -> None:
    """Kill -9 the whole sweep (parent and worker) mid-run, sweep again: the same run as one
    never interrupted."""
    path, proc = start_long_sweep(tmp_path, "killed")
    checkpoints = tmp_path / "killed" / "long" / "run" / "checkpoints"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (checkpoints / "step_0000400.pt").exists()  # it really stopped midway

    study = load_study(path)
    quiet = {"device": "cpu", "launcher": "inline", "jobs": 2, "say": lambda *_: None}
    assert sweep(study, root=tmp_path / "killed", **quiet) == 0
    assert sweep(study, root=tmp_path / "whole", **quiet) == 0
    killed, whole = tmp_path / "killed" / "long" / "run", tmp_path / "whole" / "long" / "run"
    assert read_records(tmp_path / "killed" / "long")[-1]["action"] == "resume"
    assert _clean_rows(killed) == _clean_rows(whole)
    _assert_same(_final_state(killed, 400), _final_state(whole, 400), "checkpoint")


def test_ctrl_c_stops_a_sweeps_worker_at_a_step_with_a_checkpoint(tmp_path) -> None:
    """Ctrl-C reaches the whole foreground group: the worker ends its step, checkpoints it and
    reports "stopped"; sweeping again resumes from that step."""
    path, proc = start_long_sweep(tmp_path, "out")
    run = tmp_path / "out" / "long" / "run"
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=120) == 130
    result = json.loads(next((tmp_path / "out" / "long").rglob("*.result.json")).read_text())
    assert result["status"] == "stopped", result
    step = int(re.search(r"stopped by SIGINT at step (\d+) of 400", result["error"]).group(1))
    assert 50 < step < 400 and (run / "checkpoints" / f"step_{step:07d}.pt").is_file()
    quiet = {"device": "cpu", "launcher": "inline", "jobs": 2, "say": lambda *_: None}
    assert sweep(load_study(path), root=tmp_path / "out", **quiet) == 0
    assert f"resumed from step_{step:07d}.pt" in (run / "log.txt").read_text()


def test_a_changed_study_is_not_mixed_into_old_runs(swept, tmp_path) -> None:
    study_dir, _, study_path = swept
    copy = tmp_path / "runs" / "tiny"
    shutil.copytree(study_dir, copy)
    code = sweep(
        load_study(study_path),
        root=tmp_path / "runs",
        overrides=["model.latent_dim=4"],
        launcher="inline",
        say=lambda *_: None,
    )
    assert code == 1
    rows = {r["run"]: r for r in read_records(copy)}
    assert rows["good0"]["status"] == "failed" and "other settings" in rows["good0"]["error"]
    # a run that never got a folder may change (here: still failing, for its missing file)
    assert "missing.npz" in rows["nodata"]["error"]


def test_submitit_launcher_runs_the_same_worker(tmp_path) -> None:
    """The Slurm path (submitit), on submitit's local executor: same records, same skip."""
    pytest.importorskip("submitit", reason="the optional extra ganforge[slurm]")
    path = write_study(tmp_path, "slurmy", TINY_POINTS, eval={"metrics": ["modes2.5k"]})
    study = load_study(path)
    quiet = {"root": tmp_path / "runs", "device": "cpu", "jobs": 2, "say": lambda *_: None}
    assert sweep(study, launcher="submitit-local", **quiet) == 0
    (row,) = read_records(tmp_path / "runs" / "slurmy")
    assert row["status"] == "ok" and row["action"] == "new" and "modes2.5k_modes" in row["eval"]
    assert (tmp_path / "runs" / "slurmy" / "run" / "checkpoints" / "step_0000006.pt").exists()
    assert sweep(study, launcher="submitit-local", **quiet) == 0
    assert read_records(tmp_path / "runs" / "slurmy")[-1]["action"] == "skip"


def test_dry_run_lists_runs_with_estimates(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "cache"))  # no timing cached yet
    path = write_study(tmp_path, "dry", grid={"loss.name": ["nonsaturating", "lsgan"]})
    # options before and after the study, overrides between them
    args = ["sweep", "--device", "cpu", str(path), "train.batch_size=4", "--jobs=2"]
    names = ("loss.name=nonsaturating", "loss.name=lsgan")
    assert main([*args, "--dry-run", "--steps", "1000"]) == 0  # at once: nothing is timed
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith(names)]
    assert rows == [[n, "1000", "?", "?", "(not", "timed", "yet)"] for n in names], out
    assert "--estimate times each once" in out
    assert main([*args, "--estimate", "--steps", "1000"]) == 0  # times them, and caches that
    timed = capsys.readouterr().out
    for name in names:
        line = next(line for line in timed.splitlines() if line.startswith(name))
        assert " 1000 " in line and ("s" in line.split()[-1] or "min" in line)
    assert "wall time with --jobs 2" in timed and "not timed" not in timed
    assert main([*args, "--dry-run", "--steps", "1000"]) == 0  # from the cache: the same
    assert capsys.readouterr().out == timed


def test_estimate_reads_the_cache_and_caps_a_run_at_its_minutes(tmp_path, monkeypatch) -> None:
    from ganforge.studies.estimate import estimate, timing_key, write_timings

    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "cache"))
    path = write_study(tmp_path, "capped", budget={"minutes": 2, "steps": 1000})
    points = expand(load_study(path))
    config = load_config(points[0].source, list(points[0].overrides))
    write_timings({timing_key(config, 1, "cpu"): 0.5})  # 0.5 s a step, as if timed before
    (row,) = estimate(points, 1, "cpu", measure=False)
    assert row["sec_per_step"] == 0.5 and row["seconds"] == 120  # not 1000 x 0.5 = 500
    (other,) = estimate(points, 2, "cpu", measure=False)  # other threads: another timing
    assert other["sec_per_step"] is None and other["error"] == "not timed yet"


def test_studies_command_lists_shipped_studies(capsys) -> None:
    assert main(["studies"]) == 0
    out = capsys.readouterr().out
    for name in ("seed000", "seed001-mnist", "seed001-celeba", "seed004-cifar10"):
        assert name in out


def test_keras_dcgan_preset_has_the_keras_parameter_counts(capsys) -> None:
    """Seed 001 exp 2 is the Keras-GAN DCGAN: G 856,193 / 855,809, D 393,729 / 392,833."""
    import json

    assert main(["summary", "seed001-exp02", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["discriminator"] == {"total": 393_729, "trainable": 392_833}
    assert counts["generator"] == {"total": 856_193, "trainable": 855_809}


def test_seed001_exp09_pairs_exp08s_dense_generator_with_exp05s_conv_discriminator(capsys):
    """Table 4.4 keeps exp 9's generator dense; table 4.5 gives it exp 5-6's discriminator."""
    import json

    counts = {}
    for preset in ("seed001-exp09", "seed001-exp08", "seed001-exp05"):
        assert main(["summary", preset, "--json"]) == 0
        counts[preset] = json.loads(capsys.readouterr().out)
    assert counts["seed001-exp09"]["generator"] == counts["seed001-exp08"]["generator"]
    assert counts["seed001-exp09"]["discriminator"] == counts["seed001-exp05"]["discriminator"]
    assert counts["seed001-exp09"]["discriminator"]["total"] == 391_937  # convs, no BN
    config = resolved(source="seed001-exp09")
    nets = build_networks(config, (1, 28, 28))
    assert any(isinstance(m, torch.nn.Conv2d) for m in nets["discriminator"].modules())
    assert not any(isinstance(m, torch.nn.Conv2d) for m in nets["generator"].modules())
