package crs

import (
	"context"
	"time"
)

// Event types of the integration engine.
const (
	// EventMessageReceived records that an inbound HL7 message was stored
	// in the message log without changing a record (an error, a reject, or
	// an event not applied); changes made by a message append their own
	// events instead.
	EventMessageReceived = "hl7.message.received"
	// EventResultReceived records a result (one ORU order) filed to a
	// patient's record.
	EventResultReceived = "result.received"
	// EventInterfaceAdded records that an inbound interface was configured.
	EventInterfaceAdded = "hl7.interface.created"
	// EventInterfaceUpdated records that an inbound interface's
	// conventions were changed.
	EventInterfaceUpdated = "hl7.interface.updated"
	// EventDestinationAdded records that an outbound feed was configured.
	EventDestinationAdded = "hl7.destination.created"
	// EventMessageReprocessed records that an interface analyst applied a
	// refused inbound message again: who, when, which message and what
	// became of it. The changes it made append their own events.
	EventMessageReprocessed = "hl7.message.reprocessed"
)

// Message directions.
const (
	DirectionIn  = "in"  // received from another system
	DirectionOut = "out" // sent by OpenCRS to a subscribed system
)

// Statuses of an inbound message.
const (
	MessageApplied    = "applied"     // the change it carries is committed (answered AA)
	MessageNotApplied = "not_applied" // stored but not applied (AA with a warning): earlier versions so logged A05 and A38; kept for those logs
	MessageFailed     = "error"       // stored, the change refused for its content (AE)
	MessageRejected   = "rejected"    // stored, could not be processed at all (AR)
)

// Reprocessable reports whether an inbound message of the status may be
// applied again by an analyst: it was refused (AE or AR) or held, or
// stored and not applied by an earlier version. An applied message never is: it
// would apply its change twice.
func Reprocessable(status string) bool {
	return status == MessageFailed || status == MessageRejected || status == MessageNotApplied || status == MessageHeld
}

// Statuses of an outbound message.
const (
	MessageQueued    = "queued"    // waiting in its destination's queue, or being retried
	MessageSent      = "sent"      // the destination answered AA
	MessageSuspended = "suspended" // stopped at the head of its queue until an analyst acts
	MessageSkipped   = "skipped"   // taken out of the queue by an analyst, never delivered
)

// Interface is an inbound HL7 interface: another system of a trust (or
// of a partner organisation) that sends messages into OpenCRS. A message
// is recognised as coming from it by its sending application (MSH-3) and
// facility (MSH-4), and is applied with the access of the interface's
// user, an actor in the interface role.
type Interface struct {
	ID                 string
	OrgID              string
	Name               string // e.g. "Pathology LIMS"
	SendingApplication string // MSH-3.1, e.g. "LIMS"
	SendingFacility    string // MSH-4.1, the ODS code of the sender, e.g. "RXX" or "RXX01"
	UserID             string // the user (role interface) whose access its messages carry
	// ReceivingFacilities are the values of MSH-6 (or MSH-5) the sender
	// uses for this trust besides its ODS code, which is always accepted:
	// its own name for us, such as "RXX01" or "OPENCRS".
	ReceivingFacilities []string
	// NHSIDs are the sender's ways of marking the NHS number in PID-3,
	// besides those of UK feeds every interface knows (see IsNHSNumberID).
	NHSIDs []IDConvention
	// LocalIDs are the ways the sender marks its own patient number in
	// PID-3, kept as the patient's cross-reference for this sender.
	LocalIDs []IDConvention
	// UnknownPatient says what becomes of a message about a patient the
	// trust does not know: UnknownPatientRegister or UnknownPatientHold;
	// "" registers from registrations and admissions only, and refuses
	// the rest (AE), as interfaces did before.
	UnknownPatient string
	// Strict refuses a message holding a code with no mapping in any
	// coded field, instead of storing the value as received with a
	// warning.
	Strict    bool
	Enabled   bool
	CreatedAt time.Time
}

// Destination is an outbound HL7 feed: a system that receives ADT
// messages of a trust's changes over MLLP, one message at a time, in the
// order the changes were made.
type Destination struct {
	ID                   string
	OrgID                string
	Name                 string // e.g. "Radiology RIS"
	Addr                 string // host:port of its MLLP listener
	ReceivingApplication string // MSH-5
	ReceivingFacility    string // MSH-6
	// Triggers lists the trigger events it subscribes to, such as "A28",
	// "A31", "A40"; empty means every event OpenCRS sends.
	Triggers []string
	UseA04   bool // registration is sent as A04 instead of A28
	UseA08   bool // demographic changes are sent as A08 instead of A31
	// TLS makes the feed speak MLLP over TLS, trusting and presenting the
	// deployment's feed certificates (crs serve --feeds-tls-*).
	TLS bool
	// SuppressInterfaceID, when set, names an inbound interface whose own
	// messages' changes are not echoed back to this destination.
	SuppressInterfaceID string
	// XrefSystem, when set, is the system (MSH-3@MSH-4 of its inbound
	// interface) whose own patient numbers go back to it in PID-3, as
	// number^^^XrefID.Authority^XrefID.Type: a destination that wants
	// its own numbers.
	XrefSystem string
	XrefID     IDConvention
	// MapInterfaceID, when set, names the inbound interface whose code
	// maps the feed applies in reverse: the destination gets its own
	// codes for wards, consultants, specialties and the rest.
	MapInterfaceID string
	MaxAttempts    int           // AE answers tolerated before the head is suspended; 0 means 5
	ACKTimeout     time.Duration // how long to wait for an ACK; 0 means 30 s
	Enabled        bool
	CreatedAt      time.Time
}

// Subscribes reports whether the destination takes messages of trigger.
func (d *Destination) Subscribes(trigger string) bool {
	if len(d.Triggers) == 0 {
		return true
	}
	for _, t := range d.Triggers {
		if t == trigger {
			return true
		}
	}
	return false
}

// MessageError is one problem found in a message: where it is (segment,
// which segment of that name, field) and why, as written in an ERR
// segment of the acknowledgement.
type MessageError struct {
	Segment  string `json:"segment,omitempty"`
	Sequence int    `json:"sequence,omitempty"`
	Field    int    `json:"field,omitempty"`
	Code     string `json:"code"`               // HL7 table 0357 code, e.g. "101" required field missing
	Severity string `json:"severity,omitempty"` // E error, W warning
	Text     string `json:"text"`
}

// Message is one HL7 message in the message log: received from an
// inbound interface or sent to a destination, with its raw text, what
// became of it, the acknowledgement and the records it touched. Nothing
// accepted is ever lost: every inbound message is logged, even when it
// is rejected.
type Message struct {
	ID              string
	OrgID           string
	Direction       string // DirectionIn or DirectionOut
	ChannelID       string // the Interface (in) or Destination (out) it went through
	SendingFacility string // MSH-4.1
	ControlID       string // MSH-10
	Type            string // MSH-9 message type and trigger, e.g. "ADT^A28"
	Status          string // Message* status
	ACKCode         string // MSA-1 of the acknowledgement sent (in) or received (out)
	Errors          []MessageError
	ACK             string // the acknowledgement, raw
	PatientID       string // the patient the message is about, once known
	NHSNumber       string
	MRN             string
	EventID         string // the event an outbound message renders
	Raw             string
	Attempts        int       // outbound: sends tried; inbound: 1 when received, one more for each reprocess
	NextAttemptAt   time.Time // outbound: when the next try is due
	LastError       string    // outbound: why the last try failed
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// MessageQuery is a search of the message log by an interface analyst.
// Empty fields do not narrow the search. Messages are listed newest
// first by their time-ordered id; Before and After page through them
// (keyset paging), each the id of a message listed on the page before.
type MessageQuery struct {
	Direction string
	PatientID string
	NHSNumber string
	ControlID string
	Type      string // e.g. "ADT^A31", just the trigger "A31", or just the type "ADT"
	Status    string
	ChannelID string // an Interface or Destination id
	From, To  time.Time
	// Before lists the messages older than the message with this id;
	// After lists those newer (still newest first). Set at most one.
	Before, After string
	Limit         int // 0 means 50; at most 1000
}

// FeedStatus is how one outbound destination's queue stands, for the
// interface analyst's feeds page.
type FeedStatus struct {
	Destination *Destination
	Depth       int       // messages waiting, including a suspended head
	Connected   bool      // whether the sender holds an open connection
	Oldest      *Message  // the head of the queue, if any
	OldestAt    time.Time // when the oldest unsent message was queued
	LastError   string
	LastSentAt  time.Time
	Suspended   bool // the head is suspended: the queue is stuck until an analyst acts
	Alert       string
}

// ReprocessReport says what became of the messages of a reprocessed
// period: how many were tried, applied, and are still refused.
type ReprocessReport struct {
	Tried, Applied, Failed int
}

// Result is one result report filed from an ORU message: one order
// (OBR) with its observations (OBX).
type Result struct {
	ID           string
	OrgID        string
	PatientID    string
	MessageID    string
	PlacerOrder  string // OBR-2
	FillerOrder  string // OBR-3
	ServiceCode  string // OBR-4.1
	ServiceName  string // OBR-4.2
	ObservedAt   time.Time
	Status       string // OBR-25 result status
	Observations []Observation
	CreatedAt    time.Time
}

// Observation is one OBX of a result.
type Observation struct {
	SetID    string `json:"set_id,omitempty"`
	Type     string `json:"type,omitempty"` // OBX-2 value type, e.g. NM, ST, TX
	Code     string `json:"code,omitempty"` // OBX-3.1
	Name     string `json:"name,omitempty"` // OBX-3.2
	Value    string `json:"value"`          // OBX-5
	Units    string `json:"units,omitempty"`
	Range    string `json:"range,omitempty"`
	Flags    string `json:"flags,omitempty"`  // OBX-8 abnormal flags
	Status   string `json:"status,omitempty"` // OBX-11
	Observed string `json:"observed,omitempty"`
}

// MessageService is what the interface analyst works with: the message
// log and the outbound feeds. Each method checks the actor may manage
// interfaces and is scoped to the actor's trust.
type MessageService interface {
	// SearchMessages lists the trust's messages matching q, newest first.
	SearchMessages(ctx context.Context, a Actor, q MessageQuery) ([]*Message, error)
	// FindMessage returns one message of the trust's log.
	FindMessage(ctx context.Context, a Actor, id string) (*Message, error)
	// ResendMessages queues again, at the tail of their destination's
	// queue, the outbound messages given; a suspended head is released
	// and retried in place.
	ResendMessages(ctx context.Context, a Actor, ids []string) error
	// ReprocessMessage applies again an inbound message that was refused
	// (status error or rejected), once its cause is put right (the
	// patient it names registered, the ward code added): as the user of
	// the interface it came in on, on the one write path, writing what
	// became of it over the same log entry. It returns the entry as it now
	// stands; a message already applied is refused with ECONFLICT.
	ReprocessMessage(ctx context.Context, a Actor, id string) (*Message, error)
	// SkipMessage takes a suspended or queued outbound message out of its
	// queue without sending it, so the messages behind it can go.
	SkipMessage(ctx context.Context, a Actor, id string) error
	// FeedStatuses reports each destination's queue.
	FeedStatuses(ctx context.Context, a Actor) ([]*FeedStatus, error)
}
