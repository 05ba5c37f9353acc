package mediaauthtest

import "net/http"

// DefaultTMDbAPIKey is the TMDb API key every fake server accepts.
const DefaultTMDbAPIKey = "fake-tmdb-api-key"

// tmdbState is the fake TMDb API data. It is guarded by Server.mu.
type tmdbState struct{}

func (st *tmdbState) init() {}

// routeTMDb registers the fake TMDb API handlers.
func (s *Server) routeTMDb(mux *http.ServeMux) {}
