package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
)

// Where the command keeps credentials: the OS keychain when one answers
// (the macOS Keychain, the Windows Credential Manager, a Secret Service on
// Linux), else credentials.json in the config directory (mode 0600). The
// keychain is not used with --insecure-storage. A credential the command
// could not save after the server handed it out is kept in a file of its
// own (rescue), never dropped.

// credentialsFile is the file in the config directory that keeps the
// credentials when the keychain does not.
const credentialsFile = "credentials.json"

// keychainProbeTimeout bounds the wait for the keychain to answer.
const keychainProbeTimeout = 3 * time.Second

// keychainStore is the OS keychain as the command uses it: a credential
// store that can say whether it answers (*mediaauth.KeychainStore).
type keychainStore interface {
	mediaauth.CredentialStore
	Available(ctx context.Context) error
}

// Where an entry lives, as status shows it.
const (
	inKeychain = "keychain"
	inFile     = "file"
)

// storage is the command's two stores.
type storage struct {
	file     *mediaauth.FileStore
	keychain keychainStore // nil when not used
	// why says why the keychain is not used, when it is not.
	why string
}

// located is an entry and where it lives (inKeychain or inFile).
type located struct {
	mediaauth.StoredCredentials
	where string
}

// configDir is the directory of --config-dir, or mediaauth in the user's
// config directory.
func (a *app) configDir() (string, error) {
	if dir := a.globals.configDir; dir != "" {
		return filepath.Abs(dir)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory: give --config-dir or set %s (%v)", envConfigDir, err)
	}
	return filepath.Join(base, "mediaauth"), nil
}

// keychainService is the service name of the command's keychain items:
// "mediaauth", or "mediaauth DIR" for another --config-dir, so that each
// config directory has credentials of its own.
func (a *app) keychainService(dir string) string {
	if a.globals.configDir == "" {
		return "mediaauth"
	}
	return "mediaauth " + dir
}

// openStorage opens the credentials file and, unless --insecure-storage
// says otherwise, the OS keychain when it answers.
func (a *app) openStorage(ctx context.Context) (*storage, error) {
	dir, err := a.configDir()
	if err != nil {
		return nil, err
	}
	file, err := mediaauth.NewFileStore(filepath.Join(dir, credentialsFile))
	if err != nil {
		return nil, err
	}
	st := &storage{file: file}
	if a.globals.insecureStorage {
		st.why = "--insecure-storage"
		return st, nil
	}
	kc := a.sys.keychain(a.keychainService(dir))
	if kc == nil {
		st.why = "no OS keychain on this system"
		return st, nil
	}
	probe, cancel := context.WithTimeout(ctx, keychainProbeTimeout)
	defer cancel()
	if err := kc.Available(probe); err != nil {
		if ctx.Err() != nil {
			return nil, errInterrupted
		}
		st.why = "no OS keychain answers: " + strings.TrimPrefix(oneLine(err.Error()), "mediaauth: ")
		return st, nil
	}
	st.keychain = kc
	return st, nil
}

// primary is the store new credentials go to, and where it is.
func (st *storage) primary() (mediaauth.CredentialStore, string) {
	if st.keychain != nil {
		return st.keychain, inKeychain
	}
	return st.file, inFile
}

// describe says where an entry that lives in where is kept.
func (st *storage) describe(where string) string {
	if where == inKeychain {
		return "the OS keychain"
	}
	return st.file.Path()
}

// check returns the error a save of api and profile would meet now.
func (st *storage) check(ctx context.Context, api mediaauth.API, profile string) error {
	store, _ := st.primary()
	if sc, ok := store.(mediaauth.SaveChecker); ok {
		if err := sc.CheckSave(ctx, api, profile); err != nil {
			return err
		}
	}
	if store != mediaauth.CredentialStore(st.file) {
		// An entry of the file is removed once the keychain has its copy:
		// the file must be readable.
		_, err := st.file.Load(ctx, api, profile)
		if err != nil && !errors.Is(err, mediaauth.ErrCredentialNotFound) {
			return err
		}
	}
	return nil
}

// load returns the entry of api and profile and where it lives: the
// keychain's first.
func (st *storage) load(ctx context.Context, api mediaauth.API, profile string) (*mediaauth.StoredCredentials, string, error) {
	if st.keychain != nil {
		c, err := st.keychain.Load(ctx, api, profile)
		if !errors.Is(err, mediaauth.ErrCredentialNotFound) {
			return c, inKeychain, err
		}
	}
	c, err := st.file.Load(ctx, api, profile)
	return c, inFile, err
}

// list returns every entry of both stores; an entry of the file that the
// keychain holds too is left out (the keychain's is the one in use).
func (st *storage) list(ctx context.Context) ([]located, error) {
	var all []located
	seen := map[[2]string]bool{}
	if st.keychain != nil {
		entries, err := st.keychain.List(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			all = append(all, located{e, inKeychain})
			seen[[2]string{string(e.API), e.Profile}] = true
		}
	}
	entries, err := st.file.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !seen[[2]string{string(e.API), e.Profile}] {
			all = append(all, located{e, inFile})
		}
	}
	return all, nil
}

// save keeps creds in the primary store; once the keychain has it, an
// older copy in the file is removed. It returns where creds went.
func (st *storage) save(ctx context.Context, creds *mediaauth.StoredCredentials) (string, error) {
	store, where := st.primary()
	if err := store.Save(ctx, creds); err != nil {
		return "", err
	}
	if where == inKeychain {
		_ = st.file.Delete(ctx, creds.API, creds.Profile)
	}
	return where, nil
}

// remove deletes the entry of api and profile from both stores; it reports
// mediaauth.ErrCredentialNotFound when neither held one.
func (st *storage) remove(ctx context.Context, api mediaauth.API, profile string) error {
	found := false
	for _, store := range []mediaauth.CredentialStore{st.keychain, st.file} {
		if store == nil {
			continue
		}
		err := store.Delete(ctx, api, profile)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, mediaauth.ErrCredentialNotFound):
			return err
		}
	}
	if !found {
		return mediaauth.ErrCredentialNotFound
	}
	return nil
}

// rescue keeps creds, which could not be saved, in a new directory of
// their own (mode 0700) as a credentials file (mode 0600) that
// "mediaauth --config-dir DIR" reads, and returns the directory. It tries
// the user's cache directory, the temporary directory, then the config
// directory.
func (a *app) rescue(creds *mediaauth.StoredCredentials) (string, error) {
	data, err := json.MarshalIndent(struct {
		Version     int                           `json:"version"`
		Credentials []mediaauth.StoredCredentials `json:"credentials"`
	}{1, []mediaauth.StoredCredentials{*creds}}, "", "  ")
	if err != nil {
		return "", err
	}
	var bases []string
	if dir, err := a.sys.cacheDir(); err == nil {
		bases = append(bases, filepath.Join(dir, "mediaauth"))
	}
	bases = append(bases, os.TempDir())
	if dir, err := a.configDir(); err == nil {
		bases = append(bases, dir)
	}
	name := "rescued-" + string(creds.API) + "-" + a.sys.now().UTC().Format("20060102T150405")
	var errs []error
	for _, base := range bases {
		dir, err := writeRescue(base, name, append(data, '\n'))
		if err == nil {
			return dir, nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

// writeRescue makes a new private directory under base and writes the
// credentials file into it.
func writeRescue(base, name string, data []byte) (string, error) {
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(base, name+"-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(filepath.Join(dir, credentialsFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return "", err
	}
	return dir, f.Close()
}
