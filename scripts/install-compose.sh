#!/usr/bin/env bash
# Installs the Docker Compose v2 CLI plugin, so that `docker compose config`
# can validate docker-compose.yml on a machine without a Docker engine.
#
# The project's machines reach package registries only, so Docker's release
# binaries and apt repository are out of reach, and Debian bookworm ships
# only Compose v1 (docker-compose 1.29). The plugin is therefore built from
# its tagged Go module source, fetched through the Go module proxy and
# checked against the pinned module hash below. With empty Go caches the
# first run took about 4 minutes on 2 cores (one measurement). Later runs
# exit within a second once they find the pinned version installed.
#
# Needs: the docker CLI (the client only) and Go 1.21 or newer. The script
# sets GOTOOLCHAIN=auto, so a Go older than 1.24.9, the version that the
# Compose module's go.mod requires, fetches that toolchain through the
# module proxy. NOTE: only Go 1.26 has run this script so far.
#
# Environment:
#   COMPOSE_PLUGIN_DIR  directory for the plugin binary
#                       (default /usr/local/lib/docker/cli-plugins, a
#                       system-wide directory that the docker CLI searches)
set -euo pipefail

readonly COMPOSE_MODULE='github.com/docker/compose/v2'
readonly COMPOSE_VERSION='v2.40.3'
# h1 hash of the module zip, as recorded in the Go checksum database.
readonly COMPOSE_MODULE_SUM='h1:XeYkQu1svDtyfZPv5nTwFryQ25ZJMkIlc4pz9HalMPI='

plugin_dir="${COMPOSE_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}"
plugin_path="$plugin_dir/docker-compose"

log() {
  echo "install-compose: $*"
}

fail() {
  echo "install-compose: error: $*" >&2
  exit 1
}

# Checks that the docker CLI runs the installed plugin. The CLI searches
# ~/.docker/cli-plugins before the system directories, so an older plugin
# there would shadow this one.
check_docker_cli() {
  if ! command -v docker >/dev/null 2>&1; then
    fail "docker CLI not found in PATH. The plugin is installed at $plugin_path," \
      "but 'docker compose' also needs the docker client. Install it, then run this script again."
  fi

  local reported
  if ! reported="$(docker compose version --short 2>&1)"; then
    fail "'docker compose version' failed: $reported"
  fi
  if [[ "v${reported#v}" != "$COMPOSE_VERSION" ]]; then
    fail "'docker compose' runs version $reported, expected $COMPOSE_VERSION." \
      "Another docker-compose plugin shadows $plugin_path: remove it from ~/.docker/cli-plugins."
  fi
  log "docker compose $reported via $(command -v docker) ($(docker --version))"
}

installed_version=''
if [[ -x "$plugin_path" ]]; then
  installed_version="$("$plugin_path" version --short 2>/dev/null || true)"
fi
if [[ -n "$installed_version" && "v${installed_version#v}" == "$COMPOSE_VERSION" ]]; then
  log "Compose $COMPOSE_VERSION is already installed at $plugin_path"
  check_docker_cli
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  fail "Go toolchain not found in PATH: it is needed to build Compose $COMPOSE_VERSION from source."
fi
log "building Compose $COMPOSE_VERSION from $COMPOSE_MODULE with $(go version)"

build_dir="$(mktemp -d)"
trap 'rm -rf "$build_dir"' EXIT

module_json="$build_dir/module.json"
if ! GOTOOLCHAIN=auto go mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" >"$module_json"; then
  cat "$module_json" >&2
  fail "go mod download failed for $COMPOSE_MODULE@$COMPOSE_VERSION"
fi

module_sum="$(sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p' "$module_json")"
module_dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$module_json")"
if [[ "$module_sum" != "$COMPOSE_MODULE_SUM" ]]; then
  fail "module hash mismatch for $COMPOSE_MODULE@$COMPOSE_VERSION: got '$module_sum', expected '$COMPOSE_MODULE_SUM'"
fi
log "module source $module_dir ($module_sum)"

# `go install module/cmd@version` rejects this module because its go.mod has
# exclude directives, so the source is copied out of the read-only module
# cache and built as the main module, the way Compose's Makefile builds it.
cp -R "$module_dir" "$build_dir/src"
chmod -R u+w "$build_dir/src"

start_seconds="$(date +%s)"
(
  cd "$build_dir/src"
  CGO_ENABLED=0 GOTOOLCHAIN=auto go build -trimpath \
    -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
    -o "$build_dir/docker-compose" ./cmd
)
log "build finished in $(($(date +%s) - start_seconds)) s"

mkdir -p "$plugin_dir"
install -m 0755 "$build_dir/docker-compose" "$plugin_path"
log "installed $("$plugin_path" version) at $plugin_path"

check_docker_cli
