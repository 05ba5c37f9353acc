package mediaauth

import (
	"fmt"
	"log/slog"
	"strconv"
)

// TMDbAccessToken is a TMDb user's v4 access token with the account it
// belongs to: what TMDb's v4 user authentication hands out once the user
// approved a v4 request token. It never expires on its own; log it out
// to end it. Printing or logging a TMDbAccessToken never shows AccessToken.
type TMDbAccessToken struct {
	// AccessToken is the user's v4 bearer token.
	AccessToken string `json:"access_token"`
	// AccountID is TMDb's v4 account id (a string, unlike v3's numeric id).
	AccountID string `json:"account_id"`
}

// String describes the token without the token itself.
func (t TMDbAccessToken) String() string {
	return safeString("TMDbAccessToken", "AccountID", strconv.Quote(t.AccountID), "AccessToken", secretMark(t.AccessToken))
}

// Format prints the token like String for every verb.
func (t TMDbAccessToken) Format(f fmt.State, _ rune) { formatSafe(f, t.String()) }

// LogValue keeps the token out of slog output.
func (t TMDbAccessToken) LogValue() slog.Value { return logSafe(t.String()) }
