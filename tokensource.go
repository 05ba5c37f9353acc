package mediaauth

import "context"

// MoviesTokenSource supplies the Movies API access token a client sends.
// A client made with [WithMoviesTokenSource] (or [Client.WithMoviesTokenSource])
// asks it before each call that needs a token; it must be safe for
// concurrent use.
type MoviesTokenSource interface {
	Token(ctx context.Context) (*Token, error)
}
