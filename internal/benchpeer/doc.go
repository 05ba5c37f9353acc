// Package benchpeer holds benchmarks that compare mediaauth's TMDb calls
// with those of github.com/cyruzin/golang-tmdb, a popular TMDb client for
// Go, in the same run and against the same loopback server. It is a module
// of its own so that golang-tmdb stays out of mediaauth's dependencies;
// scripts/bench.sh runs it beside the root module's benchmarks.
package benchpeer
