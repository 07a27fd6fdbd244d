"""A consumer loop in a process of its own, for the kill tests.

On a graceful stop it prints one JSON line with its message counts.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import orjson

from shared.delivery.consumer import ConsumerLoop
from shared.delivery.metrics import MESSAGES
from shared.persistence.database import make_engine, make_sessionmaker
from tests.support.effects import record_effect
from tests.support.infra import settings_for


async def main(args: argparse.Namespace) -> None:
    settings = settings_for(
        args.database_url, args.bootstrap, args.database, consumer_batch_size=int(args.batch_size)
    )
    engine = make_engine(settings)
    loop = ConsumerLoop(
        args.group, [args.topic], record_effect, make_sessionmaker(engine), settings
    )
    stop = asyncio.Event()
    running = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        running.add_signal_handler(sig, stop.set)
    await loop.run(stop)
    await engine.dispose()
    counts = {
        outcome: MESSAGES.labels(args.group, outcome)._value.get()
        for outcome in ("processed", "duplicate", "failed", "dead_lettered")
    }
    print(orjson.dumps(counts).decode(), flush=True)


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser()
    for name in ("database-url", "bootstrap", "database", "group", "topic", "batch-size"):
        parser.add_argument(f"--{name}", required=True)
    asyncio.run(main(parser.parse_args()))
