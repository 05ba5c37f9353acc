package mediaauthtest

// ControlRoutes lists the operations the control API of s serves, as
// "METHOD /_fake/path", for the tests that compare them with the OpenAPI
// document.
func ControlRoutes(s *Server) []string {
	var out []string
	for _, rt := range s.controlRoutes() {
		out = append(out, rt.method+" "+ControlPrefix+rt.path)
	}
	return out
}
