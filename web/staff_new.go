package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

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

// staffFields lists the add form's fields in page order, for the error
// summary.
var staffFields = []string{"username", "name", "role", "password", "password_confirm"}

// roleOptions are the role profiles a person can be given, as options
// of a select field: not the interface role, which is a system's.
func roleOptions() []nhs.Code {
	var out []nhs.Code
	for _, r := range crs.Roles() {
		if !r.PersonRole() {
			continue
		}
		out = append(out, nhs.Code{Code: string(r), Description: r.Name()})
	}
	return out
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
	fp := formPost{name: "staff_new", page: p, order: staffFields, fallback: "username"}
	fp.check(u.Validate())
	password := readPasswords(r, u.Username, &p.Errors)
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Users.CreateUser(r.Context(), a, u, password)
		return "/staff", "User " + u.Username + " added as " + u.Role.Name() + ". They can log in now.", err
	})
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
