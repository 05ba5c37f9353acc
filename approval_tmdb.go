// TMDb: the waits for a user's approval of a request token (seed 004).

package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// PollUntilApproved waits until the user approves the v3 request token rt
// and returns the session it makes ([TMDb.CreateSession]). It is TMDb v3's
// wait for a person's approval, with the options and events of the other
// waits ([WaitOption], [WaitEvent]); [TMDb.LoginInBrowser] waits for the
// browser instead of polling.
//
// With [WithPageOpener] it first shows the user rt.ApprovalURL. It tries
// to create the session once per poll interval ([DefaultTMDbPollInterval],
// or [WithPollInterval]), starting one interval after the call, while TMDb
// answers [ErrRequestTokenNotApproved]; 429, network errors and 5xx slow
// it down as [TVmaze.PollUntilConfirmed] says. A token the user denied
// ends it with an error that wraps [ErrApprovalDenied] and TMDb's
// [ErrSessionDenied]; any other error of TMDb ends it at once. The wait
// ends when ctx ends (the error wraps ctx.Err()), and when rt expires by
// the client's clock (the error wraps [ErrRequestTokenNotApproved]). An
// attempt whose answer has begun to arrive keeps reading it for the poll
// answer grace ([WithPollAnswerGrace]). No goroutine or timer outlives the
// call.
func (t *TMDb) PollUntilApproved(ctx context.Context, rt RequestToken, opts ...WaitOption) (*Session, error) {
	const method = "TMDb.PollUntilApproved"
	var sess *Session
	err := t.pollApproval(ctx, method, opts, rt.ApprovalURL, rt.Token, rt.ExpiresAt, func(ctx context.Context, grace time.Duration) (status int, err error) {
		sess, status, err = t.createSession(ctx, rt.Token, grace)
		if errors.Is(err, ErrSessionDenied) {
			err = fmt.Errorf("mediaauth: %s: %w on TMDb's page: %w", method, ErrApprovalDenied, err)
		}
		return status, err
	})
	if err != nil {
		return nil, t.scrubWait(err, rt.Token)
	}
	return sess, nil
}

// PollUntilApprovedV4 waits until the user approves the v4 request token
// rt and returns the access token it makes ([TMDb.CreateV4AccessToken]).
// It is TMDb v4's wait for a person's approval, with the options, events
// and schedule of [TMDb.PollUntilApproved]. TMDb answers a token the user
// denied as an unknown one ([ErrInvalidRequestToken]): before rt expires,
// that ends the wait with an error that wraps [ErrApprovalDenied] too.
// Turn the access token into a v3 session with
// [TMDb.CreateSessionFromV4Token]; [TMDb.LoginInBrowserV4] waits for the
// browser instead of polling.
func (t *TMDb) PollUntilApprovedV4(ctx context.Context, rt TMDbV4RequestToken, opts ...WaitOption) (*TMDbAccessToken, error) {
	const method = "TMDb.PollUntilApprovedV4"
	if err := t.needsReadAccessToken(); err != nil {
		return nil, err
	}
	var tok *TMDbAccessToken
	err := t.pollApproval(ctx, method, opts, rt.ApprovalURL, rt.Token, rt.ExpiresAt, func(ctx context.Context, grace time.Duration) (status int, err error) {
		tok, status, err = t.createV4AccessToken(ctx, rt.Token, grace)
		return status, t.v4Denied(method, rt, err)
	})
	if err != nil {
		return nil, t.scrubWait(err, rt.Token)
	}
	return tok, nil
}

// v4Denied says that an unknown request token that has not expired was
// denied: TMDb answers both alike.
func (t *TMDb) v4Denied(method string, rt TMDbV4RequestToken, err error) error {
	if errors.Is(err, ErrInvalidRequestToken) && !rt.Expired(t.h.e.s.now()) {
		return fmt.Errorf("mediaauth: %s: %w on TMDb's page (or the request token was used): %w", method, ErrApprovalDenied, err)
	}
	return err
}

// pollApproval runs a TMDb polling wait: attempt is one exchange of the
// request token token, whose page is page and which expires at expires.
func (t *TMDb) pollApproval(ctx context.Context, method string, opts []WaitOption, page, token string, expires time.Time,
	attempt func(ctx context.Context, grace time.Duration) (int, error)) error {
	cfg, err := newWaitConfig(method, waitPoll, opts)
	if err != nil {
		return err
	}
	if cfg.interval == 0 {
		cfg.interval = DefaultTMDbPollInterval
	}
	if err := t.hp().startWait(ctx, method, &cfg, page, token); err != nil {
		return err
	}
	p := poller{api: APITMDb, method: method, cfg: &cfg, pending: ErrRequestTokenNotApproved, expires: expires, now: t.h.e.s.now}
	return p.runObserved(ctx, t.hp(), http.MethodPost, func(ctx context.Context) (int, error) { return attempt(ctx, cfg.grace) })
}

// scrubWait scrubs the handle's credentials and the request token from the
// error of a wait.
func (t *TMDb) scrubWait(err error, token string) error {
	h := t.hp()
	if h == nil {
		return err
	}
	return scrubError(err, h.creds.secrets(), appendSecret(nil, token))
}
