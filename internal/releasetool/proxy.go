package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

// runProxy writes, into a folder that GOPROXY=file://DST serves, every
// released module of the tree at TREE at the version given: the list of
// versions, and the .info, .mod and .zip files of the version, as a module
// proxy serves them.
func runProxy(ctx context.Context, args []string, stdout io.Writer) error {
	version, tree, dst := args[0], args[1], args[2]
	if err := checkReleaseVersion(version); err != nil {
		return err
	}
	mods, err := findModules(tree)
	if err != nil {
		return err
	}
	files, err := workTreeFiles(ctx, tree)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	for _, m := range mods {
		if !m.released() {
			continue
		}
		mv := module.Version{Path: m.Path, Version: version}
		if err := addToProxy(dst, mv, now, subdirFiles(files, m.Dir)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s@%s\n", m.Path, version)
	}
	return nil
}

// addToProxy writes module version m, made of files, into the proxy
// folder dst.
func addToProxy(dst string, m module.Version, t time.Time, files []modzip.File) error {
	escPath, err := module.EscapePath(m.Path)
	if err != nil {
		return err
	}
	escVersion, err := module.EscapeVersion(m.Version)
	if err != nil {
		return err
	}
	dir := filepath.Join(dst, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(dir, escVersion)
	if err := writeZip(base+".zip", m, files); err != nil {
		return err
	}
	gomod, err := readModFile(files)
	if err != nil {
		return fmt.Errorf("%s: %w", m.Path, err)
	}
	if err := os.WriteFile(base+".mod", gomod, 0o644); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{m.Version, t})
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".info", info, 0o644); err != nil {
		return err
	}
	return addToList(filepath.Join(dir, "list"), m.Version)
}

// writeZip writes the zip of module version m.
func writeZip(file string, m module.Version, files []modzip.File) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	err = modzip.Create(f, m, files)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("zip of %s@%s: %w", m.Path, m.Version, err)
	}
	return nil
}

// addToList adds version to a proxy's list of versions.
func addToList(file, version string) error {
	data, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	versions := strings.Fields(string(data))
	for _, v := range versions {
		if v == version {
			return nil
		}
	}
	versions = append(versions, version)
	semver.Sort(versions)
	return os.WriteFile(file, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}
