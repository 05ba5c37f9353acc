package mediaauthtest_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Tests of tvmazeemail.go: the confirmation emails of the fake TVmaze API.

func TestTVmazeEmails(t *testing.T) {
	t.Parallel()
	srv, clock := startFake(t, mediaauthtest.WithTVmazeMinPollInterval(time.Second))
	c, err := srv.Client()
	require.NoError(t, err)
	ctx := t.Context()
	_, ok := srv.TVmaze.LastEmail(mediaauthtest.DemoTVmazeEmail)
	assert.False(t, ok)

	ar, err := c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail)
	require.NoError(t, err)
	assert.Empty(t, ar.ApprovalURL, "the link went by email")
	emails := srv.TVmaze.Emails()
	require.Len(t, emails, 1)
	e := emails[0]
	assert.Equal(t, mediaauthtest.DemoTVmazeEmail, e.To)
	assert.Equal(t, mediaauthtest.DemoTVmazeUsername, e.Username)
	assert.True(t, clock.Now().Equal(e.SentAt))
	last, ok := srv.TVmaze.LastEmail(strings.ToUpper(mediaauthtest.DemoTVmazeEmail))
	require.True(t, ok)
	assert.Equal(t, e, last)

	// Following the link (a plain GET) confirms the request.
	resp, err := srv.HTTPClient().Get(e.ConfirmURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	clock.Advance(2 * time.Second)
	creds, err := c.TVmaze.PollAuth(ctx, *ar)
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, creds.APIKey)

	// No email when the application shows the link itself.
	clock.Advance(2 * time.Second)
	_, err = c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail, mediaauth.WithoutEmailConfirmation())
	require.NoError(t, err)
	assert.Len(t, srv.TVmaze.Emails(), 1)
}

func TestTVmazeEmailDoesNotPrintItsLink(t *testing.T) {
	t.Parallel()
	e := mediaauthtest.TVmazeEmail{To: "a@example.com", Username: "a", ConfirmURL: "http://127.0.0.1/v1/auth/confirm/secret-code"}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("email", "e", e)
	for _, v := range []any{e, &e} {
		out := fmt.Sprintf("%v %+v %#v %s %q", v, v, v, v, v) + logs.String()
		assert.NotContains(t, out, "secret-code")
		assert.Contains(t, out, "[REDACTED]")
		assert.Contains(t, out, "a@example.com")
	}
}

// TestTVmazeEmailNamesTheApplication: the email, its outbox entry and the
// confirm page its link opens name the application that started the
// request, from its User-Agent.
func TestTVmazeEmailNamesTheApplication(t *testing.T) {
	t.Parallel()
	srv, _ := pagesFake(t, mediaauthtest.WithTVmazeMinPollInterval(time.Nanosecond))
	c, err := srv.Client(mediaauth.WithUserAgent("tvapp/2 mediaauth-go/1"))
	require.NoError(t, err)
	ar, err := c.TVmaze.StartAuth(t.Context(), mediaauthtest.DemoTVmazeEmail)
	require.NoError(t, err)
	email, ok := srv.TVmaze.LastEmail(mediaauthtest.DemoTVmazeEmail)
	require.True(t, ok)
	assert.Equal(t, "tvapp/2", email.App)

	b := newBrowser(t, srv)
	outbox := b.get(srv.URL + mediaauthtest.TVmazeOutboxPath)
	require.Equal(t, http.StatusOK, outbox.status)
	m := regexp.MustCompile(`The application tvapp/2 asks for the API key of your TVmaze account\. <a href="(http://[^"]+/v1/auth/confirm/[0-9a-f]+)">`).FindStringSubmatch(outbox.body)
	require.NotNil(t, m, outbox.body)
	p := b.get(m[1])
	require.Equal(t, http.StatusOK, p.status)
	assert.Contains(t, p.body, "The application tvapp/2 asks for the API key of your TVmaze account demo.")
	p = b.press(m[1], p, "confirm")
	assert.Contains(t, p.body, "<h1>Confirmed</h1>")
	_, err = c.TVmaze.PollAuth(t.Context(), *ar)
	require.NoError(t, err)
}
