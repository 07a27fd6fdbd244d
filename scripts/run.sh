#!/usr/bin/env bash
# Run the platform: infrastructure (embedded unless configured), migrations, every service.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/jointcredit up "$@"
