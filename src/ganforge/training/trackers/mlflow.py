"""MLflow (`pip install 'ganforge[mlflow]'`): params = the resolved config flattened, metrics
per step, sample grids and the loss plot as artifacts, the run directory's name as the run name.

The store is `log.mlflow_uri`, else $MLFLOW_TRACKING_URI, else a local SQLite one beside the run
directory, so the runs of one folder are compared in one UI: runs/mlflow.db with artifacts in
runs/mlartifacts (`mlflow ui --backend-store-uri sqlite:///runs/mlflow.db`). MLflow 3 refuses
its old file store (mlruns/), hence SQLite. The MLflow run's id is kept in the run directory
(trackers.json), so a resumed run continues the same MLflow run.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from ganforge.errors import GanforgeError
from ganforge.training.trackers.base import TrackerContext, flat_config, numbers

PARAMS_PER_CALL = 100  # MLflow's limit for log_batch


def tracking_uri(ctx: TrackerContext) -> str:
    uri = ctx.config.log.mlflow_uri or os.environ.get("MLFLOW_TRACKING_URI")
    return uri or local_store(ctx)


def local_store(ctx: TrackerContext) -> str:
    return f"sqlite:///{ctx.run.path.resolve().parent / 'mlflow.db'}"


def local_artifacts(ctx: TrackerContext, uri: str) -> str | None:
    """Artifacts of the default local store go beside it, not into the working directory."""
    if uri == local_store(ctx):
        return (ctx.run.path.resolve().parent / "mlartifacts").as_uri()
    return None


def check_reachable(uri: str, timeout: float = 5.0) -> None:
    """A tracking server that does not answer fails here, in a few seconds, rather than in
    MLflow's retries; any HTTP answer (even an error page) counts as reachable."""
    try:
        urllib.request.urlopen(uri, timeout=timeout).close()
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise GanforgeError(f"the MLflow server at {uri} does not answer ({reason})") from None


class MlflowTracker:
    def __init__(self, ctx: TrackerContext) -> None:
        from mlflow.tracking import MlflowClient

        uri = tracking_uri(ctx)
        if uri.startswith(("http://", "https://")):
            check_reachable(uri)
            # a server that goes down mid-run: fail fast (the Guarded wrapper warns once)
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
        for name in ("mlflow.store.db.utils", "alembic"):  # "creating tables": not news
            logging.getLogger(name).setLevel(logging.WARNING)
        self.client, self.run = MlflowClient(tracking_uri=uri), ctx.run
        self.artifacts = local_artifacts(ctx, uri)
        held = ctx.recall("mlflow")
        if held.get("tracking_uri") == uri and held.get("run_id") and ctx.start_step:
            self.run_id = held["run_id"]
            self.client.update_run(self.run_id, status="RUNNING")
        else:
            self.run_id = self._create(ctx)
        ctx.remember("mlflow", {"tracking_uri": uri, "run_id": self.run_id})

    def _create(self, ctx: TrackerContext) -> str:
        from mlflow.entities import Param

        name = ctx.config.log.experiment
        experiment = self.client.get_experiment_by_name(name)
        if experiment is None:
            # a model-training experiment: the UI shows its runs' charts, not a GenAI overview
            kind = {"mlflow.experimentKind": "custom_model_development"}
            exp_id = self.client.create_experiment(name, self.artifacts, tags=kind)
        else:
            exp_id = experiment.experiment_id
        run_id = self.client.create_run(exp_id, run_name=ctx.run.path.name).info.run_id
        params = [Param(k, v) for k, v in flat_config(ctx.config).items()]
        for start in range(0, len(params), PARAMS_PER_CALL):
            self.client.log_batch(run_id, params=params[start : start + PARAMS_PER_CALL])
        return run_id

    def row(self, row: dict[str, Any], step: int) -> None:
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        metrics = [
            Metric(key, value, stamp, step)
            for key, value in numbers(row).items()
            if math.isfinite(value)
        ]
        self.client.log_batch(self.run_id, metrics=metrics)

    def image(self, tag: str, grid: Any, step: int) -> None:
        pixels = grid.mul(255).round().byte().permute(1, 2, 0).numpy()  # (H, W, C) uint8
        if pixels.shape[2] == 1:
            pixels = pixels[:, :, 0]
        self.client.log_image(self.run_id, pixels, artifact_file=f"{tag}/step_{step:07d}.png")

    def close(self) -> None:
        if self.run.plot_path.exists():
            self.client.log_artifact(self.run_id, str(self.run.plot_path))
        # close() runs in the trainer's `finally`: an exception in flight means the run stopped
        failed = sys.exc_info()[0] is not None
        self.client.set_terminated(self.run_id, status="FAILED" if failed else "FINISHED")
