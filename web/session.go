package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// Cookie names.
const (
	sessionCookie = "crs_session"    // the session token from UserService.CreateSession
	loginCSRF     = "crs_login_csrf" // the double-submit token of the login form, before there is a session
	flashCookie   = "crs_flash"      // a one-time message shown on the next page
)

type ctxKey int

const sessionKey ctxKey = 0

// session is the logged-in user of a request and the actor they act as.
type session struct {
	token string
	csrf  string
	user  *crs.User
	actor crs.Actor
}

// errNoLogin is the error of a request with no session cookie at all.
var errNoLogin = crs.Errorf(crs.EUNAUTHORIZED, "you must log in")

// findSession reads the session cookie and returns the live session,
// which the store keeps alive while it is in use. A session that has
// ended (idle too long, or at its longest) is EUNAUTHORIZED with the
// reason to show on the login page.
func (s *Server) findSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errNoLogin
	}
	sess, u, err := s.Users.FindSession(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	return &session{token: c.Value, csrf: sess.CSRFToken, user: u, actor: crs.ActorFor(u, purpose(u.Role))}, nil
}

// sessionOf returns the request's session, or nil on a public page with
// no one logged in.
func sessionOf(r *http.Request) *session {
	sess, _ := r.Context().Value(sessionKey).(*session)
	return sess
}

// actorOf returns the actor of the request: the logged-in user in their
// role, for the purpose the role works for. It is the zero Actor (which
// every service refuses) when no one is logged in.
func actorOf(r *http.Request) crs.Actor {
	if sess := sessionOf(r); sess != nil {
		return sess.actor
	}
	return crs.Actor{}
}

// toLogin sends the browser to the login page, which returns to the page
// asked for once the user has logged in.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = r.URL.Path
	}
	q := url.Values{}
	if next != "/" {
		q.Set("next", next)
	}
	target := "/login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns next if it is a path on this site, otherwise the
// patient search: the login page never sends a user to another site.
// Browsers read "//host", "/\\host" and paths with tabs or line breaks
// (which they drop) as other sites, so any of those, a backslash
// anywhere, a control character or a scheme is refused.
func safeNext(next string) string {
	const home = "/patients"
	if len(next) == 0 || next[0] != '/' || len(next) > 2048 {
		return home
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return home
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' || c == 0x85 || c == 0x2028 || c == 0x2029 {
			return home
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return home
	}
	return next
}

// setCookie sets a cookie scripts cannot read, sent only to this site
// and, over TLS, only over TLS.
func (s *Server) setCookie(w http.ResponseWriter, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: s.SecureCookies || overTLS(w), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookie(w http.ResponseWriter, name, path string) {
	s.setCookie(w, name, "", path, -1)
}

// errCSRF is the error of a form that did not come from our own page.
var errCSRF = crs.Errorf(crs.EFORBIDDEN, "This form could not be accepted because its security token is missing or wrong (CSRF check). "+
	"It may have expired or come from another site. Go back, reload the page and try again.")

// submittedToken returns the CSRF token sent with a request: the
// X-CSRF-Token header of a script request, or the csrf_token form field.
func submittedToken(r *http.Request) string {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t
	}
	return r.PostFormValue("csrf_token")
}

// validToken compares tokens in constant time; an empty token is never
// valid.
func validToken(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// setFlash keeps a one-time message, such as "Registered with hospital
// number R0000001", to show on the next page the browser loads. The
// message stays on the server; the cookie holds only its random key.
func (s *Server) setFlash(w http.ResponseWriter, msg string) {
	s.setCookie(w, flashCookie, s.flashes.put(msg, s.now()), "/", int(flashLife/time.Second))
}

// takeFlash returns the one-time message, if any, and clears it.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	s.clearCookie(w, flashCookie, "/")
	return s.flashes.take(c.Value, s.now())
}

// redirect sends the browser to url after a successful POST, with a
// one-time message for the page it lands on.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, url, flash string) error {
	if flash != "" {
		s.setFlash(w, flash)
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}
