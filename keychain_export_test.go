package mediaauth

import (
	"sync"

	"github.com/zalando/go-keyring"
)

// NewMemoryKeychainStore returns a KeychainStore whose keychain is kc, a
// map in memory, and whose lock file is lockPath, for tests of the store's
// own logic. Two stores given the same kc and lockPath act as two
// processes sharing one keychain.
func NewMemoryKeychainStore(service string, kc *MemoryKeychain, lockPath string) *KeychainStore {
	s, err := NewKeychainStore(service)
	if err != nil {
		panic(err)
	}
	s.kr, s.lockPath = kc, lockPath
	return s
}

// MemoryKeychain is a keychain in memory, safe for concurrent use.
type MemoryKeychain struct {
	mu    sync.Mutex
	items map[[2]string]string
}

func (m *MemoryKeychain) Set(service, user, secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		m.items = map[[2]string]string{}
	}
	m.items[[2]string{service, user}] = secret
	return nil
}

func (m *MemoryKeychain) Get(service, user string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[[2]string{service, user}]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (m *MemoryKeychain) Delete(service, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[[2]string{service, user}]; !ok {
		return keyring.ErrNotFound
	}
	delete(m.items, [2]string{service, user})
	return nil
}
