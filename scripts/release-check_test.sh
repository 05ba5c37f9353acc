#!/usr/bin/env bash
# Tests scripts/release-check.sh on broken copies of this repository: each
# run must fail, with the line that says what is broken.
#
# 1. A Go program of README.md stops compiling (a line that assigns a
#    string to an int is added to its main): the check fails with
#    "release-check: FAIL: README.md:L: the Go program does not compile",
#    L the program's first line, after the compiler's message, which names
#    the README's line of the mistake.
# 2. redislimit requires the SDK at v0.0.0, a version that does not exist
#    (what it required through a replace directive before): the check
#    fails with "release-check: FAIL: redislimit/go.mod: requires
#    github.com/mediaauth/mediaauth v0.0.0, which does not exist: no tag
#    v0.0.0 in this repository".
# 3. redislimit replaces the SDK by its directory: a replace a user's build
#    ignores.
# 4. redislimit requires a version of go-redis that does not exist: the
#    check itself does not know it, a user's go get does: "release-check:
#    FAIL: go get github.com/mediaauth/mediaauth/redislimit@VERSION in a
#    new module".
#
# Each copy is a clone of this repository sharing its objects (its tags
# and commits), with the work tree's changes over it.
#
# Usage: bash scripts/release-check_test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

start=$SECONDS
log() { printf 'release-check_test: %s\n' "$*" >&2; }
failed=0

RUN=$(mktemp -d "${TMPDIR:-/tmp}/mediaauth-release-check-test.XXXXXX")
trap 'chmod -R u+w "$RUN" 2>/dev/null || true; rm -rf "$RUN"' EXIT
(cd internal/releasetool && GOWORK=off go build -o "$RUN/releasetool" .)

# copyRepo makes a copy of the repository in $RUN/$1.
copyRepo() {
  git clone -q --shared --no-checkout "$ROOT" "$RUN/$1"
  "$RUN/releasetool" export "$ROOT" "$RUN/$1"
  git -C "$RUN/$1" reset -q
}

# expectFailure runs the check in the copy $1 and checks that it fails
# with a line that is $2 (and one more line matching $3, if given).
expectFailure() {
  local copy=$1 want=$2 also=${3:-} status=0
  timeout 600 bash "$RUN/$copy/scripts/release-check.sh" >"$RUN/$copy.out" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then
    log "FAIL: $copy: the check passed; want the line: $want"
    failed=1
  elif ! grep -qxF -- "$want" "$RUN/$copy.out"; then
    log "FAIL: $copy: no line \"$want\" in:"
    sed 's/^/    /' "$RUN/$copy.out" >&2
    failed=1
  elif [ -n "$also" ] && ! grep -qE -- "$also" "$RUN/$copy.out"; then
    log "FAIL: $copy: no line matching \"$also\" in:"
    sed 's/^/    /' "$RUN/$copy.out" >&2
    failed=1
  else
    log "$copy: fails as it should: $want"
  fi
}

# 1. A README program that does not compile.
copyRepo readme
first=$("$RUN/releasetool" readme "$RUN/readme/README.md" "$RUN/programs" | head -n1 | cut -f2)
[ -n "$first" ] || {
  log "FAIL: README.md has no Go program to break"
  exit 1
}
main=$(awk -v from="$first" 'NR >= from && /^func main\(\) \{$/ { print NR; exit }' "$RUN/readme/README.md")
[ -n "$main" ] || {
  log "FAIL: no func main() { in the program of README.md:$first"
  exit 1
}
awk -v at="$main" '{ print } NR == at { print "\tvar notANumber int = \"release-check_test\""; print "\t_ = notANumber" }' \
  "$RUN/readme/README.md" >"$RUN/README.md" && mv "$RUN/README.md" "$RUN/readme/README.md"
expectFailure readme "release-check: FAIL: README.md:$first: the Go program does not compile (above)" "README.md:$((main + 1)):[0-9]+: cannot use \"release-check_test\""

# 2. A sub-module requires a version of the SDK that does not exist.
copyRepo missing
(cd "$RUN/missing/redislimit" && go mod edit -require=github.com/mediaauth/mediaauth@v0.0.0)
expectFailure missing "release-check: FAIL: redislimit/go.mod: requires github.com/mediaauth/mediaauth v0.0.0, which does not exist: no tag v0.0.0 in this repository"

# 3. A sub-module replaces the SDK.
copyRepo replace
(cd "$RUN/replace/redislimit" && go mod edit -replace=github.com/mediaauth/mediaauth=../)
expectFailure replace "release-check: FAIL: redislimit/go.mod: replace github.com/mediaauth/mediaauth => ../: a user's build ignores it; go.work joins the modules for development"

# 4. A sub-module requires a version of another module that does not exist.
copyRepo third-party
(cd "$RUN/third-party/redislimit" && go mod edit -require=github.com/redis/go-redis/v9@v9.999.0)
version=$("$RUN/releasetool" next-version "$RUN/third-party")
expectFailure third-party "release-check: FAIL: go get github.com/mediaauth/mediaauth/redislimit@$version in a new module, and go build github.com/mediaauth/mediaauth/redislimit/... (above)" "go-redis/v9@v9.999.0"

if [ "$failed" -ne 0 ]; then
  log "FAILED after $((SECONDS - start)) s"
  exit 1
fi
log "passed in $((SECONDS - start)) s"
