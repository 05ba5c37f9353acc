package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	modzip "golang.org/x/mod/zip"
)

// gitRepo runs git in the repository at dir.
type gitRepo struct {
	dir string
}

// run runs git with args and returns its standard output.
func (g gitRepo) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// isRepo reports whether dir is the top of a git work tree.
func (g gitRepo) isRepo(ctx context.Context) bool {
	out, err := g.run(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return false
	}
	top, err1 := filepath.EvalSymlinks(strings.TrimSpace(string(out)))
	dir, err2 := filepath.EvalSymlinks(g.dir)
	return err1 == nil && err2 == nil && top == dir
}

// errNoRevision is a revision that is not in the repository.
var errNoRevision = errors.New("no such revision")

// commit returns the full hash and the commit time of rev, or
// errNoRevision.
func (g gitRepo) commit(ctx context.Context, rev string) (string, time.Time, error) {
	if strings.HasPrefix(rev, "-") {
		return "", time.Time{}, errNoRevision
	}
	out, err := g.run(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return "", time.Time{}, errNoRevision
	}
	hash := strings.TrimSpace(string(out))
	out, err = g.run(ctx, "show", "-s", "--format=%ct", hash)
	if err != nil {
		return "", time.Time{}, err
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("commit time of %s: %w", hash, err)
	}
	return hash, time.Unix(sec, 0).UTC(), nil
}

// tags returns the repository's tags.
func (g gitRepo) tags(ctx context.Context) ([]string, error) {
	out, err := g.run(ctx, "tag", "--list")
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

// show returns the content of file (slash-separated) at commit.
func (g gitRepo) show(ctx context.Context, commit, file string) ([]byte, error) {
	return g.run(ctx, "show", commit+":"+file)
}

// filesAt returns the files of directory dir ("." for the root) at commit,
// with paths relative to dir, as the Go command takes them from git to
// make a module's zip: through git archive, with line endings as stored.
func (g gitRepo) filesAt(ctx context.Context, commit, dir string) ([]modzip.File, error) {
	args := []string{"-c", "core.autocrlf=input", "-c", "core.eol=lf", "archive", "--format=zip", commit}
	prefix := ""
	if dir != "." {
		prefix = dir + "/"
		args = append(args, dir)
	}
	out, err := g.run(ctx, args...)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		return nil, fmt.Errorf("git archive of %s: %w", commit, err)
	}
	var files []modzip.File
	for _, zf := range zr.File {
		name, ok := strings.CutPrefix(zf.Name, prefix)
		if !ok || name == "" || strings.HasSuffix(name, "/") {
			continue
		}
		files = append(files, archiveFile{name: name, f: zf})
	}
	return files, nil
}

// workTreeFiles returns the files of directory dir (OS path) that a
// commit of its work tree would hold: the files git knows or would add
// (not the ignored ones). When dir is not the top of a git work tree, it
// returns every regular file under dir.
func workTreeFiles(ctx context.Context, dir string) ([]modzip.File, error) {
	g := gitRepo{dir: dir}
	if !g.isRepo(ctx) {
		return walkFiles(dir)
	}
	out, err := g.run(ctx, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	var files []modzip.File
	for _, name := range strings.Split(string(out), "\x00") {
		if name == "" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		info, err := os.Lstat(p)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted from the work tree, a link or a git sub-module
		}
		files = append(files, diskFile{name: name, path: p, info: info})
	}
	return files, nil
}

// walkFiles returns every regular file under dir.
func walkFiles(dir string) ([]modzip.File, error) {
	var files []modzip.File
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, diskFile{name: filepath.ToSlash(rel), path: p, info: info})
		return nil
	})
	return files, err
}

// subdirFiles returns the files of files under dir ("." for all), with
// paths relative to dir.
func subdirFiles(files []modzip.File, dir string) []modzip.File {
	if dir == "." {
		return files
	}
	var sub []modzip.File
	for _, f := range files {
		if name, ok := strings.CutPrefix(f.Path(), dir+"/"); ok {
			sub = append(sub, renamedFile{File: f, name: name})
		}
	}
	return sub
}

// archiveFile is a file of a zip archive, for a module zip.
type archiveFile struct {
	name string
	f    *zip.File
}

// Path is the file's path in the module.
func (a archiveFile) Path() string { return a.name }

// Lstat describes the file.
func (a archiveFile) Lstat() (os.FileInfo, error) { return a.f.FileInfo(), nil }

// Open opens the file for reading.
func (a archiveFile) Open() (io.ReadCloser, error) { return a.f.Open() }

// diskFile is a file on disk, for a module zip.
type diskFile struct {
	name, path string
	info       os.FileInfo
}

// Path is the file's path in the module.
func (d diskFile) Path() string { return d.name }

// Lstat describes the file.
func (d diskFile) Lstat() (os.FileInfo, error) { return d.info, nil }

// Open opens the file for reading.
func (d diskFile) Open() (io.ReadCloser, error) { return os.Open(d.path) }

// renamedFile is a file under another path.
type renamedFile struct {
	modzip.File
	name string
}

// Path is the file's path in the module.
func (r renamedFile) Path() string { return r.name }
