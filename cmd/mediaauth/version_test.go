package main

import (
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersionText(t *testing.T) {
	t.Parallel()
	installed := &debug.BuildInfo{
		GoVersion: "go1.24.13",
		Main:      debug.Module{Path: "github.com/mediaauth/mediaauth", Version: "v0.3.1", Sum: "h1:abc="},
		Settings:  []debug.BuildSetting{{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"}},
	}
	fromClone := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/mediaauth/mediaauth", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "c85a77b1976538d233c11675509dc4910bf6e30a"},
			{Key: "vcs.time", Value: "2026-12-02T04:20:59Z"}, {Key: "vcs.modified", Value: "true"}},
	}
	here := runtime.GOOS + "/" + runtime.GOARCH
	for _, tt := range []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"go install @version", "", installed,
			"mediaauth v0.3.1\nmodule    github.com/mediaauth/mediaauth v0.3.1 h1:abc=\ngo        go1.24.13 darwin/arm64\n"},
		{"stamped by the release build", "v0.4.0", fromClone,
			"mediaauth v0.4.0\nmodule    github.com/mediaauth/mediaauth (devel)\ncommit    c85a77b1976538d233c11675509dc4910bf6e30a 2026-12-02T04:20:59Z (modified)\ngo        go1.26.8 " + here + "\n"},
		{"built from a clone", "", fromClone,
			"mediaauth (devel)\nmodule    github.com/mediaauth/mediaauth (devel)\ncommit    c85a77b1976538d233c11675509dc4910bf6e30a 2026-12-02T04:20:59Z (modified)\ngo        go1.26.8 " + here + "\n"},
		{"no build information", "", nil, "mediaauth (devel)\ngo        " + runtime.Version() + " " + here + "\n"},
		{"no main module version", "", &debug.BuildInfo{GoVersion: "go1.25.0"}, "mediaauth (devel)\ngo        go1.25.0 " + here + "\n"},
	} {
		assert.Equal(t, tt.want, versionText(tt.stamped, tt.info), tt.name)
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	ts := newSys(t, nil)
	sys := ts.system()
	sys.version = "v1.2.3"
	sys.buildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.24.13", Main: debug.Module{Path: "github.com/mediaauth/mediaauth", Version: "v1.2.3"}}, true
	}
	assert.Equal(t, exitOK, run(t.Context(), []string{"version"}, sys))
	assert.Equal(t, "mediaauth v1.2.3\nmodule    github.com/mediaauth/mediaauth v1.2.3\ngo        go1.24.13 "+runtime.GOOS+"/"+runtime.GOARCH+"\n", ts.stdout.String())
	assert.Empty(t, ts.stderr.String())

	ts = newSys(t, nil)
	assert.Equal(t, exitUsage, ts.run(t.Context(), "version", "now"))
	requireOneErrorLine(t, ts, `version: unexpected argument "now"`)
	ts = newSys(t, nil)
	assert.Equal(t, exitOK, ts.run(t.Context(), "help", "version"))
	assert.Contains(t, ts.stdout.String(), "Usage: mediaauth version")
	ts = newSys(t, nil)
	assert.Equal(t, exitOK, ts.run(t.Context(), "help"))
	assert.Contains(t, ts.stdout.String(), "  version           print the version of mediaauth\n")
}

// TestVersionStampedByTheLinker builds the command as the release build
// does, with -ldflags -X main.version, and runs it.
func TestVersionStampedByTheLinker(t *testing.T) {
	t.Parallel()
	bin := buildCommand(t, "-ldflags", "-X main.version=v9.8.7-test")
	out, err := exec.Command(bin, "version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.True(t, strings.HasPrefix(string(out), "mediaauth v9.8.7-test\nmodule    github.com/mediaauth/mediaauth "), "%s", out)
	assert.Contains(t, string(out), "\ngo        go1.")
}
