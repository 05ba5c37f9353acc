package mediaauth

import (
	"context"
	"errors"
	"time"
)

// Where a call tells the Observer that it begins and ends: send, for the
// typed calls and Do, and the waits for approval, whose attempts are calls
// of their own within them. With no Observer, observeCall returns a nil
// observation and end does nothing, without an allocation.

// handleName names the handle of api as operations are named.
func handleName(api API) string {
	switch api {
	case APIMovies:
		return "Movies"
	case APITVmaze:
		return "TVmaze"
	case APITMDb:
		return "TMDb"
	}
	return string(api)
}

// operationName is the Operation of a call of ep: its method's name, or
// "<Handle>.Do" for Do.
func operationName(ep *endpoint) string {
	if ep.name == "Do" {
		return handleName(ep.api) + ".Do"
	}
	return ep.name
}

// callObservation is an operation being observed.
type callObservation struct {
	o     Observer
	ctx   context.Context // the caller's, for the outcome
	obs   context.Context // the one the Observer returned
	ev    Event
	start time.Time
}

// observeCall tells h's Observer that the operation op begins and returns
// the context the operation goes on with, and the observation whose end
// must be called when it is done. Without an Observer it returns ctx and
// nil, whose end does nothing.
func (h *handle) observeCall(ctx context.Context, op, method string) (context.Context, *callObservation) {
	o := h.e.s.observer
	if o == nil {
		return ctx, nil
	}
	ob := &callObservation{o: o, ctx: ctx, obs: ctx, start: time.Now(),
		ev: Event{Kind: EventCallStart, API: h.e.api, Operation: op, Method: method}}
	if c := o.Observe(ctx, ob.ev); c != nil {
		ob.obs = c
	}
	return ob.obs, ob
}

// end tells the Observer that the operation ended with err, its last
// answer having had status.
func (ob *callObservation) end(status int, err error) {
	if ob == nil {
		return
	}
	ev := ob.ev
	ev.Kind, ev.Duration, ev.StatusCode = EventCallEnd, time.Since(ob.start), status
	ev.Outcome, ev.ErrorType, ev.Err = callOutcome(ob.ctx, err), errorType(err), err
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		ev.TMDbCode = apiErr.TMDbCode
		if ev.StatusCode == 0 {
			ev.StatusCode = apiErr.StatusCode
		}
	}
	ob.o.Observe(ob.obs, ev)
}

// sendObserved is send, told to the Observer as one operation.
func (h *handle) sendObserved(ctx context.Context, cl *call) error {
	cl.observed = true
	ctx, ob := h.observeCall(ctx, operationName(cl.ep), cl.ep.method)
	err := h.send(ctx, cl)
	ob.end(cl.status, err)
	return err
}
