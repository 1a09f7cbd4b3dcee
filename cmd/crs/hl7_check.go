package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/interfaces"
)

const hl7CheckSynopsis = `hl7 check --db DSN --ods CODE --interface NAME FILE... [--json] [--fresh-ids] [--at TIME]

Replays the messages of each file (any line ends, MLLP-framed or not, several
messages to a file) through the inbound interface's configuration in a dry
run: each is applied as if it had arrived, later messages seeing what earlier
ones did, and then everything is rolled back. Nothing is written, nothing is
sent. Prints, per message type and trigger, how many would be applied,
applied with warnings, held, refused and stored but not applied (events
OpenCRS keeps without changing the record), by reason, and the codes that
need a mapping with how many messages carry them.

--interface is the interface's name or its sender as MSH-3@MSH-4. Every
message is taken as sent on it, whatever its own MSH-3 and MSH-4. A message
whose MSH-10 came before (in the log or earlier in the files) is reported as a
duplicate, as the live interface would answer it; --fresh-ids takes it as new,
for collections of example messages that share control ids.

--json prints the report as one JSON object:
  {"interface": NAME, "sender": "MSH-3@MSH-4", "files": [FILE...],
   "total": COUNTS,
   "types": [{"type": "ADT^A01", COUNTS...,
              "warnings": [REASON...], "held_reasons": [REASON...], "refused_reasons": [REASON...],
              "stored_reasons": [REASON...]}...],
   "unmapped": [{"table": "location", "code": "W07", "held": 3, "received": 0}...],
   "messages": [{"file": FILE, "n": 1, "line": 1, "control_id": MSH-10, "type": "ADT^A01",
                 "outcome": "applied|warned|held|refused|stored|duplicate", "ack_code": "AA",
                 "reasons": [TEXT...]}...],
   "outbound": [{"destination_id": ID, "destination": NAME, "type": "ADT^A31", "count": N}...]}
  COUNTS is "messages", "applied", "applied_with_warnings", "held", "refused",
  "stored_not_applied", "duplicate"; REASON is {"reason": TEXT, "count": N, "first": "FILE:LINE"}.
  An unmapped code's "held" counts the messages it held (a key code: the
  ward of an admission), "received" those applied with it stored as received.
  "outbound" counts the messages the traffic would have queued for each of the
  trust's destinations, per destination and type (none is sent).`

// hl7Check replays files of another system's traffic through an inbound
// interface in a dry run and reports what would become of each message.
func hl7Check(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("hl7 check", hl7CheckSynopsis, stdout)
	dsn, ods, ref := interfaceFlags(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	at := fs.String("at", "", "apply the messages as at this time (RFC 3339, e.g. 2026-03-02T09:00:00Z), as when they were sent; now by default")
	fresh := fs.Bool("fresh-ids", false, "take every message as new, even one whose MSH-10 came before (for collections of examples)")
	flags, files := splitArgs(args, map[string]bool{"db": true, "ods": true, "interface": true, "at": true})
	if err := parseFlags(fs, flags); err != nil {
		return err
	}
	files = append(files, fs.Args()...)
	if err := required("hl7 check", map[string]string{"ods": *ods, "interface": *ref}); err != nil {
		return err
	}
	if len(files) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: name at least one FILE of HL7 messages", errUsage)
	}
	var clock crs.Clock
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("%w: --at %q is not a time such as 2026-03-02T09:00:00Z", errUsage, *at)
		}
		clock = crs.NewFixedClock(t)
	}
	traffic := make([]crs.TrafficFile, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("%s: cannot be read: %w", f, err)
		}
		traffic = append(traffic, crs.TrafficFile{Name: f, Data: data})
	}
	c, err := openInterface(ctx, "hl7 check", *dsn, *ods, *ref)
	if err != nil {
		return err
	}
	defer c.db.Close()
	if clock != nil {
		c.db.Clock = clock
	}
	rep, err := c.e.Check(ctx, c.iface, traffic, crs.CheckOptions{FreshControlIDs: *fresh})
	if err != nil {
		return err
	}
	if rep.Total.Messages == 0 {
		return fmt.Errorf("no HL7 messages in %v: each message starts with a line beginning MSH", files)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return interfaces.WriteCheckReport(stdout, rep)
}
