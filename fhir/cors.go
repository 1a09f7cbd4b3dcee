package fhir

import "net/http"

// The API answers browsers on other sites (CORS): an app a trust adds
// later, served from its own origin, reads and writes with its bearer
// token as any system does. Any origin may ask, without credentials: a
// request may do what its token's scopes allow, and a browser sends
// none of OpenCRS's cookies with it (a response to * is never one a
// browser reads with them).

// corsExposed are the headers of an answer a browser's script may read.
const corsExposed = "Location, Content-Location, ETag, Last-Modified, X-Request-ID, X-Correlation-ID, Preference-Applied"

// corsAllowed are the headers a browser's script may send.
const corsAllowed = "Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Match, If-None-Exist, If-Modified-Since, X-Request-ID, X-Correlation-ID"

// cors answers a browser's preflight (OPTIONS with
// Access-Control-Request-Method) and lets the script of another origin
// read the answers to its requests.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", corsAllowed)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposed)
		next.ServeHTTP(w, r)
	})
}
