#!/usr/bin/env bash
# Builds the mediaauth command of a release for every platform it ships
# on: linux, darwin and windows, each on amd64 and arm64.
#
# 1. go build -trimpath with the version stamped
#    (-ldflags "-X main.version=VERSION": "mediaauth version" prints it),
#    CGO_ENABLED=0, one binary per platform;
# 2. packs each into OUT/mediaauth_X.Y.Z_OS_ARCH.tar.gz (.zip for
#    Windows) with README.md and CHANGELOG.md, reproducibly (file times
#    are the last commit's, or $SOURCE_DATE_EPOCH);
# 3. writes OUT/mediaauth_X.Y.Z_checksums.txt (SHA-256, as sha256sum -c
#    reads it) and checks it;
# 4. runs the binary of this machine's platform: "mediaauth version" must
#    print VERSION.
#
# Usage: bash scripts/build-binaries.sh VERSION [OUT]
#   VERSION  the release, vX.Y.Z (the tag it is built from)
#   OUT      where the archives go (default dist/): a new folder, or one
#            holding only an earlier run's files, which are replaced
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"
VERSION="${1:?usage: bash scripts/build-binaries.sh VERSION [OUT]}"
OUT="${2:-dist}"
start=$SECONDS
log() { printf 'build-binaries: %s\n' "$*" >&2; }
fail() {
  printf 'build-binaries: FAIL: %s\n' "$*" >&2
  exit 1
}

RUN=$(mktemp -d "${TMPDIR:-/tmp}/mediaauth-binaries.XXXXXX")
trap 'rm -rf "$RUN"' EXIT
(cd internal/releasetool && GOWORK=off go build -o "$RUN/releasetool" .) || fail "cannot build internal/releasetool"

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 315532800)}"
if [ -d "$OUT" ] && find "$OUT" -mindepth 1 -maxdepth 1 ! -name 'mediaauth_*' ! -name build | grep -q .; then
  fail "$OUT holds other files than an earlier run's: give a new folder"
fi
rm -rf "$OUT"
mkdir -p "$OUT/build"
for target in $TARGETS; do
  goos=${target%/*} goarch=${target#*/}
  exe=mediaauth
  [ "$goos" != windows ] || exe=mediaauth.exe
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath \
    -ldflags "-s -w -X main.version=$VERSION" -o "$OUT/build/${goos}_$goarch/$exe" ./cmd/mediaauth ||
    fail "go build for $target"
  log "built $target"
done

# The archives check VERSION: a version like v1.2.3 or v1.2.3-rc.1.
"$RUN/releasetool" archive "$VERSION" "$OUT" README.md CHANGELOG.md >/dev/null
(cd "$OUT" && sha256sum --quiet -c mediaauth_*_checksums.txt) || fail "the checksums do not match"

native="$OUT/build/$(go env GOOS)_$(go env GOARCH)/mediaauth$(go env GOEXE)"
if [ -x "$native" ]; then
  out=$("$native" version)
  [ "${out%%$'\n'*}" = "mediaauth $VERSION" ] || fail "mediaauth version printed \"${out%%$'\n'*}\", not \"mediaauth $VERSION\""
fi
rm -rf "$OUT/build"
log "$(find "$OUT" -type f | wc -l) files in $OUT in $((SECONDS - start)) s:"
ls -l "$OUT" >&2
