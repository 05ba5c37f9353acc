package mediaauthtest

import "net/http"

// tvmazeState is the fake TVmaze API's data. It is guarded by Server.mu.
type tvmazeState struct{}

func (st *tvmazeState) init() {}

// routeTVmaze registers the fake TVmaze API's handlers.
func (s *Server) routeTVmaze(mux *http.ServeMux) {}
