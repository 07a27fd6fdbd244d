"""`python -m bench`: every benchmark with its default sizes (bench/run_all.py)."""

from __future__ import annotations

from bench.run_all import main

raise SystemExit(main())
