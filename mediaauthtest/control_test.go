package mediaauthtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// Tests of control.go: the control API's routes, document, token and
// refusals. The operations themselves are tested beside their files
// (controlserver_test.go, controlmovies_test.go, ...).

// control sends a control API request to srv: body is JSON-encoded unless
// it is nil or a string (sent as is), with Content-Type application/json.
func control(t *testing.T, srv *mediaauthtest.Server, method, path string, body any) answer {
	t.Helper()
	return controlAs(t, srv, "", method, path, body)
}

// controlAs is control with "Authorization: Bearer token" when token is
// not empty.
func controlAs(t *testing.T, srv *mediaauthtest.Server, token, method, path string, body any) answer {
	t.Helper()
	var text string
	switch b := body.(type) {
	case nil:
	case string:
		text = b
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		text = string(data)
	}
	return roundTrip(t, srv, method, srv.URL+path, text, func(r *http.Request) {
		if text != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
	})
}

// requireControlError checks a control API error answer.
func requireControlError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	require.Equal(t, status, a.status, "body: %s", a.body)
	m := a.json(t)
	assert.Equal(t, code, m["error"], "body: %s", a.body)
	assert.NotEmpty(t, m["message"])
}

// openAPIOperation is what the tests read of an operation of the document.
type openAPIOperation struct {
	OperationID string                     `json:"operationId"`
	Hooks       []string                   `json:"x-mediaauthtest-hooks"`
	Security    *[]map[string][]string     `json:"security"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

// controlOperations reads the operations of the control API's document, by
// "METHOD /path".
func controlOperations(t *testing.T) map[string]openAPIOperation {
	t.Helper()
	var doc struct {
		OpenAPI string                                 `json:"openapi"`
		Paths   map[string]map[string]openAPIOperation `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(mediaauthtest.ControlOpenAPI(), &doc))
	require.Equal(t, "3.0.3", doc.OpenAPI)
	ops := map[string]openAPIOperation{}
	for path, item := range doc.Paths {
		for method, op := range item {
			ops[strings.ToUpper(method)+" "+path] = op
		}
	}
	return ops
}

// goOnlyMethods are the exported methods of the server and its handles
// that are no hook: they hand a Go value to the Go test that holds the
// server. A program in another language has its own HTTP client, and
// stops "mediaauth fake" with SIGTERM.
var goOnlyMethods = []string{"Server.Client", "Server.Close", "Server.HTTPClient"}

// TestControlAPIHasEveryHook enumerates the exported methods of the server
// and of its handles by reflection, and finds each one among the hooks the
// operations of the OpenAPI document name (x-mediaauthtest-hooks); every
// hook named there exists, and every operation but the document names one.
func TestControlAPIHasEveryHook(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	methods := map[string]bool{}
	for _, v := range []any{srv, srv.Movies, srv.TVmaze, srv.TMDb} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumMethod() {
			methods[typ.Elem().Name()+"."+typ.Method(i).Name] = true
		}
	}
	require.Greater(t, len(methods), 40, "the reflection found too few methods: %v", methods)

	named := map[string][]string{}
	for key, op := range controlOperations(t) {
		if op.OperationID != "getOpenAPI" {
			assert.NotEmpty(t, op.Hooks, "%s names no hook", key)
		}
		for _, h := range op.Hooks {
			named[h] = append(named[h], op.OperationID)
			assert.True(t, methods[h], "%s names %s, which is no method of the server or its handles", key, h)
		}
	}
	var hooks []string
	for m := range methods {
		if slices.Contains(goOnlyMethods, m) {
			assert.Empty(t, named[m], "%s is Go-only, yet an operation names it", m)
			continue
		}
		hooks = append(hooks, m)
		assert.NotEmpty(t, named[m], "the hook %s has no operation in the control API", m)
	}
	sort.Strings(hooks)
	t.Logf("%d hooks (of %d exported methods) found in the operations: %s", len(hooks), len(methods), strings.Join(hooks, ", "))
}

// TestControlOpenAPIDescribesEveryRoute checks that the document's
// operations are exactly the routes served, each with a unique operation
// id and the 401 of the control token unless it needs none.
func TestControlOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	ops := controlOperations(t)
	routes := mediaauthtest.ControlRoutes(srv)
	var described []string
	ids := map[string]bool{}
	for key, op := range ops {
		described = append(described, key)
		assert.False(t, ids[op.OperationID], "operationId %s twice", op.OperationID)
		ids[op.OperationID] = true
		if op.Security != nil && len(*op.Security) == 0 {
			assert.NotContains(t, op.Responses, "401", key)
		} else {
			assert.Contains(t, op.Responses, "401", key)
		}
	}
	assert.ElementsMatch(t, routes, described)
	assert.Len(t, routes, 32)
}

func TestControlOpenAPIServed(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t, mediaauthtest.WithControlToken("control-secret"))
	a := control(t, srv, http.MethodGet, mediaauthtest.ControlOpenAPIPath, nil)
	require.Equal(t, http.StatusOK, a.status, "the document needs no token")
	assert.Equal(t, "application/json", a.header.Get("Content-Type"))
	assert.JSONEq(t, string(mediaauthtest.ControlOpenAPI()), string(a.body))
}

func TestControlToken(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t, mediaauthtest.WithControlToken("control-secret"))
	for _, token := range []string{"", "wrong-secret", "control-secre"} {
		a := controlAs(t, srv, token, http.MethodGet, "/_fake/info", nil)
		requireControlError(t, a, http.StatusUnauthorized, "unauthorized")
		assert.Equal(t, `Bearer realm="mediaauthtest control API"`, a.header.Get("WWW-Authenticate"))
		assert.NotContains(t, string(a.body), "control-secret")
	}
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/reset", nil), http.StatusUnauthorized, "unauthorized")
	requireControlError(t, control(t, srv, http.MethodGet, "/_fake/no-such-operation", nil), http.StatusUnauthorized, "unauthorized")
	assert.Equal(t, http.StatusOK, controlAs(t, srv, "control-secret", http.MethodGet, "/_fake/info", nil).status)
	a := roundTrip(t, srv, http.MethodGet, srv.URL+"/_fake/info", "", func(r *http.Request) {
		r.Header.Set("Authorization", "bearer  control-secret")
	})
	assert.Equal(t, http.StatusOK, a.status, "the scheme is case-insensitive")
	// The APIs do not need it.
	assert.Equal(t, http.StatusOK, roundTrip(t, srv, http.MethodGet, srv.URL+"/3/authentication?api_key="+mediaauthtest.DemoTMDbAPIKey, "", nil).status)
}

func TestWithoutControlAPI(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t, mediaauthtest.WithoutControlAPI())
	for _, route := range mediaauthtest.ControlRoutes(srv) {
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer("{", "", "}", "").Replace(path)
		requireControlError(t, control(t, srv, method, path, "{}"), http.StatusNotFound, "not_found")
	}
	assert.Empty(t, srv.Requests(), "refused control requests are not logged either")
	// The APIs and the Go hooks work.
	_, err := srv.TVmaze.AddUser(mediaauthtest.TVmazeUser{Username: "ann", Email: "ann@example.com"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, roundTrip(t, srv, http.MethodGet, srv.URL+"/3/authentication?api_key="+mediaauthtest.DemoTMDbAPIKey, "", nil).status)
}

func TestControlUnknownOperation(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	for _, path := range []string{"/_fake", "/_fake/", "/_fake/nothing", "/_fake/movies/users/ann", "/_fake/tmdb/sessions/"} {
		requireControlError(t, control(t, srv, http.MethodGet, path, nil), http.StatusNotFound, "not_found")
	}
	a := control(t, srv, http.MethodPatch, "/_fake/faults", "{}")
	requireControlError(t, a, http.StatusMethodNotAllowed, "method_not_allowed")
	assert.Equal(t, "POST, DELETE", a.header.Get("Allow"))
	a = control(t, srv, http.MethodDelete, "/_fake/tmdb/sessions/abc", nil)
	requireControlError(t, a, http.StatusMethodNotAllowed, "method_not_allowed")
	assert.Equal(t, "GET", a.header.Get("Allow"))
}

func TestControlRefusesBadBodies(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	user := `{"username":"ann","email":"ann@example.com","password":"pw-123"}`
	for name, tc := range map[string]struct {
		contentType, body, want string
	}{
		"a form":           {"application/x-www-form-urlencoded", "username=ann", "Content-Type"},
		"an array":         {"application/json", "[]", "JSON object"},
		"no body":          {"application/json", "", "JSON object"},
		"two objects":      {"application/json", user + user, "after the JSON object"},
		"malformed":        {"application/json", `{"username":`, "malformed"},
		"an unknown field": {"application/json", `{"username":"ann","email":"ann@example.com","password":"pw","admin":true}`, `unknown field "admin"`},
		"a wrong type":     {"application/json", `{"username":"ann","email":"ann@example.com","password":"pw","unverified":"yes"}`, "unverified"},
		"too large":        {"application/json", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, "too large"},
	} {
		a := roundTrip(t, srv, http.MethodPost, srv.URL+"/_fake/movies/users", tc.body, func(r *http.Request) {
			r.Header.Set("Content-Type", tc.contentType)
		})
		requireControlError(t, a, http.StatusBadRequest, "invalid_request")
		assert.Contains(t, a.json(t)["message"], tc.want, name)
	}
	// Without a Content-Type, a JSON body is taken.
	a := roundTrip(t, srv, http.MethodPost, srv.URL+"/_fake/movies/users", user, nil)
	assert.Equal(t, http.StatusCreated, a.status, "body: %s", a.body)
}

// TestControlIsNeitherLoggedNorFaulted: the control API's requests stay
// out of the request log, and faults cannot target it.
func TestControlIsNeitherLoggedNorFaulted(t *testing.T) {
	t.Parallel()
	srv, _ := startFake(t)
	requireControlError(t, control(t, srv, http.MethodPost, "/_fake/faults", map[string]any{"path": "/_fake/info"}),
		http.StatusBadRequest, "invalid_request")
	srv.InjectFault("/_fake/info", mediaauthtest.Fault{Status: http.StatusTeapot, Times: -1})
	assert.Equal(t, http.StatusOK, control(t, srv, http.MethodGet, "/_fake/info", nil).status, "a Go fault does not reach it either")
	assert.Empty(t, srv.Requests())
	assert.Zero(t, srv.RequestCount("", "/_fake/info"))
}

// A test in any language drives the fake over HTTP as this one does: it
// adds a TVmaze account, confirms the auth request the code under test
// started, and moves the fake's clock past TVmaze's poll interval.
func ExampleServer_controlAPI() {
	srv := mediaauthtest.NewServer()
	defer srv.Close()
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	fmt.Println(post("/_fake/tvmaze/users", `{"username": "ann", "email": "ann@example.com", "api_key": "ann-key"}`))
	fmt.Println(post("/v1/auth/start", `{"email": "ann@example.com"}`)) // the code under test
	fmt.Println(post("/_fake/tvmaze/confirm", `{"email": "ann@example.com"}`))
	fmt.Println(post("/_fake/clock/advance", `{"seconds": 11}`))
	token, _ := srv.TVmaze.AuthToken("ann@example.com")
	fmt.Println(post("/v1/auth/poll", `{"token": "`+token+`"}`), srv.RequestCount(http.MethodPost, "/v1/auth/poll"))
	// Output:
	// 201
	// 200
	// 204
	// 200
	// 200 1
}
