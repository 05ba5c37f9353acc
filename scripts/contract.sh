#!/usr/bin/env bash
# Contract tests: checks with the Prism validator (@stoplight/prism-cli) that
# what the SDK sends, and what mediaauthtest answers, match the API contracts
# in ../shared/specs (relative to the module root), and that mediaauthtest's
# control API matches its own OpenAPI document (mediaauthtest/controlapi,
# as the fake serves it at /_fake/openapi.json).
#
# 1. Installs Prism at a pinned version with npm into a cache folder outside
#    the module, ${XDG_CACHE_HOME:-$HOME/.cache}/mediaauth/prism-VERSION, and
#    reuses it on later runs.
# 2. Runs go vet and go test -run '^TestContract' in contract/, the module of
#    the contract tests (the library's module needs neither the contracts
#    nor a YAML parser). The tests start every Prism they need at once on
#    free loopback ports (a mock of each contract, and a proxy of each
#    contract in front of an in-process mediaauthtest server), wait for each
#    to listen, and stop each process group when they end, pass or fail.
#    Each Prism's pid is appended to a file this script reads.
# 3. On exit, pass or fail, stops any Prism of this run still running and
#    fails if one was left: every Prism of the run is started through a
#    per-run link, so `pgrep -f` finds exactly this run's processes.
#
# Usage: bash scripts/contract.sh [extra go test flags]
# Environment: MEDIAAUTH_SPECS overrides the contracts folder.
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest stable 5.x that runs on Node 20 (5.15.10 and later need Node 24).
PRISM_VERSION=5.14.2
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/mediaauth/prism-$PRISM_VERSION"
SPECS="${MEDIAAUTH_SPECS:-$(cd .. && pwd)/shared/specs}"

log() { printf 'contract: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

start=$SECONDS
command -v node >/dev/null || die "node not found: Prism needs Node.js 18.20 or later"
command -v npm >/dev/null || die "npm not found"
for f in movies/movies-auth.openapi.yaml tvmaze/tvmaze-user-v1.openapi.yaml \
  tmdb/tmdb-auth-v3.openapi.yaml tmdb/tmdb-auth-v4.openapi.yaml tmdb/tmdb-account-v3.openapi.yaml; do
  [ -f "$SPECS/$f" ] || die "API contract $SPECS/$f not found (set MEDIAAUTH_SPECS to the contracts folder)"
done

# Install once. The install goes to a temporary folder that is renamed when
# complete, so an interrupted install never leaves a broken cache behind.
if [ "$("$CACHE/node_modules/.bin/prism" --version 2>/dev/null || true)" != "$PRISM_VERSION" ]; then
  log "installing @stoplight/prism-cli@$PRISM_VERSION into $CACHE"
  mkdir -p "$(dirname "$CACHE")"
  tmp=$(mktemp -d "$CACHE.partial.XXXXXX")
  if ! npm install --prefix "$tmp" --no-audit --no-fund --loglevel=error \
    "@stoplight/prism-cli@$PRISM_VERSION" >&2; then
    rm -rf "$tmp"
    die "npm install @stoplight/prism-cli@$PRISM_VERSION failed"
  fi
  rm -rf "$CACHE"
  mv "$tmp" "$CACHE"
  [ "$("$CACHE/node_modules/.bin/prism" --version)" = "$PRISM_VERSION" ] ||
    die "installed Prism does not report version $PRISM_VERSION"
  log "installed in $((SECONDS - start)) s"
else
  log "using cached Prism $PRISM_VERSION from $CACHE"
fi

RUN=$(mktemp -d "${TMPDIR:-/tmp}/mediaauth-contract.XXXXXX")
# Every Prism of this run is started as $RUN/prism, so its command line
# names this run's folder.
ln -s "$CACHE/node_modules/.bin/prism" "$RUN/prism"
PIDFILE="$RUN/prism.pids"
: >"$PIDFILE"

# ours reports whether pid is still a Prism of this run.
ours() { ps -p "$1" -o args= 2>/dev/null | grep -qF "$RUN/prism"; }

cleanup() {
  local status=$? pid left i
  trap - EXIT INT TERM
  # The tests stop their Prisms themselves, so one still running here is a
  # failure (a killed test binary, or a bug): stop it and fail. Each Prism
  # leads its own process group.
  while read -r pid; do
    if [ -n "$pid" ] && ours "$pid"; then
      log "stopping Prism $pid left running by the tests"
      kill -TERM -- "-$pid" 2>/dev/null || true
      status=1
    fi
  done <"$PIDFILE"
  for i in $(seq 50); do
    pgrep -f "$RUN/prism" >/dev/null || break
    sleep 0.1
  done
  left=$(pgrep -f "$RUN/prism" || true)
  if [ -n "$left" ]; then
    log "Prism processes left over after the run: $(echo "$left" | tr '\n' ' ')"
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $left 2>/dev/null || true
    status=1
  fi
  rm -rf "$RUN"
  if [ "$status" -eq 0 ]; then
    log "passed in $((SECONDS - start)) s; no Prism process left"
  else
    log "FAILED (exit $status) after $((SECONDS - start)) s"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The contract tests are a module of their own, out of the root's go vet.
cd contract
go vet ./...

# CI=true: a missing Prism or contract fails the tests instead of skipping them.
CI=true \
  MEDIAAUTH_PRISM="$RUN/prism" \
  MEDIAAUTH_SPECS="$SPECS" \
  MEDIAAUTH_PRISM_PIDFILE="$PIDFILE" \
  go test -run '^TestContract' -count=1 -timeout 5m -v ./... "$@"
