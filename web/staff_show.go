package web

import (
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// staffUserPage is the data of one user's page.
type staffUserPage struct {
	pageData
	Person *crs.User
	Self   bool // the user is the administrator looking at the page
	Policy string

	// Access: the roles held, the identity for the privacy checks and
	// the assignments that give legitimate relationships (staff_assign.go).
	Held        map[string]bool
	AllRoles    []nhs.Code
	Identity    crs.StaffIdentity
	Assignments []*crs.Assignment
	Assign      assignForm
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
	p := newStaffUserPage(r, u)
	if err := s.loadStaffAccess(r, p); err != nil {
		return err
	}
	return s.render(w, r, "staff_user", p)
}

// newStaffUserPage makes the page of user u.
func newStaffUserPage(r *http.Request, u *crs.User) *staffUserPage {
	p := &staffUserPage{Person: u, Policy: crs.PasswordPolicy, Self: u.ID == actorOf(r).UserID}
	p.Title, p.Nav = u.Name, "staff"
	return p
}
