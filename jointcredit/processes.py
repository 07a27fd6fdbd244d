"""Running a service or one worker in the foreground until SIGTERM/SIGINT: a graceful stop that
ends within `STOP_TIMEOUT_S` and exits 0."""

from __future__ import annotations

import asyncio
import math
import signal
from collections.abc import Awaitable, Callable

from shared.settings import ServiceSettings
from shared.stopping import CANCEL_WAIT_S, request_drain_s

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def run_until_signalled(
    worker: Callable[[asyncio.Event], Awaitable[None]], stop_timeout_s: float
) -> None:
    """Run `worker` until a stop signal; then give it `stop_timeout_s` to finish what it holds
    (the relay: publish and mark its batch) before it is cancelled."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop.set)
        running = asyncio.ensure_future(worker(stop))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait([running, stopped], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not running.done():
            await asyncio.wait([running], timeout=stop_timeout_s)
            running.cancel()
            await asyncio.wait([running], timeout=CANCEL_WAIT_S)
        elif not running.cancelled():
            running.result()  # a worker that ended by itself: its error is the process's

    asyncio.run(main())


def serve_until_signalled(
    app_factory: str, settings: ServiceSettings, host: str, port: int
) -> None:
    """uvicorn, which stops gracefully on SIGTERM/SIGINT (requests in flight, then the app's
    lifespan: `Runtime.shutdown`) and then raises the signal again with the handler it found.
    That handler is a no-op here, so a requested stop exits 0 instead of dying of the signal."""
    import uvicorn

    for sig in STOP_SIGNALS:
        signal.signal(sig, _stopped_by_uvicorn)
    uvicorn.run(
        app_factory,
        factory=True,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=math.ceil(request_drain_s(settings.stop_timeout_s)),
    )


def _stopped_by_uvicorn(signum: int, frame: object) -> None:
    """Called only after uvicorn's own handler has stopped the server."""
