"""Keep freed memory in the process: glibc's defaults make CPU training fault on every step.

PyTorch's CPU tensors come from malloc. glibc serves blocks over its mmap threshold with fresh
mappings and hands the top of its heaps back to the kernel once more than the trim threshold
is free, so a training loop that frees and reallocates the same activations every step touches
new pages every step: about a million page faults per 300 steps of the `default` preset here,
a fifth of its time (`benchmarks/throughput.py --processes`). Raising both thresholds keeps
those pages in the process, which is what PyTorch's own CPU launcher gets by preloading
jemalloc or tcmalloc (`python -m torch.backends.xeon.run_cpu`), without a library to install.

This is a property of the whole process, so ganforge's commands apply it for themselves
(`ganforge ...`, `torchrun -m ganforge ...`, sweep workers) and the library never does: a
program that imports ganforge calls `keep_freed_memory()` if it wants the same. A user who set
any `MALLOC_*_` variable, or preloads another allocator, keeps their choice.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

# mallopt(3) parameters (malloc.h) and the values set
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit machines
TRIM_THRESHOLD = 1 << 30
USER_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")
OTHER_ALLOCATORS = ("jemalloc", "tcmalloc", "mimalloc")


def keep_freed_memory(environ: dict[str, str] | None = None) -> str:
    """Raise glibc's mmap and trim thresholds once; say what was done, in a few words.

    The process's resident memory then stays near its peak instead of shrinking between steps,
    which is what a training process wants. Elsewhere than Linux with glibc this does nothing.
    """
    env = os.environ if environ is None else environ
    if any(name in env for name in USER_SETTINGS):
        return "left as set by MALLOC_* variables"
    if any(name in env.get("LD_PRELOAD", "") for name in OTHER_ALLOCATORS):
        return "left to the preloaded allocator"
    libc = _glibc()
    if libc is None:
        return "not glibc: left as it is"
    ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and libc.mallopt(
        M_TRIM_THRESHOLD, TRIM_THRESHOLD
    )
    return "freed memory kept in the process" if ok else "glibc refused the settings"


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # musl and others have no such symbol  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc
