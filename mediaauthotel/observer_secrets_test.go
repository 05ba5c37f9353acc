package mediaauthotel_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestNoSecretInTelemetry plants secrets of every kind (passwords, tokens,
// API keys, session ids, a TVmaze auth token), makes calls that succeed
// and calls whose answers echo the secrets back, through every door, and
// scans every span name, attribute, event, status and link, and every
// metric's attributes, for them.
func TestNoSecretInTelemetry(t *testing.T) {
	tm := newTelemetry(t)
	srv := mediaauthtest.NewServer(mediaauthtest.WithTMDbAutoApprove(), mediaauthtest.WithTVmazeAutoConfirm(time.Millisecond),
		mediaauthtest.WithTVmazeMinPollInterval(time.Millisecond))
	t.Cleanup(srv.Close)
	const (
		moviesPassword = "movies-password-SECRET-7f3a"
		tmdbPassword   = "tmdb-password-SECRET-91bc"
		tmdbKey        = "tmdb-api-key-SECRET-55aa"
	)
	_, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "carol", Email: "carol@example.com", Password: moviesPassword})
	require.NoError(t, err)
	require.NoError(t, srv.TMDb.AddUser(mediaauthtest.TMDbUser{Username: "carol", Password: tmdbPassword}))
	srv.TMDb.AddAPIKey(tmdbKey)
	c, err := srv.Client(mediaauth.WithObserver(tm.obs), mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbKey)))
	require.NoError(t, err)
	ctx := context.Background()
	secrets := []string{moviesPassword, tmdbPassword, tmdbKey, mediaauthtest.DemoTVmazeAPIKey, mediaauthtest.DemoTMDbAPIKey}

	// Successful calls that carry or hand out secrets.
	tok, err := c.Movies.Login(ctx, "carol", moviesPassword)
	require.NoError(t, err)
	session, err := c.TMDb.LoginSession(ctx, "carol", tmdbPassword)
	require.NoError(t, err)
	req, err := c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail, mediaauth.WithoutEmailConfirmation())
	require.NoError(t, err)
	tv, err := c.TVmaze.PollUntilConfirmed(ctx, *req, mediaauth.WithPollInterval(5*time.Millisecond))
	require.NoError(t, err)
	secrets = append(secrets, tok.AccessToken, session.ID, req.Token)
	_, err = c.TVmaze.With(*tv).Validate(ctx)
	require.NoError(t, err)

	// Answers that echo every secret, through the typed calls, Do, and
	// HTTPClient with the key in the URL's query.
	echo := strings.Join(secrets, " ")
	for _, path := range []string{mediaauthtest.MoviesPrefix + "/user/profile", "/3/authentication", "/3/account",
		mediaauthtest.TVmazePrefix + "/auth/validate", mediaauthtest.MoviesPrefix + "/login"} {
		srv.InjectFault(path, mediaauthtest.Fault{Status: 401, Times: -1,
			Body: fmt.Sprintf(`{"error":"invalid %s","message":"bad %s","status_code":7,"status_message":"bad %s"}`, echo, echo, echo)})
	}
	_, err = c.Movies.With(tok).Profile(ctx)
	require.Error(t, err)
	_, err = c.Movies.Login(ctx, "carol", moviesPassword)
	require.Error(t, err)
	require.Error(t, c.TMDb.Validate(ctx))
	require.Error(t, c.TMDb.With(*session).Do(ctx, http.MethodGet, "/3/account?session_id="+session.ID, nil, nil))
	_, err = c.TVmaze.With(*tv).Validate(ctx)
	require.Error(t, err)
	hreq, err := http.NewRequest(http.MethodGet, c.TMDb.BaseURL()+"/3/account?api_key="+tmdbKey+"&session_id="+session.ID, nil)
	require.NoError(t, err)
	resp, err := c.TMDb.HTTPClient().Do(hreq)
	require.NoError(t, err)
	require.Error(t, mediaauth.CheckResponse(mediaauth.APITMDb, resp))
	// A renewal that fails with the password in its error.
	pw := func(context.Context) (string, error) { return "", errors.New("no password " + moviesPassword) }
	_, err = c.Movies.With(mediaauth.RenewingMoviesToken(mediaauth.ReuseMoviesTokenSource(nil, c.Movies.LoginTokenSource("carol", pw)))).Profile(ctx)
	require.Error(t, err)

	texts := telemetryTexts(t, tm)
	require.Greater(t, len(texts), 100, "the scan saw the telemetry")
	for _, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("a secret in the telemetry: %q", text)
			}
		}
	}
}

// telemetryTexts lists every text of the spans and metrics tm recorded.
func telemetryTexts(t *testing.T, tm *telemetry) []string {
	var texts []string
	kvs := func(prefix string, list []attribute.KeyValue) {
		for _, kv := range list {
			texts = append(texts, prefix+string(kv.Key)+"="+kv.Value.Emit())
		}
	}
	for _, s := range tm.spans.Ended() {
		texts = append(texts, "span "+s.Name(), "status "+s.Status().Description)
		kvs("span attribute ", s.Attributes())
		for _, ev := range s.Events() {
			texts = append(texts, "event "+ev.Name)
			kvs("event attribute ", ev.Attributes)
		}
		for _, l := range s.Links() {
			kvs("link attribute ", l.Attributes)
		}
		kvs("resource ", s.Resource().Attributes())
	}
	for _, m := range tm.metrics(t) {
		texts = append(texts, "metric "+m.Name+" "+m.Description+" "+m.Unit)
		switch data := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range data.DataPoints {
				kvs("metric attribute ", p.Attributes.ToSlice())
			}
		case metricdata.Histogram[float64]:
			for _, p := range data.DataPoints {
				kvs("metric attribute ", p.Attributes.ToSlice())
				for _, ex := range p.Exemplars {
					kvs("exemplar attribute ", ex.FilteredAttributes)
				}
			}
		default:
			assert.Failf(t, "unexpected metric type", "%s: %T", m.Name, m.Data)
		}
	}
	return texts
}
