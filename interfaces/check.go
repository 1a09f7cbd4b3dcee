package interfaces

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
)

// A check is the interface analyst's rehearsal of a feed: a file of the
// traffic another system sends (captured off the wire, exported from its
// engine) is replayed through one inbound interface's configuration in a
// dry run (crs.DryRunner), message after message as if it had arrived,
// and the report says what would have been applied, applied with
// warnings, held or refused and why, and which of the sender's codes
// still need a mapping. Nothing is written and nothing is sent.

// CheckTraffic replays files of traffic through the trust's interface
// with the id in a dry run, for an interface analyst (see
// crs.TrafficChecker).
func (e *Engine) CheckTraffic(ctx context.Context, a crs.Actor, interfaceID string, files []crs.TrafficFile, opt crs.CheckOptions) (*crs.CheckReport, error) {
	if err := a.Authorize(crs.ActManageInterfaces); err != nil {
		return nil, err
	}
	is, err := e.DB.FindInterfaces(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	for _, i := range is {
		if i.ID == interfaceID {
			return e.Check(ctx, i, files, opt)
		}
	}
	return nil, crs.Errorf(crs.ENOTFOUND, "no inbound interface %s in the trust", interfaceID)
}

var _ crs.TrafficChecker = (*Engine)(nil)

// Check replays the messages of the files through the interface in a dry
// run and reports what each would have become. Every message is taken as
// sent on the interface, whatever its MSH-3 and MSH-4; a message that
// cannot be read is refused, with its file and line. Nothing is written
// or sent.
func (e *Engine) Check(ctx context.Context, i *crs.Interface, files []crs.TrafficFile, opt crs.CheckOptions) (*crs.CheckReport, error) {
	var inbound *crs.InboundInterface
	senders, err := e.DB.FindInterfacesBySender(ctx, i.SendingApplication, i.SendingFacility)
	if err != nil {
		return nil, err
	}
	for _, s := range senders {
		if s.ID == i.ID {
			inbound = s
		}
	}
	if inbound == nil {
		return nil, crs.Errorf(crs.ECONFLICT, "interface %q is disabled, or its user is: enable it to check traffic through it", i.Name)
	}
	rep := &crs.CheckReport{Interface: i.Name, Sender: i.SendingApplication + "@" + i.SendingFacility}
	types := map[string]*crs.CheckType{}
	unmapped := map[[2]string]*crs.UnmappedCode{}
	err = e.DB.DryRun(ctx, func(w crs.Writer) (err error) {
		ds := &dryStore{Store: e.DB, w: w, iface: inbound}
		de := newEngine(ds, e.Logger)
		de.Zone, de.Orders, de.Results = e.Zone, e.Orders, e.Results
		before, err := pendingOutbound(ctx, w, inbound.Actor())
		if err != nil {
			return err
		}
		defer func() {
			if err == nil {
				after, aerr := pendingOutbound(ctx, w, inbound.Actor())
				rep.Outbound, err = queuedSince(before, after), aerr
			}
		}()
		for _, f := range files {
			rep.Files = append(rep.Files, f.Name)
			for n, part := range hl7.SplitParts(f.Data) {
				if err := ctx.Err(); err != nil {
					return err
				}
				ds.seen, ds.behind, ds.unmapped = nil, false, map[[2]string]bool{}
				raw := part.Data
				if opt.FreshControlIDs {
					raw = freshControlID(raw, len(rep.Messages)+1)
				}
				ack := de.Handle(ctx, raw)
				m := &crs.CheckMessage{File: f.Name, N: n + 1, Line: part.Line}
				classify(m, part.Data, ack, ds.seen)
				if ds.behind && m.Outcome == crs.CheckHeld {
					// One reason for them all, not one per message waited on.
					m.Reasons = []string{heldBehind}
				}
				rep.Messages = append(rep.Messages, m)
				rep.Total.Add(m.Outcome)
				t := types[m.Type]
				if t == nil {
					t = &crs.CheckType{Type: m.Type}
					types[m.Type] = t
				}
				t.Add(m.Outcome)
				switch m.Outcome {
				case crs.CheckWarned:
					t.WarningReasons = countReasons(t.WarningReasons, m)
				case crs.CheckHeld:
					t.HeldReasons = countReasons(t.HeldReasons, m)
				case crs.CheckRefused:
					t.RefusedReasons = countReasons(t.RefusedReasons, m)
				case crs.CheckStored:
					t.StoredReasons = countReasons(t.StoredReasons, m)
				}
				for k, held := range ds.unmapped {
					u := unmapped[k]
					if u == nil {
						u = &crs.UnmappedCode{Table: k[0], Code: k[1]}
						unmapped[k] = u
					}
					if held {
						u.Held++
					} else {
						u.Received++
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		rep.Types = append(rep.Types, t)
	}
	sort.Slice(rep.Types, func(a, b int) bool { return rep.Types[a].Type < rep.Types[b].Type })
	for _, u := range unmapped {
		rep.Unmapped = append(rep.Unmapped, crs.CheckUnmapped(*u))
	}
	sort.Slice(rep.Unmapped, func(a, b int) bool {
		x, y := rep.Unmapped[a], rep.Unmapped[b]
		if x.Held+x.Received != y.Held+y.Received {
			return x.Held+x.Received > y.Held+y.Received
		}
		if x.Table != y.Table {
			return x.Table < y.Table
		}
		return x.Code < y.Code
	})
	return rep, nil
}

// errRead ends a command of a dry run that only read: it appended no
// event, so it is undone, and there was nothing to undo.
var errRead = crs.Errorf(crs.EINVALID, "read only")

// pendingOutbound counts, in the dry run, the messages waiting in the
// trust's destinations' queues.
func pendingOutbound(ctx context.Context, w crs.Writer, a crs.Actor) ([]crs.OutboundCount, error) {
	var out []crs.OutboundCount
	err := w.Write(ctx, a, crs.ActReceiveMessages, func(tx crs.Tx) error {
		var err error
		if out, err = tx.PendingOutbound(); err != nil {
			return err
		}
		return errRead
	})
	if err != errRead {
		return nil, err
	}
	return out, nil
}

// queuedSince is what was queued between two counts of the queues: the
// counts of after less those of before, the ones that grew alone.
func queuedSince(before, after []crs.OutboundCount) []crs.OutboundCount {
	had := map[[2]string]int{}
	for _, c := range before {
		had[[2]string{c.DestinationID, c.Type}] = c.Count
	}
	out := []crs.OutboundCount{}
	for _, c := range after {
		if n := c.Count - had[[2]string{c.DestinationID, c.Type}]; n > 0 {
			c.Count = n
			out = append(out, c)
		}
	}
	return out
}

// freshControlID gives a message an MSH-10 no other message of the check
// has: its own with the message's number in the check after it.
func freshControlID(raw []byte, n int) []byte {
	msg, err := hl7.Parse(raw)
	if err != nil {
		return raw
	}
	if err := msg.Set("MSH-10", fmt.Sprintf("%s-%d", msg.ControlID(), n)); err != nil {
		return raw
	}
	return msg.Bytes()
}

// heldBehind is the reason of a message held behind an earlier held
// message of the same patient: it is applied, in order, once that one is.
const heldBehind = "held behind an earlier held message of the same patient: applied in order once that one is"

// classify reads what became of one message from the acknowledgement it
// got and the log entry the dry run wrote for it (nil when it wrote none:
// a duplicate).
func classify(m *crs.CheckMessage, raw, ack []byte, logged *crs.Message) {
	if msg, err := hl7.Parse(raw); err == nil {
		m.ControlID, m.Type = msg.ControlID(), msg.Type()
	}
	if m.Type == "" {
		m.Type = crs.CheckUnreadable
	}
	a, err := hl7.ParseACK(ack)
	if err != nil {
		m.Outcome, m.Reasons = crs.CheckRefused, []string{"the acknowledgement cannot be read: " + err.Error()}
		return
	}
	m.ACKCode = a.Code
	for _, e := range a.Errors {
		m.Reasons = append(m.Reasons, reasonOf(e))
	}
	switch {
	case logged == nil:
		m.Outcome, m.Reasons = crs.CheckDuplicate, nil
	case logged.Status == crs.MessageApplied:
		m.Outcome = crs.CheckApplied
		for _, e := range a.Errors {
			if e.Severity == hl7.SeverityWarning {
				m.Outcome = crs.CheckWarned
			}
		}
	case logged.Status == crs.MessageFailed || logged.Status == crs.MessageRejected:
		m.Outcome = crs.CheckRefused
	case logged.Status == crs.MessageNotApplied:
		// Answered AA, stored, and not applied: the record is not changed.
		m.Outcome = crs.CheckStored
		for i, r := range m.Reasons {
			if !strings.Contains(r, "stored, not applied") {
				m.Reasons[i] = "stored, not applied: " + r
			}
		}
	default:
		m.Outcome = crs.CheckHeld
	}
	if len(m.Reasons) == 0 && a.Text != "" && m.Outcome != crs.CheckApplied && m.Outcome != crs.CheckDuplicate {
		m.Reasons = []string{a.Text}
	}
}

// reasonOf says one ERR of an acknowledgement as a line of the report:
// where in the message, what, and the HL7 error code.
func reasonOf(e hl7.ACKError) string {
	var b strings.Builder
	if loc := fmt.Sprintf("%s-%d", e.Segment, e.Field); e.Segment != "" && !strings.HasPrefix(e.Text, loc) {
		b.WriteString(loc + ": ")
	}
	b.WriteString(e.Text)
	if e.Code != "" {
		fmt.Fprintf(&b, " (code %s)", e.Code)
	}
	return b.String()
}

// countReasons adds the reasons of a message to a list of counts, most
// seen first and, among equals, in the order first seen.
func countReasons(l []crs.ReasonCount, m *crs.CheckMessage) []crs.ReasonCount {
	reasons := m.Reasons
	if len(reasons) == 0 {
		reasons = []string{"no reason given (" + m.ACKCode + ")"}
	}
next:
	for _, r := range reasons {
		for i := range l {
			if l[i].Reason == r {
				l[i].Count++
				continue next
			}
		}
		l = append(l, crs.ReasonCount{Reason: r, Count: 1, First: m.Where()})
	}
	sort.SliceStable(l, func(a, b int) bool { return l[a].Count > l[b].Count })
	return l
}

// dryStore is the store as a check's engine sees it: every write goes to
// the dry run, the message log entries it writes are kept for the report
// instead, and every message is taken as sent on the interface checked.
type dryStore struct {
	crs.Store
	w     crs.Writer
	iface *crs.InboundInterface

	mu   sync.Mutex
	seen *crs.Message // the last log entry written for the message being replayed
	// behind says the message is held behind an earlier held message of
	// the same patient.
	behind bool
	// unmapped are the codes of the message being replayed that no map
	// knew, by table and code: true when one held it, false when it was
	// stored as received.
	unmapped map[[2]string]bool
}

// Write applies the command in the dry run, its unit of work telling the
// report what the command logs.
func (d *dryStore) Write(ctx context.Context, a crs.Actor, act crs.Activity, fn func(crs.Tx) error) error {
	return d.w.Write(ctx, a, act, func(tx crs.Tx) error { return fn(&dryTx{Tx: tx, d: d}) })
}

// FindInterfacesBySender answers with the interface checked, whoever the
// message says sent it.
func (d *dryStore) FindInterfacesBySender(ctx context.Context, app, facility string) ([]*crs.InboundInterface, error) {
	return []*crs.InboundInterface{d.iface}, nil
}

// InsertOrphanMessage keeps the entry for the report: an unreadable
// message is not logged by a dry run.
func (d *dryStore) InsertOrphanMessage(ctx context.Context, m *crs.Message) error {
	d.logged(m)
	return nil
}

// Audit records nothing: a dry run reads only what it wrote itself.
func (d *dryStore) Audit(crs.Actor, string, string, string) {}

// OnEvent registers nothing: the check's engine has no feeds of its own,
// and the store's hooks already run in the dry run.
func (d *dryStore) OnEvent(crs.EventHook) {}

// OnCommit registers nothing: a dry run never commits.
func (d *dryStore) OnCommit(func(*crs.Event)) {}

func (d *dryStore) sawUnmapped(table, code string, held bool) {
	d.mu.Lock()
	k := [2]string{table, code}
	d.unmapped[k] = d.unmapped[k] || held
	d.mu.Unlock()
}

func (d *dryStore) logged(m *crs.Message) {
	d.mu.Lock()
	c := *m
	d.seen = &c
	d.mu.Unlock()
}

// dryTx is a command's unit of work in a check: as the dry run's, but it
// tells the report what the message log entry of the message says.
type dryTx struct {
	crs.Tx
	d *dryStore
}

// RecordDataQuality records the issue in the dry run and tells the
// report of a code stored as received.
func (t *dryTx) RecordDataQuality(d *crs.DataQualityIssue) error {
	if err := t.Tx.RecordDataQuality(d); err != nil {
		return err
	}
	if d.Table != "" && d.Code != "" {
		t.d.sawUnmapped(d.Table, d.Code, false)
	}
	return nil
}

// HoldMessage records the hold in the dry run and tells the report of a
// code that held the message.
func (t *dryTx) HoldMessage(h *crs.MessageHold) error {
	if err := t.Tx.HoldMessage(h); err != nil {
		return err
	}
	if h.Code != "" && crs.ValidCodeMapTable(h.Table) {
		t.d.sawUnmapped(h.Table, h.Code, true)
	}
	if h.Behind != "" {
		t.d.mu.Lock()
		t.d.behind = true
		t.d.mu.Unlock()
	}
	return nil
}

// InsertInboundMessage logs the message in the dry run and keeps the
// entry for the report.
func (t *dryTx) InsertInboundMessage(m *crs.Message, key string) error {
	if err := t.Tx.InsertInboundMessage(m, key); err != nil {
		return err
	}
	t.d.logged(m)
	return nil
}

// WriteCheckReport writes a check's report for a person: a table of outcomes per
// message type and trigger, then the reasons messages were held, refused
// or warned about, and the codes that need a mapping.
func WriteCheckReport(w io.Writer, r *crs.CheckReport) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "Dry run of %d messages from %d files through interface %q (%s); nothing was written or sent.\n\n",
		r.Total.Messages, len(r.Files), r.Interface, r.Sender)
	crs.WriteCheckTable(b, "", r)
	section := func(title string, reasons func(*crs.CheckType) []crs.ReasonCount) {
		var lines []string
		for _, t := range r.Types {
			for _, rc := range reasons(t) {
				lines = append(lines, fmt.Sprintf("  %-12s %5d  %s  (first at %s)", t.Type, rc.Count, rc.Reason, rc.First))
			}
		}
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(b, "\n%s:\n%s\n", title, strings.Join(lines, "\n"))
	}
	if r.Total.Duplicate > 0 {
		fmt.Fprintf(b, "\n%d messages were not applied because a message with the same MSH-10 came before (a retry): if the file's control ids are not unique, check it with --fresh-ids.\n", r.Total.Duplicate)
	}
	section("Held, by reason", func(t *crs.CheckType) []crs.ReasonCount { return t.HeldReasons })
	section("Refused, by reason", func(t *crs.CheckType) []crs.ReasonCount { return t.RefusedReasons })
	section("Stored, not applied, by reason", func(t *crs.CheckType) []crs.ReasonCount { return t.StoredReasons })
	section("Applied with warnings, by warning", func(t *crs.CheckType) []crs.ReasonCount { return t.WarningReasons })
	var unreadable []string
	for _, m := range r.Messages {
		if m.Type == crs.CheckUnreadable {
			unreadable = append(unreadable, fmt.Sprintf("  %s (message %d of the file): %s", m.Where(), m.N, strings.Join(m.Reasons, "; ")))
		}
	}
	if len(unreadable) > 0 {
		fmt.Fprintf(b, "\nMessages that cannot be read:\n%s\n", strings.Join(unreadable, "\n"))
	}
	writeOutbound(b, r.Outbound)
	if len(r.Unmapped) > 0 {
		fmt.Fprintf(b, "\nCodes that need a mapping:\n  %-22s %-20s %6s %9s\n", "table", "code", "held", "received")
		for _, u := range r.Unmapped {
			fmt.Fprintf(b, "  %-22s %-20s %6d %9d\n", u.Table, u.Code, u.Held, u.Received)
		}
		fmt.Fprintf(b, "Map each with crs hl7 map set --interface %s --table TABLE --from CODE --to OURS (or many with crs hl7 map import), then check again.\n", r.Sender)
	} else {
		fmt.Fprintf(b, "\nNo code needs a mapping.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeOutbound says what each destination would have been sent.
func writeOutbound(b *strings.Builder, out []crs.OutboundCount) {
	if len(out) == 0 {
		fmt.Fprintf(b, "\nNo outbound message would be sent.\n")
		return
	}
	fmt.Fprintf(b, "\nOutbound messages each destination would be sent:\n  %-24s %-14s %6s\n", "destination", "type", "count")
	for _, c := range out {
		fmt.Fprintf(b, "  %-24s %-14s %6d\n", c.Destination, c.Type, c.Count)
	}
}
