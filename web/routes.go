package web

import "net/http"

// routes lists every route of the user interface. Later areas (patient
// journey, HL7 message log, boards) add their lines here, each pointing at
// a handler in a file of its own. Wrap a handler in s.authed for pages of
// logged-in users (CSRF is checked on POST) or s.public for the rest.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", handleHealth)
	mux.Handle("GET /static/", staticHandler())

	mux.Handle("GET /login", s.public(s.handleLoginForm))
	mux.Handle("POST /login", s.public(s.handleLogin))
	mux.Handle("POST /logout", s.authed(s.handleLogout))

	mux.Handle("GET /{$}", s.authed(s.handleHome))
	mux.Handle("GET /patients", s.authed(s.handleSearch))
	mux.Handle("GET /patients/new", s.authed(s.handleRegisterForm))
	mux.Handle("POST /patients/new", s.authed(s.handleRegister))
	mux.Handle("GET /patients/{id}", s.authed(s.handlePatient))
	mux.Handle("GET /patients/{id}/edit", s.authed(s.handleEditForm))
	mux.Handle("POST /patients/{id}/edit", s.authed(s.handleEdit))
	mux.Handle("GET /patients/{id}/death", s.authed(s.handleDeathForm))
	mux.Handle("POST /patients/{id}/death", s.authed(s.handleDeath))
	mux.Handle("GET /patients/{id}/merge", s.authed(s.handleMergeForm))
	mux.Handle("POST /patients/{id}/merge", s.authed(s.handleMerge))
	mux.Handle("POST /patients/{id}/unmerge", s.authed(s.handleUnmerge))
	mux.Handle("GET /patients/{id}/history", s.authed(s.handleHistory))
	mux.Handle("GET /patients/{id}/audit", s.authed(s.handleAudit))

	mux.Handle("/", s.public(s.handleNotFound))
}

// handleHealth tells a load balancer or monitor the server is up. It needs
// no login and touches no data.
func handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok"))
}

// handleHome sends the user to the patient search, the start of a
// clerk's work.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/patients", http.StatusSeeOther)
	return nil
}

// handleNotFound shows the page-not-found page for any unknown address.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	return errNoPage
}
