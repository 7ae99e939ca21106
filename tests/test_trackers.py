"""Experiment trackers (training/trackers): MLflow and W&B read back from their own stores,
and a tracker that cannot start or fails mid-run costs a warning, never the run."""

from __future__ import annotations

import json
import struct
import sys
import time

import pytest

from conftest import tiny_config
from ganforge.errors import ConfigError
from ganforge.runs import RunDir
from ganforge.training import resume, train


def _train(tmp_path, *overrides: str, name: str = "run"):
    config = tiny_config("train.log_every=1", *overrides)
    return train(config, tmp_path / "runs" / name, device="cpu", progress=False)


def test_mlflow_holds_the_config_every_metric_the_grids_and_the_loss_plot(tmp_path):
    pytest.importorskip("mlflow", reason="the MLflow test needs ganforge[mlflow] (in dev)")
    from mlflow.tracking import MlflowClient

    run = _train(tmp_path, "log.trackers=[mlflow]")
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}")
    found = client.search_runs([client.get_experiment_by_name("ganforge").experiment_id])
    assert [r.info.run_name for r in found] == ["run"]
    mlrun = found[0]
    assert mlrun.info.status == "FINISHED"
    assert mlrun.data.params["train.steps"] == "4" and mlrun.data.params["model.name"] == "dcgan"
    rows = RunDir(run.path).read_metrics()
    history = client.get_metric_history(mlrun.info.run_id, "d_loss")
    assert [(m.step, m.value) for m in history] == [(r["step"], r["d_loss"]) for r in rows]
    samples = [f.path for f in client.list_artifacts(mlrun.info.run_id, "samples")]
    assert samples == ["samples/step_0000002.png", "samples/step_0000004.png"]
    assert "losses.png" in [f.path for f in client.list_artifacts(mlrun.info.run_id)]
    # artifacts of the default store sit beside it, not in the working directory
    assert any((tmp_path / "runs" / "mlartifacts").rglob("step_0000004.png"))


def test_a_resumed_run_continues_its_mlflow_run(tmp_path):
    pytest.importorskip("mlflow", reason="the MLflow test needs ganforge[mlflow] (in dev)")
    from mlflow.tracking import MlflowClient

    run = _train(tmp_path, "log.trackers=[mlflow]")
    resume(run.path, device="cpu", progress=False, steps=6)
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}")
    found = client.search_runs([client.get_experiment_by_name("ganforge").experiment_id])
    assert len(found) == 1
    steps = [m.step for m in client.get_metric_history(found[0].info.run_id, "g_loss")]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_an_unreachable_mlflow_server_warns_once_and_training_goes_on(tmp_path):
    pytest.importorskip("mlflow", reason="the MLflow test needs ganforge[mlflow] (in dev)")
    run = _train(tmp_path, "log.trackers=[mlflow]", "log.mlflow_uri=http://127.0.0.1:9")
    log = run.log_path.read_text()
    assert log.count("warning: the mlflow tracker could not start") == 1
    assert "http://127.0.0.1:9 does not answer" in log
    assert [r["step"] for r in run.read_metrics()] == [1, 2, 3, 4]


def test_a_tracker_that_is_not_installed_names_its_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # `import mlflow` raises ImportError
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    run = _train(tmp_path, "log.trackers=[mlflow]")
    assert "mlflow is not installed (pip install 'ganforge[mlflow]')" in run.log_path.read_text()
    assert len(run.read_metrics()) == 4


class Broken:
    """A tracker whose server goes away after the first row."""

    def __init__(self, ctx) -> None:
        self.rows = 0

    def row(self, row, step):
        self.rows += 1
        if self.rows > 1:
            raise ConnectionError("connection refused")

    def image(self, tag, grid, step):
        pass

    def close(self):
        raise ConnectionError("connection refused")


def test_a_tracker_failing_mid_run_warns_once_and_loses_nothing(tmp_path):
    from ganforge.training.trackers import TRACKERS

    TRACKERS.add("broken", Broken)
    try:
        run = _train(tmp_path, "log.trackers=[broken]")
    finally:
        TRACKERS.discard("broken")
    log = run.log_path.read_text()
    assert log.count("warning: the broken tracker failed (connection refused)") == 1
    assert [r["step"] for r in run.read_metrics()] == [1, 2, 3, 4]
    assert "finished 4 steps" in log


def test_an_unknown_tracker_is_refused_with_the_closest_name():
    with pytest.raises(ConfigError, match="unknown tracker 'mlfow' \\(did you mean 'mlflow'"):
        tiny_config("log.trackers=[mlfow]")


def test_train_tensorboard_false_still_turns_tensorboard_off(tmp_path):
    run = _train(tmp_path, "log.trackers=[tensorboard]", "train.tensorboard=false")
    assert not any(run.tensorboard_dir.glob("events.*"))
    run = _train(tmp_path, "train.tensorboard=true", name="on")  # the default log.trackers
    assert any(run.tensorboard_dir.glob("events.*"))


def wandb_records(path):
    """The protobuf records of an offline W&B run file (a LevelDB-style log of 32 KiB blocks,
    each record a 7-byte header: crc32, length, type FULL/FIRST/MIDDLE/LAST)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data, block, pos, chunks = path.read_bytes(), 32768, 7, []
    assert data[:4] == b":W&B"
    while pos + 7 <= len(data):
        left = block - pos % block
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if left < 7 or (length == 0 and kind == 0):
            pos += left  # the rest of a block is padding
            continue
        chunks.append(data[pos + 7 : pos + 7 + length])
        pos += 7 + length
        if kind in (1, 4):  # FULL or LAST: a whole record
            record = pb.Record()
            record.ParseFromString(b"".join(chunks))
            chunks = []
            yield record


def finished_records(path, timeout: float = 60.0):
    """The records once the exit record is there: W&B's service process writes the file after
    `finish()` returns."""
    deadline = time.monotonic() + timeout
    while True:
        records = list(wandb_records(path))
        if any(r.WhichOneof("record_type") == "exit" for r in records):
            return records
        assert time.monotonic() < deadline, f"{path} has no exit record after {timeout} s"
        time.sleep(0.2)


def test_wandb_writes_an_offline_run_without_network_or_login(tmp_path, monkeypatch):
    pytest.importorskip("wandb", reason="the W&B test needs ganforge[wandb] (in dev)")
    for key in ("WANDB_MODE", "WANDB_API_KEY", "WANDB_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc: no login
    run = _train(tmp_path, "log.trackers=[wandb]")
    assert "W&B runs offline" in run.log_path.read_text()
    (path,) = (run.path / "wandb").glob("offline-run-*/run-*.wandb")
    records = finished_records(path)
    (header,) = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    config = {item.key: json.loads(item.value_json) for item in header.config.update}
    assert header.display_name == "run" and header.project == "ganforge"
    assert config["train.steps"] == "4" and config["model.name"] == "dcgan"
    history = [
        {
            item.key or "/".join(item.nested_key): json.loads(item.value_json)
            for item in r.history.item
        }
        for r in records
        if r.WhichOneof("record_type") == "history"
    ]
    logged = [(h["_step"], h["d_loss"]) for h in history if "d_loss" in h]
    assert logged == [(r["step"], pytest.approx(r["d_loss"])) for r in run.read_metrics()]
    assert any("samples/path" in h for h in history)
    assert json.loads((run.path / "trackers.json").read_text())["wandb"]["mode"] == "offline"


def test_a_resumed_run_continues_its_wandb_run(tmp_path, monkeypatch):
    pytest.importorskip("wandb", reason="the W&B test needs ganforge[wandb] (in dev)")
    monkeypatch.setenv("WANDB_MODE", "offline")  # as chosen by the user: no network check
    monkeypatch.setenv("HOME", str(tmp_path))
    run = _train(tmp_path, "log.trackers=[wandb]")
    first = json.loads((run.path / "trackers.json").read_text())["wandb"]["id"]
    resume(run.path, device="cpu", progress=False, steps=6)
    assert json.loads((run.path / "trackers.json").read_text())["wandb"]["id"] == first
    files = sorted((run.path / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(files) == 2 and all(f.name == f"run-{first}.wandb" for f in files)
    history = [
        r.history for r in finished_records(files[1]) if r.WhichOneof("record_type") == "history"
    ]
    steps = [json.loads(i.value_json) for h in history for i in h.item if i.nested_key == ["_step"]]
    assert steps[-1] == 6
