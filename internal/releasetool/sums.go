package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// moduleSum holds the two go.sum hashes of a module version: of its zip
// and of its go.mod file.
type moduleSum struct {
	zip, mod string
}

// hashModule returns the go.sum hashes of module version m made of files
// (paths relative to the module's directory), computed as the Go command
// computes them from the zip a proxy serves: the zip leaves out nested
// modules and vendored code, as module zips do.
func hashModule(m module.Version, files []modzip.File) (moduleSum, error) {
	tmp, err := os.CreateTemp("", "releasetool-*.zip")
	if err != nil {
		return moduleSum{}, err
	}
	defer os.Remove(tmp.Name())
	err = modzip.Create(tmp, m, files)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return moduleSum{}, fmt.Errorf("zip of %s@%s: %w", m.Path, m.Version, err)
	}
	zipHash, err := dirhash.HashZip(tmp.Name(), dirhash.Hash1)
	if err != nil {
		return moduleSum{}, err
	}
	gomod, err := readModFile(files)
	if err != nil {
		return moduleSum{}, fmt.Errorf("%s@%s: %w", m.Path, m.Version, err)
	}
	return moduleSum{zip: zipHash, mod: goModHash(gomod)}, nil
}

// goModHash is the go.sum hash of a go.mod file's content.
func goModHash(data []byte) string {
	h, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		panic("hashing bytes in memory: " + err.Error()) // Hash1 fails only when open fails
	}
	return h
}

// readModFile returns the content of the go.mod file among files.
func readModFile(files []modzip.File) ([]byte, error) {
	for _, f := range files {
		if f.Path() != "go.mod" {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	}
	return nil, errors.New("no go.mod file")
}

// sumKey is a line of go.sum without its hash: a module version, or its
// go.mod file (version ending in "/go.mod").
type sumKey = module.Version

// readSums reads a go.sum file; a file that does not exist has no lines.
func readSums(file string) (map[sumKey]string, error) {
	sums := make(map[sumKey]string)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return sums, nil
	}
	if err != nil {
		return nil, err
	}
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: malformed line", file, i+1)
		}
		sums[sumKey{Path: f[0], Version: f[1]}] = f[2]
	}
	return sums, nil
}

// writeSums sets the go.sum lines of the module versions of set, and
// removes every other line of a module whose path is in replaced. It
// reports whether the file changed.
func writeSums(file string, set map[module.Version]moduleSum, replaced map[string]bool) (bool, error) {
	sums, err := readSums(file)
	if err != nil {
		return false, err
	}
	old := formatSums(sums)
	for k := range sums {
		if replaced[k.Path] {
			delete(sums, k)
		}
	}
	for m, s := range set {
		sums[m] = s.zip
		sums[sumKey{Path: m.Path, Version: m.Version + "/go.mod"}] = s.mod
	}
	data := formatSums(sums)
	if data == old {
		return false, nil
	}
	return true, os.WriteFile(file, []byte(data), 0o644)
}

// formatSums returns the go.sum lines in the Go command's order.
func formatSums(sums map[sumKey]string) string {
	keys := make([]module.Version, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	module.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s %s\n", k.Path, k.Version, sums[k])
	}
	return b.String()
}

// sumAt returns the go.sum hashes of module dep at version, from commit.
func sumAt(ctx context.Context, g gitRepo, dep repoModule, version, commit string) (moduleSum, error) {
	files, err := g.filesAt(ctx, commit, dep.Dir)
	if err != nil {
		return moduleSum{}, err
	}
	return hashModule(module.Version{Path: dep.Path, Version: version}, files)
}

// pathSet returns the set of the modules' paths.
func pathSet(mods []repoModule) map[string]bool {
	set := make(map[string]bool, len(mods))
	for _, m := range mods {
		set[m.Path] = true
	}
	return set
}

// report prints problems, one a line, and returns errProblems if there
// are any.
func report(w io.Writer, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	if _, err := io.WriteString(w, strings.Join(problems, "\n")+"\n"); err != nil {
		return err
	}
	return errProblems
}
