#!/usr/bin/env bash
# Benchmarks: each SDK call, through each of its doors (the typed call, Do,
# HTTPClient with CheckResponse), beside hand-written net/http +
# encoding/json code doing the same request (bench*_test.go), and the SDK's
# TMDb calls beside golang-tmdb's (the benchpeer module), in the same run.
#
# 1. Builds the two test binaries once and runs every benchmark of the root
#    package and of benchpeer ROUNDS times (the equivalent of -count ROUNDS,
#    interleaved): one round after the other, each with -count 1, so that
#    the SDK's call and its baseline are measured close together in time,
#    under the same load; every other round runs the baseline first.
# 2. Summarises the run with benchstat (golang.org/x/perf/cmd/benchstat,
#    installed at a pinned version into a cache folder outside the module,
#    ${XDG_CACHE_HOME:-$HOME/.cache}/mediaauth/benchstat-VERSION): baseline
#    and SDK side by side.
# 3. Prints one ratio line per pair: SDK median ns/op over the baseline's
#    (for the parallel pairs, the SDK's throughput over the baseline's), the
#    median of the same ratio taken round by round ("paired", less
#    sensitive to a load that changes during the run), the same paired
#    ratio of the CPU time per op (cpu-ns/op), and the medians of
#    allocs/op; and the B/op of each BenchmarkHugeBody door.
# 4. Fails if an SDK call allocates more than its net/http baseline
#    (allocations are deterministic), through any door, or if the 1 GiB
#    answer of BenchmarkHugeBody costs 2 MiB or more through any door. The
#    parallel pairs' allocations are reported only, as they count the
#    connections that 64 goroutines make the pool close and open again,
#    which vary with the scheduling. Times, and the allocations beside
#    golang-tmdb, are reported, not enforced: times depend on the machine
#    and on what else runs on it.
#
# Usage: bash scripts/bench.sh [-short] [-keep DIR]
#   -short     a quick run for CI: 3 rounds of 0.2 s per benchmark, about
#              a minute and a half (default: 20 rounds of 0.2 s, about ten
#              minutes)
#   -keep DIR  leave the raw go test output and the summary in DIR
# Environment: BENCH_ROUNDS and BENCH_TIME override the rounds and the
# -benchtime of each run; BENCH_FILTER (a -test.bench pattern) runs only
# the benchmarks it matches.
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest golang.org/x/perf (it has no tagged versions); it needs Go
# 1.26, which go install fetches when the local toolchain is older.
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/mediaauth/benchstat-$BENCHSTAT_VERSION"
# The most BenchmarkHugeBody may allocate per op.
HUGE_MAX_BYTES=$((2 << 20))
# The time goals: SDK over baseline at most this (throughput at least its
# inverse), and over golang-tmdb at most PEER_GOAL.
TIME_GOAL=1.03
PEER_GOAL=1.00

rounds=20 benchtime=0.2s keep=""
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
filter="${BENCH_FILTER:-.}"

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
(cd internal/benchpeer && GOWORK=off go test -c -o "$RUN/benchpeer.test" .)
raw="$RUN/raw.txt" peer="$RUN/peer.txt"
: >"$raw"
: >"$peer"
# run BINARY OUT: one round of BINARY's benchmarks, appended to OUT.
run() {
  MEDIAAUTH_BENCH_BASELINE_FIRST="$first" "$1" -test.run '^$' -test.bench "$filter" \
    -test.benchmem -test.benchtime "$benchtime" -test.count 1 -test.timeout 30m >"$RUN/round.txt" || {
    cat "$RUN/round.txt"
    exit 1
  }
  cat "$RUN/round.txt" >>"$2"
}
start=$SECONDS
for round in $(seq "$rounds"); do
  order=sdk-first
  first=""
  if [ $((round % 2)) -eq 0 ]; then
    order=baseline-first
    first=1
  fi
  log "round $round of $rounds ($order, -benchtime $benchtime)"
  run "$RUN/mediaauth.test" "$raw"
  run "$RUN/benchpeer.test" "$peer"
done
log "$rounds rounds in $((SECONDS - start)) s"

if [ -n "$benchstat" ]; then
  # Baseline and SDK as two columns: each side's name without its side.
  # BenchmarkHugeBody has no baseline: it shows in the SDK's column only.
  grep -v '/sdk' "$raw" | grep -v '^BenchmarkHugeBody' | sed -E 's#/nethttp(/|-[0-9]+ )#\1#' >"$RUN/nethttp.txt"
  grep -v '/nethttp' "$raw" | sed -E 's#/sdk(/|-[0-9]+ )#\1#' >"$RUN/sdk.txt"
  grep -v '/sdk' "$peer" | sed -E 's#/golangtmdb(/|-[0-9]+ )#\1#' >"$RUN/golangtmdb.txt"
  grep -v '/golangtmdb' "$peer" | sed -E 's#/sdk(/|-[0-9]+ )#\1#' >"$RUN/sdkpeer.txt"
  echo
  (cd "$RUN" && "$benchstat" nethttp=nethttp.txt sdk=sdk.txt)
  echo
  (cd "$RUN" && "$benchstat" golang-tmdb=golangtmdb.txt sdk=sdkpeer.txt)
fi

echo
awk -v hugemax="$HUGE_MAX_BYTES" -v goal="$TIME_GOAL" -v peergoal="$PEER_GOAL" '
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
# pair prints the ratio line of the SDK benchmark name beside base, and
# counts it against the goal g; allocations over the baseline fail the run
# when enforce is set.
function pair(name, base, g, enforce,    label, parallel, s, b, rounds, r, sa, ba, verdict, ratio, paired, cpu) {
  label = name; sub(/^(peer:)?Benchmark/, "", label); sub(/\/sdk/, "", label)
  parallel = label ~ /Parallel/
  s = median(ns[name]); b = median(ns[base])
  # The ratio of each round, SDK and baseline measured one after the other.
  rounds = ""
  for (r = 1; r <= runs[name] && r <= runs[base]; r++)
    rounds = rounds " " (parallel ? nsof[base, r] / nsof[name, r] : nsof[name, r] / nsof[base, r])
  paired = median(rounds)
  # The same for the CPU time per op, when the benchmarks report it.
  rounds = ""
  for (r = 1; r <= runs[name] && r <= runs[base]; r++)
    if (cpuof[name, r] > 0 && cpuof[base, r] > 0)
      rounds = rounds " " (parallel ? cpuof[base, r] / cpuof[name, r] : cpuof[name, r] / cpuof[base, r])
  cpu = rounds == "" ? "     -" : sprintf("%6.3f×", median(rounds))
  sa = median(allocs[name]); ba = median(allocs[base])
  verdict = "ok"
  if (sa > ba) {
    if (!enforce || parallel) verdict = "allocs over"
    else { verdict = "FAIL: allocs over baseline"; fail = 1 }
  }
  pairs++
  ratio = parallel ? b / s : s / b
  if (parallel) {
    if (paired >= 1 / g) met++
    else verdict = verdict ", time over"
    verdict = verdict " (throughput)"
  } else if (paired <= g) met++
  else verdict = verdict ", time over"
  printf "%-44s %9s %9s %6.3f× %6.3f× %7s %4d vs %-4d %s\n", label, us(s), us(b), ratio, paired, cpu, sa, ba, verdict
}
/^Benchmark/ && / ns\/op/ {
  name = $1
  sub(/-[0-9]+$/, "", name)
  # The two files have benchmarks of the same names: those of benchpeer
  # are kept apart by a prefix.
  if (FILENAME != ARGV[1]) name = "peer:" name
  round = ++runs[name]
  for (i = 3; i < NF; i++) {
    if ($(i + 1) == "ns/op") { ns[name] = ns[name] " " $i; nsof[name, round] = $i }
    if ($(i + 1) == "cpu-ns/op") cpuof[name, round] = $i
    if ($(i + 1) == "B/op") bytes[name] = bytes[name] " " $i
    if ($(i + 1) == "allocs/op") allocs[name] = allocs[name] " " $i
  }
  if (!(name in seen)) { seen[name] = 1; order[++count] = name; file[name] = name ~ /^peer:/ ? 2 : 1 }
}
END {
  fail = 0
  for (side = 1; side <= 2; side++) {
    pairs = 0; met = 0
    other = side == 1 ? "nethttp" : "golangtmdb"
    print ""
    printf "%-44s %9s %9s %7s %7s %7s %11s\n", side == 1 ? "pair (SDK vs net/http)" : "pair (SDK vs golang-tmdb)", "sdk", other, "ratio", "paired", "cpu", "allocs/op"
    for (k = 1; k <= count; k++) {
      name = order[k]
      if (name !~ /\/sdk(\/|$)/ || file[name] != side) continue
      base = name; sub(/\/sdk/, "/" other, base)
      if (base in ns) pair(name, base, side == 1 ? goal : peergoal, side == 1)
      else { printf "%s: no %s side\n", name, other; fail = 1 }
    }
    if (side == 1) { netpairs = pairs; netmet = met } else { peerpairs = pairs; peermet = met }
  }
  print ""
  huge = 0
  for (k = 1; k <= count; k++) {
    name = order[k]
    if (name !~ /^BenchmarkHugeBody/) continue
    huge++
    hb = median(bytes[name])
    verdict = "ok"
    if (hb >= hugemax) { verdict = "FAIL: 2 MiB or more"; fail = 1 }
    label = name; sub(/^Benchmark/, "", label)
    printf "%-44s %.2f MiB/op for a 1 GiB answer (limit 2 MiB)  %s\n", label, hb / 1048576, verdict
  }
  if (huge == 0) { print "HugeBody: no result"; fail = 1 }
  print ""
  print "ratio: SDK median ns/op over the other side'"'"'s median (parallel: the other over the SDK, i.e. throughput);"
  print "paired: median of the same ratio taken round by round; cpu: the same for the CPU time the process"
  print "used per op (cpu-ns/op: client and server), which other load on the machine changes less;"
  print "allocs/op: medians, SDK vs the other side."
  printf "time goal vs net/http (paired ≤ %s×; parallel throughput ≥ 1/%s): met by %d of %d pairs\n", goal, goal, netmet, netpairs
  printf "time goal vs golang-tmdb (paired ≤ %s×): met by %d of %d pairs\n", peergoal, peermet, peerpairs
  if (netpairs == 0 || peerpairs == 0) fail = 1
  exit fail
}' "$raw" "$peer" | tee "$RUN/summary.txt" || status=$?

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "$RUN"/raw.txt "$RUN"/peer.txt "$RUN"/summary.txt "$keep"/
  log "raw output and summary in $keep"
fi
if [ "${status:-0}" -ne 0 ]; then
  log "FAILED: see the lines marked FAIL"
  exit 1
fi
