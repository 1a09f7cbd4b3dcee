package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// /metrics tells whoever reads it the message volumes, queue depths and
// latencies of the trust's interfaces: not for everyone who can reach
// the web UI. It is served on a listener of its own (--metrics-addr, an
// address only the monitoring network reaches), or on the main listener
// to a scraper bearing the token of --metrics-token (CRS_METRICS_TOKEN or
// the file named by CRS_METRICS_TOKEN_FILE), or not at all.

// serveMetrics mounts /metrics as o says: on mux behind the bearer token,
// or on a server of its own, which it returns for the caller to close.
func (a *app) serveMetrics(mux *http.ServeMux, o serveOptions) (*http.Server, error) {
	switch {
	case o.metricsAddr != "":
		ln, err := net.Listen("tcp", o.metricsAddr)
		if err != nil {
			return nil, fmt.Errorf("listen for metrics on %s: %w", o.metricsAddr, err)
		}
		m := http.NewServeMux()
		m.Handle("GET /metrics", requireBearer(o.metricsToken, a.hl7.Metrics))
		srv := &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.logger.Error("serve metrics", "err", err)
			}
		}()
		a.logger.Info("serving metrics", "addr", ln.Addr().String())
		if o.metricsReady != nil {
			o.metricsReady(ln.Addr().String())
		}
		return srv, nil
	case o.metricsToken != "":
		mux.Handle("GET /metrics", requireBearer(o.metricsToken, a.hl7.Metrics))
	}
	return nil, nil
}

// requireBearer serves h only to requests with the header
// "Authorization: Bearer <token>"; with no token, to every request (on a
// listener of its own). The token is compared in constant time.
func requireBearer(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the bearer token of --metrics-token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
