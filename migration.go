package crs

import (
	"context"
	"time"
)

// EventRecordMigrated is appended for every command of a legacy PAS
// migration: it names the rows of the extract the command loaded (each
// row's record of its load names the event and the record the row
// became), so one event and one audit record stand for a batch of
// migrated rows rather than one for each. It is not
// sent on any feed: the systems that stay learn of migrated records from
// their own copy of the legacy data, not from the cutover.
const EventRecordMigrated = "migration.loaded"

// MigrationUserID is the user id a legacy PAS migration acts as, so that
// every record it loaded can be told from what staff changed after it.
const MigrationUserID = "migration"

// MigrationActor is the legacy PAS migration acting in a trust: it may do
// everything, and the audit trail names it "migration".
func MigrationActor(orgID string) Actor {
	return Actor{UserID: MigrationUserID, Username: "migration", OrgID: orgID, Role: RoleSystem, Purpose: "migration"}
}

// MigratedRow is one accepted row of a legacy extract as loaded: the
// file and key (or line, for a file without a key) that name it, and the
// OpenCRS record it became. The file and key are the row's idempotency
// key: a row is loaded once, however often an interrupted import is run
// again.
type MigratedRow struct {
	File      string
	Key       string
	Line      int
	RecordID  string
	PatientID string // the patient the record is about, if any
	// Refused, for a row the migration met but did not load, is the
	// reason it was refused, as a reason code of the migration (its
	// RecordID is ""), and Detail says what it met: the hospital number
	// of the live patient already holding the row's NHS number. The row
	// is recorded all the same, so that a run again does not try it
	// again and the reconciliation counts it among the rejected rows.
	Refused string
	Detail  string
}

// RefusedPatient is a live record a legacy PAS migration gave the
// patient index that the index did not write: its NHS number belongs to
// another live patient, one of the trust's (registered by a feed or by
// hand before the migration, or by an earlier rehearsal) or one of the
// records the same command gave first. One NHS number has one live
// record; the migration reports the record, and the patient-index team
// decides whether the two are one person.
type RefusedPatient struct {
	Index     int    // the record's place in the records given
	HolderMRN string // the hospital number of the patient holding the number
	// InBatch says the holder is a record the same command gave, as the
	// legacy import refuses a batch giving one number twice.
	InBatch bool
	Err     *Error // ECONFLICT on nhs_number, naming the number and the holder
}

// GPPractice is a general practice patients of the trust are registered
// with, by its ODS code.
type GPPractice struct {
	Code     string
	Name     string
	Postcode string
}

// PatientIdentifier is a number a patient holds besides their own NHS and
// hospital number: the legacy PAS's patient number (kind "legacy"), or the
// hospital or NHS number of a record merged into theirs in the legacy PAS.
type PatientIdentifier struct {
	PatientID string
	Kind      string // "legacy", "mrn" or "nhs"
	Value     string
}

// IdentifierLegacy is the kind of identifier that holds a patient's number
// in the legacy PAS the trust migrated from.
const IdentifierLegacy = "legacy"

// MigratedWard is a ward of the legacy PAS with its beds B01 up to Beds,
// on the site with the ODS code.
type MigratedWard struct {
	ID       string
	SiteCode string
	Code     string
	Name     string
	Beds     int
	Sector   string // KH03 bed sector
}

// MigratedAppointment is an outpatient appointment of the legacy PAS that
// fits a slot of its clinic: the appointment, and the slot it takes
// (made if the clinic has none at that time). Overbooked is set on every
// live appointment of a slot but the first: the legacy PAS allowed more
// than one.
type MigratedAppointment struct {
	Appointment *Appointment
	SlotEnd     time.Time
	SlotType    string
	Overbooked  bool
}

// MigrationTx is what a legacy PAS migration does inside one command of
// the write path: it writes records as the legacy system held them,
// already checked against the extract's specification, and records the
// rows they came from. Package store implements it on its Tx.
type MigrationTx interface {
	// RecordMigratedRows records the rows the command loaded, and those
	// it refused (MigratedRow.Refused), with one event and one audit
	// record naming them all (each row's record names the event). A row
	// already recorded is an ECONFLICT: nothing of the command remains,
	// so no row is ever loaded twice.
	RecordMigratedRows(rows []MigratedRow) error
	// MigrateGPPractices records GP practices, replacing the name and
	// postcode of one already known.
	MigrateGPPractices(ps []GPPractice) error
	// MigratePatients writes live patient records as they stand, with
	// the hospital numbers they bring, but for those whose NHS number a
	// live patient of the trust, or a record given before them, already
	// holds: it returns those, unwritten, and writes the rest.
	MigratePatients(ps []*Patient) ([]RefusedPatient, error)
	// AddPatientIdentifiers gives patients further identifiers.
	AddPatientIdentifiers(ids []PatientIdentifier) error
	// MigrateWards writes wards and their beds, under the site with the
	// ward's site code (made if the trust has none), reusing a ward of
	// that code the trust already has; it sets each ward's ID.
	MigrateWards(ws []*MigratedWard) error
	// MigrateClinics writes clinic templates with their current weekly
	// sessions, each held in a clinic room of its own code on the site.
	MigrateClinics(cs []*Clinic, siteCodes []string) error
	// MigrateReferrals writes referrals; their pathways come with
	// MigratePathways.
	MigrateReferrals(rs []*Referral) error
	// MigratePathways writes RTT pathways (one per clock period) with
	// their events; those marked current become their referral's pathway.
	MigratePathways(ps []*Pathway, events [][]PathwayEvent, current []bool) error
	// MigrateAppointments writes appointments into their slots, making
	// the slots the clinic does not have.
	MigrateAppointments(as []MigratedAppointment) error
	// MigrateWaitingList writes elective waiting list entries.
	MigrateWaitingList(es []*WaitingListEntry) error
	// MigrateSpells writes the current inpatients' spells, each with its
	// first episode and its stay in its bed.
	MigrateSpells(ss []*Spell) error
	// MigrateEDAttendances writes past A&E attendances, arrival to
	// departure.
	MigrateEDAttendances(es []*EDAttendance) error
	// MigrateDischargedSpells writes past spells that ended in
	// discharge, with their episodes, bed stays and the episodes' coding.
	MigrateDischargedSpells(ss []*Spell, codings []*EpisodeCoding) error
}

// MigrationLog is what is known of the migrations into a trust, outside
// any command.
type MigrationLog interface {
	// MigratedRows lists the rows of legacy extracts loaded into the
	// trust, keyed by file and key joined with a NUL byte.
	MigratedRows(ctx context.Context, orgID string) (map[string]MigratedRow, error)
	// OpenNullifiedPathways counts the trust's pathways whose clock a
	// first-appointment DNA nullified and which the legacy PAS left open:
	// nullified with no stop date.
	OpenNullifiedPathways(ctx context.Context, orgID string) (int, error)
	// BulkLoad puts the store in its settings for loading many records
	// into the trust until restore is called. Durability is not weakened.
	// Commands written with the bulk context are the load's batches:
	// their references are not checked again by the database, so a batch
	// may refer only to the trust and to records that are never deleted
	// which the load wrote or read itself.
	BulkLoad(ctx context.Context, orgID string) (bulk context.Context, restore func(), err error)
}

// MigrationHoldings is what OpenCRS holds now of the records migrations
// loaded into a trust, read in one go for a reconciliation against the
// extract, with the changes staff made to them since.
type MigrationHoldings struct {
	// Patients by legacy patient number (the cross-reference identifier):
	// the patient record holding it.
	Patients map[string]HeldPatient
	// Pathways by PPI.
	Pathways map[string]HeldPathway
	// Appointments, waiting list entries and spells by record id.
	Appointments map[string]HeldAppointment
	WaitingList  map[string]HeldEntry
	Spells       map[string]HeldSpell
	// ImportedAt is when the first migrated row was loaded.
	ImportedAt time.Time
	// Changes are, by record id, the latest change made to the record
	// since ImportedAt by anyone but the migration; PatientChanges are
	// all such changes about each patient, oldest first.
	Changes        map[string]HeldChange
	PatientChanges map[string][]HeldChange
}

// HeldPatient is a patient record's identity as OpenCRS holds it.
type HeldPatient struct {
	ID, MRN, NHSNumber, FamilyName, GivenName, OtherNames, MergedInto string
	BirthDate                                                         Date
}

// HeldPathway is an RTT pathway's clock as OpenCRS holds it.
type HeldPathway struct {
	ID, ClockState  string
	ClockStart      Date
	ClockStop       Date
	ReferralPatient string // id of the patient of its referral
}

// HeldAppointment is an appointment and the slot it is in.
type HeldAppointment struct {
	ClinicCode string
	Start      time.Time
	SlotStart  time.Time
	Status     string
}

// HeldEntry is a waiting list entry's status and pathway.
type HeldEntry struct {
	Status, PPI string
}

// HeldSpell is a spell's status and the ward and bed the patient is in.
type HeldSpell struct {
	Status, WardCode, BedCode string
}

// HeldChange is a change made to a record after the import.
type HeldChange struct {
	Type, Username string
	At             time.Time
}

// MigrationHoldingsReader reads what OpenCRS holds of a trust's migrated
// records.
type MigrationHoldingsReader interface {
	MigrationHoldings(ctx context.Context, orgID string) (*MigrationHoldings, error)
}
