package golive

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/opencrs/crs"
)

// A rehearsal runs the recorded traffic of the systems that stay after
// the cutover (the laboratory, radiology, the ED system) through their
// inbound interfaces against the migrated record, in dry runs, and says
// per system and message type what would be applied, held or refused and
// why, and what each system OpenCRS feeds would be sent. Nothing is
// written and nothing is sent.

// RehearsalRun is one system's recorded traffic: the interface it
// arrives on and the files of its messages.
type RehearsalRun struct {
	Interface string // the interface's name or MSH-3@MSH-4, as given
	Files     []crs.TrafficFile
}

// Rehearsal is what the traffic of each system would do to the migrated
// record. Its JSON form is what `crs golive rehearse --json` prints.
type Rehearsal struct {
	// Systems are the dry runs of each interface, in the order given.
	Systems []*crs.CheckReport `json:"systems"`
	// Total counts every message of every system by outcome.
	Total crs.CheckCounts `json:"total"`
	// Outbound counts the messages every system's traffic queued for
	// each destination, per destination and type.
	Outbound []crs.OutboundCount `json:"outbound"`
	// Unmapped counts the codes still without a mapping, all systems
	// together.
	Unmapped int `json:"unmapped_codes"`
}

// Rehearse replays each system's traffic through its interface in a dry
// run of its own and gathers the reports. find turns an interface as
// given into the id of one of the trust's interfaces.
func Rehearse(ctx context.Context, c crs.TrafficChecker, a crs.Actor, find func(string) (string, error), runs []RehearsalRun, opt crs.CheckOptions) (*Rehearsal, error) {
	r := &Rehearsal{Outbound: []crs.OutboundCount{}}
	out := map[[2]string]*crs.OutboundCount{}
	for _, run := range runs {
		id, err := find(run.Interface)
		if err != nil {
			return nil, fmt.Errorf("--interface %s: %s", run.Interface, crs.ErrorMessage(err))
		}
		rep, err := c.CheckTraffic(ctx, a, id, run.Files, opt)
		if err != nil {
			return nil, fmt.Errorf("rehearse %s: %w", run.Interface, err)
		}
		r.Systems = append(r.Systems, rep)
		r.Total.Messages += rep.Total.Messages
		r.Total.Applied += rep.Total.Applied
		r.Total.Warned += rep.Total.Warned
		r.Total.Held += rep.Total.Held
		r.Total.Refused += rep.Total.Refused
		r.Total.Stored += rep.Total.Stored
		r.Total.Duplicate += rep.Total.Duplicate
		r.Unmapped += len(rep.Unmapped)
		for _, o := range rep.Outbound {
			k := [2]string{o.DestinationID, o.Type}
			if t := out[k]; t != nil {
				t.Count += o.Count
				continue
			}
			c := o
			out[k] = &c
		}
	}
	for _, o := range out {
		r.Outbound = append(r.Outbound, *o)
	}
	sort.Slice(r.Outbound, func(i, j int) bool {
		x, y := r.Outbound[i], r.Outbound[j]
		if x.Destination != y.Destination {
			return x.Destination < y.Destination
		}
		return x.Type < y.Type
	})
	return r, nil
}

// WriteText writes the rehearsal for the programme board and the
// interface analysts: per system and message type the outcomes, the
// reasons messages were held or refused, the codes to map, and what
// each destination would be sent.
func (r *Rehearsal) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "Rehearsal of %d messages from %d systems against the migrated record; nothing was written or sent.\n",
		r.Total.Messages, len(r.Systems))
	for _, s := range r.Systems {
		fmt.Fprintf(b, "\n%s (%s), %d messages from %s\n", s.Interface, s.Sender, s.Total.Messages, strings.Join(s.Files, ", "))
		crs.WriteCheckTable(b, "  ", s)
		for _, t := range s.Types {
			for _, rc := range t.HeldReasons {
				fmt.Fprintf(b, "  held     %-12s %5d  %s  (first at %s)\n", t.Type, rc.Count, rc.Reason, rc.First)
			}
			for _, rc := range t.RefusedReasons {
				fmt.Fprintf(b, "  refused  %-12s %5d  %s  (first at %s)\n", t.Type, rc.Count, rc.Reason, rc.First)
			}
			for _, rc := range t.WarningReasons {
				fmt.Fprintf(b, "  warning  %-12s %5d  %s  (first at %s)\n", t.Type, rc.Count, rc.Reason, rc.First)
			}
		}
		for _, u := range s.Unmapped {
			fmt.Fprintf(b, "  unmapped %s %q: held %d, stored as received %d (crs hl7 map set --interface %s --table %s --from %s --to OURS)\n",
				u.Table, u.Code, u.Held, u.Received, s.Sender, u.Table, u.Code)
		}
	}
	if len(r.Outbound) == 0 {
		fmt.Fprintf(b, "\nNo destination would be sent anything.\n")
	} else {
		fmt.Fprintf(b, "\nOutbound messages each destination would be sent:\n  %-24s %-14s %6s\n", "destination", "type", "count")
		for _, o := range r.Outbound {
			fmt.Fprintf(b, "  %-24s %-14s %6d\n", o.Destination, o.Type, o.Count)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
