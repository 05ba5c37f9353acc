// TVmaze: the wait for a user's confirmation of an auth request (seed 003).

package mediaauth

import "context"

// PollUntilConfirmed polls the authentication request until the user
// confirms it and returns their credentials. It is TVmaze's wait for a
// person's approval, with the options and events of the other waits
// ([WaitOption], [WaitEvent]).
//
// With [WithPageOpener] it first shows the user req.ApprovalURL, when
// there is one. It waits one poll interval ([DefaultPollInterval], or
// [WithPollInterval]; under 10 seconds only against a loopback test server
// or with [WithFastPolling]) before the first poll and then polls once per
// interval; the transport never retries a poll on its own. Not confirmed
// yet (403) keeps waiting. Rate limited (429) doubles the wait, or waits
// as long as the server's Retry-After if that is longer, up to 5 minutes;
// the next other answer brings the wait back to the interval. Network
// errors and 5xx answers are retried on the same schedule up to 5 in a
// row, then returned. An unknown, expired or already used request (404)
// is [ErrAuthRequestNotFound] at once; any other error is returned at
// once.
//
// When ctx ends, PollUntilConfirmed returns promptly, without another
// request, with an error that wraps ctx.Err(). The one exception is a poll
// whose answer has started to arrive when ctx ends: it may go on reading
// for the poll answer grace ([DefaultPollAnswerGrace], set with
// [WithPollAnswerGrace]; zero honours ctx exactly), so that a key TVmaze
// hands out only once is not lost; PollUntilConfirmed then returns at most
// that long after ctx ended. A key that was received is always returned,
// even if ctx ends at the same moment. [WithWaitObserver] reports every
// attempt. No goroutine or timer outlives the call.
func (t *TVmaze) PollUntilConfirmed(ctx context.Context, req AuthRequest, opts ...WaitOption) (*TVmazeCredentials, error) {
	const method = "TVmaze.PollUntilConfirmed"
	cfg, err := newWaitConfig(method, waitPoll, opts)
	if err != nil {
		return nil, err
	}
	if err := cfg.checkTVmazeInterval(t.BaseURL()); err != nil {
		return nil, err
	}
	if cfg.interval == 0 {
		cfg.interval = DefaultPollInterval
	}
	if err := t.hp().startWait(ctx, method, &cfg, req.ApprovalURL, req.Token); err != nil {
		return nil, err
	}
	var creds *TVmazeCredentials
	p := poller{api: APITVmaze, method: method, cfg: &cfg, pending: ErrAuthorizationPending, now: t.h.e.s.now}
	err = p.runObserved(ctx, t.hp(), epTVmazePoll.method, func(ctx context.Context) (status int, err error) {
		creds, status, err = t.pollAuth(ctx, req.Token, cfg.grace)
		return status, err
	})
	if err != nil {
		return nil, err
	}
	return creds, nil
}
