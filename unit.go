package crs

import (
	"context"
	"time"
)

// Tx is what one command may do inside its one transaction: the lookups
// and changes an edge composes when a single request carries several of
// them (an inbound HL7 message that registers a patient and admits them,
// a FHIR transaction, an import batch). Everything done through one Tx
// commits together, with the events, audit records and outbound
// messages it produced, or not at all.
//
// A Tx is handed to the function given to Store.Write and is valid only
// while that function runs. Every lookup and change is scoped to the
// trust of the command's actor; a change validates what it is given and
// appends its own event and audit record, as the services do.
type Tx interface {
	// Context is the context of the request the command serves.
	Context() context.Context
	// Actor is who the command acts for: the user, or the interface whose
	// message it applies.
	Actor() Actor
	// Now is the time the command is applied at; every change of the
	// command is recorded at it.
	Now() time.Time
	// Emit appends an event of the command, with its audit record (what
	// says what was changed, for the audit trail), and runs the event
	// hooks, such as the outbound feeds' outbox. It fills in the event's
	// ID, trust, actor and times (EffectiveAt defaults to Now).
	Emit(ev *Event, what string) error
	// EmitData is Emit with the event's Data encoded from v as JSON.
	EmitData(ev *Event, what string, v any) error
	// LastEventID is the id of the last event the command appended that
	// changed a record (a visit number link does not count), or "".
	LastEventID() string
	// ActAs runs fn with a as the command's actor, then restores its own:
	// an analyst reprocessing a refused message applies it as the
	// interface it came in on. a must be of the same trust.
	ActAs(a Actor, fn func() error) error
	// TrustODS is the ODS code of the actor's trust, the sending facility
	// of the messages its changes queue.
	TrustODS() (string, error)
	IntegrationTx

	// The patient index.

	// FindPatientByIdentifier finds the live patient holding an NHS
	// number (kind "nhs") or hospital number ("mrn"), following merges
	// to the surviving record; ENOTFOUND when no patient holds it.
	FindPatientByIdentifier(kind, value string) (*Patient, error)
	// GetPatient reads one patient of the trust.
	GetPatient(id string) (*Patient, error)
	// InsertPatient registers a new patient: it validates, checks the NHS
	// number is not already held, allocates the hospital number unless the
	// patient brings one (a migrated record), and appends the registration
	// event.
	InsertPatient(p *Patient) error
	// UpdatePatient records changed demographics. A p.Version of 0 skips
	// the lost-update check (a message from another system carries no
	// version).
	UpdatePatient(p *Patient) error
	// MergePatients merges the minor record into the major: the minor's
	// identifiers and the records linked to it move to the major, and the
	// minor points to the major.
	MergePatients(majorID, minorID, reason string) error
	// DeletePatient deletes a record registered in error, one with no
	// activity, not merged and with none merged into it (ECONFLICT
	// otherwise, naming what it has); its history, audit and messages
	// stay, the deletion their last version.
	DeletePatient(id, reason string) error
	// PatientIDUsed reports whether a record of any trust holds id: a
	// system that chooses a new patient's id (a FHIR update as create)
	// may not take one.
	PatientIDUsed(id string) (bool, error)
	// RegisterPatientAgain registers p again under the id of the trust's
	// record deleted with it, the registration the version after the
	// deletion; ENOTFOUND when no record with the id was deleted.
	RegisterPatientAgain(p *Patient) error
	DocumentTx
	DiagnosticTx
	SchedulingTx

	// Referrals.

	// RecordReferral records a referral as the referral screen does: a
	// consultant-led one opens its RTT pathway, and it goes on the
	// to-book worklist. r.ID is kept when given, else made.
	RecordReferral(r *Referral) error
	// CloseReferral closes an open referral that needs no further
	// appointments, recording the clock stop or hand-on its closure says.
	CloseReferral(id string, c ReferralClosure) error
	// ReferralIDByUBRN returns the id of the trust's referral of an
	// e-Referral Service UBRN; ENOTFOUND when none has it.
	ReferralIDByUBRN(ubrn string) (string, error)

	// Inpatient spells: admission, transfer, leave and discharge.

	// FindWardByCode returns the id of the trust's ward with the code.
	FindWardByCode(code string) (string, error)
	// FindBedByCode returns the id of the bed with the code on the ward,
	// directly or in one of its bays; bay, when given, narrows it to that
	// bay (or room).
	FindBedByCode(wardID, bay, code string) (string, error)
	// CurrentSpell returns the patient's open spell (admitted or on leave).
	CurrentSpell(patientID string) (*Spell, error)
	// LatestSpell returns the patient's most recent spell of any status
	// but cancelled.
	LatestSpell(patientID string) (*Spell, error)
	// FindSpellByVisitNumber returns the patient's spell that facility's
	// visit number names.
	FindSpellByVisitNumber(patientID, facility, visit string) (*Spell, error)
	// AdmitPatient admits a patient to a ward and bed. Admitting a planned
	// admission takes what the admission leaves empty from it and gives
	// the spell its visit number; any other spell takes the trust's next.
	AdmitPatient(ad *Admission) (*Spell, error)
	// LinkVisitNumber records that facility's visit number names the
	// spell (an EventVisitNumberLinked), so later messages find it.
	LinkVisitNumber(sp *Spell, facility, visit string) error
	// TransferPatient moves an inpatient to another ward or bed.
	TransferPatient(spellID string, t Transfer) error
	// DischargePatient ends the spell.
	DischargePatient(spellID string, d Discharge) error
	// CancelPatientAdmission undoes an admission entered in error.
	CancelPatientAdmission(spellID, reason string) error
	// CancelPatientTransfer undoes the spell's last transfer.
	CancelPatientTransfer(spellID, reason string) error
	// CancelPatientDischarge undoes a discharge: the patient is back in
	// the bed they left, if it is still free.
	CancelPatientDischarge(spellID, reason string) error
	// StartPatientLeave records that the patient went on leave of absence;
	// the bed is kept.
	StartPatientLeave(spellID string, at time.Time) error
	// EndPatientLeave records the patient's return from leave.
	EndPatientLeave(spellID string, at time.Time) error

	// Planned admissions.

	// FindPreadmissionByVisit returns the patient's latest planned
	// admission that facility's visit number names, of any status;
	// failing that, the one with the trust's own visit number.
	FindPreadmissionByVisit(patientID, facility, visit string) (*Preadmission, error)
	// PendingPreadmissions lists the patient's planned admissions not yet
	// admitted or cancelled, earliest expected first.
	PendingPreadmissions(patientID string) ([]*Preadmission, error)
	// RecordPreadmission records a planned admission and gives it the
	// trust's next visit number.
	RecordPreadmission(p *Preadmission) error
	// UpdatePreadmission records the changed details of a pending planned
	// admission; the visit number stays.
	UpdatePreadmission(p *Preadmission) error
	// CancelPreadmission cancels a pending planned admission. One made
	// from an agreed TCI takes the TCI date off the waiting list entry,
	// which stays on the list.
	CancelPreadmission(id, reason string) error

	// The message log and the outbound feeds.

	// ClaimInboundMessage claims, first thing in the command, the
	// idempotency key of an inbound message (see MessageKey) for the log
	// entry id the command will write with InsertInboundMessage. found is
	// true, with the acknowledgement the message got, when a message with
	// the key was logged before: the command then changes nothing and the
	// sender gets the same answer. Copies of one message applied at once
	// wait for each other here, so only one of them is applied. The key
	// is looked up with the message's control id (MSH-10), which it holds.
	ClaimInboundMessage(id, controlID, key string) (ack string, found bool, err error)
	// InsertInboundMessage logs an inbound message under its idempotency
	// key ("" for none); ErrDuplicateMessage when the key is logged
	// already. When the command has appended no event (the message changed
	// no record) it appends an EventMessageReceived.
	InsertInboundMessage(m *Message, key string) error
	// GetMessage returns one message of the trust's log as the command
	// sees it.
	GetMessage(id string) (*Message, error)
	// UpdateReprocessedMessage writes what became of an inbound message
	// applied again over its own log entry and counts the attempt; if the
	// entry was applied in the meantime nothing is written and the error
	// is ECONFLICT, so a message is never applied twice.
	UpdateReprocessedMessage(m *Message) error
	// InsertInterface configures an inbound interface of the trust; its
	// user must be a user of the trust in the interface role.
	InsertInterface(i *Interface) error
	// InsertDestination configures an outbound feed of the trust.
	InsertDestination(d *Destination) error
	// DestinationsForEvent lists the enabled feeds of the trust that an
	// event of the command may go to: all but those that suppress echoes
	// of the inbound interface the actor is.
	DestinationsForEvent() ([]*Destination, error)
	// EnqueueMessage puts an outbound message at the tail of its
	// destination's queue, in the transaction of the change it reports.
	EnqueueMessage(m *Message) error

	MigrationTx
	ResourceTx  // the FHIR resource store (resource.go)
	APIClientTx // the FHIR API's clients and tokens (apiclient.go)
	OutboxTx
}

// EventHook runs inside the transaction of every change, after its event
// is appended: the outbound feeds queue their messages here, so a change
// and its messages commit together or not at all. An error undoes the
// change.
type EventHook func(tx Tx, ev *Event) error

// Store is the care record as the edges use it: the one write path, the
// audit of reads, the hooks on events, and the message log and feed
// queues of the integration engine. Package store implements it; cmd/crs
// hands it to the edges.
type Store interface {
	// Write is the one write path. It checks that the actor may carry out
	// the activity, then runs fn in one transaction in which fn validates
	// and writes the current state and appends at least one event. It
	// returns once the change is durable; if fn or the commit fails,
	// nothing of the command remains.
	Write(ctx context.Context, a Actor, act Activity, fn func(Tx) error) error
	// Audit records a read or other access that changed nothing.
	Audit(a Actor, patientID, action, what string)
	// OnEvent registers a hook that runs in the transaction of every event.
	OnEvent(h EventHook)
	// OnCommit registers a function told of every event after it commits:
	// live boards and feed senders wake on it. It must not block.
	OnCommit(f func(*Event))
	// Now is the time by the deployment's clock.
	Now() time.Time

	MessageLog
	FeedQueue
	DryRunner
	CodeMapStore
}

// MessageLog is the integration engine's record of its inbound
// interfaces and of every message received or sent. Its reads check no
// access: the engine does, for the analyst it answers.
type MessageLog interface {
	// FindInterfacesBySender lists the enabled interfaces, across trusts,
	// that send as application app from facility: whose message has
	// arrived, before any actor is known. An empty facility (no MSH-4)
	// matches the application's interfaces from any facility.
	FindInterfacesBySender(ctx context.Context, app, facility string) ([]*InboundInterface, error)
	// FindInboundACK returns the acknowledgement already sent for the
	// inbound message with the idempotency key (see MessageKey); found is
	// false when the message has not been seen. The key is looked up with
	// the message's control id (MSH-10), which it holds.
	FindInboundACK(ctx context.Context, controlID, key string) (ack string, found bool, err error)
	// FindInboundInterface returns the trust's interface with the id, with
	// its user; ECONFLICT when it or its user is disabled.
	FindInboundInterface(ctx context.Context, orgID, id string) (*InboundInterface, error)
	// FindInterfaces lists the trust's inbound interfaces.
	FindInterfaces(ctx context.Context, orgID string) ([]*Interface, error)
	// FindOrganisationIDByODS returns the id of the trust with the ODS
	// code, or ENOTFOUND.
	FindOrganisationIDByODS(ctx context.Context, ods string) (string, error)
	// ODSCode returns the ODS code of a trust by its id.
	ODSCode(ctx context.Context, orgID string) (string, error)
	// InsertOrphanMessage logs an inbound message that could not be tied
	// to any trust's interface (an unknown sender, an unreadable message),
	// outside the write path: it changes no record. It is durable when it
	// returns, so the reject sent after it is true.
	InsertOrphanMessage(ctx context.Context, m *Message) error
	// GetMessage returns one message of the trust's log.
	GetMessage(ctx context.Context, orgID, id string) (*Message, error)
	// SearchMessages lists the trust's messages matching q, newest first.
	SearchMessages(ctx context.Context, orgID string, q MessageQuery) ([]*Message, error)
	// CountMessages counts the trust's messages matching q (cursors and
	// limit aside), stopping at most: a count of most means "at least
	// most".
	CountMessages(ctx context.Context, orgID string, q MessageQuery, most int) (int, error)
	// SubjectEvents lists the trust's events about one subject (a message,
	// a spell), newest first.
	SubjectEvents(ctx context.Context, orgID, subjectID string) ([]*Event, error)
}

// FeedQueue is the outbound feeds' side of the message log: one ordered
// queue of messages per destination.
type FeedQueue interface {
	// FindDestinations lists the trust's outbound feeds ("" for every
	// trust's).
	FindDestinations(ctx context.Context, orgID string) ([]*Destination, error)
	// QueueHead returns the first message waiting in the destination's
	// queue (queued or suspended), or ENOTFOUND when it is empty.
	QueueHead(ctx context.Context, destID string) (*Message, error)
	// QueueDepth counts the messages waiting in the destination's queue.
	QueueDepth(ctx context.Context, destID string) (int, error)
	// LastSent returns when the destination last acknowledged a message.
	LastSent(ctx context.Context, destID string) (time.Time, error)
	// RecordSendOutcome writes what became of a try at sending the
	// outbound message id: the sender's bookkeeping, not a change to any
	// record, durable when it returns.
	RecordSendOutcome(ctx context.Context, id string, o SendOutcome) error
	// ResendMessages queues the trust's outbound messages again: one
	// still waiting is released to be tried at once in its place; one
	// already sent or skipped is copied to the tail of its queue.
	ResendMessages(ctx context.Context, a Actor, ids []string) error
	// SkipMessage takes a waiting outbound message of the trust out of its
	// queue unsent, so the messages behind it can go.
	SkipMessage(ctx context.Context, a Actor, id string) error
	// SequenceFeeds gives queued outbound messages their places in
	// delivery order, whenever wake receives and at least every second,
	// and calls placed after a pass that placed some, until ctx ends.
	// Where commands commit one at a time the messages take their places
	// as they are queued and it returns at once.
	SequenceFeeds(ctx context.Context, wake <-chan struct{}, placed func())
}

// InboundInterface is an enabled inbound interface with what the
// integration engine needs to act as it: its trust's ODS code and its
// user's name and role.
type InboundInterface struct {
	Interface
	OrgODS   string
	Username string
	Role     Role
}

// Actor is the interface acting: its user, for the purpose of receiving
// messages.
func (i *InboundInterface) Actor() Actor {
	return Actor{UserID: i.UserID, Username: i.Username, OrgID: i.OrgID, Role: i.Role, Purpose: "interface"}
}

// MessageKey is the idempotency key of an inbound message: the trust it
// was sent to, its sending facility and its MSH-10. A retry of a message
// has the same key and changes nothing.
func MessageKey(orgID, sendingFacility, controlID string) string {
	return orgID + "|" + sendingFacility + "|" + controlID
}

// ErrDuplicateMessage is returned when an inbound message with the same
// key is already logged.
var ErrDuplicateMessage = Errorf(ECONFLICT, "the message was already received")

// SendOutcome is what became of one try at sending an outbound message.
type SendOutcome struct {
	Status        string // MessageSent, MessageQueued (retry) or MessageSuspended
	ACKCode       string
	ACK           string
	Errors        []MessageError
	LastError     string
	NextAttemptAt time.Time
	// Unanswered says the try got no usable answer (a timeout, a dropped
	// connection, a mismatched ACK); it does not count towards the
	// destination's MaxAttempts, which counts AE answers.
	Unanswered bool
}

// BulkLoader registers patients and records referrals in bulk, as the
// demo, the bench and a legacy PAS migration do, still through the one
// write path: the actor's access is checked, each record is validated and
// gets its own event and audit record, in batches of one transaction
// each.
type BulkLoader interface {
	// LoadPatients registers the patients in batches, each all or
	// nothing; an invalid patient or a duplicate NHS or hospital number
	// refuses its batch with an error naming the patient by its index in
	// ps. It returns how many were registered, always the first n of ps.
	LoadPatients(ctx context.Context, a Actor, ps []*Patient, opts LoadOptions) (int, error)
	// CountPatients counts a trust's patient records, merged ones
	// included, for the reports of a load.
	CountPatients(ctx context.Context, orgID string) (int, error)
	// LoadReferrals records consultant-led referrals in bulk, in batches
	// of one transaction each, several at once: each is validated and
	// gets its RTT pathway (the clock starting on the date received), its
	// event and audit record, as a referral recorded alone does; a
	// referral to a merged or another trust's patient refuses its batch.
	// It returns how many were recorded.
	LoadReferrals(ctx context.Context, a Actor, refs []*Referral, opts LoadOptions) (int, error)
	// LivePatientIDs lists the ids of the trust's live patients (neither
	// merged nor dead), oldest record first, at most limit of them: the
	// patients a load may be about.
	LivePatientIDs(ctx context.Context, orgID string, limit int) ([]string, error)
}

// LoadOptions tune a bulk registration of patients.
type LoadOptions struct {
	// BatchSize is how many patients go in one transaction; 0 means the
	// store's default.
	BatchSize int
	// Progress, if set, is told after each batch commits how many of the
	// patients are registered so far.
	Progress func(done, total int)
}
