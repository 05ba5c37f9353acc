package mediaauth_test

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// The TMDb rows of the status tables of errors.go: every code of TMDb's
// published table, sent with its HTTP status, maps to its sentinels.

// tmdbPublishedCodes is TMDb's published table of status codes: code, HTTP
// status and message (https://developer.themoviedb.org/docs/errors).
var tmdbPublishedCodes = []struct {
	code    int
	status  int
	message string
}{
	{1, 200, "Success."},
	{2, 501, "Invalid service: this service does not exist."},
	{3, 401, "Authentication failed: You do not have permissions to access the service."},
	{4, 405, "Invalid format: This service doesn't exist in that format."},
	{5, 422, "Invalid parameters: Your request parameters are incorrect."},
	{6, 404, "Invalid id: The pre-requisite id is invalid or not found."},
	{7, 401, "Invalid API key: You must be granted a valid key."},
	{8, 403, "Duplicate entry: The data you tried to submit already exists."},
	{9, 503, "Service offline: This service is temporarily offline, try again later."},
	{10, 401, "Suspended API key: Access to your account has been suspended, contact TMDB."},
	{11, 500, "Internal error: Something went wrong, contact TMDB."},
	{12, 201, "The item/record was updated successfully."},
	{13, 200, "The item/record was deleted successfully."},
	{14, 401, "Authentication failed."},
	{15, 500, "Failed."},
	{16, 401, "Device denied."},
	{17, 401, "Session denied."},
	{18, 400, "Validation failed."},
	{19, 406, "Invalid accept header."},
	{20, 422, "Invalid date range: Should be a range no longer than 14 days."},
	{21, 200, "Entry not found: The item you are trying to edit cannot be found."},
	{22, 400, "Invalid page: Pages start at 1 and max at 500."},
	{23, 400, "Invalid date: Format needs to be YYYY-MM-DD."},
	{24, 504, "Your request to the backend server timed out. Try again."},
	{25, 429, "Your request count (#) is over the allowed limit of (40)."},
	{26, 400, "You must provide a username and password."},
	{27, 400, "Too many append to response objects: The maximum number of remote calls is 20."},
	{28, 400, "Invalid timezone: Please consult the documentation for a valid timezone."},
	{29, 400, "You must confirm this action: Please provide a confirm=true parameter."},
	{30, 401, "Invalid username and/or password: You did not provide a valid login."},
	{31, 401, "Account disabled: Your account is no longer active. Contact TMDB if this is an error."},
	{32, 401, "Email not verified: Your email address has not been verified."},
	{33, 401, "Invalid request token: The request token is either expired or invalid."},
	{34, 404, "The resource you requested could not be found."},
	{35, 401, "Invalid token."},
	{36, 401, "This token hasn't been granted write permission by the user."},
	{37, 404, "The requested session could not be found."},
	{38, 401, "You don't have permission to edit this resource."},
	{39, 401, "This resource is private."},
	{40, 200, "Nothing to update."},
	{41, 422, "This request token hasn't been approved by the user."},
	{42, 405, "This request method is not supported for this resource."},
	{43, 502, "Couldn't connect to the backend server."},
	{44, 500, "The ID is invalid."},
	{45, 403, "This user has been suspended."},
	{46, 503, "The API is undergoing maintenance. Try again later."},
	{47, 400, "The input is not valid."},
}

// tmdbCodeSentinels are the codes with a sentinel of their own.
var tmdbCodeSentinels = map[int]error{
	6:  mediaauth.ErrNotFound,
	7:  mediaauth.ErrInvalidAPIKey,
	10: mediaauth.ErrInvalidAPIKey,
	17: mediaauth.ErrSessionDenied,
	25: mediaauth.ErrRateLimited,
	30: mediaauth.ErrInvalidCredentials,
	32: mediaauth.ErrEmailNotVerified,
	33: mediaauth.ErrInvalidRequestToken,
	34: mediaauth.ErrNotFound,
	37: mediaauth.ErrNotFound,
	41: mediaauth.ErrRequestTokenNotApproved,
}

// tmdbStatusClass is the class sentinel of an HTTP status; 405 and 406 have
// none.
func tmdbStatusClass(status int) error {
	switch {
	case status == 400:
		return mediaauth.ErrBadRequest
	case status == 401:
		return mediaauth.ErrUnauthorized
	case status == 403:
		return mediaauth.ErrForbidden
	case status == 404:
		return mediaauth.ErrNotFound
	case status == 422:
		return mediaauth.ErrUnprocessable
	case status == 429:
		return mediaauth.ErrRateLimited
	case status >= 500:
		return mediaauth.ErrServer
	}
	return nil
}

// TestTMDbCodeTable sends every code of TMDb's published table (1-47) with
// its HTTP status and checks the error: APIError fields, the code's own
// sentinel and the class of its status. Codes TMDb answers with a 2xx
// status are not errors: the call succeeds.
func TestTMDbCodeTable(t *testing.T) {
	t.Parallel()
	require.Len(t, tmdbPublishedCodes, 47)
	specific := []error{
		mediaauth.ErrInvalidAPIKey, mediaauth.ErrSessionDenied, mediaauth.ErrInvalidCredentials,
		mediaauth.ErrEmailNotVerified, mediaauth.ErrInvalidRequestToken, mediaauth.ErrRequestTokenNotApproved,
	}
	for i, row := range tmdbPublishedCodes {
		require.Equal(t, i+1, row.code)
		t.Run(strconv.Itoa(row.code), func(t *testing.T) {
			t.Parallel()
			c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)))
			success := row.status < 300
			body := fmt.Sprintf(`{"success":%t,"status_code":%d,"status_message":%q}`, success, row.code, row.message)
			var log recorder
			mt.RegisterResponder(http.MethodGet, "https://tmdb.test/3/authentication", log.respondTMDb(row.status, body))

			err := c.TMDb.Validate(t.Context())
			require.Len(t, log.requests(), 1, "retries are off")
			if success {
				require.NoError(t, err, "a 2xx answer is not an error")
				return
			}
			require.Error(t, err)
			var apiErr *mediaauth.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, mediaauth.APITMDb, apiErr.API)
			assert.Equal(t, http.MethodGet, apiErr.Method)
			assert.Equal(t, "/3/authentication", apiErr.Path)
			assert.Equal(t, row.status, apiErr.StatusCode)
			assert.Equal(t, row.code, apiErr.TMDbCode)
			assert.Equal(t, row.message, apiErr.Message)
			assert.Contains(t, err.Error(), "TMDb code "+strconv.Itoa(row.code))
			assert.NotContains(t, err.Error(), tmdbUnitKey)

			want := tmdbCodeSentinels[row.code]
			if want != nil {
				assert.ErrorIs(t, err, want)
			}
			if class := tmdbStatusClass(row.status); class != nil {
				assert.ErrorIs(t, err, class, "class of HTTP %d", row.status)
			}
			for _, s := range specific {
				if s != want {
					assert.NotErrorIs(t, err, s)
				}
			}
			assert.NotErrorIs(t, err, mediaauth.ErrMalformedResponse)
			assert.Equal(t, row.status == 429 || row.status >= 500, (errors.Is(apiErr, mediaauth.ErrRateLimited) || errors.Is(apiErr, mediaauth.ErrServer)))
		})
	}
}

// TestTMDbErrorWithoutBody checks that an error status without TMDb's body
// still maps to its class.
func TestTMDbErrorWithoutBody(t *testing.T) {
	t.Parallel()
	c, mt := tmdbUnitClient(t, mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)))
	mt.RegisterResponder(http.MethodPost, "https://tmdb.test/3/authentication/session/new",
		httpmock.NewStringResponder(http.StatusUnauthorized, "<html><title>Denied</title></html>"))
	_, err := c.TMDb.CreateSession(t.Context(), mediaauth.RequestToken{Token: tmdbUnitToken})
	require.ErrorIs(t, err, mediaauth.ErrUnauthorized)
	var apiErr *mediaauth.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Zero(t, apiErr.TMDbCode)
	assert.Equal(t, "/3/authentication/session/new", apiErr.Path)
}
