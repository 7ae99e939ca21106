"""When a step ends with a row, a grid, an evaluation or a checkpoint, and when the run ends.

Steps are counted exactly; time-based decisions (`train.minutes`, `eval.every_minutes`) read
`Parts.seconds`, the training time without evaluations, so two runs given the same minutes
train for the same time whatever their evaluations cost. The processes of a torchrun job take
time-based decisions together, at log rows, so none waits for a collective the others skip.
"""

from __future__ import annotations

import torch

from ganforge.distributed import Distributed
from ganforge.training.parts import Parts


def every(interval: int, step: int) -> bool:
    return bool(interval) and step % interval == 0


def log_due(p: Parts) -> bool:
    return p.step % p.config.train.log_every == 0


def out_of_time(p: Parts) -> bool:
    """train.minutes spent: the run ends here as at its last step (grid, evaluation,
    checkpoint)."""
    if not (t := p.config.train).minutes:
        return False
    spent = p.seconds >= t.minutes * 60
    return agree(p.job, p.device, "train.minutes" if spent else None, log_due(p))


def eval_due(p: Parts, done: bool) -> bool:
    """eval.every steps, eval.every_minutes of training time, and the last step of a run that
    evaluates at all."""
    ev = p.config.eval
    if not (ev.every or ev.every_minutes):
        return False
    if done or every(ev.every, p.step):
        due = True
    else:
        timed = bool(ev.every_minutes) and p.seconds >= p.next_eval_at
        due = agree(p.job, p.device, "eval" if timed else None, log_due(p))
    if due:
        p.next_eval_at = next_eval(p, p.seconds)
    return due


def next_eval(p: Parts, seconds: float) -> float:
    """The next multiple of eval.every_minutes after `seconds` (infinity when unset)."""
    interval = p.config.eval.every_minutes * 60
    return (seconds // interval + 1) * interval if interval else float("inf")


def agree(job: Distributed, device: torch.device, received: str | None, due: bool) -> bool:
    """Whether to stop now. One process stops at the step it was asked; the processes of a
    torchrun job stop together at a log row, after one small all-reduce of the request."""
    if not job.active:
        return received is not None
    if not due:
        return False
    asked = torch.tensor([float(received is not None)], device=device)
    job.all_reduce_mean([asked])
    return asked.item() > 0
