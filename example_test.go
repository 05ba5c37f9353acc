package mediaauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// The Movies API: register, verify the email address, log in, and use the
// access token and an API key.
func Example() {
	srv := mediaauthtest.NewServer()
	defer srv.Close()
	client, err := srv.Client() // or mediaauth.New(mediaauth.WithMoviesBaseURL("https://..."))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	user, err := client.Movies.Register(ctx, mediaauth.RegisterRequest{
		Username: "john_doe", Password: "secure_password123", Email: "john@example.com",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("registered:", user.Username, "verified:", user.EmailVerified)

	_, err = client.Movies.Login(ctx, "john_doe", "secure_password123")
	fmt.Println("login before verifying:", errors.Is(err, mediaauth.ErrEmailNotVerified))

	verification, _ := srv.Movies.VerificationToken("john@example.com") // from the email's link
	if err := client.Movies.VerifyEmail(ctx, verification); err != nil {
		log.Fatal(err)
	}
	tok, err := client.Movies.Login(ctx, "john_doe", "secure_password123")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token type:", tok.TokenType, "expires in:", time.Until(tok.ExpiresAt).Round(time.Hour))

	me := client.With(mediaauth.Token{AccessToken: tok.AccessToken})
	profile, err := me.Movies.UpdateProfile(ctx, mediaauth.ProfileUpdate{Bio: mediaauth.String("Developer and tech enthusiast.")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bio:", profile.Bio)

	key, err := me.Movies.GenerateAPIKey(ctx)
	if err != nil {
		log.Fatal(err)
	}
	withKey, err := client.With(mediaauth.Token{AccessToken: key.Key}).Movies.Profile(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("profile read with the API key:", withKey.Username)
	// Output:
	// registered: john_doe verified: false
	// login before verifying: true
	// token type: bearer expires in: 1h0m0s
	// bio: Developer and tech enthusiast.
	// profile read with the API key: john_doe
}

// Types that carry a secret print it redacted under every verb and in slog.
func ExampleToken() {
	tok := mediaauth.Token{AccessToken: "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", TokenType: "bearer"}
	fmt.Printf("%v\n%+v\n", tok, tok)
	fmt.Println(mediaauth.APIKey{Key: "mk_secret"})
	// Output:
	// mediaauth.Token{TokenType:"bearer" AccessToken:[REDACTED] ExpiresAt:unknown}
	// mediaauth.Token{TokenType:"bearer" AccessToken:[REDACTED] ExpiresAt:unknown}
	// mediaauth.APIKey{Key:[REDACTED] CreatedAt:unknown}
}

// Every failure is typed: errors.Is with the sentinels, errors.As for the
// server's status, code and message.
func ExampleAPIError() {
	srv := mediaauthtest.NewServer()
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Movies.Login(context.Background(), "nobody", "wrong-password")

	fmt.Println(errors.Is(err, mediaauth.ErrInvalidCredentials), errors.Is(err, mediaauth.ErrUnauthorized))
	var apiErr *mediaauth.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Method, apiErr.Path)
	}
	// Output:
	// true true
	// 401 invalid_credentials POST /login
}

// TVmaze's device-style login: start a request, let the user confirm it,
// and poll until TVmaze hands out the user's API key.
func ExampleTVmaze_PollUntilConfirmed() {
	// The fake confirms every request 30ms after it starts; polling at the
	// real 10-second interval is the default, and a shorter one is for
	// loopback test servers only.
	srv := mediaauthtest.NewServer(
		mediaauthtest.WithTVmazeMinPollInterval(20*time.Millisecond),
		mediaauthtest.WithTVmazeAutoConfirm(30*time.Millisecond),
	)
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	req, err := client.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail)
	if err != nil {
		log.Fatal(err)
	}
	creds, err := client.TVmaze.PollUntilConfirmed(ctx, *req, mediaauth.WithPollInterval(20*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("confirmed:", creds)

	level, err := client.With(creds).TVmaze.Validate(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("premium:", level)
	// Output:
	// confirmed: mediaauth.TVmazeCredentials{Username:"demo" APIKey:[REDACTED]}
	// premium: Bronze
}

// TMDb's browser approval flow: a request token, the user approves it on
// TMDb's site, then a session.
func ExampleTMDb_CreateSession() {
	srv := mediaauthtest.NewServer()
	defer srv.Close()
	// TMDb's own approval page rather than the fake's; WithTMDbAPIKey or
	// WithTMDbAccessToken outside tests.
	client, err := srv.Client(mediaauth.WithTMDbSiteURL(mediaauth.DefaultTMDbSiteURL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	rt, err := client.TMDb.CreateRequestToken(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("send the user to:", client.TMDb.AuthenticateURL(mediaauth.RequestToken{Token: "TOKEN"}, "https://app.example.com/done"))

	_, err = client.TMDb.CreateSession(ctx, *rt)
	fmt.Println("before approval:", errors.Is(err, mediaauth.ErrRequestTokenNotApproved))

	if err := srv.TMDb.Approve(rt.Token); err != nil { // the user clicks Approve
		log.Fatal(err)
	}
	session, err := client.TMDb.CreateSession(ctx, *rt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("session:", session.ID != "")
	fmt.Println("logged out:", client.TMDb.With(*session).DeleteSession(ctx) == nil)
	// Output:
	// send the user to: https://www.themoviedb.org/authenticate/TOKEN?redirect_to=https%3A%2F%2Fapp.example.com%2Fdone
	// before approval: true
	// session: true
	// logged out: true
}

// After a TMDb login, the session reads the user's account through the
// client's HTTP client: the api_key and session_id are added, the TMDb rate
// limit is shared with the SDK's own calls, and CheckResponse maps errors.
func ExampleTMDb_HTTPClient() {
	srv := mediaauthtest.NewServer()
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	session, err := client.TMDb.LoginSession(context.Background(), mediaauthtest.DemoTMDbUsername, mediaauthtest.DemoTMDbPassword)
	if err != nil {
		log.Fatal(err)
	}
	user := client.With(session)

	resp, err := user.TMDb.HTTPClient().Get(user.TMDb.BaseURL() + "/3/account")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if err := mediaauth.CheckResponse(mediaauth.APITMDb, resp); err != nil {
		log.Fatal(err)
	}
	var acct struct {
		ID       int    `json:"id"`
		Username string `json:"username"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&acct); err != nil {
		log.Fatal(err)
	}
	fmt.Println(acct.ID, acct.Username)

	// Another origin never gets the credentials.
	_, err = user.TMDb.HTTPClient().Get("https://elsewhere.example/3/account")
	fmt.Println(errors.Is(err, mediaauth.ErrOriginMismatch))
	// Output:
	// 548 demo
	// true
}

// Do sends one call to the rest of an API and decodes its JSON answer: here
// the shows a TVmaze user follows, with the credentials the device login
// handed out.
func ExampleTVmaze_Do() {
	srv := mediaauthtest.NewServer()
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	apiKey, err := srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "alice", Email: "alice@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	srv.TVmaze.FollowShows("alice", 1, 82)

	var shows []struct {
		ShowID int `json:"show_id"`
	}
	tv := client.With(mediaauth.TVmazeCredentials{Username: "alice", APIKey: apiKey})
	if err := tv.TVmaze.Do(context.Background(), http.MethodGet, "/user/follows/shows", nil, &shows); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(shows), shows[0].ShowID, shows[1].ShowID)
	// Output: 2 1 82
}
