package crs

import (
	"context"
	"strings"
	"time"
)

// Events of the code maps.
const (
	// EventCodeMapSet records that an interface analyst added or changed
	// a code mapping of an inbound interface.
	EventCodeMapSet = "hl7.codemap.set"
)

// MessageHeld is the status of an inbound message stored and not
// applied because something it needs is missing: a mapping of a key code
// (the ward an admission goes to), the patient it names (an interface
// that holds unknown patients), or an earlier held message of the same
// patient it must wait behind. The sender got AE naming what is missing;
// once it is put right, reprocessing applies the held messages in the
// order they arrived.
const MessageHeld = "held"

// The code tables an inbound interface maps from the sender's codes to
// OpenCRS's (NHS Data Dictionary codes and the trust's own wards,
// consultants and GPs).
const (
	MapLocation             = "location"              // PV1-3 point of care^room^bed to ward^bay^bed
	MapConsultant           = "consultant"            // PV1-7 attending and PV1-17 admitting doctor to consultant code
	MapReferrer             = "referrer"              // PV1-8 referring doctor to GP or consultant code
	MapTreatmentFunction    = "treatment_function"    // PV1-10 hospital service to TREATMENT FUNCTION CODE
	MapAdmissionType        = "admission_type"        // PV1-4 admission type to an HL7 table 0007 code
	MapAdmissionMethod      = "admission_method"      // PV1-4 admission type to ADMISSION METHOD
	MapAdmissionSource      = "admission_source"      // PV1-14 admit source to SOURCE OF ADMISSION
	MapDischargeMethod      = "discharge_method"      // PV1-36 discharge disposition to DISCHARGE METHOD
	MapDischargeDestination = "discharge_destination" // PV1-37 discharged to location to DISCHARGE DESTINATION
	MapPatientClass         = "patient_class"         // PV1-2 patient class to PATIENT CLASSIFICATION or an HL7 class
	MapSex                  = "sex"                   // PID-8 administrative sex to PERSON STATED GENDER CODE
	MapEthnicCategory       = "ethnic_category"       // PID-22 ethnic group to ETHNIC CATEGORY
)

// CodeMapTables lists the tables an interface may map, in the order the
// analyst's pages show them.
var CodeMapTables = []string{MapLocation, MapConsultant, MapReferrer, MapTreatmentFunction, MapAdmissionType, MapAdmissionMethod,
	MapAdmissionSource, MapDischargeMethod, MapDischargeDestination, MapPatientClass, MapSex, MapEthnicCategory}

// ValidCodeMapTable reports whether t is one of CodeMapTables.
func ValidCodeMapTable(t string) bool {
	for _, x := range CodeMapTables {
		if x == t {
			return true
		}
	}
	return false
}

// CodeMap is one entry of an inbound interface's translation tables:
// the sender's code From in Table means our code To. A location maps
// POC to WARD, or POC^ROOM^BED to WARD^BAY^BED where a trust maps rooms
// and beds.
type CodeMap struct {
	ID          string
	OrgID       string
	InterfaceID string
	Table       string
	From        string
	To          string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Normalize tidies the codes as typed: trimmed, upper case (codes of
// feeds are matched without regard to case).
func (m *CodeMap) Normalize() {
	m.Table = strings.ToLower(strings.TrimSpace(m.Table))
	m.From = strings.ToUpper(strings.TrimSpace(m.From))
	m.To = strings.ToUpper(strings.TrimSpace(m.To))
}

// Validate checks the entry names a table and both codes.
func (m *CodeMap) Validate() error {
	var es Errors
	if !ValidCodeMapTable(m.Table) {
		es = append(es, FieldErrorf("table", "table %q is not one of %s", m.Table, strings.Join(CodeMapTables, ", ")))
	}
	if m.From == "" {
		es = append(es, FieldErrorf("from", "enter the sender's code"))
	}
	if m.To == "" {
		es = append(es, FieldErrorf("to", "enter our code"))
	}
	if m.Table == MapLocation && strings.Count(m.From, "^") != strings.Count(m.To, "^") {
		es = append(es, FieldErrorf("to", "map POC to WARD, or POC^ROOM^BED to WARD^BAY^BED: %s and %s have different parts", m.From, m.To))
	}
	m.validateText(&es)
	return es.Err()
}

// DataQualityIssue is a problem found in an inbound message that did
// not stop it being applied: a value of a coded field that no mapping
// knew, stored as received (or as not known) for the interface analyst
// to map and the data-quality reports to count.
type DataQualityIssue struct {
	ID          string
	OrgID       string
	InterfaceID string
	MessageID   string // the message log entry
	PatientID   string
	SpellID     string // the hospital spell the message changed, if any
	Table       string // the code table that had no mapping, e.g. "admission_method"
	Field       string // where in the message, e.g. "PV1-4"
	Code        string // the value as received, kept here when the record holds a national code
	What        string // what was done, for the analyst
	CreatedAt   time.Time
}

// MessageHold is why an inbound message is held (MessageHeld): the
// code it needs mapped (Table and Code), an unknown patient (Table
// "patient"), or an earlier held message of the same patient (Behind).
type MessageHold struct {
	MessageID   string
	OrgID       string
	InterfaceID string
	Table       string
	Code        string
	Behind      string // the id of the earlier held message it waits behind
	// The patient's identifiers as the message gives them, to keep later
	// messages of the same patient behind it.
	NHSNumber, MRN, Xref string
	PatientID            string
	CreatedAt            time.Time
}

// UnmappedCode is a code an interface sent that no mapping knew, with
// how many messages it holds and how many were applied with it stored as
// received.
type UnmappedCode struct {
	Table    string
	Code     string
	Held     int
	Received int
}

// CodeMapTx is what a command may do with the code maps, data-quality
// issues and held messages of the inbound interfaces.
type CodeMapTx interface {
	// MapCode translates the sender's code by the interface's table;
	// found is false when the table has no entry for it.
	MapCode(interfaceID, table, from string) (to string, found bool, err error)
	// ReverseMapCode finds the sender's code for our code: the first
	// entry of the table mapping to it.
	ReverseMapCode(interfaceID, table, to string) (from string, found bool, err error)
	// SetCodeMap adds or changes one mapping of an interface of the trust.
	SetCodeMap(m *CodeMap) error
	// RecordDataQuality records a data-quality issue of a message.
	RecordDataQuality(d *DataQualityIssue) error
	// HoldMessage records why a message logged as held waits.
	HoldMessage(h *MessageHold) error
	// ReleaseHold forgets the hold of a message applied at last.
	ReleaseHold(messageID string) error
	// EarlierHold returns the id of a message of the interface still held
	// that came before messageID ("" for any) and names the same patient
	// by one of the identifiers given; "" when there is none.
	EarlierHold(interfaceID, messageID string, h *MessageHold) (string, error)
	// LikelyDuplicates scores the trust's live patients against a patient
	// about to be registered and returns those likely the same person.
	LikelyDuplicates(p *Patient) ([]PatientMatch, error)
}

// CodeMapStore reads the code maps, the unmapped codes and the held
// messages of the trust's interfaces, for the analyst's pages and the CLI.
// Its reads check no access: the integration engine does.
type CodeMapStore interface {
	// ListCodeMaps lists an interface's mappings, of one table ("" for
	// all), whose codes contain search ("" for all), by table and code.
	ListCodeMaps(ctx context.Context, orgID, interfaceID, table, search string) ([]*CodeMap, error)
	// UnmappedCodes lists the codes of an interface no mapping knew: held
	// messages and values stored as received, most messages first.
	UnmappedCodes(ctx context.Context, orgID, interfaceID string) ([]UnmappedCode, error)
	// HeldMessageIDs lists the ids of an interface's held messages that
	// arrived at or after since, in arrival order; table and code, when
	// given, narrow them to those waiting for that code.
	HeldMessageIDs(ctx context.Context, orgID, interfaceID string, since time.Time, table, code string) ([]string, error)
}
