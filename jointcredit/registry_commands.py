"""Operator commands on the registry database: the seed catalogue, credentials, signing keys.

They migrate the registry database first when needed and work on it directly (operator
access), so they can run before the service does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from shared.audit.entries import operator
from shared.auth.principal import Role

if TYPE_CHECKING:
    from services.registry.bootstrap import Registry

T = TypeVar("T")

SEED_FILE = Path(__file__).resolve().parents[1] / "services/registry/seed_data/catalogue.json"

credentials = typer.Typer(
    help="Department API clients and the token signing key.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add `seed` and `credentials` to the operator CLI."""
    app.command("seed")(seed)
    app.add_typer(credentials, name="credentials")


def _run(action: Callable[[Registry], Awaitable[T]], **overrides: Any) -> T:
    from jointcredit.service_index import SERVICES
    from services.registry.bootstrap import wire
    from services.registry.settings import RegistrySettings
    from shared.persistence.migrations import upgrade_to_head

    settings = RegistrySettings.load(**overrides)

    async def main() -> T:
        await upgrade_to_head(SERVICES["registry"].migrations_dir, settings)
        registry = wire(settings)
        try:
            return await action(registry)
        finally:
            await registry.runtime.engine.dispose()

    return asyncio.run(main())


def _print_json(value: dict[str, Any]) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, default=str))


def seed(
    file: Path = typer.Option(SEED_FILE, help="catalogue document to load as version 1"),
) -> None:
    """Load the seed catalogue as published version 1 unless the registry holds one."""
    from services.registry.domain.catalogue import CatalogueInvalid

    try:
        version, loaded = load_seed(file)
    except CatalogueInvalid as error:
        for issue in error.issues:
            typer.echo(f"{issue.location}: {issue.message}", err=True)
        raise typer.Exit(1) from error
    if loaded:
        typer.echo(f"catalogue version {version} loaded from {file.name}")
    else:
        typer.echo(f"catalogue version {version} already published; nothing loaded")


def load_seed(file: Path = SEED_FILE, **overrides: Any) -> tuple[int, bool]:
    """The published version, and whether this call loaded it."""
    from services.registry.handlers.catalogue import seed as seed_catalogue

    document = json.loads(file.read_text(encoding="utf-8"))

    async def action(registry: Registry) -> tuple[int, bool]:
        async with registry.runtime.unit_of_work() as uow:
            return await seed_catalogue(uow, registry.catalogue, registry.catalogue_topic, document)

    return _run(action, **overrides)


@credentials.command("issue")
def issue(
    department: str = typer.Option(..., help="the department code, e.g. market"),
    roles: str = typer.Option(..., help="comma-separated: admin, initiator, responder, oversight"),
    name: str = typer.Option("", help="what the client is, e.g. 审批系统"),
) -> None:
    """Issue an API client; prints JSON with its id and secret (shown only now)."""
    from services.registry.handlers.errors import Rejected

    try:
        granted = [Role(r.strip()) for r in roles.split(",") if r.strip()]
    except ValueError as error:
        raise typer.BadParameter(
            f"{error}; roles are: {', '.join(r.value for r in Role)}", param_hint="--roles"
        ) from error

    try:
        _print_json(issue_credential(department, granted, name))
    except Rejected as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error


def issue_credential(
    department: str, roles: list[Role], name: str = "", **overrides: Any
) -> dict[str, Any]:
    """Issue an API client on the registry database; its secret is only in the answer."""
    from services.registry.handlers.credentials import issue_client

    async def action(registry: Registry) -> dict[str, Any]:
        async with registry.runtime.unit_of_work() as uow:
            issued = await issue_client(
                uow,
                registry.catalogue,
                department_code=department,
                roles=roles,
                name=name,
                by=operator(),
            )
        return {
            "client_id": issued.client_id,
            "client_secret": issued.client_secret,
            "department_code": issued.department_code,
            "roles": issued.roles,
        }

    return _run(action, **overrides)


@credentials.command("revoke")
def revoke(client_id: str = typer.Argument(..., help="the client id to revoke")) -> None:
    """Revoke (delete) an API client: it obtains no more tokens."""
    from services.registry.handlers.errors import NotFound

    try:
        revoke_credential(client_id)
    except NotFound as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(f"client {client_id} revoked")


def revoke_credential(client_id: str, **overrides: Any) -> None:
    """Delete an API client on the registry database; tokens it holds expire in their time."""
    from services.registry.handlers.credentials import delete_client

    async def action(registry: Registry) -> None:
        async with registry.runtime.unit_of_work() as uow:
            await delete_client(uow, client_id, operator())

    _run(action, **overrides)


@credentials.command("rotate-key")
def rotate_key(
    publish_ahead: int = typer.Option(
        0, min=0, help="seconds the new key is published before it signs"
    ),
) -> None:
    """Start signing with a new key; older keys stay published until their tokens expired."""

    async def action(registry: Registry) -> dict[str, Any]:
        settings = registry.settings
        async with registry.runtime.unit_of_work() as uow:
            rotation = await registry.keys.rotate(
                uow,
                by=operator(),
                token_lifetime_s=settings.token_lifetime_s,
                margin_s=settings.key_retirement_margin_s,
                publish_ahead_s=publish_ahead,
            )
        return {
            "kid": rotation.kid,
            "signs_from": rotation.signs_from.isoformat(),
            "superseded": [
                {
                    "kid": t.kid,
                    "retire_after": t.retire_after.isoformat() if t.retire_after else None,
                }
                for t in rotation.superseded
            ],
            "retired": rotation.retired,
        }

    _print_json(_run(action))
