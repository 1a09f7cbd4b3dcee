package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/golive"
	"github.com/opencrs/crs/store"
)

const goliveRehearseSynopsis = `golive rehearse --db DSN --ods CODE --interface NAME FILE... [--interface NAME FILE...] [--json] [--fresh-ids] [--at TIME]

Runs the recorded traffic of each system that stays after the cutover through
its inbound interface against the migrated record, in a dry run (as crs hl7
check does, one dry run per interface), and reports per system and message
type how many messages would be applied, held and refused with the reasons,
the codes still to map, and the outbound messages each destination would be
sent, per destination and type. Nothing is written, nothing is sent.

Each --interface (its name or MSH-3@MSH-4) is followed by the files of that
system's messages. --json prints {"systems": [CHECK...], "total": COUNTS,
"outbound": [{"destination_id", "destination", "type", "count"}...],
"unmapped_codes": N}, each CHECK as crs hl7 check --json prints it.`

// rehearsalFlags are the flags of a rehearsal besides its --interface
// runs.
type rehearsalFlags struct {
	dsn, ods, at *string
	fresh        *bool
}

// splitRuns takes the --interface NAME FILE... groups out of args and
// returns the other arguments.
func splitRuns(args []string) ([]golive.RehearsalRun, []string, error) {
	var runs []golive.RehearsalRun
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		var name string
		switch {
		case a == "--interface" || a == "-interface":
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("%w: --interface needs the interface's name and its files", errUsage)
			}
			i++
			name = args[i]
		case strings.HasPrefix(a, "--interface=") || strings.HasPrefix(a, "-interface="):
			name = a[strings.Index(a, "=")+1:]
		default:
			rest = append(rest, a)
			continue
		}
		run := golive.RehearsalRun{Interface: name}
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			data, err := os.ReadFile(args[i])
			if err != nil {
				return nil, nil, fmt.Errorf("%s: cannot be read: %w", args[i], err)
			}
			run.Files = append(run.Files, crs.TrafficFile{Name: args[i], Data: data})
		}
		if len(run.Files) == 0 {
			return nil, nil, fmt.Errorf("%w: --interface %s names no file of its messages", errUsage, name)
		}
		runs = append(runs, run)
	}
	return runs, rest, nil
}

// rehearse runs the traffic against the trust's record in db.
func rehearse(ctx context.Context, db *store.DB, org *crs.Organisation, runs []golive.RehearsalRun, f rehearsalFlags) (*golive.Rehearsal, error) {
	if *f.at != "" {
		t, err := time.Parse(time.RFC3339, *f.at)
		if err != nil {
			return nil, fmt.Errorf("%w: --at %q is not a time such as 2026-03-02T09:00:00Z", errUsage, *f.at)
		}
		db.Clock = crs.NewFixedClock(t)
	}
	is, err := db.FindInterfaces(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	find := func(name string) (string, error) {
		i, err := crs.FindInterface(is, name)
		if err != nil {
			return "", err
		}
		return i.ID, nil
	}
	return golive.Rehearse(ctx, hl7Engine(db, nil), crs.SystemActor(org.ID), find, runs, crs.CheckOptions{FreshControlIDs: *f.fresh})
}

// goliveRehearse runs `crs golive rehearse`.
func goliveRehearse(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("golive rehearse", goliveRehearseSynopsis, stdout)
	f := rehearsalFlags{
		dsn:   fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://..."),
		ods:   fs.String("ods", "", "ODS code of the trust (required)"),
		at:    fs.String("at", "", "apply the messages as at this time (RFC 3339); now by default"),
		fresh: fs.Bool("fresh-ids", false, "take every message as new, even one whose MSH-10 came before"),
	}
	asJSON := fs.Bool("json", false, "print the rehearsal as JSON")
	runs, rest, err := splitRuns(args)
	if err != nil {
		return err
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if err := required("golive rehearse", map[string]string{"ods": *f.ods}); err != nil {
		return err
	}
	if len(runs) == 0 || len(fs.Args()) > 0 {
		fs.Usage()
		return fmt.Errorf("%w: give --interface NAME and the files of its messages (each file after its interface)", errUsage)
	}
	db, org, err := openTrust(ctx, *f.dsn, *f.ods)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := rehearse(ctx, db, org, runs, f)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteText(stdout)
}
