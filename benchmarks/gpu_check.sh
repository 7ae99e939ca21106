#!/usr/bin/env bash
# A GPU check in under 8 minutes, JSON on stdout (benchmarks/README.md, "GPU check"):
#   bash benchmarks/gpu_check.sh [--device cuda] [--data-dir DIR] [--out FILE]
#   bash benchmarks/gpu_check.sh --device cpu --quick    # the code path on a CPU
# The python side stops starting parts after --budget-s (450 s); this timeout is the backstop.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " == *" --device cpu "* ]]; then
    echo "gpu_check: CPU run (proves the code path; no GPU number)" >&2
elif command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2
fi
exec timeout 480 python benchmarks/gpu_check.py "$@"
