package contract_test

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// moviesStatusListing is what the SDK's unit table of Movies answers
// (moviesStatusTable in errors_test.go at the repository root) covers,
// written there by TestMoviesStatusListing.
var moviesStatusListing = filepath.Join("..", "testdata", "movies-statuses.txt")

// listedOp is one line of the listing.
type listedOp struct {
	method, path string
	statuses     []int
}

// readStatusListing reads the listing: "operationId METHOD path status..."
// a line, # comments.
func readStatusListing(t *testing.T, path string) map[string]listedOp {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]listedOp{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		require.GreaterOrEqual(t, len(fields), 3, "line %q", line)
		op := listedOp{method: fields[1], path: fields[2]}
		for _, f := range fields[3:] {
			n, err := strconv.Atoi(f)
			require.NoError(t, err, "line %q", line)
			op.statuses = append(op.statuses, n)
		}
		require.NotContains(t, out, fields[0], "operation listed twice")
		out[fields[0]] = op
	}
	require.NoError(t, sc.Err())
	return out
}

// TestContractMoviesStatusTable checks that the SDK's unit table of Movies
// answers has a row for every operation of the Movies contract, with the
// contract's method and path, and for every status the contract documents.
// (Those unit tests run without the contract: this is where the two meet.)
func TestContractMoviesStatusTable(t *testing.T) {
	t.Parallel()
	var movies *contractFile
	for _, cf := range contractFiles() {
		if cf.file == moviesSpec {
			movies = cf
		}
	}
	require.NotNil(t, movies)
	// Every operation of the contract, wrapped or not.
	all := *movies
	all.wraps = nil
	ops, err := parseContract(requireSpecs(t, moviesSpec), &all)
	require.NoError(t, err)
	listed := readStatusListing(t, moviesStatusListing)

	pairs := 0
	for _, op := range ops {
		row, ok := listed[op.ID]
		if !assert.True(t, ok, "operation %s (%s %s) has no row in the unit table", op.ID, op.Method, op.Path) {
			continue
		}
		assert.Equal(t, op.Method+" "+op.Path, row.method+" "+row.path, op.ID)
		for _, status := range op.Statuses {
			pairs++
			assert.True(t, slices.Contains(row.statuses, status),
				"status %d of %s is documented but not in the unit table (moviesStatusTable)", status, op.ID)
		}
	}
	assert.Len(t, listed, len(ops), "operations in the unit table and in the contract")
	assert.GreaterOrEqual(t, pairs, 40, "the contract lists at least 40 (operation, status) pairs")
}
