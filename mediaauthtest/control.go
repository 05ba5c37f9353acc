package mediaauthtest

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The control API: the hooks of the server and of its handles over HTTP,
// under /_fake/, for tests written in any language. Each operation is one
// hook or a few ([Movies.AddUser] is POST /_fake/movies/users,
// [TVmaze.Confirm] POST /_fake/tvmaze/confirm, [Server.InjectFault]
// POST /_fake/faults, ...); the OpenAPI document controlapi.openapi.json,
// served at /_fake/openapi.json, describes them all and names the hooks of
// each. JSON in and out; an error is {"error": CODE, "message": TEXT} with
// CODE one of invalid_request (400), unauthorized (401), not_found (404),
// method_not_allowed (405) and conflict (409).
//
// The control API's own requests are neither in the request log nor hit by
// faults. [WithControlToken] makes every operation but the OpenAPI
// document need "Authorization: Bearer TOKEN"; [WithoutControlAPI] turns
// it off. The handlers are in controlserver.go (the whole server),
// controlmovies.go, controltvmaze.go and controltmdb.go.

// ControlPrefix is the path prefix of the control API on the fake
// [Server], beside the prefixes of the three APIs.
const ControlPrefix = "/_fake"

// ControlOpenAPIPath is where the fake serves the OpenAPI document of its
// control API.
const ControlOpenAPIPath = ControlPrefix + "/openapi.json"

// controlAPIFiles are the parts of the control API's OpenAPI document:
// controlapi/openapi.json (all but the paths) and the paths of each part,
// controlapi/server.json, movies.json, tvmaze.json and tmdb.json.
//
//go:embed controlapi/*.json
var controlAPIFiles embed.FS

// ControlOpenAPI returns the OpenAPI 3 document (JSON) of the control API,
// as the fake serves it at [ControlOpenAPIPath]: the parts in the
// mediaauthtest/controlapi folder, put together.
func ControlOpenAPI() []byte {
	doc, err := buildControlOpenAPI()
	if err != nil {
		panic("mediaauthtest: the control API's OpenAPI document: " + err.Error())
	}
	return doc
}

// buildControlOpenAPI puts the parts of the OpenAPI document together.
func buildControlOpenAPI() ([]byte, error) {
	var root map[string]any
	if err := readControlAPIFile("openapi.json", &root); err != nil {
		return nil, err
	}
	paths := map[string]any{}
	for _, part := range []string{"server.json", "movies.json", "tvmaze.json", "tmdb.json"} {
		var doc struct {
			Paths map[string]any `json:"paths"`
		}
		if err := readControlAPIFile(part, &doc); err != nil {
			return nil, err
		}
		for p, item := range doc.Paths {
			if paths[p] != nil {
				return nil, fmt.Errorf("%s: path %s is in another part too", part, p)
			}
			paths[p] = item
		}
	}
	root["paths"] = paths
	return json.MarshalIndent(root, "", "  ")
}

// readControlAPIFile decodes one part of the OpenAPI document.
func readControlAPIFile(name string, v any) error {
	data, err := controlAPIFiles.ReadFile("controlapi/" + name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// WithControlToken makes every operation of the control API (all of
// /_fake/ but the OpenAPI document) need "Authorization: Bearer token";
// one without it gets 401. An empty token changes nothing.
func WithControlToken(token string) Option {
	return func(c *config) { c.controlToken = token }
}

// WithoutControlAPI turns the control API off: everything under /_fake/,
// the outboxes and the OpenAPI document too, answers 404. The Go hooks
// keep working.
func WithoutControlAPI() Option {
	return func(c *config) { c.controlOff = true }
}

// isControlPath reports whether path belongs to the control API.
func isControlPath(path string) bool {
	return path == ControlPrefix || strings.HasPrefix(path, ControlPrefix+"/")
}

// controlRoute is one operation of the control API.
type controlRoute struct {
	method string
	// path is the path under ControlPrefix, with {name} wildcards.
	path   string
	handle http.HandlerFunc
}

// controlRoutes lists the operations of the control API.
func (s *Server) controlRoutes() []controlRoute {
	routes := []controlRoute{{http.MethodGet, "/openapi.json", s.serveControlOpenAPI}}
	routes = append(routes, s.controlServerRoutes()...)
	routes = append(routes, s.controlMoviesRoutes()...)
	routes = append(routes, s.controlTVmazeRoutes()...)
	return append(routes, s.controlTMDbRoutes()...)
}

// controlHandler serves the control API: its routes behind the token
// check, and a JSON 404 or 405 for anything else under ControlPrefix.
func (s *Server) controlHandler() http.Handler {
	if s.cfg.controlOff {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			controlError(w, http.StatusNotFound, codeNotFound, "the control API of this fake is turned off")
		})
	}
	s.openAPI = ControlOpenAPI()
	mux := http.NewServeMux()
	routes := s.controlRoutes()
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+ControlPrefix+rt.path, rt.handle)
	}
	mux.HandleFunc(ControlPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, rt := range routes {
			if matchPath(ControlPrefix+rt.path, r.URL.Path) {
				allow = append(allow, rt.method)
			}
		}
		if len(allow) == 0 {
			controlError(w, http.StatusNotFound, codeNotFound, "no operation of the control API at "+r.URL.Path+" (see "+ControlOpenAPIPath+")")
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		controlError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not an operation of "+r.URL.Path)
	})
	return s.controlAuth(mux)
}

// controlAuth checks the control token of WithControlToken, if any.
func (s *Server) controlAuth(next http.Handler) http.Handler {
	want := s.cfg.controlToken
	if want == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		ok := strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) == 1
		if !ok && r.URL.Path != ControlOpenAPIPath {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mediaauthtest control API"`)
			controlError(w, http.StatusUnauthorized, "unauthorized", "the control API needs its token: Authorization: Bearer TOKEN")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// matchPath reports whether path matches a ServeMux pattern's path, each
// {name} standing for one non-empty segment.
func matchPath(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, seg := range ps {
		if strings.HasPrefix(seg, "{") && xs[i] != "" {
			continue
		}
		if seg != xs[i] {
			return false
		}
	}
	return true
}

// serveControlOpenAPI is GET /_fake/openapi.json.
func (s *Server) serveControlOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.openAPI)
}

// codeInvalidRequest, codeConflict and codeNotFound (movies.go) are the
// control API's codes too, with "unauthorized" and "method_not_allowed".

// controlError answers with the control API's error body.
func controlError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{code, message})
}

// hookError answers with the error of a hook: 400, 404 or 409 by its kind.
func hookError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errNotFound):
		controlError(w, http.StatusNotFound, codeNotFound, err.Error())
	case errors.Is(err, errConflict):
		controlError(w, http.StatusConflict, codeConflict, err.Error())
	default:
		controlError(w, http.StatusBadRequest, codeInvalidRequest, err.Error())
	}
}

// controlBodyLimit caps a control request's body; a State may be larger.
const (
	controlBodyLimit  = 64 << 10
	controlStateLimit = 4 << 20
)

// readControlBody reads the JSON object of a control request into v,
// refusing fields v does not know; a request without a body reads as {}
// when empty is true. On failure it answers 400 and returns false.
func readControlBody(w http.ResponseWriter, r *http.Request, v any, limit int64, empty bool) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !hasMediaType(r, "application/json") {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "Content-Type must be application/json")
		return false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "request body too large or unreadable")
		return false
	}
	if empty && len(strings.TrimSpace(string(data))) == 0 {
		return true
	}
	if err := decodeJSONObject(data, v, true); err != nil {
		controlError(w, http.StatusBadRequest, codeInvalidRequest, "request body: "+controlJSONProblem(err))
		return false
	}
	return true
}

// controlJSONProblem describes a decode error of a control request.
func controlJSONProblem(err error) string {
	switch {
	case errors.Is(err, errNotObject):
		return "must be a JSON object"
	case errors.Is(err, errTrailingData):
		return "data after the JSON object"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return jsonProblem(err)
}
