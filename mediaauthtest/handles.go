package mediaauthtest

// The handles of a Server, one per API like the client's: each holds the
// hooks of its API, with names that do not repeat the API. The hooks live
// beside the handlers of their API (movies.go, moviesemail.go, tvmaze.go,
// tmdb.go, tmdbv4.go); what concerns the whole server (faults, the request
// log, connections, Client, Close) stays on Server.

// Movies is the handle of the fake Movies API on a [Server] ([Server.Movies]):
// it adds accounts ([Movies.AddUser]), reads the emails the API sent
// ([Movies.LastEmail], [Movies.VerificationToken], [Movies.ResetToken],
// [Movies.Emails]) and expires access tokens ([Movies.ExpireTokens]). Its
// methods are safe for concurrent use.
type Movies struct{ srv *Server }

// URL is the base URL of the fake Movies API, for
// [mediaauth.WithMoviesBaseURL].
func (m *Movies) URL() string { return m.srv.URL + MoviesPrefix }

// TVmaze is the handle of the fake TVmaze API on a [Server]
// ([Server.TVmaze]): it adds accounts ([TVmaze.AddUser]), confirms auth
// requests as their user would ([TVmaze.Confirm], [TVmaze.AuthToken]) and
// makes users follow shows ([TVmaze.FollowShows]). Its methods are safe for
// concurrent use.
type TVmaze struct{ srv *Server }

// URL is the base URL of the fake TVmaze API, for
// [mediaauth.WithTVmazeBaseURL].
func (t *TVmaze) URL() string { return t.srv.URL + TVmazePrefix }

// TMDb is the handle of the fake TMDb API, v3 and v4, on a [Server]
// ([Server.TMDb]): it adds accounts and application credentials
// ([TMDb.AddUser], [TMDb.AddAPIKey], [TMDb.AddReadAccessToken],
// [TMDb.AddAccessToken], [TMDb.SuspendAPIKey]), approves or denies request
// tokens as their user would ([TMDb.Approve], [TMDb.ApproveAs],
// [TMDb.Deny]) and tells what is still valid ([TMDb.SessionValid],
// [TMDb.GuestSessionValid], [TMDb.AccessTokenValid], [TMDb.TokenExpiry]).
// Its methods are safe for concurrent use.
type TMDb struct{ srv *Server }

// URL is the base URL of the fake TMDb API, for [mediaauth.WithTMDbBaseURL]:
// its root, under which /3 and /4 live, like https://api.themoviedb.org.
func (t *TMDb) URL() string { return t.srv.URL }

// SiteURL is the fake's stand-in for TMDb's website, for
// [mediaauth.WithTMDbSiteURL]: the approval pages of TMDb request tokens
// live under it, at /authenticate/{token} and /auth/access?request_token=.
func (t *TMDb) SiteURL() string { return t.srv.URL }
