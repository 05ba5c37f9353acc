package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// An archiveEntry is a file to put into a release archive.
type archiveEntry struct {
	name string // its name in the archive
	path string // where it is on disk
	mode int64
}

// runArchive packs the binaries that scripts/build-binaries.sh built into
// DIR/build/OS_ARCH/ into one archive per platform, with the extra files
// given (README.md, CHANGELOG.md): DIR/mediaauth_X.Y.Z_OS_ARCH.tar.gz, or
// .zip for Windows, and writes their SHA-256 sums into
// DIR/mediaauth_X.Y.Z_checksums.txt, in the form sha256sum -c reads. The
// archives are reproducible: their times are $SOURCE_DATE_EPOCH, or
// 1980-01-01.
func runArchive(_ context.Context, args []string, stdout io.Writer) error {
	version, dir, extra := args[0], args[1], args[2:]
	if err := checkReleaseVersion(version); err != nil {
		return err
	}
	mtime, err := sourceDate()
	if err != nil {
		return err
	}
	platforms, err := os.ReadDir(filepath.Join(dir, "build"))
	if err != nil {
		return err
	}
	number := strings.TrimPrefix(version, "v")
	var names []string
	for _, p := range platforms {
		entries, err := platformEntries(filepath.Join(dir, "build", p.Name()), extra)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("mediaauth_%s_%s", number, p.Name())
		if strings.HasPrefix(p.Name(), "windows_") {
			name += ".zip"
			err = writeZipArchive(filepath.Join(dir, name), entries, mtime)
		} else {
			name += ".tar.gz"
			err = writeTarGz(filepath.Join(dir, name), entries, mtime)
		}
		if err != nil {
			return err
		}
		names = append(names, name)
		fmt.Fprintln(stdout, filepath.Join(dir, name))
	}
	sums := filepath.Join(dir, "mediaauth_"+number+"_checksums.txt")
	if err := writeChecksums(sums, dir, names); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, sums)
	return err
}

// sourceDate returns the time of the files in the archives.
func sourceDate() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// platformEntries returns the files of one platform's archive: the files
// built into dir (executables), then the extra files.
func platformEntries(dir string, extra []string) ([]archiveEntry, error) {
	built, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var entries []archiveEntry
	for _, b := range built {
		if b.Type().IsRegular() {
			entries = append(entries, archiveEntry{name: b.Name(), path: filepath.Join(dir, b.Name()), mode: 0o755})
		}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("nothing built in %s", dir)
	}
	for _, e := range extra {
		entries = append(entries, archiveEntry{name: filepath.Base(e), path: e, mode: 0o644})
	}
	return entries, nil
}

// writeTarGz writes a gzip-compressed tar archive of entries.
func writeTarGz(file string, entries []archiveEntry, mtime time.Time) (err error) {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	gz := gzip.NewWriter(f)
	defer closeInto(gz, &err)
	tw := tar.NewWriter(gz)
	defer closeInto(tw, &err)
	for _, e := range entries {
		data, err := os.ReadFile(e.path)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return nil
}

// writeZipArchive writes a zip archive of entries.
func writeZipArchive(file string, entries []archiveEntry, mtime time.Time) (err error) {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer closeInto(f, &err)
	zw := zip.NewWriter(f)
	defer closeInto(zw, &err)
	for _, e := range entries {
		data, err := os.ReadFile(e.path)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(os.FileMode(e.mode))
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	return nil
}

// writeChecksums writes the SHA-256 sums of the files names in dir.
func writeChecksums(file, dir string, names []string) error {
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	return os.WriteFile(file, []byte(b.String()), 0o644)
}

// closeInto closes c, and keeps its error in *err when there was none.
func closeInto(c io.Closer, err *error) {
	if cerr := c.Close(); *err == nil {
		*err = cerr
	}
}
