#!/usr/bin/env bash
# Installs Debian's chromium package when no `chromium` is in PATH, for the
# browser test that screenshots the public status page through playwright-core.
# Playwright's own browser download is not used because the project's
# machines reach package registries only.
#
# Quiet and quick when chromium is already installed, so it is safe to run
# before every test run. Installing needs root.
set -euo pipefail

fail() {
  echo "install-chromium: error: $*" >&2
  exit 1
}

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  fail "chromium is missing; install it with: sudo apt-get install -y chromium"
fi

echo "install-chromium: installing chromium from Debian"
start_seconds="$(date +%s)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null

if ! command -v chromium >/dev/null 2>&1; then
  fail "apt-get installed the chromium package, but no chromium binary is in PATH"
fi
echo "install-chromium: installed $(chromium --version) at $(command -v chromium)" \
  "in $(($(date +%s) - start_seconds)) s"
