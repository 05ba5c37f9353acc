package mediaauth

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pipeUserJSON and pipeTokenJSON are success bodies of the Movies API: the
// golden bodies of GET /user/profile and POST /login (testdata/bodies).
var (
	//go:embed testdata/bodies/movies/profile_200.json
	pipeUserJSON string
	//go:embed testdata/bodies/movies/login_200.json
	pipeTokenJSON string
)

// pipeAnswer writes a JSON answer.
func pipeAnswer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// TestConcurrentUse hammers one Client and clients derived from it from 16
// goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		served.Add(1)
		switch r.URL.Path {
		case "/login":
			pipeAnswer(w, http.StatusOK, pipeTokenJSON)
		case "/user/profile":
			// Echo the token as the username, so each goroutine can check
			// it got its own answer.
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if r.Method == http.MethodPut && strings.HasSuffix(tok, "-3") {
				pipeAnswer(w, http.StatusConflict, `{"error":"conflict","message":"taken"}`)
				return
			}
			pipeAnswer(w, http.StatusOK, fmt.Sprintf(`{"id":"1","username":%q}`, tok))
		default:
			pipeAnswer(w, http.StatusNotFound, `{"error":"not_found","message":"no"}`)
		}
	}))
	defer srv.Close()
	var logs bytes.Buffer
	var logMu sync.Mutex
	c, err := New(WithMoviesBaseURL(srv.URL), WithCredentials(Token{AccessToken: "shared"}), WithRetry(0, 0, 0),
		WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)

	const workers, perWorker = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			own := c.With(Token{AccessToken: fmt.Sprintf("worker-%d", w)})
			for i := range perWorker {
				var err error
				switch i % 4 {
				case 0:
					_, err = c.Movies.Login(ctx, "u", "p")
				case 1:
					var u *User
					u, err = own.Movies.Profile(ctx)
					if err == nil && u.Username != fmt.Sprintf("worker-%d", w) {
						err = fmt.Errorf("worker %d got the answer for %s", w, u.Username)
					}
				case 2:
					_, err = own.Movies.UpdateProfile(ctx, ProfileUpdate{Bio: String("b")})
					if w%10 == 3 && errors.Is(err, ErrConflict) {
						err = nil
					}
				case 3:
					_, err = c.With(Token{AccessToken: fmt.Sprintf("tmp-%d-%d", w, i)}).Movies.FetchAPIKey(ctx)
					if errors.Is(err, ErrNotFound) {
						err = nil
					}
					_ = c.String()
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, int32(workers*perWorker), served.Load())
	logMu.Lock()
	defer logMu.Unlock()
	assert.Equal(t, workers*perWorker, strings.Count(logs.String(), "\n"))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestNilAndZeroClient checks that a zero Client, nil handles, or a nil
// context give an error wrapping ErrInvalidArgument, not a panic.
func TestNilAndZeroClient(t *testing.T) {
	t.Parallel()
	var nilClient *Client
	var nilCtx context.Context
	ok, err := New(WithMoviesBaseURL("https://movies.test"))
	require.NoError(t, err)
	for name, c := range map[string]*Client{"zero": {}, "derived from nil": nilClient.With(Token{AccessToken: "x"}),
		"derived from zero": (&Client{}).With(Token{AccessToken: "x"}), "without from nil": nilClient.Without()} {
		require.NotPanics(t, func() {
			_, err := c.Movies.Login(t.Context(), "u", "p")
			assert.ErrorIs(t, err, ErrInvalidArgument, name)
			assert.ErrorContains(t, err, "use New", name)
			_, err = c.Movies.Profile(t.Context())
			assert.ErrorIs(t, err, ErrInvalidArgument, name)
			assert.ErrorIs(t, c.TMDb.Do(t.Context(), "GET", "/3/account", nil, nil), ErrInvalidArgument, name)
			_, err = c.TMDb.HTTPClient().Get("https://api.themoviedb.org/3/account")
			assert.ErrorIs(t, err, ErrInvalidArgument, name)
			assert.Empty(t, c.TVmaze.BaseURL(), name)
			assert.NotEmpty(t, c.String(), name)
			assert.NotEmpty(t, fmt.Sprintf("%v", c), name)
		}, name)
	}
	require.NotPanics(t, func() {
		_, err := ok.Movies.Login(nilCtx, "u", "p")
		assert.ErrorContains(t, err, "nil context")
	})
}
