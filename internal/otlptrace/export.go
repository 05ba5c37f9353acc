package otlptrace

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ScopeName is the instrumentation scope of the command's spans.
const ScopeName = "github.com/mediaauth/mediaauth/cmd/mediaauth"

// exporter sends spans to a collector.
type exporter struct {
	endpoint string
	shown    string // endpoint without userinfo or query, for errors
	headers  http.Header
	timeout  time.Duration
	resource []attr
	version  string
	client   *http.Client
}

// FromEnv returns a Tracer configured by the standard OpenTelemetry
// environment variables, or nil when they ask for no traces: none of
// OTEL_EXPORTER_OTLP_ENDPOINT (to which /v1/traces is added) and
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as it is) is set,
// OTEL_SDK_DISABLED is true, or OTEL_TRACES_EXPORTER is not otlp. It
// reads OTEL_EXPORTER_OTLP_[TRACES_]HEADERS and _TIMEOUT (milliseconds,
// default 10 s), OTEL_SERVICE_NAME (default "mediaauth") and
// OTEL_RESOURCE_ATTRIBUTES. The protocol, OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL,
// must be http/json when set: it is the one this exporter speaks, and
// collectors take it on their OTLP/HTTP port. version is the command's, for
// the instrumentation scope. Its errors never show a header's value.
func FromEnv(getenv func(string) string, version string) (*Tracer, error) {
	either := func(name string) string {
		if v := getenv("OTEL_EXPORTER_OTLP_TRACES_" + name); v != "" {
			return v
		}
		return getenv("OTEL_EXPORTER_OTLP_" + name)
	}
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if base := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); endpoint == "" && base != "" {
		endpoint = strings.TrimRight(base, "/") + "/v1/traces"
	}
	if endpoint == "" || strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return nil, nil
	}
	if e := getenv("OTEL_TRACES_EXPORTER"); e != "" && e != "otlp" {
		return nil, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("OTEL_EXPORTER_OTLP_ENDPOINT: want an http or https URL")
	}
	if p := either("PROTOCOL"); p != "" && p != "http/json" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: this command exports http/json only", p)
	}
	exp := &exporter{endpoint: endpoint, shown: u.Scheme + "://" + u.Host + u.Path, timeout: 10 * time.Second,
		version: version, client: &http.Client{}}
	if exp.headers, err = parsePairs(either("HEADERS")); err != nil {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_HEADERS: %w", err)
	}
	if ms := either("TIMEOUT"); ms != "" {
		n, err := strconv.Atoi(ms)
		if err != nil || n <= 0 {
			return nil, errors.New("OTEL_EXPORTER_OTLP_TIMEOUT: want a positive number of milliseconds")
		}
		exp.timeout = time.Duration(n) * time.Millisecond
	}
	exp.resource, err = resourceAttrs(getenv)
	if err != nil {
		return nil, err
	}
	return &Tracer{exp: exp}, nil
}

// parsePairs reads "key=value,key2=value2" with URL-encoded values, as
// the OTEL_*_HEADERS variables are written. Its errors show no value.
func parsePairs(s string) (http.Header, error) {
	h := http.Header{}
	for _, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		value, err := url.QueryUnescape(strings.TrimSpace(v))
		if !ok || k == "" || err != nil {
			return nil, fmt.Errorf("entry %d is not key=value", len(h)+1)
		}
		h.Add(k, value)
	}
	return h, nil
}

// resourceAttrs is the resource: OTEL_RESOURCE_ATTRIBUTES, with
// service.name from OTEL_SERVICE_NAME or "mediaauth".
func resourceAttrs(getenv func(string) string) ([]attr, error) {
	pairs, err := parsePairs(getenv("OTEL_RESOURCE_ATTRIBUTES"))
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	if name := getenv("OTEL_SERVICE_NAME"); name != "" {
		pairs.Set("service.name", name)
	}
	if pairs.Get("service.name") == "" {
		pairs.Set("service.name", "mediaauth")
	}
	var attrs []attr
	for k := range pairs {
		attrs = append(attrs, str(strings.ToLower(k), pairs.Get(k)))
	}
	return attrs, nil
}

// Flush sends the spans ended so far to the collector in one request,
// within the export timeout. It does nothing on a nil Tracer, or when
// there is no span. Its errors name the endpoint without its query or
// user, and never a header.
func (t *Tracer) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	spans, dropped := t.take()
	if len(spans) == 0 {
		return nil
	}
	body, err := json.Marshal(t.exp.request(spans))
	if err != nil {
		return fmt.Errorf("encoding the traces: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, t.exp.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.exp.endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("exporting traces to %s: invalid endpoint", t.exp.shown)
	}
	for k, v := range t.exp.headers {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.exp.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("exporting %d spans to %s: %w", len(spans), t.exp.shown, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("exporting %d spans to %s: the collector answered %s", len(spans), t.exp.shown, resp.Status)
	}
	if dropped > 0 {
		return fmt.Errorf("exported %d spans to %s; %d more were dropped", len(spans), t.exp.shown, dropped)
	}
	return nil
}

// The OTLP/HTTP JSON encoding of an ExportTraceServiceRequest: IDs in
// hex, times and integers as decimal strings.
type (
	exportRequest struct {
		ResourceSpans []resourceSpans `json:"resourceSpans"`
	}
	resourceSpans struct {
		Resource   resource     `json:"resource"`
		ScopeSpans []scopeSpans `json:"scopeSpans"`
	}
	resource struct {
		Attributes []keyValue `json:"attributes"`
	}
	scopeSpans struct {
		Scope scope      `json:"scope"`
		Spans []jsonSpan `json:"spans"`
	}
	scope struct {
		Name    string `json:"name"`
		Version string `json:"version,omitempty"`
	}
	jsonSpan struct {
		TraceID      string      `json:"traceId"`
		SpanID       string      `json:"spanId"`
		ParentSpanID string      `json:"parentSpanId,omitempty"`
		Name         string      `json:"name"`
		Kind         int         `json:"kind"`
		Start        string      `json:"startTimeUnixNano"`
		End          string      `json:"endTimeUnixNano"`
		Attributes   []keyValue  `json:"attributes,omitempty"`
		Status       *spanStatus `json:"status,omitempty"`
	}
	keyValue struct {
		Key   string   `json:"key"`
		Value anyValue `json:"value"`
	}
	anyValue struct {
		StringValue *string `json:"stringValue,omitempty"`
		IntValue    *string `json:"intValue,omitempty"`
	}
	spanStatus struct {
		Code    int    `json:"code"`
		Message string `json:"message,omitempty"`
	}
)

// request is the export request of spans.
func (e *exporter) request(spans []*span) exportRequest {
	out := make([]jsonSpan, 0, len(spans))
	for _, s := range spans {
		js := jsonSpan{TraceID: hex.EncodeToString(s.traceID[:]), SpanID: hex.EncodeToString(s.spanID[:]),
			Name: s.name, Kind: s.kind, Attributes: keyValues(s.attrs),
			Start: strconv.FormatInt(s.start.UnixNano(), 10), End: strconv.FormatInt(s.end.UnixNano(), 10)}
		if s.parentID != [8]byte{} {
			js.ParentSpanID = hex.EncodeToString(s.parentID[:])
		}
		if s.status != 0 {
			js.Status = &spanStatus{Code: s.status, Message: s.message}
		}
		out = append(out, js)
	}
	return exportRequest{ResourceSpans: []resourceSpans{{
		Resource:   resource{Attributes: keyValues(e.resource)},
		ScopeSpans: []scopeSpans{{Scope: scope{Name: ScopeName, Version: e.version}, Spans: out}},
	}}}
}

// keyValues encodes attributes.
func keyValues(attrs []attr) []keyValue {
	out := make([]keyValue, 0, len(attrs))
	for _, a := range attrs {
		v := a.str
		if a.isNum {
			v = strconv.FormatInt(a.num, 10)
			out = append(out, keyValue{Key: a.key, Value: anyValue{IntValue: &v}})
			continue
		}
		out = append(out, keyValue{Key: a.key, Value: anyValue{StringValue: &v}})
	}
	return out
}
