package mediaauthtest

import "net/http"

// moviesState is the fake Movies API's data. It is guarded by Server.mu.
type moviesState struct{}

func (st *moviesState) init() {}

// routeMovies registers the fake Movies API's handlers.
func (s *Server) routeMovies(mux *http.ServeMux) {}
