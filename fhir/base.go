package fhir

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// The API's own URLs (a Bundle's links and fullUrls, Location, the
// token endpoint, export files) start with the service base as the
// client reached it. Behind a trust's API gateway or a TLS-terminating
// proxy, the request crs sees names crs's own address over plain HTTP:
// the base is then the one configured (Server.BaseURL), or the one the
// proxy says it was asked at (Server.TrustProxy, X-Forwarded-Proto and
// X-Forwarded-Host). Without either, the request's scheme and Host.

// baseKey is the context key of a request's service base, set by based.
type baseKey struct{}

// based gives each request the service base it was made to, for baseURL:
// the configured one, or the proxy's when trusted. A request made inside
// another (a batch's entries) keeps the base of the one it serves.
func (s *Server) based(next http.Handler) http.Handler {
	if s.BaseURL == "" && !s.TrustProxy {
		return next
	}
	base := strings.TrimSuffix(s.BaseURL, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Context().Value(baseKey{}).(string); !ok {
			b := base
			if b == "" {
				b = forwardedBase(r)
			}
			r = r.WithContext(context.WithValue(r.Context(), baseKey{}, b))
		}
		next.ServeHTTP(w, r)
	})
}

// baseURL is the service base URL the request came to, for fullUrl and
// links.
func baseURL(r *http.Request) string {
	if b, ok := r.Context().Value(baseKey{}).(string); ok {
		return b
	}
	return requestBase(r)
}

// requestBase is the service base the request names: its scheme and Host.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/fhir"
}

// forwardedBase is the service base a trusted proxy says it was asked
// at: its X-Forwarded-Proto (http or https) and X-Forwarded-Host (a host
// and port, nothing else), each in place of the request's own where the
// proxy sent none or one that is not that.
func forwardedBase(r *http.Request) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(lastForwarded(r, "X-Forwarded-Proto")); p == "http" || p == "https" {
		scheme = p
	}
	if h := lastForwarded(r, "X-Forwarded-Host"); h != "" {
		if u, err := url.Parse("//" + h); err == nil && u.Host == h && u.User == nil && u.Path == "" {
			host = h
		}
	}
	return scheme + "://" + host + "/fhir"
}

// lastForwarded is the last value of a proxy's header: the one the
// proxy in front of crs set or added, which a client cannot put there
// (as web's clientAddr reads X-Forwarded-For).
func lastForwarded(r *http.Request, name string) string {
	vs := r.Header.Values(name)
	if len(vs) == 0 {
		return ""
	}
	parts := strings.Split(vs[len(vs)-1], ",")
	return strings.TrimSpace(parts[len(parts)-1])
}
