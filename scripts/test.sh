#!/usr/bin/env bash
# The whole test suite: lint, format, types, then every test tier against real infrastructure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
scripts/ensure_test_tools.sh
.venv/bin/jointcredit infra up
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "no tests were collected: that is a failure" >&2
  exit 1
fi
exit "$status"
