package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

// runChangelog opens the release section of a changelog kept in the Keep
// a Changelog form: what is under "## [Unreleased]" becomes the section
// "## [X.Y.Z] - DATE", under a new empty Unreleased heading, and the
// comparison links at the end follow. The repository's address is the
// path of the module whose go.mod is beside the changelog.
func runChangelog(_ context.Context, args []string, _ io.Writer) error {
	version, date, file := args[0], args[1], args[2]
	if err := checkReleaseVersion(version); err != nil {
		return err
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return fmt.Errorf("%w: the date %q is not YYYY-MM-DD", errUsage, date)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	f, err := readGoMod(filepath.Join(filepath.Dir(file), "go.mod"))
	if err != nil {
		return err
	}
	out, err := releaseChangelog(string(data), version, date, "https://"+f.Module.Mod.Path)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return os.WriteFile(file, []byte(out), 0o644)
}

// unreleasedLink is the link definition of the Unreleased section.
var unreleasedLink = regexp.MustCompile(`(?m)^\[Unreleased\]:[ \t]*(\S*)[ \t]*$`)

// compareHead is the end of a link that compares a version with HEAD.
var compareHead = regexp.MustCompile(`/compare/(\S+)\.\.\.HEAD$`)

// linkDefinitions are Markdown link definitions, one a line.
var linkDefinitions = regexp.MustCompile(`(?m)^\[[^\]]+\]:.*$`)

// releaseChangelog returns text with its Unreleased section released as
// version on date; repo is the repository's web address, for the links.
func releaseChangelog(text, version, date, repo string) (string, error) {
	const heading = "## [Unreleased]"
	number := strings.TrimPrefix(version, "v")
	if strings.Contains(text, "## ["+number+"]") {
		return "", fmt.Errorf("it already has a section for %s", number)
	}
	start := strings.Index(text, heading+"\n")
	if start < 0 {
		return "", fmt.Errorf("no %q heading", heading)
	}
	rest := text[start+len(heading)+1:]
	body := rest
	if end := strings.Index(body, "\n## "); end >= 0 {
		body = body[:end]
	}
	if strings.TrimSpace(linkDefinitions.ReplaceAllString(body, "")) == "" {
		return "", fmt.Errorf("nothing under %q to release", heading)
	}
	text = text[:start] + heading + "\n\n## [" + number + "] - " + date + "\n" + rest

	link := repo + "/releases/tag/" + version
	m := unreleasedLink.FindStringSubmatchIndex(text)
	if m == nil {
		return strings.TrimRight(text, "\n") + "\n\n[Unreleased]: " + repo + "/compare/" + version + "...HEAD\n[" + number + "]: " + link + "\n", nil
	}
	if prev := compareHead.FindStringSubmatch(text[m[2]:m[3]]); prev != nil {
		link = repo + "/compare/" + prev[1] + "..." + version
	}
	lines := "[Unreleased]: " + repo + "/compare/" + version + "...HEAD\n[" + number + "]: " + link
	return text[:m[0]] + lines + text[m[1]:], nil
}

// runNextVersion prints a version for checking a release: the next patch
// release after the newest release tag of the root module, as a
// pre-release (v1.2.4-releasecheck after v1.2.3), or v0.1.0-releasecheck
// when there is none. It sorts above every release so far.
func runNextVersion(ctx context.Context, args []string, stdout io.Writer) error {
	tags, err := gitRepo{dir: argOr(args, 0, ".")}.tags(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, nextVersion(tags))
	return err
}

// nextVersion returns the version runNextVersion prints, given the tags.
func nextVersion(tags []string) string {
	newest := ""
	for _, t := range tags {
		if semver.IsValid(t) && semver.Canonical(t) == t && semver.Prerelease(t) == "" && semver.Compare(t, newest) > 0 {
			newest = t
		}
	}
	if newest == "" {
		return "v0.1.0-releasecheck"
	}
	var major, minor, patch int
	// A canonical release version is vMAJOR.MINOR.PATCH.
	fmt.Sscanf(newest, "v%d.%d.%d", &major, &minor, &patch)
	return fmt.Sprintf("v%d.%d.%d-releasecheck", major, minor, patch+1)
}
