package mediaauthtest

import (
	"slices"

	"github.com/mediaauth/mediaauth"
)

// The demo accounts every fake server starts with, one per API, and the
// TMDb application credentials it accepts from the start. Their names say
// the API and, where the SDK has a type for the value, that type's name:
// [DemoTMDbReadAccessToken] is a [mediaauth.TMDbReadAccessToken],
// [DemoTMDbAccessToken] a user's v4 [mediaauth.TMDbAccessToken].

// The Movies API's demo account: its email address is verified, so it can
// log in at once.
const (
	// DemoMoviesUsername is the username of the demo Movies API account.
	DemoMoviesUsername = "demo"
	// DemoMoviesEmail is the email address of the demo Movies API account.
	DemoMoviesEmail = "demo@example.com"
	// DemoMoviesPassword is the password of the demo Movies API account.
	DemoMoviesPassword = "demo-password"
)

// demoMoviesName is the display name of the demo Movies API account.
const demoMoviesName = "Demo User"

// The TVmaze accounts.
const (
	// DemoTVmazeEmail is the email address of the demo TVmaze account, a
	// confirmed one: StartAuth works for it.
	DemoTVmazeEmail = "demo@example.com"
	// DemoTVmazeUsername is the username of the [DemoTVmazeEmail] account.
	DemoTVmazeUsername = "demo"
	// DemoTVmazeAPIKey is the API key of the [DemoTVmazeEmail] account,
	// handed out by a confirmed auth request and accepted by /auth/validate.
	DemoTVmazeAPIKey = "fake-tvmaze-demo-api-key"
	// DemoTVmazePremiumLevel is the premium level of the demo account.
	DemoTVmazePremiumLevel = mediaauth.PremiumBronze
	// DemoTVmazeUnconfirmedEmail is an account whose email address is not
	// confirmed: StartAuth gets 401 for it.
	DemoTVmazeUnconfirmedEmail = "unconfirmed@example.com"
)

// DemoTVmazeFollowedShows returns the ids of the shows the demo TVmaze
// account ([DemoTVmazeUsername]) follows, in the order it followed them,
// as GET /v1/user/follows/shows lists them. The slice is the caller's.
func DemoTVmazeFollowedShows() []int { return slices.Clone(demoTVmazeFollowedShows) }

// demoTVmazeFollowedShows are the shows of DemoTVmazeFollowedShows.
var demoTVmazeFollowedShows = []int{1, 82}

// The TMDb application credentials and demo account.
const (
	// DemoTMDbAPIKey is the TMDb API key (a [mediaauth.TMDbAPIKey], sent as
	// api_key) every fake server accepts; [Server.Client] sends it.
	DemoTMDbAPIKey = "fake-tmdb-api-key"
	// DemoTMDbReadAccessToken is the TMDb read access token (a
	// [mediaauth.TMDbReadAccessToken], sent as Authorization: Bearer) every
	// fake server accepts.
	DemoTMDbReadAccessToken = "fake-tmdb-read-access-token"
	// DemoTMDbUsername is the username of the demo TMDb account; its email
	// address is verified. [TMDb.Approve] approves as this account.
	DemoTMDbUsername = "demo"
	// DemoTMDbPassword is the password of the demo TMDb account.
	DemoTMDbPassword = "demo-password"
	// DemoTMDbAccessToken is a user-approved v4 access token of the demo
	// account (the AccessToken of a [mediaauth.TMDbAccessToken]), for
	// CreateSessionFromV4Token and as the Bearer token of its calls.
	DemoTMDbAccessToken = "fake-tmdb-v4-access-token"
	// DemoTMDbAccountID is the v3 account id of the demo account; accounts
	// added with [TMDb.AddUser] get the next ids.
	DemoTMDbAccountID = 548
	// DemoTMDbV4AccountID is the v4 account id (a string) of the demo
	// account, as /4/auth/access_token reports it (the AccountID of a
	// [mediaauth.TMDbAccessToken]).
	DemoTMDbV4AccountID = "4bc889000000000000000224"
)

// addDemoMoviesUser adds the demo Movies API account, verified. Server.mu
// need not be held: the server does not serve yet.
func (s *Server) addDemoMoviesUser() {
	acct, err := s.movies.addUser(DemoMoviesUsername, DemoMoviesEmail, demoMoviesName, "", hashPassword(DemoMoviesPassword), s.now())
	if err != nil {
		panic("mediaauthtest: the demo Movies API account: " + err.Error())
	}
	acct.user.EmailVerified = true
}
