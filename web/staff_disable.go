package web

import (
	"net/http"
)

// handleStaffDisable stops a user logging in and ends their sessions.
func (s *Server) handleStaffDisable(w http.ResponseWriter, r *http.Request) error {
	return s.setStaffDisabled(w, r, true)
}

// handleStaffEnable lets a disabled user log in again.
func (s *Server) handleStaffEnable(w http.ResponseWriter, r *http.Request) error {
	return s.setStaffDisabled(w, r, false)
}

func (s *Server) setStaffDisabled(w http.ResponseWriter, r *http.Request, disable bool) error {
	u, err := s.findStaff(r)
	if err != nil {
		return err
	}
	if err := s.Users.SetUserDisabled(r.Context(), actorOf(r), u.ID, disable); err != nil {
		return err
	}
	msg := "User " + u.Username + " enabled: they can log in again."
	if disable {
		msg = "User " + u.Username + " disabled: they cannot log in, and their sessions have ended."
	}
	return s.redirect(w, r, "/staff/"+u.ID, msg)
}
