package mediaauthtest

import (
	"net/http"
	"strconv"
	"time"
)

// Fault makes the server misbehave on a path, for tests of error handling.
// The zero Fault answers 500 with a JSON error body.
type Fault struct {
	// Method limits the fault to one HTTP method; "" matches any.
	Method string
	// Times is how many matching requests the fault hits; 0 means 1.
	// A negative value means every request until ClearFaults.
	Times int
	// Delay is waited before answering (or dropping); the wait ends early if
	// the client goes away.
	Delay time.Duration
	// Drop closes the connection without an answer (after Delay).
	Drop bool
	// DropAfterHeaders sends the headers and part of the body, then closes
	// the connection mid-body.
	DropAfterHeaders bool
	// PassThrough serves the request normally after Delay (to slow a path
	// down without changing its answer), or lets the real handler act before
	// the connection is dropped when Drop is set too.
	PassThrough bool
	// Status is the status to answer (default 500).
	Status int
	// Header is added to the answer (e.g. Retry-After).
	Header http.Header
	// ContentType of Body (default application/json).
	ContentType string
	// Body is sent as is; empty means a JSON error body for Status.
	Body string
	// BodySize, when above 0, sends that many bytes of JSON-looking filler
	// instead of Body.
	BodySize int
}

type faultRule struct {
	path string
	f    Fault
	left int // <0: forever
}

// InjectFault makes the next requests for path (e.g. "/login",
// "/v1/auth/poll", "/3/authentication/token/new") answer with f.
func (s *Server) InjectFault(path string, f Fault) {
	left := f.Times
	if left == 0 {
		left = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, &faultRule{path: path, f: f, left: left})
	s.mu.Unlock()
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// takeFault returns the fault for this request and counts it, or nil.
func (s *Server) takeFault(method, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.faults {
		if r.path != path || (r.f.Method != "" && r.f.Method != method) {
			continue
		}
		f := r.f
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return &f
	}
	return nil
}

// apply answers the request with the fault. It returns false when the
// request should go on to the real handler.
func (f *Fault) apply(w http.ResponseWriter, r *http.Request) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	if f.Drop {
		if f.PassThrough {
			// Let the real handler act, then lose its answer.
			return false
		}
		dropConnection(w)
		return true
	}
	if f.PassThrough {
		return false
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	body := []byte(f.Body)
	switch {
	case f.BodySize > 0:
		body = filler(f.BodySize)
	case len(body) == 0 && f.ContentType == "":
		body = []byte(`{"error":"injected_fault","message":"fault injected by the test server (status ` + strconv.Itoa(status) + `)"}`)
	}
	if f.DropAfterHeaders {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)+1024))
		w.WriteHeader(status)
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		dropConnection(w)
		return true
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return true
}

// filler is n bytes of a JSON string value.
func filler(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'x'
	}
	if n >= 2 {
		b[0], b[n-1] = '"', '"'
	}
	return b
}

// dropConnection closes the client connection without a (complete) answer.
func dropConnection(w http.ResponseWriter) {
	if sr, ok := w.(*statusRecorder); ok {
		w = sr.ResponseWriter
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if buf != nil {
		_ = buf.Flush()
	}
	_ = conn.Close()
}
