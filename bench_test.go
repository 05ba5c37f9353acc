package mediaauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/mediaauth/mediaauth"
)

// The SDK's calls against hand-written net/http + encoding/json code doing
// the same request, in the same run, through each of the SDK's doors: the
// typed call (where there is one), Do, and HTTPClient with CheckResponse.
// Each benchmark has, for each door, the pairs
//
//	BenchmarkX/door/sdk/background      BenchmarkX/door/nethttp/background
//	BenchmarkX/door/sdk/cancellable     BenchmarkX/door/nethttp/cancellable
//
// run one after the other: with context.Background(), and with a context
// that can be cancelled (and has no deadline). Both sides talk to the same
// loopback server, which checks that the request is the one the SDK sends
// (method, path, query, headers, body) and answers a fixed body; both have
// a per-attempt timeout of DefaultTimeout (the SDK's default, and
// http.Client.Timeout in the baseline) on a transport set up alike; both
// check the status, decode the same answer into an equivalent struct and
// check a field of it. The HTTPClient door is the baseline's own code with
// the handle's http.Client in place of the baseline's and CheckResponse in
// place of its status check; it leaves the credentials to the engine. The
// SDK's client-side rate limits are off. scripts/bench.sh runs them and
// prints the ratios.

// The doors, as the sub-benchmarks name them.
const (
	doorTyped      = "typed"
	doorDo         = "Do"
	doorHTTPClient = "HTTPClient"
)

// benchBaselineFirst runs the baseline of each pair before the SDK's call;
// scripts/bench.sh alternates the order from one round to the next.
var benchBaselineFirst = os.Getenv("MEDIAAUTH_BENCH_BASELINE_FIRST") != ""

// benchWarmup is how many calls each side makes before it is measured.
const benchWarmup = 200

// benchSide is one side of a pair: its name and its call.
type benchSide struct {
	name string
	call func(context.Context) error
}

// benchSides returns the two sides in the order they run.
func benchSides(sdk, nethttp func(context.Context) error) []benchSide {
	if benchBaselineFirst {
		return []benchSide{{"nethttp", nethttp}, {"sdk", sdk}}
	}
	return []benchSide{{"sdk", sdk}, {"nethttp", nethttp}}
}

// benchDoor is one door of the SDK and the call that goes through it.
type benchDoor struct {
	name string
	sdk  func(context.Context) error
}

// benchDoors runs, for each door, the door's call and the baseline nethttp
// as the pairs of benchPair, under a sub-benchmark named after the door.
func benchDoors(b *testing.B, nethttp func(context.Context) error, doors ...benchDoor) {
	for _, d := range doors {
		b.Run(d.name, func(b *testing.B) { benchPair(b, d.sdk, nethttp) })
	}
}

// benchPair runs sdk and its baseline nethttp as the four sub-benchmarks
// above. Each function does one call and reports whether it got the
// expected answer.
func benchPair(b *testing.B, sdk, nethttp func(context.Context) error) {
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, cc := range []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"cancellable", cancellable}} {
		for _, side := range benchSides(sdk, nethttp) {
			b.Run(side.name+"/"+cc.name, func(b *testing.B) {
				ctx, call := cc.ctx, side.call
				// Not measured (b.Loop starts measuring at its first call): the
				// connection is made and the process has warmed up, so that
				// the first pair of a run is not slower than the others.
				for range benchWarmup {
					if err := call(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				cpu := cpuTime()
				for b.Loop() {
					if err := call(ctx); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu)
			})
		}
	}
}

// benchParallelDoors runs, for each door, its call and nethttp with
// b.RunParallel on 64 goroutines each, as the sub-benchmarks door/sdk and
// door/nethttp, with context.Background().
func benchParallelDoors(b *testing.B, nethttp func(context.Context) error, doors ...benchDoor) {
	for _, d := range doors {
		b.Run(d.name, func(b *testing.B) {
			for _, side := range benchSides(d.sdk, nethttp) {
				b.Run(side.name, func(b *testing.B) { benchParallel(b, side.call) })
			}
		})
	}
}

// benchParallel measures call from 64 goroutines.
func benchParallel(b *testing.B, call func(context.Context) error) {
	procs := max(1, 64/runtime.GOMAXPROCS(0))
	// The warm-up, 64 goroutines at once, makes the connections.
	var wg sync.WaitGroup
	for range procs * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range benchWarmup / 16 {
				if err := call(context.Background()); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.SetParallelism(procs)
	b.ResetTimer()
	b.ReportAllocs()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if err := call(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportCPU(b, cpu)
}

// reportCPU reports the CPU time the process used since start (a cpuTime),
// per op, as cpu-ns/op: the client's and the in-process server's work,
// which the machine's load changes much less than the time per op.
func reportCPU(b *testing.B, start int64) {
	if end := cpuTime(); end > start && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

// expect is the request a benchmark server accepts.
type expect struct {
	method, path, query, contentType string
	body                             []byte
}

// benchAPIServer starts a loopback server that answers each request equal
// to one of reqs (method, path, query, Accept, Content-Type, User-Agent
// and body) with answer as contentType, and any other with 400.
func benchAPIServer(b *testing.B, contentType string, answer []byte, reqs ...expect) *httptest.Server {
	b.Helper()
	return benchServer(b, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		ok := false
		for _, e := range reqs {
			ok = ok || err == nil && r.Method == e.method && r.URL.Path == e.path && r.URL.RawQuery == e.query &&
				r.Header.Get("Accept") == "application/json" && r.Header.Get("Content-Type") == e.contentType &&
				r.Header.Get("User-Agent") == mediaauth.DefaultUserAgent && bytes.Equal(body, e.body)
		}
		if !ok {
			http.Error(w, "not the expected request", http.StatusBadRequest)
			return
		}
		w.Header()["Content-Type"] = []string{contentType}
		_, _ = w.Write(answer)
	})
}

// checker checks an answer's status: statusOK in the baselines,
// CheckResponse through the HTTPClient door.
type checker func(*http.Response) error

// statusOK is the baselines' check: 200 or an error.
func statusOK(resp *http.Response) error {
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// checkWith is the HTTPClient door's check: CheckResponse for api.
func checkWith(api mediaauth.API) checker {
	return func(resp *http.Response) error { return mediaauth.CheckResponse(api, resp) }
}

// doJSON is the baseline's one call: it sends req with the headers the SDK
// sends, checks the status and decodes the JSON answer into out.
func doJSON(hc *http.Client, check checker, req *http.Request, contentType string, out any) error {
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", mediaauth.DefaultUserAgent)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := check(resp); err != nil {
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

// benchGet is a GET of target through hc, decoded into out.
func benchGet(ctx context.Context, hc *http.Client, check checker, target string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	return doJSON(hc, check, req, "", out)
}

// benchPost is a POST of in as JSON to target through hc, decoded into out.
func benchPost(ctx context.Context, hc *http.Client, check checker, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	return doJSON(hc, check, req, "application/json", out)
}
