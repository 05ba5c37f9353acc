#!/usr/bin/env bash
# Tests of "mediaauth fake" from other languages, with their standard
# libraries only: tests/python (unittest and urllib) and tests/node
# (node:test and fetch). They drive the fake through its control API under
# /_fake/ and run the three APIs' flows against it; they read nothing of Go.
#
# 1. Builds the command into a temporary folder.
# 2. Runs each suite with MEDIAAUTH_BIN set to it. Each suite starts its own
#    fake on a free loopback port (--addr 127.0.0.1:0, with
#    mediaauthtest/testdata/state.json and a control token), and stops it
#    with SIGTERM at the end, checking that it exits with status 0.
# 3. On exit, pass or fail, fails if a fake of this run is still running
#    (and stops it): the binary's path names this run's folder.
#
# Usage: bash scripts/test-other-languages.sh
# Needs: go, python3 (3.8 or later) and node (18 or later).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'other languages: %s\n' "$*" >&2; }

command -v python3 >/dev/null || { log "python3 not found"; exit 1; }
command -v node >/dev/null || { log "node not found"; exit 1; }

start=$SECONDS
RUN=$(mktemp -d "${TMPDIR:-/tmp}/mediaauth-languages.XXXXXX")
cleanup() {
  local status=$? left
  trap - EXIT
  left=$(pgrep -f "$RUN/mediaauth" || true)
  if [ -n "$left" ]; then
    log "fake processes left running by the suites: $(echo "$left" | tr '\n' ' ')"
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $left 2>/dev/null || true
    status=1
  fi
  rm -rf "$RUN"
  if [ "$status" -eq 0 ]; then
    log "passed in $((SECONDS - start)) s; no fake left"
  else
    log "FAILED (exit $status) after $((SECONDS - start)) s"
  fi
  exit "$status"
}
trap cleanup EXIT

go build -o "$RUN/mediaauth" ./cmd/mediaauth
export MEDIAAUTH_BIN="$RUN/mediaauth"

log "Python $(python3 -c 'import platform; print(platform.python_version())'): unittest + urllib"
PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s tests/python -t tests/python -v

log "Node $(node --version): node:test + fetch"
node --test tests/node/fake.test.mjs
