"""`jointcredit up`: infrastructure, a fresh platform instance, the demo scenario, the report.

SIGTERM or SIGINT, at any moment, stops it the same way: the services are told to stop
(each finishes what it holds within `STOP_TIMEOUT_S`), what is left after that bound is
SIGKILLed, then the embedded servers this run started are stopped, and it exits 0 (with
`--once` before the report: 1).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

import httpx
from rich.console import Console

from jointcredit.connection import forget_platform, record_platform
from jointcredit.demo.client import ApiError, Credential, PlatformClient
from jointcredit.infra.manager import InfraStatus, stop_started
from jointcredit.infra.ports import free_port
from jointcredit.layout import CORE_SERVICES, Layout
from jointcredit.platform import Platform, RunningService
from jointcredit.service_index import SERVICES
from shared.auth.principal import Role
from shared.persistence.database import drop_database
from shared.persistence.migrations import upgrade_to_head
from shared.stopping import stop_timeout_s

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequested(BaseException):
    """SIGTERM or SIGINT, raised wherever the run is; no `except Exception` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


DEMO_CLIENTS: dict[str, tuple[str, tuple[Role, ...]]] = {
    "platform_admin": ("fgw", (Role.admin,)),
    "oversight": ("oversight", (Role.oversight,)),
    "court": ("court", (Role.initiator, Role.responder)),
    "tax": ("tax", (Role.initiator,)),
    "market": ("market", (Role.responder,)),
    "finance": ("finance", (Role.responder,)),
}
"""The demo's API clients: name → (department, roles)."""


@dataclass
class PreparedPlatform:
    layout: Layout
    credentials: dict[str, Credential]


def prepare(layout: Layout, console: Console) -> PreparedPlatform:
    """Fresh databases for the namespace, migrated; the seed catalogue; demo credentials."""
    from jointcredit.registry_commands import SEED_FILE, issue_credential, load_seed

    async def migrate_all() -> None:
        for label, settings in layout.all_settings():
            assert settings.database_name
            await drop_database(settings.database_url, settings.database_name)
            service = "responder" if label.startswith("responder-") else label
            await upgrade_to_head(SERVICES[service].migrations_dir, settings)

    asyncio.run(migrate_all())
    console.print(f"databases of namespace '{layout.namespace}' created and migrated")
    registry = {"database_name": layout.database("registry"), "topic_prefix": layout.topic_prefix}
    version, _ = load_seed(SEED_FILE, **registry)
    console.print(f"seed catalogue loaded as version {version}")
    credentials = {}
    for name, (department, roles) in DEMO_CLIENTS.items():
        issued = issue_credential(department, list(roles), f"demo {name}", **registry)
        credentials[name] = Credential(
            department, [r.value for r in roles], issued["client_id"], issued["client_secret"]
        )
    console.print(f"{len(credentials)} demo API clients issued")
    return PreparedPlatform(layout, credentials)


def start_services(platform: Platform, layout: Layout, console: Console) -> bool:
    registry = platform.start("registry", "registry", layout.env("registry"))
    ready = platform.wait_ready()
    if not ready.get("registry"):
        console.print("[red]the registry did not become ready: see .jointcredit/registry.log[/red]")
        return False
    shared_env = {"REGISTRY_URL": registry.url}
    identity_provider = start_devidp(platform)
    for name in CORE_SERVICES[1:]:
        own = identity_provider if name == "initiator" else {}
        platform.start(name, name, layout.env(name) | shared_env | own)
    for department in layout.responders:
        platform.start(
            f"responder-{department}",
            "responder",
            layout.env("responder", department) | shared_env,
        )
    ready = platform.wait_ready()
    for service in platform.services:
        mark = "[green]ready[/green]" if ready[service.label] else "[red]NOT READY[/red]"
        console.print(f"{service.label:<18} {service.url}  {mark}")
    if not all(ready.values()):
        console.print("[red]some services are not ready: see .jointcredit/<service>.log[/red]")
    return all(ready.values())


def start_devidp(platform: Platform) -> dict[str, str]:
    """The development identity provider (subjects' ID tokens); the initiator's settings
    pointing at it."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    platform.start("devidp", "devidp", {"DEVIDP_ISSUER": issuer}, port=port)
    return {"SUBJECT_IDP_ISSUER": issuer, "SUBJECT_IDP_JWKS_URL": f"{issuer}/.well-known/jwks.json"}


def service_urls(platform: Platform) -> dict[str, str]:
    return {service.label: service.url for service in platform.services}


def run(layout: Layout, *, once: bool, console: Console, infra: InfraStatus | None = None) -> int:
    """0 when every service came up and every expectation of the scenario held, or when a
    stop signal ended the run (`--once`: 1, the report was not made). `infra`: what the caller's
    `infra up` started, stopped at the end."""
    platform = Platform()
    with _stop_signals_raised():
        try:
            return _run(platform, layout, once=once, console=console)
        except StopRequested as stop:
            console.print(f"{stop}: stopping")
            return 1 if once else 0
        finally:
            with _stop_signals_ignored():
                if killed := platform.stop(stop_timeout_s()):
                    console.print(f"[red]SIGKILLed after the stop bound: {', '.join(killed)}[/red]")
                console.print("services stopped")
                if infra is not None and (stopped := stop_started(infra)):
                    console.print(f"embedded {' and '.join(stopped)} stopped")


def _run(platform: Platform, layout: Layout, *, once: bool, console: Console) -> int:
    from jointcredit.demo.report import print_report
    from jointcredit.demo.scenario import run_scenario

    prepared = prepare(layout, console)
    recorded = False
    try:
        if not start_services(platform, layout, console):
            return 1
        urls = service_urls(platform)
        client = PlatformClient(urls["registry"], prepared.credentials)
        started = time.monotonic()
        try:
            outcome = run_scenario(client, urls, layout, console)
        except (ApiError, TimeoutError, httpx.HTTPError) as error:
            console.print(f"[red]the scenario stopped: {error}[/red]")
            console.print("service logs: .jointcredit/<service>.log")
            return 1
        print_report(outcome, console)
        console.print(f"scenario finished in {time.monotonic() - started:.1f} s")
        _print_urls(platform, console)
        if once:
            return 0 if outcome.passed else 1
        record_platform(urls, prepared.credentials)
        recorded = True
        console.print(
            "operator commands (`jointcredit report summary`, `jointcredit import designations "
            "FILE`) use this platform and its demo clients while it runs"
        )
        console.print("the platform is up; press Ctrl-C to stop it")
        try:
            while True:
                signal.pause()
        except StopRequested as stop:
            console.print(f"{stop}: stopping")
        return 0 if outcome.passed else 1
    finally:
        if recorded:
            forget_platform()


@contextmanager
def _stop_signals_raised() -> Iterator[None]:
    def raise_stop(signum: int, frame: FrameType | None) -> None:
        raise StopRequested(signum)

    previous = {sig: signal.signal(sig, raise_stop) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _stop_signals_ignored() -> Iterator[None]:
    """While stopping: a second Ctrl-C must not cut the clean-up short. A Python handler, not
    SIG_IGN, which the servers started meanwhile would inherit."""
    previous = {sig: signal.signal(sig, _ignore) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _ignore(signum: int, frame: FrameType | None) -> None:
    """A stop signal during the clean-up: it is already under way."""


def _print_urls(platform: Platform, console: Console) -> None:
    by_label: dict[str, RunningService] = {s.label: s for s in platform.services}
    console.print("\n[bold]URLs[/bold]")
    console.print(f"  跟踪问效 dashboard   {by_label['feedback'].url}/dashboard")
    for label, service in by_label.items():
        console.print(f"  {label:<18} {service.url}/docs")
