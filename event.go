package crs

import (
	"context"
	"encoding/json"
	"time"
)

// Event types of the patient index. Later areas add their own.
const (
	EventPatientRegistered = "patient.registered"
	EventPatientUpdated    = "patient.updated"
	EventPatientDied       = "patient.died"
	EventPatientMerged     = "patient.merged"
	EventPatientUnmerged   = "patient.unmerged"
	// EventPatientDeleted ends the history of a record registered in
	// error and deleted: its data is the record as it stood, at the
	// version the deletion makes.
	EventPatientDeleted = "patient.deleted"
	// EventPatientsLoaded is appended once for each batch of a bulk load
	// of the patient index (the PMI load): it registers every patient its
	// data names (PatientsLoaded), in place of one registration event
	// each. Each loaded patient's record points at the batch's audit
	// record, so their history and audit trail start from it, and an
	// outbound feed sends each of them an A28 as for a registration.
	EventPatientsLoaded    = "patient.loaded"
	EventOrganisationAdded = "organisation.created"
	EventLocationAdded     = "location.created"
	EventLocationChanged   = "location.changed"
	EventUserAdded         = "user.created"
)

// EventCachesStale and EventCachesHeard are told to the OnCommit
// listeners, never stored. Stale: changes may be made that they will not
// be told of one by one (another process's, while its notices cannot be
// heard), so whatever they keep of the record is to be forgotten and
// nothing kept until Heard: they are told of every change again.
const (
	EventCachesStale = "caches.stale"
	EventCachesHeard = "caches.heard"
)

// PatientsLoaded is the data of an EventPatientsLoaded event: the ids of
// the patients the batch registered, in the order loaded, and the range
// of hospital numbers they were given.
type PatientsLoaded struct {
	Patients []string `json:"patients"`
	FirstMRN string   `json:"first_mrn"`
	LastMRN  string   `json:"last_mrn"`
}

// Event is one change to the record, appended and never altered. It says
// what changed, to whom, by whom, when it was recorded and when it took
// effect in the real world (an admission keyed in late is effective
// earlier). Outbound HL7 feeds, FHIR history, the audit trail and
// past-dated reports are read from events.
type Event struct {
	ID          string
	OrgID       string
	Type        string
	PatientID   string // the patient the change is about, if any
	SubjectID   string // the record changed (a patient, referral, spell...)
	UserID      string
	Username    string
	Role        Role
	RecordedAt  time.Time
	EffectiveAt time.Time
	Summary     string          // one line for the history page, e.g. "Address changed"
	Data        json.RawMessage // the state after the change, and what changed
}

// Audit actions.
const (
	AuditView    = "view"    // a record was read
	AuditSearch  = "search"  // a search was run (the query is in Detail)
	AuditChange  = "change"  // a record was changed (EventID says how)
	AuditLogin   = "login"   // a login succeeded
	AuditRefused = "refused" // access was refused (bad login, wrong role, other trust)
	AuditLogout  = "logout"
)

// AuditRecord says who did what to which patient's record, in which role,
// when and why. Every read and change is audited; audit is data that a
// privacy officer reads, not a log line.
type AuditRecord struct {
	ID        string
	OrgID     string
	At        time.Time
	UserID    string
	Username  string
	Role      Role
	PatientID string
	Action    string // view, search, change, login, refused
	What      string // what was viewed or done, e.g. "demographics", "history"
	Purpose   string
	EventID   string // the event a change appended
	// Listed are the patients a list shown or exported listed (action
	// listed), sorted: one row each beside the record, not a column.
	Listed []string
}

// AuditService lets a privacy officer see who accessed a record.
type AuditService interface {
	// PatientAccess lists every access to the patient's record, newest
	// first. The request is itself audited.
	PatientAccess(ctx context.Context, a Actor, patientID string) ([]*AuditRecord, error)
}
