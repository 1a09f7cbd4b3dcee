package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	serverGC()
	fs := newFlags("serve", "serve --db DSN [flags]\n\nStarts OpenCRS on a database set up with crs trust add and crs user add,\nwithout demo data.", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://user:password@host/dbname")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address for the web UI and APIs")
	mllpAddr := fs.String("mllp", "127.0.0.1:2575", "address for HL7 v2 over MLLP from inbound interfaces; empty for none")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure and send HSTS on every request: set it when users reach OpenCRS over HTTPS\nthrough a proxy that does not say so (with --tls-cert, or --trust-proxy and X-Forwarded-Proto, it is automatic)")
	httpsCert := fs.String("tls-cert", "", "PEM certificate (chain) to serve the web UI and APIs over HTTPS; with --tls-key")
	httpsKey := fs.String("tls-key", "", "PEM private key of --tls-cert")
	trustProxy := fs.Bool("trust-proxy", false, "believe the X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-For of the TLS-terminating proxy in front\n(only when browsers and systems cannot reach crs but through it)")
	fhirBase := fs.String("fhir-base", "", "the FHIR API's base as systems reach it, e.g. https://fhir.example.nhs.uk/fhir, when a gateway or proxy in front\nserves it at another address: the API's links, Locations and token endpoint name it")
	metricsAddr := fs.String("metrics-addr", "", "serve /metrics (Prometheus) on this address of its own, e.g. a monitoring network's")
	metricsToken := fs.String("metrics-token", "", "serve /metrics on the main address to requests with Authorization: Bearer TOKEN\n(set it with CRS_METRICS_TOKEN or CRS_METRICS_TOKEN_FILE, not on the command line)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	tlsCert := fs.String("mllp-tls-cert", "", "PEM certificate (chain) for MLLP over TLS; with --mllp-tls-key")
	tlsKey := fs.String("mllp-tls-key", "", "PEM private key of --mllp-tls-cert")
	clientCA := fs.String("mllp-client-ca", "", "PEM CA certificates: MLLP senders must present a certificate they issued (mutual TLS)")
	feedCA := fs.String("feeds-tls-ca", "", "PEM CA certificates outbound feeds marked --tls trust (the system's if empty)")
	feedCert := fs.String("feeds-tls-cert", "", "PEM client certificate outbound TLS feeds present to receivers that ask (mutual TLS)")
	feedKey := fs.String("feeds-tls-key", "", "PEM private key of --feeds-tls-cert")
	idle := fs.Duration("session-idle", 30*time.Minute, "a login ends after this long without a request")
	most := fs.Duration("session-max", 12*time.Hour, "a login ends this long after it began, however busy")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *idle <= 0 || *most < *idle {
		return fmt.Errorf("%w: --session-idle %v, --session-max %v: the idle limit must be above zero and no longer than the maximum", errUsage, *idle, *most)
	}
	if (*httpsCert == "") != (*httpsKey == "") {
		return fmt.Errorf("%w: HTTPS needs both --tls-cert and --tls-key", errUsage)
	}
	if err := checkFHIRBase(*fhirBase); err != nil {
		return err
	}
	if *httpsCert != "" {
		if _, err := tls.LoadX509KeyPair(*httpsCert, *httpsKey); err != nil {
			return fmt.Errorf("--tls-cert %s, --tls-key %s: %w", *httpsCert, *httpsKey, err)
		}
	}
	tlsConfig, err := mllpTLS(*tlsCert, *tlsKey, *clientCA)
	if err != nil {
		return err
	}
	feedTLS, err := clientTLS("feeds-tls-", *feedCA, *feedCert, *feedKey)
	if err != nil {
		return err
	}
	if err := checkExisting(*dsn); err != nil {
		return err
	}
	logger := newLogger(stderr, *logLevel)
	a, err := openApp(ctx, *dsn, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := requireTrust(ctx, a.orgs, *dsn); err != nil {
		return err
	}
	unlock, err := lockDatabase(*dsn)
	if err != nil {
		return err
	}
	defer unlock()
	a.users.SessionIdle, a.users.SessionMax = *idle, *most
	a.hl7.TLSConfig, a.hl7.FeedTLSConfig = tlsConfig, feedTLS
	scheme := "http"
	if *httpsCert != "" {
		scheme = "https"
	}
	return a.serve(ctx, serveOptions{httpAddr: *httpAddr, mllpAddr: *mllpAddr, secure: *secure,
		tlsCert: *httpsCert, tlsKey: *httpsKey, trustProxy: *trustProxy, fhirBase: strings.TrimSuffix(*fhirBase, "/"), metricsAddr: *metricsAddr, metricsToken: *metricsToken,
		metricsReady: func(addr string) { fmt.Fprintf(stdout, "Metrics for Prometheus at http://%s/metrics\n", addr) },
		ready: func(addr, mllp string) {
			fmt.Fprintf(stdout, "OpenCRS is running at %s://%s/\n", scheme, addr)
			if mllp != "" {
				fmt.Fprintf(stdout, "HL7 v2 over MLLP on %s\n", mllp)
			}
		}})
}

// checkFHIRBase refuses a --fhir-base that is not an absolute http or
// https URL without a query. Its path is the gateway's (it may map
// /clinical/R4 to crs's /fhir).
func checkFHIRBase(base string) error {
	if base == "" {
		return nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%w: --fhir-base %q: give the API's base as an http or https URL with a host and no query, e.g. https://fhir.example.nhs.uk/fhir", errUsage, base)
	}
	return nil
}

// mllpTLS reads the MLLP listener's TLS settings: none when no
// certificate is given; mutual TLS when a client CA is.
func mllpTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		if clientCAFile != "" {
			return nil, fmt.Errorf("%w: --mllp-client-ca needs --mllp-tls-cert and --mllp-tls-key", errUsage)
		}
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("%w: MLLP over TLS needs both --mllp-tls-cert and --mllp-tls-key", errUsage)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--mllp-tls-cert %s, --mllp-tls-key %s: %w", certFile, keyFile, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAFile != "" {
		pool, err := readCertPool("--mllp-client-ca", clientCAFile)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
