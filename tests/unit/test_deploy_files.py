"""The deployment files agree with the code: compose.yaml, the Helm chart and docs/asyncapi.yaml.

Topics come from `shared.topics`, Kafka headers from the real envelope and dead-letter code, so a
renamed topic or header fails here until the documents follow. `docker-compose config` and
`helm lint` / `helm template` run when those binaries are on PATH, and are skipped otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest
import yaml  # type: ignore[import-untyped]
from aiokafka import ConsumerRecord

from shared.delivery.dead_letters import dead_letter
from shared.events.envelope import CONTENT_TYPE, new_event
from shared.stopping import DEFAULT_STOP_TIMEOUT_S
from shared.topics import ALL_TOPICS, Topic

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
ASYNCAPI = ROOT / "docs" / "asyncapi.yaml"
CHART = ROOT / "deploy" / "helm" / "jointcredit"
DEPARTMENTS = {"court", "market", "finance"}
APP_SERVICES = {"registry", "initiator", "feedback"}
ONE_SHOT = {"migrate"}
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - containers listen on their own network
EVENT_TYPES = {
    "cn.jointcredit.catalogue.version.published.v1",
    *(
        f"cn.jointcredit.designation.{change}.v1"
        for change in (
            "initiated",
            "suspended",
            "resumed",
            "corrected",
            "revoked",
            "repaired",
            "expired",
            "extended",
            "republished",
        )
    ),
    *(
        f"cn.jointcredit.receipt.{kind}.v1"
        for kind in (
            "received",
            "measure-applied",
            "measure-not-applicable",
            "measure-lifted",
            "enforcement",
            "bundle",
        )
    ),
    "cn.jointcredit.republish.requested.v1",
    "cn.jointcredit.digest.requested.v1",
    "cn.jointcredit.digest.answered.v1",
}
DLQ_HEADERS = {
    "dlq_error",
    "dlq_consumer",
    "dlq_topic",
    "dlq_partition",
    "dlq_offset",
    "dlq_attempts",
}
CHART_TEMPLATES = (
    "_helpers.tpl",
    "configmap.yaml",
    "deployment-registry.yaml",
    "deployment-initiator.yaml",
    "deployment-feedback.yaml",
    "responders.yaml",
    "migration-job.yaml",
    "kafkatopics.yaml",
)
URL_PASSWORD = re.compile(r"://[^:/@\s]+:(\$\{[^}]*\}|[^@\s]+)@")
REQUIRED_VARIABLE = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*:\?[^}]*\}$")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE_KEY", re.IGNORECASE)
KILL_MARGIN_S = 5
"""Between the end of a graceful stop and the SIGKILL of a container or pod."""
INDEX_LOAD_S = 60
"""How long a responder's check index may take to load before /readyz answers 200."""


def _seconds(duration: str) -> float:
    """A compose duration: `30s`, `1m30s`."""
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts, duration
    return int(parts.group(1) or 0) * 60 + int(parts.group(2) or 0)


def _load(path: Path) -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load(COMPOSE)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], compose["services"])


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    return _load(ASYNCAPI)


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return _load(CHART / "values.yaml")


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _responders(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        _environment(service)["DEPARTMENT_CODE"]: service
        for service in services.values()
        if "DEPARTMENT_CODE" in _environment(service)
    }


# --- compose.yaml ---------------------------------------------------------------------------


def test_compose_has_the_infrastructure_and_every_service(
    services: dict[str, dict[str, Any]],
) -> None:
    assert services["kafka"]["image"] == "apache/kafka:3.9.0"
    kafka_env = _environment(services["kafka"])
    assert kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "CONTROLLER" in kafka_env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert services["postgres"]["image"] == "postgres:16"
    assert _command(services["migrate"])[:3] == ["jointcredit", "migrate", "all"]
    for name in APP_SERVICES:
        assert _command(services[name]) == ["jointcredit", "serve", name]
        env = _environment(services[name])
        assert env["SERVICE_NAME"] == name
        assert env["DATABASE_NAME"] == name


def test_compose_application_environment(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if _command(service)[:2] != ["jointcredit", "serve"]:
            continue
        env = _environment(service)
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name
        assert env["ENVIRONMENT"] == "production", name
        assert env["DATABASE_URL"].startswith("postgresql://jointcredit:"), name
        assert env["DATABASE_URL"].endswith("@postgres:5432/postgres"), name
        assert env.get("HOST") == ALL_INTERFACES, f"{name} must listen beyond its loopback"
        depends = service["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["kafka"]["condition"] == "service_healthy", name


def test_every_long_running_compose_service_has_a_healthcheck(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        if name in ONE_SHOT:
            continue
        check = service.get("healthcheck") or {}
        assert not check.get("disable"), name
        test = check.get("test")
        assert test, f"{name} has no healthcheck"
        text = " ".join(test) if isinstance(test, list) else str(test)
        if _command(service)[:2] == ["jointcredit", "serve"]:
            assert "http://localhost:8000/readyz" in text, name
            assert "curl" not in text, f"{name}: the slim image has no curl"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_compose_runs_a_responder_per_department(services: dict[str, dict[str, Any]]) -> None:
    responders = _responders(services)
    assert set(responders) == DEPARTMENTS
    migrate = _command(services["migrate"])
    for department, service in responders.items():
        assert _command(service) == ["jointcredit", "serve", "responder"]
        env = _environment(service)
        assert env["DATABASE_NAME"] == f"responder_{department}"
        assert env["SERVICE_NAME"] == f"responder-{department}"
        assert ["--department", department] in [migrate[i : i + 2] for i in range(len(migrate))]


def test_compose_stops_within_the_grace_period(services: dict[str, dict[str, Any]]) -> None:
    """`docker compose stop` waits stop_grace_period (10 s unless set) before SIGKILL."""
    for name, service in services.items():
        if _command(service)[:2] != ["jointcredit", "serve"]:
            continue
        stop_s = float(_environment(service)["STOP_TIMEOUT_S"])
        assert stop_s == DEFAULT_STOP_TIMEOUT_S, name
        assert _seconds(service["stop_grace_period"]) >= stop_s + KILL_MARGIN_S, name
        start_period = _seconds(service["healthcheck"]["start_period"])
        assert start_period >= INDEX_LOAD_S, f"{name}: /readyz waits for the check index"


def test_compose_runs_two_replicas_of_a_responder(services: dict[str, dict[str, Any]]) -> None:
    replicated = {
        department: service
        for department, service in _responders(services).items()
        if (service.get("deploy") or {}).get("replicas", 1) >= 2
    }
    assert replicated, "compose.yaml shows no responder with two replicas"
    for department, service in replicated.items():
        [published] = [str(port).rsplit(":", 1)[0] for port in service["ports"]]
        ports = re.search(r"(\d+)-(\d+)\}?$", published)
        assert ports, f"responder-{department}: one host port per replica ({published})"
        low, high = (int(port) for port in ports.groups())
        assert high - low + 1 >= service["deploy"]["replicas"], department


def test_compose_has_no_literal_passwords(services: dict[str, dict[str, Any]]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    passwords = URL_PASSWORD.findall(text)
    assert passwords, "the database URL should carry the password variable"
    for password in passwords:
        assert REQUIRED_VARIABLE.match(password), f"literal password in a URL: {password!r}"
    for name, service in services.items():
        for key, value in _environment(service).items():
            if SECRET_NAME.search(key):
                assert REQUIRED_VARIABLE.match(value), f"{name}.{key} is not ${{VAR:?}}"


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not on PATH")
def test_docker_compose_validates_the_file() -> None:
    binary = cast(str, shutil.which("docker-compose"))

    def config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [binary, "-f", str(COMPOSE), "config", "-q"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    env = {**os.environ, "POSTGRES_PASSWORD": "only-for-config-validation"}
    done = config(env)
    assert done.returncode == 0, done.stderr
    env.pop("POSTGRES_PASSWORD")
    refused = config(env)
    assert refused.returncode != 0, "compose must refuse to start without POSTGRES_PASSWORD"
    assert "POSTGRES_PASSWORD" in refused.stderr


def test_dockerfile_builds_one_non_root_image() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11-slim" in text
    assert "uv sync --frozen --no-dev" in text
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users, "the image must switch to a non-root user"
    assert users[-1].split(":")[0] not in {"root", "0"}


# --- docs/asyncapi.yaml ---------------------------------------------------------------------


def test_asyncapi_is_version_3_and_says_what_is_implemented(asyncapi: dict[str, Any]) -> None:
    assert str(asyncapi["asyncapi"]).startswith("3.0")
    description = asyncapi["info"]["description"]
    assert "Implemented now" in description
    assert "Agreed contract" in description


def test_every_topic_is_an_asyncapi_channel(asyncapi: dict[str, Any]) -> None:
    addresses = {channel["address"] for channel in asyncapi["channels"].values()}
    assert set(ALL_TOPICS) <= addresses
    assert addresses == {topic.value for topic in Topic}
    for channel in asyncapi["channels"].values():
        assert "Key:" in channel["description"], channel["address"]


def test_every_event_type_is_documented(asyncapi: dict[str, Any]) -> None:
    names = {message["name"] for message in asyncapi["components"]["messages"].values()}
    assert names - {"dead-letter"} == EVENT_TYPES
    type_pattern = re.compile(
        asyncapi["components"]["schemas"]["CloudEvent"]["properties"]["type"]["pattern"]
    )
    for name in EVENT_TYPES:
        assert type_pattern.match(name), name


def test_asyncapi_operations_reference_channel_messages(asyncapi: dict[str, Any]) -> None:
    for name, operation in asyncapi["operations"].items():
        channel_ref = operation["channel"]["$ref"]
        channel_key = channel_ref.removeprefix("#/channels/")
        channel = asyncapi["channels"][channel_key]
        for message in operation["messages"]:
            prefix = f"{channel_ref}/messages/"
            assert message["$ref"].startswith(prefix), name
            assert message["$ref"].removeprefix(prefix) in channel["messages"], name


def test_asyncapi_envelope_and_headers_match_the_code(asyncapi: dict[str, Any]) -> None:
    schemas = asyncapi["components"]["schemas"]
    event = new_event("designation.initiated.v1", "initiator", {"id": "x"}, subject="x")
    body = event.model_dump(mode="json", exclude_none=True)
    envelope = schemas["CloudEvent"]
    assert set(body) <= set(envelope["properties"])
    assert set(envelope["required"]) <= set(body)
    headers = schemas["CloudEventHeaders"]
    names = {name for name, _ in event.kafka_headers()}
    assert set(headers["required"]) <= names
    assert names <= set(headers["properties"])
    assert "traceparent" in headers["properties"]
    assert headers["properties"]["content-type"]["const"] == CONTENT_TYPE


class _CapturingProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]] = []

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        self.sent.append((topic, value, key, list(headers or [])))


async def test_asyncapi_dead_letter_headers_match_the_code(asyncapi: dict[str, Any]) -> None:
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        topic=Topic.DESIGNATIONS.value,
        partition=3,
        offset=42,
        timestamp=0,
        timestamp_type=0,
        key=b"91350100M000100Y43",
        value=b"not json",
        checksum=None,
        serialized_key_size=18,
        serialized_value_size=8,
        headers=[("ce_id", b"abc"), ("dlq_error", b"an earlier failure")],
    )
    producer = _CapturingProducer()
    await dead_letter(producer, "responder-court", record, ValueError("boom"), 5)
    [(topic, value, key, headers)] = producer.sent
    assert topic == Topic.DEAD_LETTERS.value
    assert (value, key) == (record.value, record.key)
    dlq = {name for name, _ in headers if name.startswith("dlq_")}
    documented = asyncapi["components"]["schemas"]["DeadLetterHeaders"]
    assert dlq == DLQ_HEADERS == set(documented["required"])
    assert set(documented["properties"]) >= DLQ_HEADERS
    assert asyncapi["channels"]["deadLetters"]["address"] == topic


def test_designation_state_schema(asyncapi: dict[str, Any]) -> None:
    state = asyncapi["components"]["schemas"]["DesignationState"]
    properties = state["properties"]
    assert set(properties["status"]["enum"]) == {
        "active",
        "suspended",
        "revoked",
        "corrected",
        "repaired",
        "expired",
    }
    assert set(properties["list_type"]["enum"]) == {"red", "black"}
    roles = properties["responsible_persons"]["items"]["properties"]["role"]["enum"]
    assert set(roles) == {"legal_representative", "principal", "directly_responsible"}
    assert set(properties["subject"]["properties"]["kind"]["enum"]) == {"organisation", "person"}
    assert {"id", "version", "status", "subject", "period_end"} <= set(state["required"])


# --- deploy/helm/jointcredit ----------------------------------------------------------------


def test_chart_files_are_present() -> None:
    chart = _load(CHART / "Chart.yaml")
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "jointcredit"
    for template in CHART_TEMPLATES:
        assert (CHART / "templates" / template).is_file(), template
    assert (ROOT / "deploy" / "README.md").is_file()


def test_chart_values(values: dict[str, Any]) -> None:
    assert {entry["department"] for entry in values["responders"]} == DEPARTMENTS
    assert [topic["name"] for topic in values["kafka"]["topics"]] == list(ALL_TOPICS)
    assert values["kafka"]["clusterName"]
    assert values["database"]["existingSecret"] == "", "no secret name baked into the chart"
    assert values["probes"]["liveness"]["path"] == "/healthz"
    assert values["probes"]["readiness"]["path"] == "/readyz"
    for name in APP_SERVICES:
        assert name in values
    urls = [text for text in _strings(values) if URL_PASSWORD.search(text)]
    assert not urls, "values.yaml must not hold a database URL with its password"


def test_chart_templates_wire_the_loops_and_hooks() -> None:
    templates = CHART / "templates"
    responders = (templates / "responders.yaml").read_text(encoding="utf-8")
    assert "range $index, $responder := .Values.responders" in responders
    assert "DEPARTMENT_CODE" in responders
    topics = (templates / "kafkatopics.yaml").read_text(encoding="utf-8")
    assert ".Values.kafka.topics" in topics
    assert "kind: KafkaTopic" in topics
    assert "strimzi.io/cluster" in topics
    job = (templates / "migration-job.yaml").read_text(encoding="utf-8")
    assert "pre-install,pre-upgrade" in job
    assert "migrate" in job
    assert ".Values.responders" in job
    helpers = (templates / "_helpers.tpl").read_text(encoding="utf-8")
    assert ".Values.database.existingSecret" in helpers
    assert "secretKeyRef" in helpers
    for name in APP_SERVICES:
        text = (templates / f"deployment-{name}.yaml").read_text(encoding="utf-8")
        assert f'"service" "{name}"' in text
        assert f'"databaseName" "{name}"' in text


def test_chart_stop_fits_the_grace_period(values: dict[str, Any]) -> None:
    """preStop sleep, then the service's own stop bound, then room before the SIGKILL."""
    assert values["stopTimeoutSeconds"] == DEFAULT_STOP_TIMEOUT_S
    grace = values["terminationGracePeriodSeconds"]
    assert grace >= values["preStopSleepSeconds"] + values["stopTimeoutSeconds"] + KILL_MARGIN_S
    configmap = (CHART / "templates" / "configmap.yaml").read_text(encoding="utf-8")
    assert "STOP_TIMEOUT_S: {{ .Values.stopTimeoutSeconds | quote }}" in configmap
    helpers = (CHART / "templates" / "_helpers.tpl").read_text(encoding="utf-8")
    assert "terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}" in (
        helpers
    )
    assert 'preStop:\n              exec:\n                command: ["sleep", ' in helpers
    assert "$root.Values.preStopSleepSeconds" in helpers


def test_chart_replicas_default_to_two(values: dict[str, Any]) -> None:
    assert values["defaults"]["replicas"] == 2
    for name in APP_SERVICES:
        assert values[name].get("replicas", values["defaults"]["replicas"]) == 2, name
    for responder in values["responders"]:
        assert responder.get("replicas", values["defaults"]["replicas"]) == 2, responder


def test_chart_spreads_replicas_and_budgets_disruptions(values: dict[str, Any]) -> None:
    assert values["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    assert values["antiAffinity"]["enabled"]
    assert values["affinity"] == {}, "a set affinity replaces the anti-affinity"
    helpers = (CHART / "templates" / "_helpers.tpl").read_text(encoding="utf-8")
    assert "kind: PodDisruptionBudget" in helpers
    assert "(gt $replicas 1)" in helpers, "a budget only where a second replica can serve"
    assert "minAvailable: {{ $root.Values.podDisruptionBudget.minAvailable }}" in helpers
    anti = helpers.split("podAntiAffinity:", 1)[1].split("{{- end }}", 1)[0]
    assert "preferredDuringSchedulingIgnoredDuringExecution" in anti
    assert "topologyKey: kubernetes.io/hostname" in anti
    assert "$selector" in anti, "replicas of one workload, not of the whole release"


def test_chart_probes_wait_for_the_index(values: dict[str, Any]) -> None:
    startup = values["probes"]["startup"]
    assert startup["path"] == "/readyz"
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 2 * INDEX_LOAD_S
    helpers = (CHART / "templates" / "_helpers.tpl").read_text(encoding="utf-8")
    for probe in ("startup", "liveness", "readiness"):
        assert f"{probe}Probe:" in helpers
        assert f"path: {{{{ $root.Values.probes.{probe}.path }}}}" in helpers


needs_helm = pytest.mark.skipif(shutil.which("helm") is None, reason="helm not on PATH")


@needs_helm
def test_helm_lint() -> None:
    done = subprocess.run(
        ["helm", "lint", str(CHART), "--set", "database.existingSecret=jointcredit-db"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@needs_helm
def test_helm_template_renders_every_workload(values: dict[str, Any]) -> None:
    done = subprocess.run(
        [
            "helm",
            "template",
            "credit",
            str(CHART),
            "--set",
            "database.existingSecret=jointcredit-db",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    documents = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    kinds: dict[str, list[dict[str, Any]]] = {}
    for doc in documents:
        kinds.setdefault(doc["kind"], []).append(doc)
    assert len(kinds["Deployment"]) == len(APP_SERVICES) + len(values["responders"])
    assert len(kinds["Service"]) == len(kinds["Deployment"])
    assert {t["spec"]["topicName"] for t in kinds["KafkaTopic"]} == set(ALL_TOPICS)
    [job] = kinds["Job"]
    assert "pre-install" in job["metadata"]["annotations"]["helm.sh/hook"]
    assert len(kinds["PodDisruptionBudget"]) == len(kinds["Deployment"])
    departments = set()
    for deployment in kinds["Deployment"]:
        assert deployment["spec"]["replicas"] == 2
        pod = deployment["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] == values["terminationGracePeriodSeconds"]
        [spread] = pod["affinity"]["podAntiAffinity"][
            "preferredDuringSchedulingIgnoredDuringExecution"
        ]
        assert spread["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
        container = pod["containers"][0]
        assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
        assert container["startupProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["resources"]["requests"]
        assert container["resources"]["limits"]
        env = {item["name"]: item for item in container["env"]}
        assert "secretKeyRef" in env["DATABASE_URL"]["valueFrom"]
        if "DEPARTMENT_CODE" in env:
            departments.add(env["DEPARTMENT_CODE"]["value"])
    assert departments == DEPARTMENTS

    missing = subprocess.run(
        ["helm", "template", "credit", str(CHART)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode != 0, "the chart must require database.existingSecret"
