package main

import (
	"context"
	"fmt"
	"io"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [flags]\n\nStarts OpenCRS on a database without demo data.", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://user:password@host/dbname")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address for the web UI and APIs")
	mllpAddr := fs.String("mllp", "127.0.0.1:2575", "address for HL7 v2 over MLLP from inbound interfaces; empty for none")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure (set when served over HTTPS)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger := newLogger(stderr, *logLevel)
	a, err := openApp(ctx, *dsn, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.serve(ctx, serveOptions{httpAddr: *httpAddr, mllpAddr: *mllpAddr, secure: *secure, ready: func(addr, mllp string) {
		fmt.Fprintf(stdout, "OpenCRS is running at http://%s/\n", addr)
		if mllp != "" {
			fmt.Fprintf(stdout, "HL7 v2 over MLLP on %s\n", mllp)
		}
	}})
}
