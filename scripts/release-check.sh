#!/usr/bin/env bash
# Installs the modules as users get them, and checks what they get.
#
# Everything else tests the modules from a clone; users get them with
# go get, and the command with go install ...@VERSION. This script:
#
# 1. checks what a clone does not show (releasetool check): every version
#    of the repository's modules that a module requires exists (a tag, or
#    the commit of a pseudo-version; VERSION itself is the work tree's, as
#    when scripts/prepare-release.sh runs this before tagging) with its
#    go.sum lines, no module replaces another, and go.work joins them all;
# 2. copies the work tree as a commit would hold it (the files git knows
#    or would add), and makes every module require the others at VERSION,
#    as scripts/prepare-release.sh does for a release;
# 3. serves every released module at VERSION from a file-system module
#    proxy: the @v/list, .info, .mod and .zip files (the zips made by
#    golang.org/x/mod/zip);
# 4. then, as a new user would, in new modules that have never seen the
#    repository, with GOPROXY=file://..., a module cache of their own and
#    no checksum database:
#    - builds the Go programs of README.md: every ```go block whose first
#      line of code is "package main", extracted from README.md (fragments
#      are not compiled); they must be gofmt-formatted and compile, and
#      the compiler's messages name README.md's lines;
#    - go get of every released module at VERSION, each alone in a new
#      module, which must select the root module at VERSION too; and
#      go build of the module's packages;
#    - runs the README's go get and go install lines as they are written;
#    - go install .../cmd/mediaauth@VERSION: "mediaauth version" must
#      print VERSION;
#    - starts the installed "mediaauth fake" and runs each README program
#      with the environment of the fake's export lines: each must exit
#      with status 0 within 60 s.
#
# Modules other than the repository's come from the local module cache,
# else from the GOPROXY configured. A failure ends the run with a line
# "release-check: FAIL: ...".
#
# Usage: bash scripts/release-check.sh [VERSION]
#   VERSION  the version to serve; by default a pre-release of the next
#            patch release (v0.1.0-releasecheck when there is no release)
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
log() { printf 'release-check: %s\n' "$*" >&2; }
fail() {
  printf 'release-check: FAIL: %s\n' "$*" >&2
  exit 1
}
# show prints a file of this run's output, for the FAIL line that follows.
show() { sed 's/^/    /' "$1" >&2; }

RUN=$(mktemp -d "${TMPDIR:-/tmp}/mediaauth-release-check.XXXXXX")
FAKE_PID=""
cleanup() {
  local status=$?
  trap - EXIT
  if [ -n "$FAKE_PID" ]; then
    kill -TERM "$FAKE_PID" 2>/dev/null || true
    wait "$FAKE_PID" 2>/dev/null || true
  fi
  chmod -R u+w "$RUN" 2>/dev/null || true
  rm -rf "$RUN"
  if [ "$status" -eq 0 ]; then
    log "passed in $((SECONDS - start)) s"
  fi
  exit "$status"
}
trap cleanup EXIT

# The release tool is a module of its own, built outside the workspace.
(cd internal/releasetool && GOWORK=off go build -o "$RUN/releasetool" .) || fail "cannot build internal/releasetool"
tool="$RUN/releasetool"
VERSION="${1:-$("$tool" next-version .)}"
ROOT_PATH=$(awk '$1 == "module" { print $2; exit }' go.mod)
[ -n "$ROOT_PATH" ] || fail "no module path in go.mod"
log "checking $ROOT_PATH and its sub-modules at $VERSION"

# 1. What a clone does not show.
if ! "$tool" check -release "$VERSION" . >"$RUN/check.txt"; then
  [ -s "$RUN/check.txt" ] || fail "releasetool check failed (above)"
  sed 's/^/release-check: FAIL: /' "$RUN/check.txt" >&2
  exit 1
fi

# 2, 3. The modules as a release at VERSION publishes them.
TREE="$RUN/tree" PROXY="$RUN/proxy"
"$tool" export . "$TREE"
"$tool" set-version "$VERSION" "$TREE"
"$tool" proxy "$VERSION" "$TREE" "$PROXY" >/dev/null
"$tool" modules "$TREE" >"$RUN/modules.txt"
log "serving $(cut -f2 "$RUN/modules.txt" | tr '\n' ' ')at $VERSION from file://$PROXY"

# 4. A new user: GOPROXY is the file proxy, then the local module cache,
# then the proxies configured (not "direct": the repository's modules come
# only from the file proxy).
cache="$(go env GOMODCACHE)/cache/download"
upstream=$(go env GOPROXY | tr ',|' '\n\n' | grep -E '^https?://' | paste -sd, - || true)
export GOPROXY="file://$PROXY,file://$cache${upstream:+,$upstream}"
export GOPATH="$RUN/gopath" GOMODCACHE="$RUN/gopath/pkg/mod" GOBIN="$RUN/bin"
export GOSUMDB=off GOPRIVATE="" GONOPROXY="" GONOSUMDB="" GOFLAGS=-modcacherw GOWORK=off GOTOOLCHAIN=local
# newModule makes an empty module in a new directory of the run.
newModule() {
  mkdir -p "$RUN/$1"
  (cd "$RUN/$1" && go mod init "example.com/$1") >"$RUN/out.txt" 2>&1 || {
    show "$RUN/out.txt"
    fail "go mod init example.com/$1 (above)"
  }
}

# The README's programs: extracted, gofmt-formatted, compiled.
newModule readme
mkdir -p "$RUN/programs"
"$tool" readme README.md "$RUN/readme" >"$RUN/programs.txt"
[ -s "$RUN/programs.txt" ] || fail "README.md has no Go program (a \`\`\`go block that starts with package main)"
(cd "$RUN/readme" && go mod tidy) >"$RUN/out.txt" 2>&1 || {
  show "$RUN/out.txt"
  fail "go mod tidy of the README's programs (above)"
}
got=$(cd "$RUN/readme" && go list -m -f '{{.Version}}' "$ROOT_PATH")
[ "$got" = "$VERSION" ] || fail "the README's programs got $ROOT_PATH $got, not $VERSION"
while IFS=$'\t' read -r dir line; do
  [ -z "$(gofmt -l "$dir")" ] || fail "README.md:$line: the Go program is not gofmt-formatted"
  (cd "$RUN/readme" && go vet "./${dir##*/}" && go build -o "$RUN/programs/" "./${dir##*/}") >"$RUN/out.txt" 2>&1 || {
    show "$RUN/out.txt"
    fail "README.md:$line: the Go program does not compile (above)"
  }
done <"$RUN/programs.txt"
log "README.md: $(wc -l <"$RUN/programs.txt") Go program(s) compile against $ROOT_PATH@$VERSION"

# Every released module alone, in a new module.
while IFS=$'\t' read -r dir path _; do
  name="get-${path##*/}"
  newModule "$name"
  (cd "$RUN/$name" && go get "$path@$VERSION" && go build -mod=mod "$path/...") >"$RUN/out.txt" 2>&1 || {
    show "$RUN/out.txt"
    fail "go get $path@$VERSION in a new module, and go build $path/... (above)"
  }
  got=$(cd "$RUN/$name" && go list -m -f '{{.Path}} {{.Version}}' all | grep "^$ROOT_PATH[ /]" | grep -v " $VERSION\$" || true)
  [ -z "$got" ] || fail "go get $path@$VERSION selected $(echo "$got" | tr '\n' ' ')instead of $VERSION"
  log "go get $path@$VERSION: ok"
done <"$RUN/modules.txt"

# checkVersion checks that the installed command says it is VERSION.
checkVersion() {
  local out
  out=$("$GOBIN/mediaauth" version) || fail "$1: mediaauth version failed"
  [ "${out%%$'\n'*}" = "mediaauth $VERSION" ] || fail "$1: mediaauth version printed \"${out%%$'\n'*}\", not \"mediaauth $VERSION\""
}

# The README's install lines, as written, in a new module.
"$tool" install-lines README.md >"$RUN/install.txt"
grep -qE "^go get $ROOT_PATH(@latest)?\$" "$RUN/install.txt" || fail "README.md has no line \"go get $ROOT_PATH\""
grep -qx "go install $ROOT_PATH/cmd/mediaauth@latest" "$RUN/install.txt" || fail "README.md has no line \"go install $ROOT_PATH/cmd/mediaauth@latest\""
newModule readme-install
while read -r -a words; do
  rm -f "$GOBIN/mediaauth"
  (cd "$RUN/readme-install" && "${words[@]}") >"$RUN/out.txt" 2>&1 || {
    show "$RUN/out.txt"
    fail "README.md's \"${words[*]}\" (above)"
  }
  [ "${words[1]}" != install ] || checkVersion "README.md's \"${words[*]}\""
  log "${words[*]}: ok"
done <"$RUN/install.txt"

# The command at VERSION.
rm -f "$GOBIN/mediaauth"
(cd "$RUN" && go install "$ROOT_PATH/cmd/mediaauth@$VERSION") >"$RUN/out.txt" 2>&1 || {
  show "$RUN/out.txt"
  fail "go install $ROOT_PATH/cmd/mediaauth@$VERSION (above)"
}
checkVersion "go install $ROOT_PATH/cmd/mediaauth@$VERSION"
log "go install $ROOT_PATH/cmd/mediaauth@$VERSION: mediaauth version prints $VERSION"

# The README's programs against the installed mediaauth fake.
"$GOBIN/mediaauth" fake --addr 127.0.0.1:0 --seed 1 >"$RUN/fake.out" 2>"$RUN/fake.err" &
FAKE_PID=$!
for _ in $(seq 100); do
  grep -q '^Serving until' "$RUN/fake.out" && break
  kill -0 "$FAKE_PID" 2>/dev/null || {
    show "$RUN/fake.err"
    fail "mediaauth fake ended early (above)"
  }
  sleep 0.1
done
mapfile -t exports < <(sed -n 's/^  export \([A-Z_]*=[^ ]*\)$/\1/p' "$RUN/fake.out")
[ "${#exports[@]}" -gt 0 ] || fail "mediaauth fake printed no export lines"
mkdir -p "$RUN/home"
while IFS=$'\t' read -r dir line; do
  (cd "$RUN/home" && env HOME="$RUN/home" "${exports[@]}" timeout 60 "$RUN/programs/${dir##*/}") >"$RUN/out.txt" 2>&1 || {
    show "$RUN/out.txt"
    fail "README.md:$line: the Go program failed against mediaauth fake (above)"
  }
  log "README.md:$line: ran against mediaauth fake: $(head -n1 "$RUN/out.txt")"
done <"$RUN/programs.txt"
kill -TERM "$FAKE_PID"
status=0
wait "$FAKE_PID" || status=$?
FAKE_PID=""
[ "$status" -eq 0 ] || fail "mediaauth fake exited with status $status on SIGTERM"
