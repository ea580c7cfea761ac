#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, when it is missing:
# Debian's redis-server (the tests start their own instance on a free port),
# Debian's chromium (the status page screenshot) and the Docker Compose v2
# plugin (to validate docker-compose.yml). Runs before `npm test`; quick when
# everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-prerequisites: error: redis-server is missing; install it with: sudo apt-get install redis-server" >&2
    exit 1
  fi
  echo "test-prerequisites: installing redis-server from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
echo "test-prerequisites: using $(redis-server --version | cut -d' ' -f1-3)"

bash scripts/install-chromium.sh

export PATH="$PATH:/usr/local/go/bin"
bash scripts/install-compose.sh
