"""Every benchmark with its default sizes, one after the other; each writes
bench/results/<name>.json and prints its ratios.

    .venv/bin/python -m bench            # or: python -m bench.run_all [--only check,relay]

Order: relay, check, propagation (REST driver, then the import driver), bulk. Together they
take roughly 20 minutes on the 2-core machine (see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

BENCHMARKS: dict[str, list[str]] = {
    "relay": ["bench.relay"],
    "check": ["bench.check"],
    "propagation": ["bench.propagation", "--driver", "rest"],
    "propagation-import": ["bench.propagation", "--driver", "import"],
    "bulk": ["bench.bulk"],
    "replicas": ["bench.replicas"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help=f"comma-separated, of: {', '.join(BENCHMARKS)}")
    arguments = parser.parse_args(argv)
    chosen = arguments.only.split(",") if arguments.only else list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(unknown)}")
    failed = []
    for name in chosen:
        started = time.monotonic()
        print(f"\n### {name}: python -m {' '.join(BENCHMARKS[name])}", flush=True)
        # Each in a process of its own: a benchmark's platform never outlives it.
        done = subprocess.run([sys.executable, "-m", *BENCHMARKS[name]], check=False)
        print(f"### {name}: exit {done.returncode} after {time.monotonic() - started:.0f} s")
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
