package mediaauth

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestResendAudit lists every endpoint with its resend mode and checks it
// against the rule: a call is resent after the server may have received it
// only when repeating it is harmless, and a single-use token never.
func TestResendAudit(t *testing.T) {
	t.Parallel()
	// What each call does when repeated after the server acted on it.
	audit := map[string]struct {
		mode retryMode
		why  string
	}{
		"Movies.Register":                    {retryUnsafe, "a second account attempt answers 409 and hides the first's success"},
		"Movies.VerifyEmail":                 {retryUnsafe, "single-use verification token"},
		"Movies.Login":                       {retryUnsafe, "POST; each login issues a token"},
		"Movies.FormLogin":                   {retryUnsafe, "POST; each login issues a token"},
		"Movies.Profile":                     {retryIdempotent, "GET"},
		"Movies.UpdateProfile":               {retryIdempotent, "PUT of the same fields leaves the same profile"},
		"Movies.RequestPasswordReset":        {retryUnsafe, "each request sends another email"},
		"Movies.ConfirmPasswordReset":        {retryUnsafe, "single-use reset token"},
		"Movies.FetchAPIKey":                 {retryIdempotent, "GET"},
		"Movies.GenerateAPIKey":              {retryUnsafe, "each POST revokes the previous key"},
		"TVmaze.StartAuth":                   {retryUnsafe, "each start sends another email"},
		"TVmaze.PollAuth":                    {retryNever, "the key is handed out once; a lost 200 cannot be asked for again"},
		"TVmaze.Validate":                    {retryIdempotent, "GET"},
		"TMDb.Validate":                      {retryIdempotent, "GET"},
		"TMDb.CreateRequestToken":            {retryIdempotent, "GET; an unused token expires on its own"},
		"TMDb.ValidateRequestTokenWithLogin": {retryUnsafe, "carries a password; approves a single-use token"},
		"TMDb.CreateSession":                 {retryUnsafe, "single-use request token"},
		"TMDb.CreateSessionFromV4Token":      {retryUnsafe, "POST; each conversion makes a session"},
		"TMDb.CreateGuestSession":            {retryIdempotent, "GET; an unused guest session expires on its own"},
		"TMDb.DeleteSession":                 {retryIdempotent, "DELETE; a deleted session stays deleted"},
		"TMDb.CreateV4RequestToken":          {retryIdempotent, "POST that only makes an unapproved token, which expires on its own"},
		"TMDb.CreateV4AccessToken":           {retryUnsafe, "single-use approved request token"},
		"TMDb.DeleteV4AccessToken":           {retryIdempotent, "DELETE; a logged-out token stays logged out"},
	}
	// POSTs that may be resent freely, each with the reason above.
	harmlessPOST := map[string]bool{"TMDb.CreateV4RequestToken": true}
	singleUse := map[string]bool{"Movies.VerifyEmail": true, "Movies.ConfirmPasswordReset": true, "TVmaze.PollAuth": true,
		"TMDb.CreateSession": true, "TMDb.ValidateRequestTokenWithLogin": true, "TMDb.CreateV4AccessToken": true}
	seen := map[string]bool{}
	for _, ep := range endpoints {
		seen[ep.name] = true
		want, ok := audit[ep.name]
		if !assert.True(t, ok, "endpoint %s (%s %s) is missing from the audit", ep.name, ep.method, ep.path) {
			continue
		}
		assert.Equal(t, want.mode, ep.resend, "%s: %s", ep.name, want.why)
		if ep.resend == retryIdempotent && !harmlessPOST[ep.name] {
			assert.Contains(t, []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete}, ep.method,
				"%s: only methods HTTP defines as idempotent may be resent freely", ep.name)
		}
		if singleUse[ep.name] {
			assert.NotEqual(t, retryIdempotent, ep.resend, "%s carries a single-use token", ep.name)
		}
	}
	for name := range audit {
		assert.True(t, seen[name], "audit row %s has no endpoint", name)
	}
}
