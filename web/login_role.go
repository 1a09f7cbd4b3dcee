package web

import (
	"net/http"
	"net/url"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// loginRolePage is the role selection after login of a user who holds
// more than one role profile, as a smartcard asks: the session then acts
// in the chosen role only.
type loginRolePage struct {
	pageData
	Roles []nhs.Code
	Role  string
	Next  string
}

// handleRoleForm shows the roles the user holds to choose from. A user
// with one role has it chosen at once.
func (s *Server) handleRoleForm(w http.ResponseWriter, r *http.Request) error {
	page := &loginRolePage{Next: r.URL.Query().Get("next")}
	return s.showRoles(w, r, http.StatusOK, page)
}

func (s *Server) showRoles(w http.ResponseWriter, r *http.Request, status int, page *loginRolePage) error {
	sess := sessionOf(r)
	if s.Access == nil {
		return errNoPage
	}
	roles, err := s.Access.UserRoles(r.Context(), sess.actor, sess.user.ID)
	if err != nil {
		return err
	}
	if len(roles) == 1 && sess.user.Role == "" {
		if err := s.Access.ChooseSessionRole(r.Context(), sess.token, roles[0]); err != nil {
			return err
		}
		http.Redirect(w, r, safeNext(page.Next), http.StatusSeeOther)
		return nil
	}
	for _, role := range roles {
		page.Roles = append(page.Roles, nhs.Code{Code: string(role), Description: role.Name()})
	}
	page.Title = "Choose your role"
	return s.renderStatus(w, r, status, "login_role", page)
}

// handleChooseRole binds the session to the chosen role and goes on.
func (s *Server) handleChooseRole(w http.ResponseWriter, r *http.Request) error {
	page := &loginRolePage{Role: form(r, "role"), Next: form(r, "next")}
	if s.Access == nil {
		return errNoPage
	}
	err := s.Access.ChooseSessionRole(r.Context(), sessionOf(r).token, crs.Role(page.Role))
	if err == nil {
		return s.redirect(w, r, safeNext(page.Next), "You are working as "+crs.Role(page.Role).Name()+".")
	}
	if crs.ErrorCode(err) != crs.EINVALID {
		return err
	}
	page.Errors.add("role", "", "Choose the role you are working in")
	return s.showRoles(w, r, http.StatusUnprocessableEntity, page)
}

// roleChoiceURL is where a new session of a user with several roles goes.
func roleChoiceURL(next string) string { return "/login/role?next=" + url.QueryEscape(safeNext(next)) }
