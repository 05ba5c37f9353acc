package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the command's version when a release build stamps it:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/mediaauth
//
// (scripts/build-binaries.sh does). Other builds leave it empty and report
// the version the Go command recorded in the binary: v1.2.3 for
// "go install github.com/mediaauth/mediaauth/cmd/mediaauth@v1.2.3". Only
// the linker sets it.
var version string

const versionUsage = `
Usage: mediaauth version

Prints the version of mediaauth, then the module it was built from, the
commit when the build recorded one, and the Go toolchain and platform.
`

// versionCommand is "mediaauth version".
var versionCommand = &command{
	summary: "print the version of mediaauth",
	usage:   versionUsage,
	run: func(a *app, _ context.Context, args []string) error {
		fs := a.flagSet("version")
		rest, err := a.parseAll(fs, args, versionUsage)
		if err != nil {
			return err
		}
		if err := noArgs(fs, rest); err != nil {
			return err
		}
		var info *debug.BuildInfo
		if a.sys.buildInfo != nil {
			info, _ = a.sys.buildInfo()
		}
		_, err = fmt.Fprint(a.sys.stdout, versionText(a.sys.version, info))
		return err
	},
}

// versionText describes the build: the stamped version, else the main
// module's version from info (nil when the binary holds none), else
// "(devel)".
func versionText(stamped string, info *debug.BuildInfo) string {
	if info == nil {
		info = &debug.BuildInfo{GoVersion: runtime.Version()}
	}
	v := stamped
	if v == "" {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mediaauth %s\n", v)
	if info.Main.Path != "" {
		fmt.Fprintf(&b, "module    %s\n", strings.TrimSpace(info.Main.Path+" "+info.Main.Version+" "+info.Main.Sum))
	}
	settings := make(map[string]string)
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		line := strings.TrimSpace(rev + " " + settings["vcs.time"])
		if settings["vcs.modified"] == "true" {
			line += " (modified)"
		}
		fmt.Fprintf(&b, "commit    %s\n", line)
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if goos, goarch := settings["GOOS"], settings["GOARCH"]; goos != "" && goarch != "" {
		platform = goos + "/" + goarch
	}
	fmt.Fprintf(&b, "go        %s %s\n", info.GoVersion, platform)
	return b.String()
}
