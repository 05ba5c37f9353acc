module github.com/mediaauth/mediaauth/internal/benchpeer

go 1.24.0

require (
	github.com/cyruzin/golang-tmdb v1.9.2
	github.com/mediaauth/mediaauth v0.0.0
	golang.org/x/time v0.14.0
)

require (
	github.com/danieljoos/wincred v1.2.3 // indirect
	github.com/goccy/go-json v0.10.5 // indirect
	github.com/godbus/dbus/v5 v5.2.2 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/zalando/go-keyring v0.2.8 // indirect
	golang.org/x/sys v0.41.0 // indirect
)

replace github.com/mediaauth/mediaauth => ../../
