#!/usr/bin/env bash
# System tools some tests use, installed from Debian's packages when missing and allowed:
#   chromium + a CJK font  the dashboard rendered in a real headless browser
#   docker-compose         `docker-compose config -q` validates compose.yaml (no engine needed)
# Without them (not root, no apt-get) those tests say why they skipped.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi wqy || missing+=(fonts-wqy-microhei)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} for the tests ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } \
    || echo "could not install ${missing[*]}: the tests that need them will skip" >&2
else
  echo "not installed: ${missing[*]} (apt-get install ${missing[*]}); the tests that need them will skip" >&2
fi
