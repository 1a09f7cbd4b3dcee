package crs

import (
	"fmt"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Event types of pre-admissions. The Data of each is a SpellEventData
// with PreadmissionID set (and, once admitted, SpellID).
const (
	EventPreadmissionRecorded  = "preadmission.recorded"  // A05 pre-admit
	EventPreadmissionUpdated   = "preadmission.updated"   // A05 again, for the same visit number
	EventPreadmissionCancelled = "preadmission.cancelled" // A38 cancel pre-admit
	EventPreadmissionAdmitted  = "preadmission.admitted"  // the patient came in; the spell's A01 tells the feeds
)

// Pre-admission statuses.
const (
	PreadmissionPending   = "pending"
	PreadmissionAdmitted  = "admitted"
	PreadmissionCancelled = "cancelled"
)

// Preadmission is a planned admission: the patient is expected on a
// date, on a ward and under a consultant, before they arrive. A PAS
// sends it as HL7 ADT A05; an agreed TCI date on the waiting list is one.
// It has the trust's visit number from the start, and the spell it
// becomes on admission keeps that number, so every message about the
// stay, before and after admission, carries the same PV1-19.
type Preadmission struct {
	ID                string
	OrgID             string
	PatientID         string
	EntryID           string    // the waiting list entry whose agreed TCI it is
	VisitNumber       string    // the trust's visit number, allocated once and never reused
	ExpectedOn        Date      // the expected admission date; zero when not yet known
	ExpectedAt        time.Time // the expected admission time, when the sender gave one
	WardID            string    // the ward of the trust expected on, if known
	WardCode          string    // the ward code as given, kept when no ward of the trust has it
	ConsultantCode    string
	AdmissionMethod   string // ADMISSION METHOD
	PatientClass      string // PATIENT CLASSIFICATION: 1 ordinary, 2 day case
	TreatmentFunction string
	SourceVisit       string // another system's visit number for it (HL7 PV1-19)
	SourceFacility    string // the sending facility that numbered it
	Status            string // pending, admitted, cancelled
	SpellID           string // the spell it became on admission
	CancelReason      string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// patientClassifications are the PATIENT CLASSIFICATION codes.
var patientClassifications = map[string]bool{"1": true, "2": true, "3": true, "4": true, "5": true}

// Normalize fills the defaults of a planned admission: a planned
// elective admission (13) of an ordinary patient (1) unless said.
func (p *Preadmission) Normalize() {
	if p.AdmissionMethod == "" {
		p.AdmissionMethod = "13"
	}
	if p.PatientClass == "" {
		p.PatientClass = "1"
	}
	if !p.ExpectedAt.IsZero() {
		p.ExpectedOn = LocalDate(p.ExpectedAt)
	}
}

// Validate checks the planned admission's codes.
func (p *Preadmission) Validate() error {
	var es Errors
	if p.PatientID == "" {
		es = append(es, FieldErrorf("patient", "say whose admission is planned"))
	}
	if _, ok := nhs.Lookup(nhs.AdmissionMethods, p.AdmissionMethod); !ok {
		es = append(es, FieldErrorf("method", "admission method %q is not an ADMISSION METHOD code (11 waiting list, 12 booked, 13 planned)", p.AdmissionMethod))
	}
	if !patientClassifications[p.PatientClass] {
		es = append(es, FieldErrorf("patient_class", "patient class %q is not a PATIENT CLASSIFICATION (1 ordinary, 2 day case, 3 regular day, 4 regular night, 5 mother and baby)", p.PatientClass))
	}
	if p.ConsultantCode != "" && !ValidConsultantCode(p.ConsultantCode) {
		es = append(es, FieldErrorf("consultant", "consultant code %q is not valid (capitals and digits, for example C1234567)", p.ConsultantCode))
	}
	if p.TreatmentFunction != "" {
		if _, ok := nhs.Lookup(nhs.TreatmentFunctions, p.TreatmentFunction); !ok {
			es = append(es, FieldErrorf("treatment_function", "treatment function %q is not a current TREATMENT FUNCTION CODE", p.TreatmentFunction))
		}
	}
	if len(p.SourceVisit) > 50 {
		es = append(es, FieldErrorf("visit_number", "visit number %q is longer than 50 characters", p.SourceVisit))
	}
	p.validateText(&es)
	return es.Err()
}

// Expected writes when the patient is expected, for a page or a history
// line: "30-Mar-2026", "30-Mar-2026 08:00" or "date not set".
func (p *Preadmission) Expected() string {
	switch {
	case !p.ExpectedAt.IsZero():
		return p.ExpectedAt.In(London).Format("02-Jan-2006 15:04")
	case !p.ExpectedOn.IsZero():
		return p.ExpectedOn.Display()
	}
	return "date not set"
}

// VisitNumberFormat writes the n-th visit number of a trust: V and eight
// digits (more once a trust passes 99,999,999 visits), well inside the 20
// characters HL7 v2.4 allows PV1-19.
func VisitNumberFormat(n int64) string { return fmt.Sprintf("V%08d", n) }
