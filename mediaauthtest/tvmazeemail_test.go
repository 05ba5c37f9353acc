package mediaauthtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestTVmazeOutbox: a login by email completes against the fake through
// its outbox: the email is readable from Go, as JSON and on a page whose
// link opens the confirm page, which names the application.
func TestTVmazeOutbox(t *testing.T) {
	t.Parallel()
	srv, _ := pagesFake(t, mediaauthtest.WithTVmazeMinPollInterval(time.Nanosecond), mediaauthtest.WithTVmazeStartInterval(time.Nanosecond))
	c, err := srv.Client(mediaauth.WithUserAgent("tvapp/2 mediaauth-go/1"))
	require.NoError(t, err)
	ctx := t.Context()
	ar, err := c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail)
	require.NoError(t, err)
	assert.Empty(t, ar.ApprovalURL, "TVmaze emailed the link")

	email, ok := srv.TVmaze.LastEmail("DEMO@example.com")
	require.True(t, ok)
	assert.Equal(t, mediaauthtest.DemoTVmazeEmail, email.To)
	assert.Equal(t, "tvapp/2", email.App)
	assert.Regexp(t, `^`+regexp.QuoteMeta(srv.URL)+`/v1/auth/confirm/[0-9a-f]+$`, email.ConfirmURL)
	assert.NotContains(t, fmt.Sprint(email), email.ConfirmURL)

	resp, err := srv.HTTPClient().Get(srv.URL + mediaauthtest.FakeTVmazeEmailsPath + "?to=" + mediaauthtest.DemoTVmazeEmail)
	require.NoError(t, err)
	var got struct {
		Emails []struct {
			To, App    string
			ConfirmURL string `json:"confirm_url"`
		}
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	resp.Body.Close()
	require.Len(t, got.Emails, 1)
	assert.Equal(t, email.ConfirmURL, got.Emails[0].ConfirmURL)

	b := newBrowser(t, srv)
	outbox := b.get(srv.URL + mediaauthtest.FakeTVmazeOutboxPath)
	require.Equal(t, http.StatusOK, outbox.status)
	m := regexp.MustCompile(`<a href="(/v1/auth/confirm/[0-9a-f]+)">Open the confirm link</a>`).FindStringSubmatch(outbox.body)
	require.NotNil(t, m, outbox.body)
	assert.Contains(t, outbox.body, "To "+mediaauthtest.DemoTVmazeEmail)
	p := b.get(srv.URL + m[1])
	require.Equal(t, http.StatusOK, p.status)
	assert.Contains(t, p.body, "The application tvapp/2 asks for the API key of your TVmaze account demo.")
	p = b.press(srv.URL+m[1], p, "confirm")
	assert.Contains(t, p.body, "<h1>Confirmed</h1>")
	creds, err := c.TVmaze.PollAuth(ctx, *ar)
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, creds.APIKey)

	// A request for a confirm URL sends no email; an address is required.
	_, err = c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail, mediaauth.WithoutEmailConfirmation())
	require.NoError(t, err)
	assert.Len(t, srv.TVmaze.Emails(), 1)
	resp, err = srv.HTTPClient().Get(srv.URL + mediaauthtest.FakeTVmazeEmailsPath)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	empty := b.get(srv.URL + mediaauthtest.FakeTVmazeOutboxPath + "?to=nobody@example.com")
	assert.Contains(t, empty.body, "No email yet")
}
