package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
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

// staffForm is the add-a-user form as typed. Passwords are never shown
// again.
type staffForm struct {
	Username, Name, Role string
}

// staffNewPage is the data of the add-a-user page.
type staffNewPage struct {
	pageData
	Form   staffForm
	Roles  []nhs.Code // the role profiles to choose from
	Policy string
}

// staffUserPage is the data of one user's page.
type staffUserPage struct {
	pageData
	Person *crs.User
	Self   bool // the user is the administrator looking at the page
	Policy string
}

// staffFields lists the add form's fields in page order, for the error
// summary.
var staffFields = []string{"username", "name", "role", "password", "password_confirm"}

// roleOptions are the role profiles as options of a select field.
func roleOptions() []nhs.Code {
	var out []nhs.Code
	for _, r := range crs.Roles() {
		out = append(out, nhs.Code{Code: string(r), Description: r.Name()})
	}
	return out
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

// handleStaffNewForm shows the form to add a user.
func (s *Server) handleStaffNewForm(w http.ResponseWriter, r *http.Request) error {
	if err := actorOf(r).Authorize(crs.ActAdministerUsers); err != nil {
		return err
	}
	p := &staffNewPage{Roles: roleOptions(), Policy: crs.PasswordPolicy}
	p.Title, p.Nav = "Add a user", "staff"
	return s.render(w, r, "staff_new", p)
}

// handleStaffNew adds a user with the initial password typed twice.
func (s *Server) handleStaffNew(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActAdministerUsers); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	p := &staffNewPage{Form: staffForm{Username: strings.ToLower(v("username")), Name: v("name"), Role: v("role")}, Roles: roleOptions(), Policy: crs.PasswordPolicy}
	p.Title, p.Nav = "Add a user", "staff"
	u := &crs.User{Username: p.Form.Username, Name: p.Form.Name, Role: crs.Role(p.Form.Role)}
	if p.Form.Role == "" {
		p.Errors.add("role", "", "Choose a role")
	}
	if err := u.Validate(); err != nil {
		p.Errors.addErr(err, nil)
	}
	password := readPasswords(r, u.Username, &p.Errors)
	if !p.Errors.Any() {
		err := s.Users.CreateUser(r.Context(), a, u, password)
		if crs.ErrorCode(err) == crs.EINVALID {
			p.Errors.addErr(err, nil)
		} else if err != nil {
			return err
		}
	}
	if p.Errors.Any() {
		return s.reshow(w, r, "staff_new", p, staffFields)
	}
	return s.redirect(w, r, "/staff", "User "+u.Username+" added as "+u.Role.Name()+". They can log in now.")
}

// readPasswords reads a password typed twice, recording in errs what is
// wrong with it under the password policy.
func readPasswords(r *http.Request, username string, errs *formErrors) string {
	password, confirm := r.PostFormValue("password"), r.PostFormValue("password_confirm")
	switch {
	case password == "":
		errs.add("password", "", "Enter a password")
	case crs.CheckPassword(username, password) != nil:
		errs.addErr(crs.CheckPassword(username, password), nil)
	case confirm != password:
		errs.add("password_confirm", "", "The passwords do not match: type the same password in both boxes")
	}
	return password
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
