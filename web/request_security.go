package web

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
)

// A request reaches OpenCRS over TLS when crs serves HTTPS itself, or
// when a proxy in front of it terminated TLS and says so with
// X-Forwarded-Proto: https, believed only when the server is told to
// trust its proxy (Server.TrustProxy). Over TLS every cookie is Secure,
// the login form's cookie takes the __Host- prefix, and every response
// carries Strict-Transport-Security.

// hstsMaxAge is how long browsers keep to HTTPS for the site: two years.
const hstsMaxAge = "max-age=63072000"

// secure reports whether the request came over TLS, as far as the server
// can tell.
func (s *Server) secure(r *http.Request) bool {
	if s.SecureCookies || r.TLS != nil {
		return true
	}
	return s.TrustProxy && strings.EqualFold(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0]), "https")
}

// secureResponse marks the response to a request that came over TLS, so
// that the cookies set on it are Secure.
type secureResponse struct{ http.ResponseWriter }

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *secureResponse) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets live pages (server-sent events) flush through.
func (w *secureResponse) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// overTLS reports whether w answers a request that came over TLS.
func overTLS(w http.ResponseWriter) bool {
	for {
		switch x := w.(type) {
		case *secureResponse:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return false
		}
	}
}

// transportSecurity marks responses to requests over TLS (Secure
// cookies, HSTS) and refuses a state-changing request another site made
// the browser send.
func (s *Server) transportSecurity(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.secure(r) {
			w.Header().Set("Strict-Transport-Security", hstsMaxAge)
			w = &secureResponse{w}
		}
		if !safeMethod(r.Method) && !sameOrigin(r) {
			s.fail(w, r, errCrossSite)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// errCrossSite is the refusal of a form another site sent.
var errCrossSite = crs.Errorf(crs.EFORBIDDEN, "This request came from another site and was refused. "+
	"If you were using OpenCRS, go back to the page, reload it and try again.")

// safeMethod reports whether a request's method changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether a state-changing request came from a page of
// this site: the browser's Sec-Fetch-Site, Origin or (failing that)
// Referer must name this host. A request with none of them (a client
// that is not a browser) is let through to the CSRF token check.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return false
	}
	from := r.Header.Get("Origin")
	if from == "" {
		from = r.Header.Get("Referer")
		if from == "" {
			return true
		}
	}
	if from == "null" {
		return false
	}
	u, err := url.Parse(from)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// clientAddr is the network address a request came from: the connection's
// peer, or, behind a proxy the server trusts, the last address the proxy
// added to X-Forwarded-For.
func (s *Server) clientAddr(r *http.Request) string {
	if s.TrustProxy {
		if f := r.Header.Values("X-Forwarded-For"); len(f) > 0 {
			parts := strings.Split(f[len(f)-1], ",")
			if a := strings.TrimSpace(parts[len(parts)-1]); a != "" {
				return a
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// flashStore keeps one-time messages on the server: the browser's cookie
// holds only a random key, so nothing a user typed (a username, a
// patient's hospital number) is ever echoed into a cookie. A message not
// shown within flashLife is forgotten.
type flashStore struct {
	mu sync.Mutex
	m  map[string]flashMessage
}

type flashMessage struct {
	text    string
	expires time.Time
}

// flashLife is how long a one-time message waits to be shown.
const flashLife = time.Minute

// maxFlashes bounds the messages waiting at once.
const maxFlashes = 10000

// put keeps msg and returns its key.
func (f *flashStore) put(msg string, now time.Time) string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	key := base64.RawURLEncoding.EncodeToString(b)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]flashMessage{}
	}
	if len(f.m) >= maxFlashes {
		for k, m := range f.m {
			if now.After(m.expires) {
				delete(f.m, k)
			}
		}
		if len(f.m) >= maxFlashes {
			f.m = map[string]flashMessage{}
		}
	}
	f.m[key] = flashMessage{text: msg, expires: now.Add(flashLife)}
	return key
}

// take returns the message kept under key, once.
func (f *flashStore) take(key string, now time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.m[key]
	if !ok {
		return ""
	}
	delete(f.m, key)
	if now.After(m.expires) {
		return ""
	}
	return m.text
}
