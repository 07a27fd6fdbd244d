#!/usr/bin/env bash
# The dashboard test renders the page in a real headless browser: Debian's chromium.
# Installed when missing and this user may install packages; otherwise the test says it skipped.
set -euo pipefail
if { command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wqy; } || [ -n "${CHROMIUM:-}" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium for the dashboard test ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium fonts-wqy-microhei >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium fonts-wqy-microhei >/dev/null 2>&1; } \
    || echo "could not install chromium: the dashboard browser test will be skipped" >&2
else
  echo "chromium is not installed (apt-get install chromium): the dashboard browser test will be skipped" >&2
fi
