package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"time"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve --db DSN [flags]\n\nStarts OpenCRS on a database set up with crs trust add and crs user add,\nwithout demo data.", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://user:password@host/dbname")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address for the web UI and APIs")
	mllpAddr := fs.String("mllp", "127.0.0.1:2575", "address for HL7 v2 over MLLP from inbound interfaces; empty for none")
	secure := fs.Bool("secure-cookies", false, "mark the login cookie Secure, so browsers send it only over HTTPS: set it when users reach\nOpenCRS over HTTPS (crs serves plain HTTP; put a TLS-terminating proxy in front)")
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
	return a.serve(ctx, serveOptions{httpAddr: *httpAddr, mllpAddr: *mllpAddr, secure: *secure, ready: func(addr, mllp string) {
		fmt.Fprintf(stdout, "OpenCRS is running at http://%s/\n", addr)
		if mllp != "" {
			fmt.Fprintf(stdout, "HL7 v2 over MLLP on %s\n", mllp)
		}
	}})
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
