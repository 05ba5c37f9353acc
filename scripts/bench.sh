#!/usr/bin/env bash
# Benchmarks: each SDK call beside hand-written net/http + encoding/json code
# doing the same request (bench_test.go), in the same run.
#
# 1. Builds the test binary once and runs every benchmark of the root
#    package ROUNDS times (the equivalent of -count ROUNDS, interleaved):
#    one round after the other, each with -count 1, so that the SDK's call
#    and its baseline are measured close together in time, under the same
#    load; every other round runs the baseline first.
# 2. Summarises the run with benchstat (golang.org/x/perf/cmd/benchstat,
#    installed at a pinned version into a cache folder outside the module,
#    ${XDG_CACHE_HOME:-$HOME/.cache}/mediaauth/benchstat-VERSION): baseline
#    and SDK side by side.
# 3. Prints one ratio line per pair: SDK median ns/op over the baseline's
#    (for the parallel pair, the SDK's throughput over the baseline's), the
#    median of the same ratio taken round by round ("paired", less
#    sensitive to a load that changes during the run), and the medians of
#    allocs/op; and the B/op of BenchmarkHugeBody.
# 4. Fails if an SDK call allocates more than its baseline + 5 per op
#    (allocations are deterministic), or if the 1 GiB answer of
#    BenchmarkHugeBody costs 2 MiB or more. Times are reported, not
#    enforced: they depend on the machine and on what else runs on it.
#
# Usage: bash scripts/bench.sh [-short] [-keep DIR]
#   -short     a quick run for CI: 3 rounds of 0.2 s per benchmark, about
#              30 s (default: 30 rounds of 0.2 s, about 2.5 minutes)
#   -keep DIR  leave the raw go test output and the summary in DIR
# Environment: BENCH_ROUNDS and BENCH_TIME override the rounds and the
# -benchtime of each run.
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest golang.org/x/perf (it has no tagged versions); it needs Go
# 1.26, which go install fetches when the local toolchain is older.
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/mediaauth/benchstat-$BENCHSTAT_VERSION"
# An SDK call may allocate this many objects per op more than its baseline.
ALLOC_SLACK=5
# The most BenchmarkHugeBody may allocate per op.
HUGE_MAX_BYTES=$((2 << 20))

rounds=30 benchtime=0.2s keep=""
while [ $# -gt 0 ]; do
  case "$1" in
  -short) rounds=3 benchtime=0.2s ;;
  -keep)
    keep="${2:?-keep needs a folder}"
    shift
    ;;
  *)
    echo "usage: bash scripts/bench.sh [-short] [-keep DIR]" >&2
    exit 2
    ;;
  esac
  shift
done
rounds="${BENCH_ROUNDS:-$rounds}"
benchtime="${BENCH_TIME:-$benchtime}"

log() { printf 'bench: %s\n' "$*" >&2; }

RUN=$(mktemp -d "${TMPDIR:-/tmp}/mediaauth-bench.XXXXXX")
trap 'rm -rf "$RUN"' EXIT

# benchstat, once per version. The install goes to a temporary folder that
# is renamed when complete. Without it (offline, say) the run goes on: the
# ratio lines and the checks below do not need it.
benchstat="$CACHE/benchstat"
if [ ! -x "$benchstat" ]; then
  log "installing golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION into $CACHE"
  mkdir -p "$(dirname "$CACHE")"
  tmp=$(mktemp -d "$CACHE.partial.XXXXXX")
  if GOBIN="$tmp" go install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION" >&2; then
    rm -rf "$CACHE"
    mv "$tmp" "$CACHE"
  else
    rm -rf "$tmp"
    log "could not install benchstat: no benchstat table in this run"
    benchstat=""
  fi
fi

go test -c -o "$RUN/mediaauth.test" .
raw="$RUN/raw.txt"
start=$SECONDS
for round in $(seq "$rounds"); do
  order=sdk-first
  first=""
  if [ $((round % 2)) -eq 0 ]; then
    order=baseline-first
    first=1
  fi
  log "round $round of $rounds ($order, -benchtime $benchtime)"
  MEDIAAUTH_BENCH_BASELINE_FIRST="$first" "$RUN/mediaauth.test" -test.run '^$' -test.bench . \
    -test.benchmem -test.benchtime "$benchtime" -test.count 1 -test.timeout 30m >"$RUN/round.txt" || {
    cat "$RUN/round.txt"
    exit 1
  }
  cat "$RUN/round.txt" >>"$raw"
done
log "$rounds rounds in $((SECONDS - start)) s"

if [ -n "$benchstat" ]; then
  # Baseline and SDK as two columns: each side's name without its side.
  # BenchmarkHugeBody has no baseline: it shows in the SDK's column only.
  grep -v '/sdk' "$raw" | grep -v '^BenchmarkHugeBody' | sed -E 's#/nethttp(/|-[0-9]+ )#\1#' >"$RUN/nethttp.txt"
  grep -v '/nethttp' "$raw" | sed -E 's#/sdk(/|-[0-9]+ )#\1#' >"$RUN/sdk.txt"
  echo
  (cd "$RUN" && "$benchstat" nethttp=nethttp.txt sdk=sdk.txt)
fi

echo
awk -v slack="$ALLOC_SLACK" -v hugemax="$HUGE_MAX_BYTES" '
# median of the numbers in the space-separated list
function median(list,    v, n, i, j, t) {
  n = split(list, v, " ")
  for (i = 2; i <= n; i++) {
    t = v[i] + 0
    for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]
    v[j + 1] = t
  }
  if (n % 2) return v[(n + 1) / 2] + 0
  return (v[n / 2] + v[n / 2 + 1]) / 2
}
function us(ns) { return sprintf("%.1fµs", ns / 1000) }
/^Benchmark/ && / ns\/op/ {
  name = $1
  sub(/-[0-9]+$/, "", name)
  round = ++runs[name]
  for (i = 3; i < NF; i++) {
    if ($(i + 1) == "ns/op") { ns[name] = ns[name] " " $i; nsof[name, round] = $i }
    if ($(i + 1) == "B/op") bytes[name] = bytes[name] " " $i
    if ($(i + 1) == "allocs/op") allocs[name] = allocs[name] " " $i
  }
  if (!(name in seen)) { seen[name] = 1; order[++count] = name }
}
END {
  printf "%-31s %9s %9s %7s %7s %11s\n", "pair (SDK vs net/http)", "sdk", "nethttp", "ratio", "paired", "allocs/op"
  fail = 0; pairs = 0; met = 0
  for (k = 1; k <= count; k++) {
    name = order[k]
    if (name !~ /\/sdk(\/|$)/) continue
    base = name; sub(/\/sdk/, "/nethttp", base)
    if (!(base in ns)) { printf "%s: no baseline %s\n", name, base; fail = 1; continue }
    label = name; sub(/^Benchmark/, "", label); sub(/\/sdk/, "", label)
    parallel = label ~ /Parallel/
    s = median(ns[name]); b = median(ns[base])
    # The ratio of each round, SDK and baseline measured one after the other.
    rounds = ""
    for (r = 1; r <= runs[name] && r <= runs[base]; r++)
      rounds = rounds " " (parallel ? nsof[base, r] / nsof[name, r] : nsof[name, r] / nsof[base, r])
    sa = median(allocs[name]); ba = median(allocs[base])
    verdict = "ok"
    if (sa > ba + slack) { verdict = sprintf("FAIL: allocs over baseline + %d", slack); fail = 1 }
    pairs++
    if (parallel) {
      # Throughput: the baseline time per op over the SDK time per op.
      ratio = b / s
      if (ratio >= 0.95) met++
      verdict = verdict " (throughput)"
    } else {
      ratio = s / b
      if (ratio <= 1.05) met++
    }
    printf "%-31s %9s %9s %6.3f× %6.3f× %4d vs %-4d %s\n", label, us(s), us(b), ratio, median(rounds), sa, ba, verdict
  }
  if ("BenchmarkHugeBody" in bytes) {
    hb = median(bytes["BenchmarkHugeBody"])
    verdict = "ok"
    if (hb >= hugemax) { verdict = "FAIL: 2 MiB or more"; fail = 1 }
    printf "%-31s %.2f MiB/op for a 1 GiB answer (limit 2 MiB)  %s\n", "HugeBody", hb / 1048576, verdict
  } else {
    print "HugeBody: no result"; fail = 1
  }
  print ""
  print "ratio: SDK median ns/op over the baseline median (parallel: baseline over SDK, i.e. throughput);"
  print "paired: median of the same ratio taken round by round; allocs/op: medians, SDK vs baseline."
  printf "time goal (ratio ≤ 1.05×; parallel throughput ≥ 0.95×): met by %d of %d pairs\n", met, pairs
  if (pairs == 0) fail = 1
  exit fail
}' "$raw" | tee "$RUN/summary.txt" || status=$?

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "$RUN"/raw.txt "$RUN"/summary.txt "$keep"/
  log "raw output and summary in $keep"
fi
if [ "${status:-0}" -ne 0 ]; then
  log "FAILED: see the lines marked FAIL"
  exit 1
fi
