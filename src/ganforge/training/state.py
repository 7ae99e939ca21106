"""Everything a run needs to continue exactly: saved into and restored from checkpoints.

A checkpoint holds every network and optimiser by name, the EMA, the data order, the alarm
monitor, the best metric so far and every RNG state, so a resumed run draws the same numbers
and, on CPU, ends bit-identical to a run that was never stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ganforge.config import config_from_dict, to_dict
from ganforge.errors import CheckpointError, GanforgeError
from ganforge.runs.checkpoints import (
    checkpoint_name,
    list_checkpoints,
    newest_loadable,
    prune_checkpoints,
    remove_partial_writes,
    save_checkpoint,
)
from ganforge.training.divergence import check_weights
from ganforge.training.plan import resolve_config

if TYPE_CHECKING:
    from ganforge.training.parts import Parts


def state_dict(t: Parts) -> dict[str, Any]:
    rng = {"torch": torch.get_rng_state(), "noise": t.noise.get_state()}
    if t.device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(t.device)
    return {
        "step": t.step,
        "seconds": t.seconds,  # time in the training loop so far, for train.minutes
        "config": to_dict(t.config),
        "data_shape": list(t.data_shape),
        "num_classes": t.num_classes,
        "networks": {name: net.state_dict() for name, net in t.task.networks.items()},
        "optimizers": {key: opt.state_dict() for key, opt in t.optimizers.items()},
        "ema": t.ema.state_dict() if t.ema else None,
        "stream": t.stream.state_dict(),
        "stream_b": t.stream_b.state_dict() if t.stream_b else None,  # domain B (data_b)
        "data_shape_b": list(t.dataset_b.shape) if t.dataset_b else None,
        "monitor": t.monitor.state_dict(),
        "best": t.evaluation.best if t.evaluation else None,
        "grad_scalers": t.precision.state_dict(),
        "rng": rng,
    }


def load_state_dict(t: Parts, state: dict[str, Any]) -> None:
    if list(state["data_shape"]) != list(t.data_shape):
        raise CheckpointError(
            f"the checkpoint was trained on data of shape "
            f"{tuple(state['data_shape'])}, not {t.data_shape}"
        )
    try:
        for name, net in t.task.networks.items():
            net.load_state_dict(state["networks"][name])
        if t.ema is not None and state.get("ema") is not None:
            t.ema.load_state_dict(state["ema"])
        for key, opt in t.optimizers.items():
            opt.load_state_dict(state["optimizers"][key])
    except (RuntimeError, ValueError, KeyError) as err:
        first = str(err).strip().splitlines()[0]
        raise CheckpointError(
            f"the checkpoint does not fit the networks this config describes ({first})"
        ) from None
    t.stream.load_state_dict(state["stream"])
    if t.stream_b is not None:
        t.stream_b.load_state_dict(state["stream_b"])
    t.monitor.load_state_dict(state["monitor"])
    if t.evaluation is not None:
        t.evaluation.best = state.get("best")
    t.precision.load_state_dict(state.get("grad_scalers"))
    torch.set_rng_state(state["rng"]["torch"])
    t.noise.set_state(state["rng"]["noise"])
    if "cuda" in state["rng"] and t.device.type == "cuda":
        torch.cuda.set_rng_state(state["rng"]["cuda"], t.device)
    t.step = int(state["step"])
    t.seconds = float(state.get("seconds", 0.0))


def resume(t: Parts) -> None:
    """Continue from the newest checkpoint that loads; damaged ones are reported and skipped."""
    folder, main = t.run.checkpoints_dir, t.job.is_main
    if main:
        remove_partial_writes(folder)
    t.job.barrier()
    if not list_checkpoints(folder):  # killed before its first checkpoint: nothing to lose
        t.sinks.say("the run has no checkpoint yet; starting it again from step 0")
        if main:
            t.run.truncate_metrics(0)
        return
    path, state = newest_loadable(folder, t.sinks.say, t.device)
    check_same_run(state["config"], to_dict(t.config), path)
    load_state_dict(t, state)
    if t.step > t.config.train.steps:
        raise CheckpointError(
            f"{path.name} is at step {t.step}, beyond train.steps={t.config.train.steps}; "
            f"give train.steps={t.step} or more to continue"
        )
    if main:
        t.run.truncate_metrics(t.step)
    t.sinks.say(f"resumed from {path.name} at step {t.step}")


def save(t: Parts, path: Path | None = None) -> Path:
    """Write a checkpoint (default: step_NNNNNNN.pt) atomically and prune old ones; never
    one of non-finite weights (`TrainingDiverged` instead, the earlier ones kept)."""
    final = path is None
    check_weights(t.task.networks, t.step, t.config, t.run.checkpoints_dir)
    path = path or t.run.checkpoints_dir / checkpoint_name(t.step)
    try:
        save_checkpoint(path, state_dict(t))
    except OSError as err:
        raise CheckpointError(
            f"could not write checkpoint {path.name} ({err.strerror or err}); training "
            f"stopped at step {t.step} and the checkpoints already in "
            f"{t.run.checkpoints_dir} are intact"
        ) from None
    if final:
        prune_checkpoints(t.run.checkpoints_dir, t.config.train.keep_checkpoints)
    return path


def check_same_run(saved: dict[str, Any], current: dict[str, Any], path: Path) -> None:
    """A checkpoint resumes only the config it was trained with (train.steps and
    train.minutes may grow).

    The saved config is read through today's schema first, so an option added to ganforge
    since the checkpoint was written (at its default) does not count as a change.
    """
    try:
        saved = to_dict(resolve_config(config_from_dict(saved)))
    except GanforgeError:
        pass  # not readable today: compared as it is, and the difference is reported
    budget = {"steps": None, "minutes": None}
    saved = {**saved, "train": {**saved["train"], **budget}}
    current = {**current, "train": {**current["train"], **budget}}
    if saved != current:
        diff = sorted(_diff(saved, current))
        raise CheckpointError(
            f"{path.name} was written by a different config (changed: {', '.join(diff)}); "
            "resume with the run's own config.yaml"
        )


def _diff(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in a.keys() | b.keys() for d in _diff(a.get(k), b.get(k), f"{prefix}{k}.")]
    return [] if a == b else [prefix.rstrip(".")]
