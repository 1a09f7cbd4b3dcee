package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/opencrs/crs"
)

// loginPage is the data of the login page.
type loginPage struct {
	pageData
	Username string
	Next     string
}

// handleLoginForm shows the login form. It sets the double-submit CSRF
// cookie the form must echo, since there is no session yet to hold a
// token. A user already logged in goes straight on.
func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) error {
	next := r.URL.Query().Get("next")
	if sessionOf(r) != nil {
		http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
		return nil
	}
	return s.showLogin(w, r, http.StatusOK, &loginPage{Next: next})
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, p *loginPage) error {
	token := ""
	if c, err := r.Cookie(loginCSRF); err == nil && len(c.Value) >= 32 {
		token = c.Value
	} else {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		token = base64.RawURLEncoding.EncodeToString(b)
		s.setCookie(w, loginCSRF, token, "/login", 3600)
	}
	p.Title = "Log in"
	p.CSRFToken = token
	return s.renderStatus(w, r, status, "login", p)
}

// handleLogin checks the username and password and starts a session. The
// form's token must match the login cookie (double submit), so another
// site cannot log a user in as someone else.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	c, err := r.Cookie(loginCSRF)
	if err != nil || !validToken(c.Value, r.PostFormValue("csrf_token")) {
		return errCSRF
	}
	p := &loginPage{Username: r.PostFormValue("username"), Next: r.PostFormValue("next")}
	password := r.PostFormValue("password")
	if p.Username == "" {
		p.Errors.add("username", "", "Enter your username")
	}
	if password == "" {
		p.Errors.add("password", "", "Enter your password")
	}
	if p.Errors.Any() {
		return s.showLogin(w, r, http.StatusUnprocessableEntity, p)
	}
	u, err := s.Users.Authenticate(r.Context(), p.Username, password)
	if crs.ErrorCode(err) == crs.EUNAUTHORIZED {
		p.Errors.add("username", "", "The username or password is not right")
		return s.showLogin(w, r, http.StatusUnauthorized, p)
	} else if err != nil {
		return err
	}
	sess, err := s.Users.CreateSession(r.Context(), u)
	if err != nil {
		return err
	}
	s.setCookie(w, sessionCookie, sess.ID, "/", 0)
	s.clearCookie(w, loginCSRF, "/login")
	if u.Role == "" { // several roles: the user chooses one (login_role.go)
		http.Redirect(w, r, roleChoiceURL(p.Next), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, safeNext(p.Next), http.StatusSeeOther)
	return nil
}

// handleLogout ends the session.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if sess := sessionOf(r); sess != nil {
		if err := s.Users.DeleteSession(r.Context(), sess.token); err != nil {
			return err
		}
	}
	s.clearCookie(w, sessionCookie, "/")
	s.setFlash(w, "You have logged out.")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
