package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// The Staff pages let a trust's administrator manage its users: list
// them, add one, disable or enable one, and reset a password. Every page
// needs the administer-users activity; a user of another trust is not
// found.

// staffPage is the data of the staff list.
type staffPage struct {
	pageData
	Users []*crs.User
}

// handleStaff lists the trust's users.
func (s *Server) handleStaff(w http.ResponseWriter, r *http.Request) error {
	users, err := s.Users.FindUsers(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	p := &staffPage{Users: users}
	p.Title, p.Nav = "Staff", "staff"
	return s.render(w, r, "staff", p)
}
