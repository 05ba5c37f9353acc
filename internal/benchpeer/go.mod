module github.com/mediaauth/mediaauth/internal/benchpeer

go 1.24.0

require (
	github.com/cyruzin/golang-tmdb v1.9.2
	github.com/mediaauth/mediaauth v0.0.0
	golang.org/x/time v0.14.0
)

require (
	github.com/goccy/go-json v0.10.5 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
)

replace github.com/mediaauth/mediaauth => ../../
