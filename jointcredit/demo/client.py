"""A small synchronous client for the platform's REST APIs, with one token per department."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class ApiError(RuntimeError):
    """A service answered with a problem document (or not at all)."""

    def __init__(self, method: str, url: str, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"{method} {url} -> {status}: {detail}")
        self.status = status
        self.body = body


@dataclass
class Credential:
    department_code: str
    roles: list[str]
    client_id: str
    client_secret: str


@dataclass
class PlatformClient:
    registry_url: str
    credentials: dict[str, Credential]
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    def token(self, name: str) -> str:
        cached = self._tokens.get(name)
        if cached and cached[1] > time.time() + 30:
            return cached[0]
        credential = self.credentials[name]
        response = self.http.post(
            f"{self.registry_url}/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": credential.client_id,
                "client_secret": credential.client_secret,
            },
        )
        body = self._body(response)
        self._tokens[name] = (body["access_token"], time.time() + float(body["expires_in"]))
        return str(body["access_token"])

    def call(
        self,
        method: str,
        url: str,
        *,
        as_: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        files: Any = None,
        data: dict[str, Any] | None = None,
        expect: tuple[int, ...] = (200, 201, 202),
    ) -> Any:
        sent = dict(headers or {})
        if as_ is not None:
            sent["Authorization"] = f"Bearer {self.token(as_)}"
        response = self.http.request(
            method, url, json=json, params=params, headers=sent, files=files, data=data
        )
        if response.status_code not in expect:
            raise ApiError(method, url, response.status_code, _json_or_text(response))
        return _json_or_text(response)

    def _body(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise ApiError(
                response.request.method,
                str(response.request.url),
                response.status_code,
                _json_or_text(response),
            )
        return response.json()


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def wait_for(
    what: str, probe: Callable[[], T | None], timeout_s: float = 60.0, every_s: float = 0.25
) -> T:
    """Poll `probe` until it returns something other than None (or raise TimeoutError)."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value is not None:
                return value
        except (ApiError, httpx.HTTPError) as error:
            last_error = error
        time.sleep(every_s)
    raise TimeoutError(f"timed out waiting for {what}" + (f": {last_error}" if last_error else ""))
