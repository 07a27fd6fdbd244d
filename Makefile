.PHONY: run test lint unit integration e2e fault bench infra-up infra-down

run:            ## run the platform
	scripts/run.sh

test:           ## lint, types and every test tier
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy .

unit:
	.venv/bin/python -m pytest -m unit

integration: infra-up
	.venv/bin/python -m pytest -m integration

e2e: infra-up
	.venv/bin/python -m pytest -m e2e

fault: infra-up
	.venv/bin/python -m pytest -m fault

bench: infra-up
	.venv/bin/python -m bench

infra-up:
	.venv/bin/jointcredit infra up

infra-down:
	.venv/bin/jointcredit infra down
