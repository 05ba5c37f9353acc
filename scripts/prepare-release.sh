#!/usr/bin/env bash
# Prepares the release of every module of the repository at one version
# (RELEASING.md tells the whole procedure):
#
# 1. checks the version (vX.Y.Z or vX.Y.Z-PRERELEASE, above every release
#    of the SDK, with no tag yet for any module) and that the work tree is
#    clean;
# 2. turns CHANGELOG.md's Unreleased section into the version's section,
#    dated today (UTC);
# 3. makes every module require the others at that version, with their
#    go.sum lines and go.work's replace lines (releasetool set-version);
# 4. runs scripts/release-check.sh at that version: users will get what
#    the tags will point at;
# 5. prints the commands that commit, tag and push the release.
#
# It changes files only; it commits, tags and pushes nothing.
#
# Usage: bash scripts/prepare-release.sh VERSION
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${1:?usage: bash scripts/prepare-release.sh VERSION}"
log() { printf 'prepare-release: %s\n' "$*" >&2; }
fail() {
  printf 'prepare-release: FAIL: %s\n' "$*" >&2
  exit 1
}

RUN=$(mktemp -d "${TMPDIR:-/tmp}/mediaauth-prepare-release.XXXXXX")
trap 'rm -rf "$RUN"' EXIT
(cd internal/releasetool && GOWORK=off go build -o "$RUN/releasetool" .) || fail "cannot build internal/releasetool"
tool="$RUN/releasetool"

[ -z "$(git status --porcelain)" ] || fail "the work tree is not clean: commit or stash first (git status)"
"$tool" modules . >"$RUN/modules.txt"
tags=()
while IFS=$'\t' read -r _ _ prefix; do
  tags+=("$prefix$VERSION")
done <"$RUN/modules.txt"
for tag in "${tags[@]}"; do
  [ -z "$(git tag --list "$tag")" ] || fail "the tag $tag exists already"
done
newest=$(git tag --list 'v*' | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n1 || true)
base=${VERSION%%-*}
if [ -n "$newest" ] && { [ "$base" = "$newest" ] || [ "$(printf '%s\n%s\n' "$newest" "$base" | sort -V | tail -n1)" != "$base" ]; }; then
  fail "$VERSION is not above the newest release, $newest"
fi

# CHANGELOG.md first: it is a file of the SDK's module, whose hashes
# set-version writes into the sub-modules' go.sum.
log "releasing CHANGELOG.md's Unreleased section as $VERSION"
"$tool" changelog "$VERSION" "$(date -u +%F)" CHANGELOG.md
log "setting every module's requirements to $VERSION"
"$tool" set-version "$VERSION" .
log "checking the modules as users will get them"
bash scripts/release-check.sh "$VERSION"

cat <<EOF

Prepared $VERSION. Review the changes (git diff), then:

  git commit -am "Release $VERSION"
$(for tag in "${tags[@]}"; do printf '  git tag -a %s -m "%s"\n' "$tag" "$tag"; done)
  git push origin HEAD ${tags[*]}
  bash scripts/build-binaries.sh $VERSION

and publish the files of dist/ with CHANGELOG.md's section for $VERSION.
EOF
