package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// runAudit checks the audit trail: crs audit verify.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = `audit verify --db DSN --ods CODE

  crs audit verify --ods CODE   check the trust's audit trail for records
                                altered, deleted or inserted behind OpenCRS

Every audit record is chained to the one before it in its trust by a
SHA-256 hash. verify walks the chain and prints each place it breaks (the
record's id, its time and what is wrong), and exits 1 if it breaks at all.
It prints the hash the chain ends with: note it down (in a ticket, a
change record) and a later verify shows the trail was not rewritten since.
`
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: crs %s", synopsis)
		return errUsage
	}
	switch args[0] {
	case "verify":
		return auditVerify(ctx, args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "Usage: crs %s", synopsis)
		return nil
	}
	fmt.Fprintf(stderr, "crs audit: unknown subcommand %q\n\nUsage: crs %s", args[0], synopsis)
	return errUsage
}

// errAuditBroken is the outcome of a check that found the chain broken.
var errAuditBroken = errors.New("the audit trail's chain is broken: see the records above")

func auditVerify(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("audit verify", "audit verify --db DSN --ods CODE\n\nChecks the trust's audit chain and says where it breaks.", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("audit verify", map[string]string{"ods": *ods}); err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := db.VerifyAuditChain(ctx, org.ID)
	if err != nil {
		return err
	}
	for _, b := range c.Breaks {
		at := "-"
		if !b.At.IsZero() {
			at = b.At.UTC().Format(time.RFC3339)
		}
		id := b.RecordID
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(stdout, "BROKEN seq %d record %s at %s: %s\n", b.Seq, id, at, b.Problem)
	}
	if c.MoreBreaks {
		fmt.Fprintf(stdout, "BROKEN and more: only the first %d breaks are listed\n", len(c.Breaks))
	}
	fmt.Fprintf(stdout, "%s (%s): %d audit records chained in %d links, head %d %s\n", org.ODSCode, org.Name, c.Records, c.Links, c.HeadSeq, c.HeadHash)
	if !c.Intact() {
		return errAuditBroken
	}
	fmt.Fprintln(stdout, "the audit chain is intact")
	return nil
}
