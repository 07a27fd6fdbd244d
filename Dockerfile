# One image for every service: `jointcredit serve <service>` and `jointcredit migrate all`.
FROM python:3.11-slim

ARG UV_VERSION=0.13.9

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install --no-cache-dir "uv==${UV_VERSION}"

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY jointcredit ./jointcredit
COPY shared ./shared
COPY services ./services
RUN uv sync --frozen --no-dev

RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app jointcredit

ENV PATH=/app/.venv/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=8000 \
    ENVIRONMENT=production

USER 10001:10001
EXPOSE 8000

# `docker stop` and Kubernetes send SIGTERM: a service answers its requests in flight, commits
# the batch in hand and publishes its outbox within STOP_TIMEOUT_S (20 s), then exits 0.
STOPSIGNAL SIGTERM

# compose.yaml and the Helm chart check http://localhost:8000/readyz per service.
CMD ["jointcredit", "--help"]
