"""keep_freed_memory: fewer page faults per training step, and the user's own choice respected."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ganforge.allocator import keep_freed_memory

STEPS = """
import resource, sys, torch
from ganforge.allocator import keep_freed_memory
if sys.argv[1] == "keep":
    print(keep_freed_memory(), file=sys.stderr)
torch.set_num_threads(1)
net = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(),
                          torch.nn.Conv2d(32, 32, 3, padding=1))
x = torch.randn(64, 1, 28, 28)
def step():
    net(x).square().mean().backward()
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(mode: str) -> tuple[int, str]:
    env = {"PATH": "", "OMP_NUM_THREADS": "1"}  # no MALLOC_* variables from the caller
    done = subprocess.run(
        [sys.executable, "-c", STEPS, mode], capture_output=True, text=True, env=env, check=True
    )
    return int(done.stdout), done.stderr.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc is Linux's")
def test_training_steps_stop_faulting_in_fresh_pages():
    default, _ = _page_faults("default")
    kept, said = _page_faults("keep")
    assert said == "freed memory kept in the process"
    assert default > 20_000  # each step maps its activations afresh (~72k faults measured)
    assert kept < default / 3  # ~11k measured


def test_a_users_malloc_settings_or_allocator_are_left_alone():
    assert keep_freed_memory({"MALLOC_TRIM_THRESHOLD_": "0"}) == "left as set by MALLOC_* variables"
    preload = {"LD_PRELOAD": "libjemalloc.so.2"}
    assert keep_freed_memory(preload) == "left to the preloaded allocator"
