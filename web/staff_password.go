package web

import (
	"net/http"
)

// handleStaffPassword gives a user a new password, typed twice, and ends
// their sessions.
func (s *Server) handleStaffPassword(w http.ResponseWriter, r *http.Request) error {
	u, err := s.findStaff(r)
	if err != nil {
		return err
	}
	p := newStaffUserPage(r, u)
	password := readPasswords(r, u.Username, &p.Errors)
	return s.submit(w, r, formPost{name: "staff_user", page: p, fallback: "password"}, func() (string, string, error) {
		if err := s.Users.SetPassword(r.Context(), actorOf(r), u.ID, password); err != nil {
			return "", "", err
		}
		if p.Self {
			// The administrator reset their own password and so ended
			// their own session: they log in again with it.
			s.clearCookie(w, sessionCookie, "/")
			return "/login", "Your password has been changed. Log in with the new password.", nil
		}
		return "/staff/" + u.ID, "Password of " + u.Username + " reset. Tell them the new password in person or by phone.", nil
	})
}
