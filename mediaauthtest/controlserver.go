package mediaauthtest

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The control API's operations on the whole server (control.go): what it
// serves, its reset and state, its clock, faults, and the request log.

// controlServerRoutes lists the operations on the whole server.
func (s *Server) controlServerRoutes() []controlRoute {
	return []controlRoute{
		{http.MethodGet, "/info", s.controlInfo},
		{http.MethodPost, "/reset", s.controlReset},
		{http.MethodPost, "/state", s.controlLoadState},
		{http.MethodGet, "/clock", s.controlClock},
		{http.MethodPut, "/clock", s.controlSetClock},
		{http.MethodPost, "/clock/advance", s.controlAdvanceClock},
		{http.MethodPost, "/faults", s.controlInjectFault},
		{http.MethodDelete, "/faults", s.controlClearFaults},
		{http.MethodGet, "/requests", s.controlRequests},
	}
}

// controlInfo is GET /_fake/info: the base URLs and the connection count.
func (s *Server) controlInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		MoviesURL   string `json:"movies_url"`
		TVmazeURL   string `json:"tvmaze_url"`
		TMDbURL     string `json:"tmdb_url"`
		TMDbSiteURL string `json:"tmdb_site_url"`
		OpenAPIURL  string `json:"openapi_url"`
		Connections int    `json:"connections"`
	}{s.Movies.URL(), s.TVmaze.URL(), s.TMDb.URL(), s.TMDb.SiteURL(), s.URL + ControlOpenAPIPath, s.Connections()})
}

// controlReset is POST /_fake/reset.
func (s *Server) controlReset(w http.ResponseWriter, r *http.Request) {
	var none struct{}
	if !readControlBody(w, r, &none, controlBodyLimit, true) {
		return
	}
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// controlLoadState is POST /_fake/state: a State document.
func (s *Server) controlLoadState(w http.ResponseWriter, r *http.Request) {
	var st State
	if !readControlBody(w, r, &st, controlStateLimit, false) {
		return
	}
	if err := s.LoadState(st); err != nil {
		hookError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// controlClockBody is the answer of the clock operations.
type controlClockBody struct {
	Now           time.Time `json:"now"`
	OffsetSeconds float64   `json:"offset_seconds"`
}

// writeClock answers with the server's clock.
func (s *Server) writeClock(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, controlClockBody{Now: s.Now(), OffsetSeconds: time.Duration(s.clockOffset.Load()).Seconds()})
}

// controlClock is GET /_fake/clock.
func (s *Server) controlClock(w http.ResponseWriter, _ *http.Request) { s.writeClock(w) }

// controlSetClock is PUT /_fake/clock: {"now": RFC 3339 time}.
func (s *Server) controlSetClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Now *time.Time `json:"now"`
	}
	if !readControlBody(w, r, &req, controlBodyLimit, false) {
		return
	}
	if req.Now == nil {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "now is required (an RFC 3339 time)")
		return
	}
	s.SetClock(*req.Now)
	s.writeClock(w)
}

// maxClockMove bounds one move of the clock: a century.
const maxClockMove = 100 * 365 * 24 * time.Hour

// controlAdvanceClock is POST /_fake/clock/advance: {"seconds": N}.
func (s *Server) controlAdvanceClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Seconds *float64 `json:"seconds"`
	}
	if !readControlBody(w, r, &req, controlBodyLimit, false) {
		return
	}
	if req.Seconds == nil || math.Abs(*req.Seconds) > maxClockMove.Seconds() {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "seconds is required, at most a century either way")
		return
	}
	s.AdvanceClock(time.Duration(*req.Seconds * float64(time.Second)))
	s.writeClock(w)
}

// controlInjectFault is POST /_fake/faults (controlfault.go reads it).
func (s *Server) controlInjectFault(w http.ResponseWriter, r *http.Request) {
	var req controlFault
	if !readControlBody(w, r, &req, controlBodyLimit, false) {
		return
	}
	f, err := req.fault()
	if err != nil {
		hookError(w, err)
		return
	}
	s.InjectFault(req.Path, f)
	w.WriteHeader(http.StatusNoContent)
}

// controlClearFaults is DELETE /_fake/faults.
func (s *Server) controlClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

// controlRequest is one entry of the request log's JSON.
type controlRequest struct {
	// Seq numbers the requests from 1, in the order received.
	Seq    int         `json:"seq"`
	Method string      `json:"method"`
	Path   string      `json:"path"`
	At     time.Time   `json:"at"`
	Status int         `json:"status"`
	Header http.Header `json:"header"`
}

// secretHeaders are the headers the request log hides unless asked.
var secretHeaders = []string{"Authorization", "Cookie", "Proxy-Authorization"}

// requestFilter is the query of GET /_fake/requests.
type requestFilter struct {
	method, path, prefix string
	status, after        int
	secrets              bool
}

// parseRequestFilter reads the query of GET /_fake/requests.
func parseRequestFilter(r *http.Request) (requestFilter, error) {
	q := r.URL.Query()
	f := requestFilter{method: strings.ToUpper(q.Get("method")), path: q.Get("path"), prefix: q.Get("prefix")}
	for name, dst := range map[string]*int{"status": &f.status, "after": &f.after} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return f, invalidf("%s must be a whole number, not %q", name, v)
			}
			*dst = n
		}
	}
	if v := q.Get("secrets"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, invalidf("secrets must be true or false, not %q", v)
		}
		f.secrets = b
	}
	return f, nil
}

// keep reports whether the request numbered seq passes the filter.
func (f requestFilter) keep(seq int, req Request) bool {
	return seq > f.after && (f.method == "" || req.Method == f.method) && (f.path == "" || req.Path == f.path) &&
		strings.HasPrefix(req.Path, f.prefix) && (f.status == 0 || req.Status == f.status)
}

// controlRequests is GET /_fake/requests: the request log, filtered, with
// the credentials of its headers hidden unless secrets=true.
func (s *Server) controlRequests(w http.ResponseWriter, r *http.Request) {
	f, err := parseRequestFilter(r)
	if err != nil {
		hookError(w, err)
		return
	}
	out := []controlRequest{}
	for i, req := range s.Requests() {
		if !f.keep(i+1, req) {
			continue
		}
		header := req.Header.Clone()
		if header == nil {
			header = http.Header{}
		}
		for _, name := range secretHeaders {
			if !f.secrets && header[name] != nil {
				header[name] = []string{"[REDACTED]"}
			}
		}
		out = append(out, controlRequest{Seq: i + 1, Method: req.Method, Path: req.Path, At: req.At, Status: req.Status, Header: header})
	}
	if f.secrets {
		noStore(w)
	}
	writeJSON(w, http.StatusOK, struct {
		Count    int              `json:"count"`
		Requests []controlRequest `json:"requests"`
	}{len(out), out})
}
