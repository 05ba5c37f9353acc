// Package contract holds the contract tests of mediaauth, in a module of
// their own so that the library needs neither a YAML parser nor Node.js.
//
// With the Prism validator (@stoplight/prism-cli) they check that every
// request the SDK sends, and every answer of mediaauthtest, match the API
// contracts in ../shared/specs (relative to the repository root, or the
// folder MEDIAAUTH_SPECS names), and that mediaauthtest's control API
// (/_fake/) matches the OpenAPI document it serves: Prism's mock of it
// answers every documented status, and every operation passes Prism's
// proxy of it in front of a fake. Run them from the repository root with
//
//	bash scripts/contract.sh
//
// which installs a pinned Prism and runs go test -run '^TestContract' in
// this folder. Outside CI the tests skip when Prism or the contracts are
// missing; with CI=true they fail instead. The package has no API: only
// its tests matter.
package contract
