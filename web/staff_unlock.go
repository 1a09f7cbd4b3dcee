package web

import (
	"net/http"
)

// handleStaffUnlock unlocks an account locked after too many failed
// logins, so its user can log in again with the password they have.
func (s *Server) handleStaffUnlock(w http.ResponseWriter, r *http.Request) error {
	u, err := s.findStaff(r)
	if err != nil {
		return err
	}
	if err := s.Users.UnlockUser(r.Context(), actorOf(r), u.ID); err != nil {
		return err
	}
	return s.redirect(w, r, "/staff/"+u.ID, "User "+u.Username+" unlocked: they can log in again.")
}
