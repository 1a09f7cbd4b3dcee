package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// staffUserPage is the data of one user's page.
type staffUserPage struct {
	pageData
	Person *crs.User
	Self   bool // the user is the administrator looking at the page
	Policy string
}

// findStaff returns the user the address names, of the actor's trust.
func (s *Server) findStaff(r *http.Request) (*crs.User, error) {
	return s.Users.FindUser(r.Context(), actorOf(r), r.PathValue("id"))
}

// handleStaffUser shows one user with the actions on them.
func (s *Server) handleStaffUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.findStaff(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "staff_user", newStaffUserPage(r, u))
}

// newStaffUserPage makes the page of user u.
func newStaffUserPage(r *http.Request, u *crs.User) *staffUserPage {
	p := &staffUserPage{Person: u, Policy: crs.PasswordPolicy, Self: u.ID == actorOf(r).UserID}
	p.Title, p.Nav = u.Name, "staff"
	return p
}
