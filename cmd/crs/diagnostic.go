package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// runDiagnostic records diagnostic test requests by hand: the DM01
// waiting list until the clinical record's orders feed it.
func runDiagnostic(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	synopsis := `diagnostic <add|done|cancel> --db DSN --ods CODE ...

  crs diagnostic add --ods CODE --mrn MRN --test TEST --requested DATE [--planned --due DATE]
                                      record a request for a DM01 test (MRI, CT, ..., GASTROSCOPY)
  crs diagnostic done --ods CODE --id ID [--on DATE]
                                      record that the test was done
  crs diagnostic cancel --ods CODE --id ID --reason TEXT [--on DATE]
                                      cancel a request not yet done
`
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: crs %s", synopsis)
		return errUsage
	}
	switch args[0] {
	case "add", "done", "cancel":
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "Usage: crs %s", synopsis)
		return nil
	default:
		fmt.Fprintf(stderr, "crs diagnostic: unknown subcommand %q\n\nUsage: crs %s", args[0], synopsis)
		return errUsage
	}
	fs := newFlags("diagnostic "+args[0], synopsis, stdout)
	db := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	mrn := fs.String("mrn", "", "add: the patient's hospital number")
	test := fs.String("test", "", "add: the DM01 test code, e.g. MRI")
	requested := fs.String("requested", "", "add: the date requested, YYYY-MM-DD")
	planned := fs.Bool("planned", false, "add: a planned (surveillance or repeat) test, not on the waiting list")
	due := fs.String("due", "", "add: a planned test's due date")
	id := fs.String("id", "", "done, cancel: the request's id")
	on := fs.String("on", "", "done, cancel: the date (default today)")
	reason := fs.String("reason", "", "cancel: why")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	need := map[string]string{"ods": *ods}
	switch args[0] {
	case "add":
		need["mrn"], need["test"], need["requested"] = *mrn, *test, *requested
	case "done":
		need["id"] = *id
	case "cancel":
		need["id"], need["reason"] = *id, *reason
	}
	if err := required("diagnostic "+args[0], need); err != nil {
		return err
	}
	date := func(flag, s string) (crs.Date, error) {
		if strings.TrimSpace(s) == "" {
			return crs.Date{}, nil
		}
		d, err := crs.ParseDate(strings.TrimSpace(s))
		if err != nil {
			return d, usageError("--" + flag + ": " + crs.ErrorMessage(err))
		}
		return d, nil
	}
	d, org, err := openTrust(ctx, *db, *ods)
	if err != nil {
		return err
	}
	defer d.Close()
	a, svc := crs.SystemActor(org.ID), store.NewDiagnosticService(d)
	fields := map[string]string{"test": "--test", "requested_on": "--requested", "due_on": "--due", "performed_on": "--on", "reason": "--reason", "patient": "--mrn"}
	switch args[0] {
	case "add":
		p, err := store.NewPatientService(d).FindPatientByIdentifier(ctx, a, "mrn", strings.TrimSpace(*mrn))
		if err != nil {
			return fmt.Errorf("--mrn %s: %s", *mrn, crs.ErrorMessage(err))
		}
		r := &crs.DiagnosticRequest{PatientID: p.ID, Test: *test, Planned: *planned}
		if r.RequestedOn, err = date("requested", *requested); err != nil {
			return err
		}
		if r.DueOn, err = date("due", *due); err != nil {
			return err
		}
		if err := svc.RequestDiagnostic(ctx, a, r); err != nil {
			return flagError(err, fields)
		}
		fmt.Fprintf(stdout, "%s requested for %s on %s: request %s\n", r.Test, p.MRN, r.RequestedOn, r.ID)
	case "done":
		day, err := date("on", *on)
		if err != nil {
			return err
		}
		if err := svc.RecordDiagnosticDone(ctx, a, *id, day); err != nil {
			return flagError(err, fields)
		}
		fmt.Fprintf(stdout, "request %s done\n", *id)
	case "cancel":
		day, err := date("on", *on)
		if err != nil {
			return err
		}
		if err := svc.CancelDiagnostic(ctx, a, *id, day, *reason); err != nil {
			return flagError(err, fields)
		}
		fmt.Fprintf(stdout, "request %s cancelled\n", *id)
	}
	return nil
}
