package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/store"
)

const mapSynopsis = `hl7 map <set|import|list> --db DSN --ods CODE --interface NAME ...

  crs hl7 map set --db DSN --ods CODE --interface NAME --table TABLE --from CODE --to CODE
                          map a sender's code to ours (location: POC to WARD, or
                          POC^ROOM^BED to WARD^BAY^BED)
  crs hl7 map import --db DSN --ods CODE --interface NAME --table TABLE FILE.csv
                          set the mappings of a CSV file (from,to per line), all or none
  crs hl7 map list --db DSN --ods CODE --interface NAME [--table TABLE] [--unmapped]
                          list the interface's mappings, or the codes it sent that
                          have none, with the messages they hold

NAME is the interface's name or its sender as MSH-3@MSH-4. Tables:
  ` + "location, consultant, referrer, treatment_function, admission_type, admission_method,\n  admission_source, discharge_method, discharge_destination, patient_class, sex,\n  ethnic_category"

// interfaceCommand is what the map and reprocess commands share: the
// database, the trust, the interface named and the engine over them.
type interfaceCommand struct {
	db    *store.DB
	org   *crs.Organisation
	iface *crs.Interface
	e     *interfaces.Engine
	actor crs.Actor
}

// openInterface opens the trust's database and finds the interface.
func openInterface(ctx context.Context, command, dsn, ods, name string) (*interfaceCommand, error) {
	if err := required(command, map[string]string{"ods": ods, "interface": name}); err != nil {
		return nil, err
	}
	db, org, err := openTrust(ctx, dsn, ods)
	if err != nil {
		return nil, err
	}
	is, err := db.FindInterfaces(ctx, org.ID)
	if err != nil {
		db.Close()
		return nil, err
	}
	i, err := crs.FindInterface(is, name)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("--interface: %s", crs.ErrorMessage(err))
	}
	return &interfaceCommand{db: db, org: org, iface: i, e: hl7Engine(db, nil), actor: crs.SystemActor(org.ID)}, nil
}

// interfaceFlags defines the flags naming the database, the trust and
// its interface.
func interfaceFlags(fs *flag.FlagSet) (dsn, ods, name *string) {
	dsn = fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods = fs.String("ods", "", "ODS code of the trust (required)")
	name = fs.String("interface", "", "the inbound interface: its name or MSH-3@MSH-4 (required)")
	return dsn, ods, name
}

// runHL7Map runs crs hl7 map.
func runHL7Map(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommand("hl7 map", mapSynopsis, args, stdout, stderr, map[string]func([]string) error{
		"set":    func(a []string) error { return hl7MapSet(ctx, a, stdout) },
		"import": func(a []string) error { return hl7MapImport(ctx, a, stdout) },
		"list":   func(a []string) error { return hl7MapList(ctx, a, stdout) },
	})
}

func hl7MapSet(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("hl7 map set", "hl7 map set --db DSN --ods CODE --interface NAME --table TABLE --from CODE --to CODE", stdout)
	dsn, ods, name := interfaceFlags(fs)
	table := fs.String("table", "", "the code table, e.g. location (required)")
	from := fs.String("from", "", "the sender's code (required)")
	to := fs.String("to", "", "our code (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("hl7 map set", map[string]string{"table": *table, "from": *from, "to": *to}); err != nil {
		return err
	}
	c, err := openInterface(ctx, "hl7 map set", *dsn, *ods, *name)
	if err != nil {
		return err
	}
	defer c.db.Close()
	m := &crs.CodeMap{InterfaceID: c.iface.ID, Table: *table, From: *from, To: *to}
	if err := c.e.SetCodeMap(ctx, c.actor, m); err != nil {
		return flagError(err, map[string]string{"table": "--table", "from": "--from", "to": "--to"})
	}
	fmt.Fprintf(stdout, "%s %s: %s maps to %s\n", c.iface.Name, m.Table, m.From, m.To)
	return heldHint(ctx, c, stdout)
}

// heldHint says how many messages still wait and how to apply them.
func heldHint(ctx context.Context, c *interfaceCommand, stdout io.Writer) error {
	ids, err := c.db.HeldMessageIDs(ctx, c.org.ID, c.iface.ID, time.Time{}, "", "")
	if err != nil || len(ids) == 0 {
		return err
	}
	fmt.Fprintf(stdout, "%d messages of %s are held: apply them with crs hl7 reprocess --ods %s --interface %q\n", len(ids), c.iface.Name, c.org.ODSCode, c.iface.Name)
	return nil
}

func hl7MapImport(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("hl7 map import", "hl7 map import --db DSN --ods CODE --interface NAME --table TABLE FILE.csv\n\nThe file holds from,to on each line (a first line from,to is a header; lines\nstarting # are comments). Every line is checked first: one bad line sets none.", stdout)
	dsn, ods, name := interfaceFlags(fs)
	table := fs.String("table", "", "the code table, e.g. location (required)")
	flags, files := splitArgs(args, map[string]bool{"db": true, "ods": true, "interface": true, "table": true})
	if err := parseFlags(fs, flags); err != nil {
		return err
	}
	files = append(files, fs.Args()...)
	if len(files) != 1 {
		fs.Usage()
		return errUsage
	}
	if err := required("hl7 map import", map[string]string{"table": *table}); err != nil {
		return err
	}
	f, err := os.Open(files[0])
	if err != nil {
		return err
	}
	defer f.Close()
	c, err := openInterface(ctx, "hl7 map import", *dsn, *ods, *name)
	if err != nil {
		return err
	}
	defer c.db.Close()
	n, err := c.e.ImportCodeMaps(ctx, c.actor, c.iface.ID, strings.ToLower(strings.TrimSpace(*table)), f, files[0])
	if err != nil {
		return fmt.Errorf("%s", crs.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "%d mappings of %s set for %s\n", n, *table, c.iface.Name)
	return heldHint(ctx, c, stdout)
}

func hl7MapList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("hl7 map list", "hl7 map list --db DSN --ods CODE --interface NAME [--table TABLE] [--unmapped]", stdout)
	dsn, ods, name := interfaceFlags(fs)
	table := fs.String("table", "", "only this code table")
	unmapped := fs.Bool("unmapped", false, "list the codes the interface sent that have no mapping, with the messages they hold")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := openInterface(ctx, "hl7 map list", *dsn, *ods, *name)
	if err != nil {
		return err
	}
	defer c.db.Close()
	if *unmapped {
		us, err := c.e.UnmappedCodes(ctx, c.actor, c.iface.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-22s %-20s %6s %9s\n", "TABLE", "CODE", "HELD", "RECEIVED")
		for _, u := range us {
			if *table == "" || u.Table == *table {
				fmt.Fprintf(stdout, "%-22s %-20s %6d %9d\n", u.Table, u.Code, u.Held, u.Received)
			}
		}
		if len(us) == 0 {
			fmt.Fprintf(stdout, "every code %s sent has a mapping\n", c.iface.Name)
		}
		return nil
	}
	ms, err := c.e.ListCodeMaps(ctx, c.actor, c.iface.ID, *table, "")
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		fmt.Fprintf(stdout, "%s has no mappings yet: add them with crs hl7 map set or import\n", c.iface.Name)
		return nil
	}
	for _, m := range ms {
		fmt.Fprintf(stdout, "%-22s %-20s %s\n", m.Table, m.From, m.To)
	}
	return nil
}

// hl7Reprocess applies again the held messages of an interface, in the
// order they arrived.
func hl7Reprocess(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("hl7 reprocess", "hl7 reprocess --db DSN --ods CODE --interface NAME [--since TIME]\n\nApplies the interface's held messages in the order they arrived, once the codes\nthey wait for are mapped or the patients they name are known. TIME is\n2006-01-02 or 2006-01-02T15:04:05Z07:00.", stdout)
	dsn, ods, name := interfaceFlags(fs)
	sinceFlag := fs.String("since", "", "only messages received at or after this time")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var since time.Time
	if *sinceFlag != "" {
		var err error
		if since, err = time.Parse(time.RFC3339, *sinceFlag); err != nil {
			if since, err = time.Parse("2006-01-02", *sinceFlag); err != nil {
				return fmt.Errorf("%w: --since %q: write 2006-01-02 or 2006-01-02T15:04:05Z", errUsage, *sinceFlag)
			}
		}
	}
	c, err := openInterface(ctx, "hl7 reprocess", *dsn, *ods, *name)
	if err != nil {
		return err
	}
	defer c.db.Close()
	rep, err := c.e.ReprocessHeld(ctx, c.actor, c.iface.ID, since)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d held messages of %s tried: %d applied, %d still held or refused\n", rep.Tried, c.iface.Name, rep.Applied, rep.Failed)
	if rep.Failed > 0 {
		fmt.Fprintf(stdout, "see what they wait for with crs hl7 map list --ods %s --interface %q --unmapped\n", c.org.ODSCode, c.iface.Name)
	}
	return nil
}
