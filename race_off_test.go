//go:build !race

package mediaauth_test

// raceEnabled reports whether the race detector is on: it multiplies
// allocations, so memory goals are measured without it.
const raceEnabled = false
