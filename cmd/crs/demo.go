package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/store"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "demo [flags]\n\nStarts OpenCRS with demo data: two synthetic trusts with staff, wards, clinics,\npatients and their journeys, on an embedded SQLite database that is created\nthe first time and reused after.", stdout)
	dir := fs.String("data", "crs-data", "folder for the demo database")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address for the web UI")
	mllpAddr := fs.String("mllp", "127.0.0.1:2575", "address for HL7 v2 over MLLP; empty for none")
	patients := fs.Int("patients", 10000, "synthetic patients per trust")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *patients < 1 {
		return fmt.Errorf("--patients %d: a demo trust needs at least 1 patient", *patients)
	}
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	logger := newLogger(stderr, *logLevel)
	a, err := openApp(ctx, "sqlite:"+filepath.Join(*dir, "crs.db"), logger)
	if err != nil {
		return err
	}
	defer a.Close()

	fmt.Fprintf(stdout, "Preparing demo data in %s (first run: %s per trust) ...\n", *dir, crs.Count(*patients, "patient", "patients"))
	res, err := demo.Seed(ctx, demo.Services{Organisations: a.orgs, Users: a.users, Patients: a.db, Clock: a.db.Clock}, demo.Options{Patients: *patients, Seed: 1, Logger: logger})
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	for _, tr := range res.Trusts {
		if err := completeDemoTrust(ctx, a, tr.Org); err != nil {
			return err
		}
	}
	if _, err := res.WriteTo(stdout); err != nil {
		return err
	}
	return a.serve(ctx, serveOptions{httpAddr: *httpAddr, mllpAddr: *mllpAddr, ready: func(addr, mllp string) {
		fmt.Fprintf(stdout, "\nOpenCRS demo is running at http://%s/ (Ctrl-C to stop)\n", addr)
		if mllp != "" {
			fmt.Fprintf(stdout, "HL7 v2 over MLLP on %s: messages from application PAS at each trust's ODS code\n", mllp)
		}
	}})
}

// completeDemoTrust gives a demo trust its patient journey and its HL7
// interface unless it has them already, so a first run that stopped part
// way is completed by the next.
func completeDemoTrust(ctx context.Context, a *app, org *crs.Organisation) error {
	referrals, err := store.CountReferrals(ctx, a.db, org.ID)
	if err != nil {
		return err
	}
	if referrals == 0 {
		if err := demo.SeedJourney(ctx, journeyServices(a.db), crs.SystemActor(org.ID), demo.JourneyOptions{Seed: 1}); err != nil {
			return fmt.Errorf("seed the patient journey of %s: %w", org.ODSCode, err)
		}
	}
	ifaces, err := a.db.FindInterfaces(ctx, org.ID)
	if err != nil {
		return err
	}
	if len(ifaces) == 0 {
		if err := addDemoInterface(ctx, a, org); err != nil {
			return fmt.Errorf("add the demo HL7 interface of %s: %w", org.ODSCode, err)
		}
	}
	return nil
}

// addDemoInterface configures an inbound interface for the trust: messages
// from sending application "PAS" at the trust's own ODS code, acting as an
// interface user.
func addDemoInterface(ctx context.Context, a *app, org *crs.Organisation) error {
	sys := crs.SystemActor(org.ID)
	u := &crs.User{Username: "hl7.pas." + lowerASCII(org.ODSCode), Name: "PAS interface", Role: crs.RoleInterface}
	if err := a.users.CreateUser(ctx, sys, u, randomPassword()); err != nil {
		return err
	}
	return a.hl7.AddInterface(ctx, sys, &crs.Interface{Name: "PAS", SendingApplication: "PAS", SendingFacility: org.ODSCode, UserID: u.ID})
}

// journeyServices are the services the demo and the bench seed a trust's
// patient journey through.
func journeyServices(db *store.DB) demo.JourneyServices {
	return demo.JourneyServices{Organisations: store.NewOrganisationService(db), Referrals: store.NewReferralService(db),
		Outpatients: store.NewOutpatientService(db), WaitingList: store.NewWaitingListService(db), Inpatients: store.NewInpatientService(db),
		ED: store.NewEDService(db), Loader: db, Clock: db.Clock}
}
