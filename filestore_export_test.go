package mediaauth

import "time"

// Hooks into FileStore for the tests of package mediaauth_test; like
// export_test.go, this file is part of the package only when it is tested.

// SetBeforeRename makes s call f between writing its new file and renaming
// it over the old one; an error from f stops the write there, as a crash
// would.
func SetBeforeRename(s *FileStore, f func() error) { s.beforeRename = f }

// SetStoreClock makes s read the time of SavedAt from now.
func SetStoreClock(s *FileStore, now func() time.Time) { s.now = now }
