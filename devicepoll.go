package mediaauth

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// TVmazeCredentials are what TVmaze's HTTP Basic auth takes: the username
// and the user's API key. Printing or logging them never shows APIKey.
type TVmazeCredentials struct {
	Username string `json:"username"`
	APIKey   string `json:"apikey"`
}

// String describes the credentials without the API key.
func (c TVmazeCredentials) String() string {
	return safeString("TVmazeCredentials", "Username", strconv.Quote(c.Username), "APIKey", secretMark(c.APIKey))
}

// Format prints the credentials like String for every verb.
func (c TVmazeCredentials) Format(f fmt.State, _ rune) { formatSafe(f, c.String()) }

// LogValue keeps the API key out of slog output.
func (c TVmazeCredentials) LogValue() slog.Value { return logSafe(c.String()) }

// PollEvent reports one attempt of PollUntilConfirmed to WithPollObserver.
type PollEvent struct {
	// Attempt counts poll requests, from 1.
	Attempt int
	// StatusCode is the HTTP status of the answer, 0 on a network error.
	StatusCode int
	// Err is the attempt's error (ErrNotConfirmed while waiting), nil on success.
	Err error
	// NextPoll is the wait before the next attempt; 0 when polling ended.
	NextPoll time.Duration
}
