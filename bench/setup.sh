#!/usr/bin/env bash
# Create bench/.venv (separate from accelkit's .venv) with accelkit (editable) and ZigZag, the peer it is compared to.
#   bash bench/setup.sh && bench/.venv/bin/python bench/zigzag_compare.py
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="bench/.venv"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
"$VENV/bin/python" -m pip install --quiet -e "$ROOT" -r bench/requirements.txt
"$VENV/bin/python" - <<'PY'
import importlib.metadata as md
import accelkit, zigzag  # noqa: F401  (fails loudly if either does not import)
print("bench venv ready:", ", ".join(f"{p} {md.version(p)}" for p in ("accelkit", "zigzag-dse", "numpy", "onnx")))
PY
