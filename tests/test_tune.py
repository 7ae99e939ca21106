"""`ganforge tune`: the space file, a tiny search, kill -9 and resume, pruning, and one study
shared by two workers through PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna  # the dev extra: CI always tests the search
import pytest
import yaml

from conftest import run_cli
from ganforge.errors import ConfigError
from ganforge.studies.report import image_uri
from ganforge.tune import load_space, parse_space
from ganforge.tune.study import pid_alive

# the tiny network of tests/conftest.py's TINY, as the fixed overrides of a space
TINY_SPACE = {
    "base": "default",
    "overrides": {
        "train.batch_size": 8,
        "train.log_every": 2,
        "train.sample_every": 4,
        "train.checkpoint_every": 2,
        "train.grid_size": 4,
        "train.tensorboard": False,
        "model.latent_dim": 8,
        "model.g.hidden": "[8]",
        "model.g.project_channels": 8,
        "model.d.hidden": "[8,8]",
        "data.limit": 64,
    },
    "params": {"optim.d.lr": {"log_uniform": [1.0e-5, 1.0e-3]}, "loss.name": ["lsgan", "hinge"]},
    "metric": "fid_domain1k",
    "budget": {"steps": 6},
    "eval": {"every": 2, "num_samples": 64},
    "pruner": "none",
}


def space_file(folder: Path, name: str = "tiny", **changes) -> Path:
    data = {**TINY_SPACE, **changes}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def trials_of(folder: Path) -> list:
    storage = f"sqlite:///{folder / 'study.db'}"
    return optuna.load_study(study_name=folder.name, storage=storage).get_trials()


def tune_argv(space: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "ganforge", "tune", str(space), "--out", str(out), *extra]


def child_env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1"}


# ----------------------------------------------------------------------------- the space file


def test_the_shipped_spaces_load_and_optimise_a_registered_metric() -> None:
    for name in ("default", "akel2022-mnist"):
        space = load_space(name)
        assert space.direction == "minimize" and space.metric == "fid_domain2k"
        assert any(p.kind == "log_uniform" for p in space.params)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"parms": {}}, "unknown key 'parms' in search space 'tiny' \\(did you mean 'params'"),
        ({"params": {"optim.d.lrr": [1e-4, 2e-4]}}, "search parameter 'optim.d.lrr'.*lr"),
        ({"params": {"optim.d.lr": {"log_uniform": [1e-3, 1e-3]}}}, "range \\[0.001, 0.001\\] is"),
        ({"params": {"loss.name": []}}, "'loss.name' has an empty list of choices"),
        ({"params": {"loss.name": ["lsgan", "hinje"]}}, "'loss.name' = 'hinje'.*hinge"),
        ({"params": {"model.latent_dim": {"int": [8.5, 32]}}}, "takes whole numbers"),
        ({"params": {"optim.d.lr": {"log_uniform": [0, 1e-3]}}}, "must be above 0"),
        ({"metric": "fid_domian1k"}, "unknown metric 'fid_domian1k'.*fid_domain1k"),
        ({"metric": "fid_domain1k", "budget": None}, "must give each trial a 'budget'"),
        ({"pruner": "medain"}, "unknown pruner 'medain'.*median"),
    ],
)
def test_a_bad_space_is_refused_in_one_sentence(tmp_path: Path, change: dict, message: str) -> None:
    data = {**TINY_SPACE, **change}
    with pytest.raises(ConfigError, match=message) as caught:
        parse_space("tiny", yaml.safe_dump(data))
    assert "\n" not in str(caught.value)


def test_the_cli_maps_a_bad_space_to_exit_code_2(tmp_path: Path) -> None:
    code, _, err = run_cli("tune", str(space_file(tmp_path, metric="nope")), "--trials", "1")
    assert code == 2 and err.startswith("error: unknown metric 'nope'")


def test_without_optuna_tune_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)  # `import optuna` raises ImportError
    code, _, err = run_cli("tune", "default", "--trials", "1")
    assert code == 2
    assert err.strip() == (
        "error: ganforge tune needs Optuna; install it with: pip install 'ganforge[tune]'"
    )


# ------------------------------------------------------------------------------- a tiny search


@pytest.fixture(scope="module")
def searched(tmp_path_factory) -> tuple[Path, Path, str]:
    """(space file, --out root, stdout) of one tiny search of 4 trials, shared by the tests
    that read what it wrote."""
    tmp = tmp_path_factory.mktemp("search")
    space, out = space_file(tmp), tmp / "runs"
    code, stdout, err = run_cli("tune", str(space), "--trials", "4", "--out", str(out))
    assert code == 0, err
    return space, out, stdout


def test_a_tiny_search_trains_four_trials_as_run_directories(searched) -> None:
    space, out, _ = searched
    folder = out / "tiny"
    trials = trials_of(folder)
    assert [t.state.name for t in trials] == ["COMPLETE"] * 4
    for t in trials:
        run = folder / f"trial-{t.number:04d}"
        record = json.loads((run / "trial.json").read_text())
        assert record["state"] == "complete" and record["params"] == t.params
        rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
        values = [r["fid_domain1k"] for r in rows if "fid_domain1k" in r]
        assert t.value == values[-1] and len(values) == 3  # the last of 3 evaluations
        assert t.intermediate_values == {2: values[0], 4: values[1], 6: values[2]}
    summary = json.loads((folder / "tune.json").read_text())
    assert summary["counted"] == 4 and summary["best"]["value"] == min(t.value for t in trials)
    assert set(summary["importances"]) == {"optim.d.lr", "loss.name"}
    # the same command again: the search is done, nothing trains
    code, stdout, _ = run_cli("tune", str(space), "--trials", "4", "--out", str(out))
    assert code == 0 and len(trials_of(folder)) == 4
    code, stdout, _ = run_cli("tune", str(space), "--show", "--out", str(out))
    assert code == 0 and "4 trials (4 complete)" in stdout
    best = summary["best"]["number"]
    assert stdout.splitlines()[1].split()[:2] == ["trial", str(best)]
    code, stdout, _ = run_cli("tune", str(space), "--show", "--json", "--out", str(out))
    assert code == 0 and json.loads(stdout.splitlines()[-1]) == summary["best"]


def test_the_report_of_a_search_has_history_importances_and_best_samples(
    searched, tmp_path: Path
) -> None:
    _, out, _ = searched
    folder = out / "tiny"
    summary = json.loads((folder / "tune.json").read_text())
    best_grid = sorted((folder / summary["best"]["run_dir"] / "samples").glob("*.png"))[-1]
    code, _, err = run_cli("report", str(folder), "-o", str(tmp_path / "r.html"))
    assert code == 0, err
    page = (tmp_path / "r.html").read_text()
    assert "<h2>Search tiny</h2>" in page and "4 trials (4 complete)" in page
    assert "Optimisation history: fid_domain1k" in page
    for name in ("optim.d.lr", "loss.name"):
        assert f"<td class='text'>{name}</td><td>{summary['importances'][name]:.3f}" in page
    assert image_uri(best_grid) in page
    assert f"Best: trial {summary['best']['number']}" in page
    code, _, _ = run_cli("report", str(folder), "-o", str(tmp_path / "r.md"), "--format", "md")
    text = (tmp_path / "r.md").read_text()
    assert code == 0 and f"best trial {summary['best']['number']}: " in text


def test_confirm_retrains_base_and_best_with_fresh_seeds(searched, tmp_path: Path) -> None:
    space, out, _ = searched
    summary = json.loads((out / "tiny" / "tune.json").read_text())
    argv = ["tune", str(space), "--confirm", "2", "--out", str(out), "--device", "cpu"]
    code, stdout, err = run_cli(*argv, "--jobs", "1")
    assert code == 0, err + stdout
    confirm = out / "tiny" / "confirm"
    names = sorted(p.name for p in confirm.iterdir() if (p / "config.yaml").exists())
    assert names == ["base,seed=1000", "base,seed=1001", "best,seed=1000", "best,seed=1001"]
    for seed in (1000, 1001):
        config = yaml.safe_load((confirm / f"best,seed={seed}" / "config.yaml").read_text())
        assert config["seed"] == seed
        assert config["loss"]["name"] == summary["best"]["params"]["loss.name"]
        assert config["optim"]["d"]["lr"] == summary["best"]["params"]["optim.d.lr"]
    code, _, err = run_cli("report", str(confirm), "-o", str(tmp_path / "c.md"), "--format", "md")
    assert code == 0, err
    table = (tmp_path / "c.md").read_text()  # the intervals over seeds of `ganforge report`
    assert "| base | 2 | " in table and "| best | 2 | " in table and " ± " in table


def test_command_line_overrides_apply_to_every_trial_and_are_recorded(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    argv = ["tune", str(space_file(tmp_path)), "--trials", "1", "--out", str(out)]
    code, _, err = run_cli(*argv, "train.batch_size=16", "--device", "cpu")
    assert code == 0, err
    config = yaml.safe_load((out / "tiny" / "trial-0000" / "config.yaml").read_text())
    assert config["train"]["batch_size"] == 16
    saved = yaml.safe_load((out / "tiny" / "space.yaml").read_text())
    assert saved["overrides"]["train.batch_size"] == "16"
    code, shown, err = run_cli("tune", str(space_file(tmp_path)), "--show", "--out", str(out))
    assert code == 0 and "1 trials" in shown, err  # --show needs no overrides repeated
    code, _, err = run_cli(*argv, "train.batch_sise=16")
    assert code == 2 and "unknown config key 'train.batch_sise'" in err


def test_a_search_of_another_space_into_the_same_study_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    assert run_cli("tune", str(space_file(tmp_path)), "--trials", "1", "--out", str(out))[0] == 0
    changed = space_file(tmp_path, params={"optim.d.lr": {"uniform": [1e-4, 2e-4]}})
    code, _, err = run_cli("tune", str(changed), "--trials", "2", "--out", str(out))
    assert code == 2 and "was started with another search space" in err


# ------------------------------------------------------------------------ pruning, kill -9


def test_the_median_pruner_stops_a_trial_made_hopeless_on_purpose(tmp_path: Path) -> None:
    """optim.g.lr=1e-9 leaves the generator at its initial weights; two trials with a working
    rate come first, so at its first evaluation the third is worse than their median."""
    from ganforge.tune.search import prepare, tune
    from ganforge.tune.study import open_study, storage_url

    pruner = {"median": {"n_startup_trials": 2, "n_warmup_steps": 0}}
    params = {"optim.g.lr": [1.0, 1.0e-9]}
    space = load_space(space_file(tmp_path, params=params, pruner=pruner))
    folder = prepare(space, tmp_path / "runs")
    study = open_study(space, storage_url(folder, None), 0)
    for lr in (1.0, 1.0, 1.0e-9):
        study.enqueue_trial({"optim.g.lr": lr})
    tune(space, tmp_path / "runs", trials=3, device="cpu", say=lambda _: None)
    trials = trials_of(folder)
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE", "PRUNED"]
    hopeless = folder / "trial-0002"
    assert json.loads((hopeless / "trial.json").read_text())["pruned_at_step"] == 2
    assert "pruned by the tuner at step 2" in (hopeless / "log.txt").read_text()
    steps = [json.loads(x)["step"] for x in (hopeless / "metrics.jsonl").read_text().splitlines()]
    assert max(steps) == 2  # the budget was 6 steps
    assert trials[2].value == trials[2].intermediate_values[2]


def test_a_diverged_trial_counts_as_failed_and_the_search_goes_on(tmp_path: Path) -> None:
    from ganforge.tune.search import prepare, tune
    from ganforge.tune.study import open_study, storage_url

    space = load_space(space_file(tmp_path, params={"optim.g.lr": [2.0e-4, 1.0e30]}))
    folder = prepare(space, tmp_path / "runs")
    study = open_study(space, storage_url(folder, None), 0)
    for lr in (1.0e30, 2.0e-4):
        study.enqueue_trial({"optim.g.lr": lr})
    tune(space, tmp_path / "runs", trials=2, device="cpu", say=lambda _: None)
    failed, complete = trials_of(folder)
    assert (failed.state.name, complete.state.name) == ("FAIL", "COMPLETE")
    assert failed.user_attrs["error"].startswith("training diverged at step ")
    assert "retired" not in failed.user_attrs  # a result of its values: it counts
    record = json.loads((folder / "trial-0000" / "trial.json").read_text())
    assert record["state"] == "failed" and "diverged" in record["error"]
    assert json.loads((folder / "tune.json").read_text())["counted"] == 2


def test_a_trial_killed_after_its_last_step_completes_with_the_value_it_logged(
    tmp_path: Path,
) -> None:
    """The run finished but its process died before telling the study: the re-queued trial
    has nothing left to train and takes the run's last evaluation."""
    from ganforge.config import load_config
    from ganforge.training import train
    from ganforge.tune.search import prepare, tune
    from ganforge.tune.study import open_study, storage_url
    from ganforge.tune.trial import claim, suggest, trial_overrides

    space = load_space(space_file(tmp_path))
    folder = prepare(space, tmp_path / "runs")
    study = open_study(space, storage_url(folder, None), 0)
    trial = study.ask()
    path = claim(trial, folder)
    params = {p.key: suggest(trial, p) for p in space.params}
    train(load_config(space.base, trial_overrides(space, params)), path, "cpu", False)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    trial.set_user_attr("pid", int(gone.stdout))  # the process that trained it is dead
    tune(space, tmp_path / "runs", trials=1, device="cpu", say=lambda _: None)
    first, resumed = trials_of(folder)
    assert (first.state.name, resumed.state.name) == ("FAIL", "COMPLETE")
    rows = [json.loads(x) for x in (path / "metrics.jsonl").read_text().splitlines()]
    assert resumed.value == [r["fid_domain1k"] for r in rows if "fid_domain1k" in r][-1]
    assert [r["step"] for r in rows] == sorted({r["step"] for r in rows})  # nothing retrained


def test_kill_9_and_run_again_loses_no_trial_and_counts_none_twice(tmp_path: Path) -> None:
    overrides = {**TINY_SPACE["overrides"], "train.checkpoint_every": 4}
    space = space_file(tmp_path, overrides=overrides, budget={"steps": 40}, eval={"every": 8})
    out = tmp_path / "runs"
    first = subprocess.Popen(
        tune_argv(space, out, "--trials", "2", "--device", "cpu"),
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    checkpoint = out / "tiny" / "trial-0000" / "checkpoints" / "step_0000008.pt"
    deadline = time.time() + 120
    while not checkpoint.exists() and time.time() < deadline and first.poll() is None:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert checkpoint.exists(), "the tuner never reached a checkpoint to kill it after"
    killed_at = max(
        json.loads(x)["step"]
        for x in (checkpoint.parents[1] / "metrics.jsonl").read_text().splitlines()
    )
    assert killed_at < 40  # it was killed mid-trial
    done = subprocess.run(
        tune_argv(space, out, "--trials", "2", "--device", "cpu"),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "trial 0 was interrupted; re-queued to resume trial-0000" in done.stdout
    trials = trials_of(out / "tiny")
    counted = [t for t in trials if not t.user_attrs.get("retired")]
    assert [t.state.name for t in counted] == ["COMPLETE", "COMPLETE"]
    assert trials[0].state.name == "FAIL" and trials[0].user_attrs["retired"] == "interrupted"
    resumed = next(t for t in counted if t.user_attrs.get("resumes") == 0)
    assert resumed.user_attrs["run_dir"] == "trial-0000" and resumed.params == trials[0].params
    fresh = next(t for t in counted if t is not resumed)  # trial 1 was the re-queued one
    assert fresh.number == 2 and fresh.user_attrs["run_dir"] == "trial-0002"
    assert sorted(p.name for p in (out / "tiny").glob("trial-*")) == ["trial-0000", "trial-0002"]
    run = out / "tiny" / "trial-0000"
    steps = [json.loads(x)["step"] for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps)) and steps[-1] == 40  # resumed: each step logged once
    assert "resumed from" in (run / "log.txt").read_text()
    assert set(resumed.intermediate_values) == {8, 16, 24, 32, 40}  # replayed, then new ones


# ------------------------------------------------------------------- several workers, one study


def worker_dirs(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("trial-*")}


def assert_shared_fairly(
    trials: list, folders: list[Path], wanted: int, retired: tuple[str, ...] = ("surplus",)
) -> None:
    """`wanted` trials count, all complete; each trained once, in one worker's folder; the
    others were retired for one of the reasons `retired`."""
    counted = [t for t in trials if not t.user_attrs.get("retired")]
    assert [t.state.name for t in counted] == ["COMPLETE"] * wanted
    assert all(t.user_attrs.get("retired") in retired for t in trials if t not in counted)
    names = [t.user_attrs["run_dir"] for t in counted]
    assert len(set(names)) == wanted
    for name in names:
        assert sum((folder / name / "config.yaml").exists() for folder in folders) == 1, name


def test_two_local_workers_share_one_sqlite_study(tmp_path: Path) -> None:
    space = space_file(tmp_path)
    out = tmp_path / "runs"
    code, stdout, err = run_cli(
        "tune", str(space), "--trials", "4", "--jobs", "2", "--out", str(out)
    )
    assert code == 0, err
    folder = out / "tiny"
    assert_shared_fairly(trials_of(folder), [folder], 4)
    logs = [(folder / ".workers" / f"worker-{i}.log").read_text() for i in (0, 1)]
    assert all(": complete" in log for log in logs)  # both workers trained trials


def server_binaries() -> Path | None:
    """initdb and pg_ctl: on PATH, or where Debian's package 'postgresql' puts them."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


@pytest.fixture
def postgres_url():
    """A PostgreSQL server of its own in a temporary folder, on a Unix socket only; PostgreSQL
    refuses to run as root, so as root it runs as the user 'postgres'."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server here (Debian: apt-get install postgresql)")
    data = Path(tempfile.mkdtemp(prefix="ganforge-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            import pwd

            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no user 'postgres' to run PostgreSQL as")
        os.chown(data, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = f"-k {data} -p {port} -c listen_addresses=''"
    db = data / "db"
    steps = [
        [str(binaries / "initdb"), "-D", str(db), "-A", "trust", "-U", "postgres", "-N"],
        [str(binaries / "pg_ctl"), "-D", str(db), "-o", options, "-l", str(data / "log"), "-w"]
        + ["start"],
    ]
    for argv in steps:
        done = subprocess.run([*as_user, *argv], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            shutil.rmtree(data, ignore_errors=True)
            pytest.skip(f"could not start PostgreSQL ({' '.join(argv[:1])}): {done.stderr[-300:]}")
    yield f"postgresql+psycopg2://postgres@/postgres?host={data}&port={port}"
    subprocess.run(
        [*as_user, str(binaries / "pg_ctl"), "-D", str(db), "-m", "immediate", "stop"],
        capture_output=True,
        timeout=60,
    )
    shutil.rmtree(data, ignore_errors=True)


def test_two_machines_share_one_study_through_postgresql(tmp_path: Path, postgres_url) -> None:
    """Two `ganforge tune --storage postgresql://...` processes with their own run folders, as
    two machines would run them: 4 trials in all, none twice, both workers busy."""
    space = space_file(tmp_path)
    outs = [tmp_path / "machine-a", tmp_path / "machine-b"]
    argv = ["--trials", "4", "--storage", postgres_url, "--device", "cpu"]
    workers = [
        subprocess.Popen(
            tune_argv(space, out, *argv),
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for out in outs
    ]
    logs = [w.communicate(timeout=600)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], logs
    trials = optuna.load_study(study_name="tiny", storage=postgres_url).get_trials()
    assert_shared_fairly(trials, [out / "tiny" for out in outs], 4)
    assert all(worker_dirs(out / "tiny") for out in outs), logs  # each machine trained some
    assert not (outs[0] / "tiny" / "study.db").exists()  # the study lives in the server


def test_the_slurm_launcher_path_runs_workers_through_submitit(tmp_path: Path) -> None:
    """--launcher slurm and submitit-local share launch_submitit; the local executor runs it."""
    space = space_file(tmp_path)
    out = tmp_path / "runs"
    argv = ["tune", str(space), "--trials", "2", "--jobs", "2", "--out", str(out)]
    code, _, err = run_cli(*argv, "--launcher", "submitit-local", "--device", "cpu")
    assert code == 0, err
    folder = out / "tiny"
    assert_shared_fairly(trials_of(folder), [folder], 2)
    assert list((folder / ".workers" / "submitit").glob("*_log.out"))  # submitit's job logs


def test_workers_stop_when_their_tuner_is_killed_and_resume_on_the_next_run(
    tmp_path: Path,
) -> None:
    """kill -9 of `tune --jobs 2`: its workers notice at their next log row, leave their
    trials with a checkpoint and exit; the same command then resumes both."""
    overrides = {**TINY_SPACE["overrides"], "train.checkpoint_every": 4}
    space = space_file(tmp_path, overrides=overrides, budget={"steps": 60}, eval={"every": 20})
    out = tmp_path / "runs"
    argv = tune_argv(space, out, "--trials", "2", "--jobs", "2", "--device", "cpu")
    tuner = subprocess.Popen(argv, env=child_env(), stdout=subprocess.DEVNULL)
    folder = out / "tiny"
    firsts = [folder / f"trial-000{i}" / "checkpoints" / "step_0000004.pt" for i in (0, 1)]
    deadline = time.time() + 120
    while not all(p.exists() for p in firsts) and time.time() < deadline:
        time.sleep(0.02)
    tuner.send_signal(signal.SIGKILL)
    tuner.wait()
    pids = [t.user_attrs["pid"] for t in trials_of(folder)]
    deadline = time.time() + 60
    while any(pid_alive(pid) for pid in pids) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(pid_alive(pid) for pid in pids), "the workers outlived their tuner"
    assert [t.state.name for t in trials_of(folder)] == ["RUNNING", "RUNNING"]
    done = subprocess.run(argv, env=child_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    trials = trials_of(folder)
    assert_shared_fairly(trials, [folder], 2, retired=("surplus", "interrupted"))
    assert [t.user_attrs.get("retired") for t in trials[:2]] == ["interrupted"] * 2
    assert sorted(t.user_attrs["run_dir"] for t in trials[2:]) == ["trial-0000", "trial-0001"]
    for name in ("trial-0000", "trial-0001"):
        assert "resumed from" in (folder / name / "log.txt").read_text()
