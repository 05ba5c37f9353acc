package main

import (
	"path/filepath"
	"strings"
	"testing"
)

const changelogText = `# Changelog

All notable changes are documented here.

## [Unreleased]

### Added

- Something new.

[Unreleased]: https://github.com/relcheck/repo/commits/HEAD
`

func TestReleaseChangelog(t *testing.T) {
	t.Parallel()
	const repo = "https://github.com/relcheck/repo"
	first, err := releaseChangelog(changelogText, "v0.1.0", "2026-01-02", repo)
	if err != nil {
		t.Fatal(err)
	}
	want := `# Changelog

All notable changes are documented here.

## [Unreleased]

## [0.1.0] - 2026-01-02

### Added

- Something new.

[Unreleased]: https://github.com/relcheck/repo/compare/v0.1.0...HEAD
[0.1.0]: https://github.com/relcheck/repo/releases/tag/v0.1.0
`
	if first != want {
		t.Fatalf("first release:\n%s\nwant:\n%s", first, want)
	}
	if _, err := releaseChangelog(first, "v0.1.1", "2026-01-03", repo); err == nil || !strings.Contains(err.Error(), `nothing under "## [Unreleased]" to release`) {
		t.Errorf("an empty Unreleased section: %v", err)
	}
	withFix := strings.Replace(first, "## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n\n- A bug.\n", 1)
	second, err := releaseChangelog(withFix, "v0.1.1", "2026-01-03", repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"## [Unreleased]\n\n## [0.1.1] - 2026-01-03\n\n### Fixed\n\n- A bug.\n\n## [0.1.0] - 2026-01-02\n",
		"[Unreleased]: https://github.com/relcheck/repo/compare/v0.1.1...HEAD\n[0.1.1]: https://github.com/relcheck/repo/compare/v0.1.0...v0.1.1\n[0.1.0]: https://github.com/relcheck/repo/releases/tag/v0.1.0\n",
	} {
		if !strings.Contains(second, line) {
			t.Errorf("second release:\n%s\nlacks:\n%s", second, line)
		}
	}
	if _, err := releaseChangelog(second, "v0.1.1", "2026-01-04", repo); err == nil || !strings.Contains(err.Error(), "already has a section for 0.1.1") {
		t.Errorf("releasing a version twice: %v", err)
	}
	if _, err := releaseChangelog("# Changelog\n", "v0.1.1", "2026-01-04", repo); err == nil || !strings.Contains(err.Error(), `no "## [Unreleased]" heading`) {
		t.Errorf("no Unreleased heading: %v", err)
	}
	noLinks, err := releaseChangelog("## [Unreleased]\n\n- A change.\n", "v1.0.0", "2026-01-04", repo)
	if err != nil || !strings.HasSuffix(noLinks, "- A change.\n\n[Unreleased]: "+repo+"/compare/v1.0.0...HEAD\n[1.0.0]: "+repo+"/releases/tag/v1.0.0\n") {
		t.Errorf("a changelog without links: %v\n%s", err, noLinks)
	}
}

func TestChangelogCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"CHANGELOG.md": changelogText, "go.mod": "module " + repoPath + "\n"})
	file := filepath.Join(dir, "CHANGELOG.md")
	if code, _, errs := runTool(t, "changelog", "v0.1.0", "2026-1-2", file); code != 2 || !strings.Contains(errs, "is not YYYY-MM-DD") {
		t.Errorf("a bad date: exit %d, %s", code, errs)
	}
	// The repository's address is the path of the module beside it.
	if code, _, errs := runTool(t, "changelog", "v0.1.0", "2026-01-02", file); code != 0 {
		t.Fatalf("changelog: exit %d, %s", code, errs)
	}
	if got := readFile(t, file); !strings.Contains(got, "## [0.1.0] - 2026-01-02\n") || !strings.Contains(got, "[0.1.0]: https://"+repoPath+"/releases/tag/v0.1.0") {
		t.Errorf("CHANGELOG.md:\n%s", got)
	}
}

func TestNextVersion(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		tags []string
		want string
	}{
		{nil, "v0.1.0-releasecheck"},
		{[]string{"redislimit/v0.3.0", "v0.1.0", "v0.2.9", "v0.2.10-rc.1", "v0.2.10", "v0.11.0-rc.1", "not-a-version"}, "v0.2.11-releasecheck"},
		{[]string{"v1.4.2", "v1.10.0"}, "v1.10.1-releasecheck"},
	} {
		if got := nextVersion(tt.tags); got != tt.want {
			t.Errorf("nextVersion(%q) = %s, want %s", tt.tags, got, tt.want)
		}
	}
}
