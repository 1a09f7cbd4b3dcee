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
	return s.showStaffUser(w, r, http.StatusOK, &staffUserPage{Person: u})
}

func (s *Server) showStaffUser(w http.ResponseWriter, r *http.Request, status int, p *staffUserPage) error {
	p.Title, p.Nav, p.Policy = p.Person.Name, "staff", crs.PasswordPolicy
	p.Self = p.Person.ID == actorOf(r).UserID
	return s.renderStatus(w, r, status, "staff_user", p)
}
