package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// handleStaffPassword gives a user a new password, typed twice, and ends
// their sessions.
func (s *Server) handleStaffPassword(w http.ResponseWriter, r *http.Request) error {
	u, err := s.findStaff(r)
	if err != nil {
		return err
	}
	p := &staffUserPage{Person: u}
	password := readPasswords(r, u.Username, &p.Errors)
	if !p.Errors.Any() {
		err := s.Users.SetPassword(r.Context(), actorOf(r), u.ID, password)
		if crs.ErrorCode(err) == crs.EINVALID {
			p.Errors.addErr(err, nil)
		} else if err != nil {
			return err
		}
	}
	if p.Errors.Any() {
		return s.showStaffUser(w, r, http.StatusUnprocessableEntity, p)
	}
	msg := "Password of " + u.Username + " reset. Tell them the new password in person or by phone."
	if u.ID == actorOf(r).UserID {
		// The administrator reset their own password and so ended their
		// own session: they log in again with it.
		s.clearCookie(w, sessionCookie, "/")
		return s.redirect(w, r, "/login", "Your password has been changed. Log in with the new password.")
	}
	return s.redirect(w, r, "/staff/"+u.ID, msg)
}
