package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

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
	name, path := s.loginCookie(r)
	secret := ""
	if c, err := r.Cookie(name); err == nil && len(c.Value) >= 32 {
		secret = c.Value
	} else {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		secret = base64.RawURLEncoding.EncodeToString(b)
		s.setCookie(w, name, secret, path, 3600)
	}
	p.Title = "Log in"
	p.CSRFToken = loginToken(secret)
	return s.renderStatus(w, r, status, "login", p)
}

// loginCookie names the login form's cookie and its path: over TLS it
// takes the __Host- prefix, which browsers accept only from this host,
// Secure and for the whole site, so no other site or subdomain can set it.
func (s *Server) loginCookie(r *http.Request) (name, path string) {
	if s.secure(r) {
		return "__Host-" + loginCSRF, "/"
	}
	return loginCSRF, "/login"
}

// loginToken is the token the login form carries for the secret in its
// cookie: bound to the login form, so a token for another form, or the
// cookie's value itself, is not accepted.
func loginToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("crs login form"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// handleLogin checks the username and password and starts a session. The
// form's token must match the login cookie (double submit), so another
// site cannot log a user in as someone else.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	name, path := s.loginCookie(r)
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) < 32 || !validToken(loginToken(c.Value), r.PostFormValue("csrf_token")) {
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
	addr := s.clientAddr(r)
	if err := s.addresses.Check(addr, s.now()); err != nil {
		p.Errors.add("username", "", sentence(strings.Replace(crs.ErrorMessage(err), "failed logins", "failed logins from your network address", 1)))
		return s.showLogin(w, r, http.StatusTooManyRequests, p)
	}
	u, err := s.Users.Authenticate(r.Context(), p.Username, password)
	switch crs.ErrorCode(err) {
	case "":
	case crs.EUNAUTHORIZED:
		s.addresses.Fail(addr, s.now())
		p.Errors.add("username", "", "The username or password is not right")
		return s.showLogin(w, r, http.StatusUnauthorized, p)
	case crs.EFORBIDDEN: // too soon after failed logins, or locked
		s.addresses.Fail(addr, s.now())
		p.Errors.add("username", "", sentence(crs.ErrorMessage(err)))
		return s.showLogin(w, r, http.StatusTooManyRequests, p)
	default:
		return err
	}
	sess, err := s.Users.CreateSession(r.Context(), u)
	if err != nil {
		return err
	}
	s.setCookie(w, sessionCookie, sess.ID, "/", 0)
	s.clearCookie(w, name, path)
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
