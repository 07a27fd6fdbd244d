#!/usr/bin/env bash
# Run the platform and its demo: infrastructure (embedded unless configured), migrations, the
# seed catalogue, every service, the scenario and the 跟踪问效 report. --once: report and exit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/jointcredit up "$@"
