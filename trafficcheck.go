package crs

import (
	"context"
	"fmt"
	"strings"
)

// A traffic check is the interface analyst's rehearsal of a feed: a file
// of the traffic another system sends (captured off the wire, exported
// from its engine) is replayed through one inbound interface's
// configuration in a dry run (DryRunner), message after message as if it
// had arrived, and the report says what would have been applied, applied
// with warnings, held or refused and why, and which of the sender's codes
// still need a mapping. Nothing is written and nothing is sent.

// TrafficChecker replays files of another system's traffic through an
// inbound interface in a dry run. The integration engine is one.
type TrafficChecker interface {
	// CheckTraffic replays the files through the trust's interface with
	// the id and reports what each message would have become. The actor
	// needs the manage-interfaces activity; the messages are applied as
	// the interface's own user, as they would be on arrival.
	CheckTraffic(ctx context.Context, a Actor, interfaceID string, files []TrafficFile, opt CheckOptions) (*CheckReport, error)
}

// TrafficFile is one file of another system's messages, in any line
// ends, framed for MLLP or not, several messages to a file.
type TrafficFile struct {
	Name string
	Data []byte
}

// Outcomes of a message in a check.
const (
	CheckApplied   = "applied"   // the change would be committed and answered AA
	CheckWarned    = "warned"    // applied, answered AA with warnings (ERR severity W)
	CheckHeld      = "held"      // stored until an analyst puts its cause right (a mapping, a clerk's decision)
	CheckRefused   = "refused"   // answered AE or AR: the change is not made
	CheckStored    = "stored"    // answered AA and stored, but an event OpenCRS does not apply: the record is not changed
	CheckDuplicate = "duplicate" // a message with its MSH-10 was received before: answered as then, nothing applied
)

// CheckUnreadable is the type a check gives a message that cannot be
// read, in place of its MSH-9.
const CheckUnreadable = "unreadable"

// CheckReport is what replaying a file of traffic through an interface
// would do. Its JSON form is what `crs hl7 check --json` prints.
type CheckReport struct {
	// Interface names the interface replayed through; Sender is its
	// MSH-3@MSH-4.
	Interface string `json:"interface"`
	Sender    string `json:"sender"`
	// Files are the files replayed, in order.
	Files []string `json:"files"`
	// Total counts the messages of all files by outcome.
	Total CheckCounts `json:"total"`
	// Types counts them per message type and trigger (MSH-9, e.g.
	// "ADT^A01"), in order of type.
	Types []*CheckType `json:"types"`
	// Unmapped lists the sender's codes that need a mapping: those that
	// held messages (a key code, such as the ward of an admission) and
	// those stored as received (a non-key code), with how many messages
	// each did so to, most first.
	Unmapped []CheckUnmapped `json:"unmapped"`
	// Messages says what became of each message, in the order replayed.
	Messages []*CheckMessage `json:"messages"`
	// Outbound counts the messages the replayed traffic queued for the
	// trust's destinations, per destination and type: what each system
	// fed by OpenCRS would have been sent.
	Outbound []OutboundCount `json:"outbound"`
}

// CheckCounts counts messages by outcome.
type CheckCounts struct {
	Messages  int `json:"messages"`
	Applied   int `json:"applied"`
	Warned    int `json:"applied_with_warnings"`
	Held      int `json:"held"`
	Refused   int `json:"refused"`
	Stored    int `json:"stored_not_applied"`
	Duplicate int `json:"duplicate"`
}

// Add counts one message with the outcome.
func (c *CheckCounts) Add(outcome string) {
	c.Messages++
	switch outcome {
	case CheckApplied:
		c.Applied++
	case CheckWarned:
		c.Warned++
	case CheckHeld:
		c.Held++
	case CheckRefused:
		c.Refused++
	case CheckStored:
		c.Stored++
	case CheckDuplicate:
		c.Duplicate++
	}
}

// WriteCheckTable writes the report's counts per message type and in
// total as a table, each line after indent.
func WriteCheckTable(b *strings.Builder, indent string, r *CheckReport) {
	fmt.Fprintf(b, "%s%-14s %8s %8s %9s %6s %8s %7s %9s\n", indent, "type", "messages", "applied", "warnings", "held", "refused", "stored", "duplicate")
	row := func(name string, c CheckCounts) {
		fmt.Fprintf(b, "%s%-14s %8d %8d %9d %6d %8d %7d %9d\n", indent, name, c.Messages, c.Applied, c.Warned, c.Held, c.Refused, c.Stored, c.Duplicate)
	}
	for _, t := range r.Types {
		row(t.Type, t.CheckCounts)
	}
	row("total", r.Total)
}

// CheckType is the report of one message type and trigger.
type CheckType struct {
	Type string `json:"type"`
	CheckCounts
	// WarningReasons, HeldReasons, RefusedReasons and StoredReasons
	// count the reasons given, most seen first.
	WarningReasons []ReasonCount `json:"warnings"`
	HeldReasons    []ReasonCount `json:"held_reasons"`
	RefusedReasons []ReasonCount `json:"refused_reasons"`
	StoredReasons  []ReasonCount `json:"stored_reasons"`
}

// ReasonCount is one reason a message was held, refused or warned about,
// with how many messages gave it and where the first of them is.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
	First  string `json:"first"` // FILE:LINE of the first message that gave it
}

// CheckUnmapped is a code of the sender that a check found no mapping
// for: an UnmappedCode (the same fields, so one converts to the other) as
// the check's JSON names it.
type CheckUnmapped struct {
	Table    string `json:"table"`
	Code     string `json:"code"`
	Held     int    `json:"held"`     // messages it held
	Received int    `json:"received"` // messages applied with it stored as received
}

// CheckMessage is what became of one message of the traffic.
type CheckMessage struct {
	File      string   `json:"file"`
	N         int      `json:"n"`    // its number in the file, from 1
	Line      int      `json:"line"` // the line of the file it starts on
	ControlID string   `json:"control_id"`
	Type      string   `json:"type"`
	Outcome   string   `json:"outcome"`
	ACKCode   string   `json:"ack_code"`
	Reasons   []string `json:"reasons,omitempty"`
}

// Where is the message's place in its file, FILE:LINE.
func (m *CheckMessage) Where() string { return fmt.Sprintf("%s:%d", m.File, m.Line) }

// CheckOptions are the choices of a check.
type CheckOptions struct {
	// FreshControlIDs takes every message as new: one whose MSH-10 was
	// seen before is applied under an MSH-10 of its own instead of being
	// answered as a duplicate. For collections of example messages that
	// share control ids, not for traffic as it was sent.
	FreshControlIDs bool
}
