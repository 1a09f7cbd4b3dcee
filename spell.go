package crs

import (
	"context"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Event types of inpatient spells, each named with the HL7 v2 ADT
// trigger the outbound feed sends for it. The Data of every spell event is
// a SpellEventData. A planned admission before the patient arrives (A05,
// A38) is a Preadmission, with event types of its own.
const (
	EventSpellAdmitted           = "spell.admitted"            // A01 admit
	EventSpellTransferred        = "spell.transferred"         // A02 transfer (ward or bed)
	EventSpellDischarged         = "spell.discharged"          // A03 discharge
	EventSpellConsultantChanged  = "spell.consultant_changed"  // A54 change attending doctor: a new consultant episode
	EventSpellLeaveStarted       = "spell.leave_started"       // A21 leave of absence starts
	EventSpellLeaveEnded         = "spell.leave_ended"         // A22 returns from leave
	EventSpellAdmissionCancelled = "spell.admission_cancelled" // A11 cancel admit
	EventSpellTransferCancelled  = "spell.transfer_cancelled"  // A12 cancel transfer
	EventSpellDischargeCancelled = "spell.discharge_cancelled" // A13 cancel discharge
	EventSpellUpdated            = "spell.updated"             // A08 e.g. expected discharge date
	EventCensusRecorded          = "census.recorded"           // the midnight census of a night was taken
	// EventVisitNumberLinked records that another system's visit number
	// (HL7 PV1-19) names a spell, so its later messages find the spell.
	// Its Data is a VisitNumberLink.
	EventVisitNumberLinked = "spell.visit_number_linked"
)

// VisitNumberLink is the Data of an EventVisitNumberLinked: the visit
// number a sending facility gave a spell.
type VisitNumberLink struct {
	SpellID  string `json:"spell_id"`
	Facility string `json:"facility"` // the sending facility that numbers its visits
	Visit    string `json:"visit_number"`
}

// Spell statuses.
const (
	SpellAdmitted   = "admitted"
	SpellOnLeave    = "on_leave"
	SpellDischarged = "discharged"
	SpellCancelled  = "cancelled"
)

// Spell is a hospital provider spell: one continuous stay in hospital,
// from admission to discharge, in consultant episodes and ward stays.
type Spell struct {
	ID                   string
	OrgID                string
	PatientID            string
	VisitNumber          string // the trust's visit number (HL7 PV1-19), kept from its pre-admission if it had one
	PathwayID            string // the RTT pathway of an elective admission
	EntryID              string // the waiting list entry admitted from
	EDAttendanceID       string // the A&E attendance admitted from
	AdmissionMethod      string // ADMISSION METHOD, e.g. 11 waiting list, 21 via A&E
	AdmissionSource      string // SOURCE OF ADMISSION, e.g. 19 usual place of residence
	PatientClass         string // PATIENT CLASSIFICATION: 1 ordinary, 2 day case
	ForTreatment         bool   // elective admission for first definitive treatment (stops the clock)
	NotDoneReason        string // why the intended procedure was not carried out (NotDoneReasons); "" if it was, or none was intended
	NotDoneNote          string
	AdmittedAt           time.Time
	WardID               string // current (or last) ward
	BedID                string // current (or last) bed; "" if none
	ConsultantCode       string // current responsible consultant
	TreatmentFunction    string
	Status               string // admitted, on_leave, discharged, cancelled
	LeaveStartedAt       time.Time
	ExpectedDischarge    Date
	DischargedAt         time.Time
	DischargeMethod      string
	DischargeDestination string
	Episodes             []*Episode
	Stays                []*BedStay
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// Episode is a consultant episode: the time a patient spends in the care
// of one consultant within a spell.
type Episode struct {
	ID                string
	Seq               int
	ConsultantCode    string
	TreatmentFunction string
	Start, End        time.Time
}

// BedStay is the time a patient spends in one ward and bed within a
// spell; a transfer ends one and starts the next.
type BedStay struct {
	ID         string
	Seq        int
	WardID     string
	BedID      string
	Start, End time.Time
}

// Admission asks for a patient to be admitted to a ward and bed under a
// consultant.
type Admission struct {
	SpellID           string // the spell's id when the caller gives it (an entry of a FHIR transaction others refer to); else new
	PatientID         string
	EntryID           string // admitting from the waiting list
	PreadmissionID    string // admitting a planned admission: the spell keeps its visit number
	EDAttendanceID    string // admitting from A&E: the attendance departs as admitted
	Method            string // ADMISSION METHOD
	Source            string // SOURCE OF ADMISSION
	PatientClass      string // PATIENT CLASSIFICATION; "" means 1 (2 for a day case entry)
	ForTreatment      *bool  // from the waiting list: nil takes the entry's intention
	WardID            string
	BedID             string
	ConsultantCode    string
	TreatmentFunction string
	At                time.Time // when admitted; zero means now
	ExpectedDischarge Date
}

// Validate checks the admission's codes.
func (ad *Admission) Validate() error {
	var es Errors
	if ad.PatientID == "" && ad.EntryID == "" && ad.PreadmissionID == "" {
		es = append(es, FieldErrorf("patient", "say who is admitted"))
	}
	if _, ok := nhs.Lookup(nhs.AdmissionMethods, ad.Method); !ok {
		es = append(es, FieldErrorf("method", "admission method %q is not an ADMISSION METHOD code (11 waiting list, 12 booked, 21 via A&E, 31 maternity, 81 transfer)", ad.Method))
	}
	if _, ok := nhs.Lookup(nhs.AdmissionSources, ad.Source); !ok {
		es = append(es, FieldErrorf("source", "source of admission %q is not a SOURCE OF ADMISSION code (19 usual place of residence)", ad.Source))
	}
	if ad.EntryID != "" && !IsElectiveMethod(ad.Method) {
		es = append(es, FieldErrorf("method", "an admission from the waiting list is elective (11, 12 or 13)"))
	}
	if ad.WardID == "" {
		es = append(es, FieldErrorf("ward", "say which ward"))
	}
	if !ValidConsultantCode(ad.ConsultantCode) {
		es = append(es, FieldErrorf("consultant", "say which consultant the patient is admitted under"))
	}
	return es.Err()
}

// IsElectiveMethod reports whether an admission method is elective.
func IsElectiveMethod(m string) bool { return m == "11" || m == "12" || m == "13" }

// Transfer moves an admitted patient to another ward or bed.
type Transfer struct {
	WardID string
	BedID  string
	At     time.Time // zero means now
}

// Discharge ends a spell.
type Discharge struct {
	Method        string    // DISCHARGE METHOD
	Destination   string    // DISCHARGE DESTINATION
	At            time.Time // zero means now
	FollowUpWeeks int       // >0 puts the referral on the follow-up worklist
}

// Validate checks the discharge codes.
func (d Discharge) Validate() error {
	var es Errors
	if _, ok := nhs.Lookup(nhs.DischargeMethods, d.Method); !ok {
		es = append(es, FieldErrorf("method", "discharge method %q is not a DISCHARGE METHOD code", d.Method))
	}
	if _, ok := nhs.Lookup(nhs.DischargeDestinations, d.Destination); !ok {
		es = append(es, FieldErrorf("destination", "discharge destination %q is not a DISCHARGE DESTINATION code", d.Destination))
	}
	if d.Method == "4" && d.Destination != "79" {
		es = append(es, FieldErrorf("destination", "a patient who died is discharged to 79 (not applicable)"))
	}
	return es.Err()
}

// SpellEventData is the Data of every spell and pre-admission event: what
// an HL7 ADT message needs (PID, PV1 and, for transfers, the prior
// location; for a pre-admission, PV2-8 the expected admission).
type SpellEventData struct {
	PatientID         string    `json:"patient_id"`
	SpellID           string    `json:"spell_id"`
	PreadmissionID    string    `json:"preadmission_id,omitempty"`
	VisitNumber       string    `json:"visit_number,omitempty"`
	Status            string    `json:"status"`
	AdmissionMethod   string    `json:"admission_method"`
	AdmissionSource   string    `json:"admission_source"`
	PatientClass      string    `json:"patient_class"`
	AdmittedAt        time.Time `json:"admitted_at"`
	WardCode          string    `json:"ward_code"`
	BayCode           string    `json:"bay_code,omitempty"` // the bay or side room the bed is in, if any (PV1-3.2)
	BedCode           string    `json:"bed_code,omitempty"`
	ConsultantCode    string    `json:"consultant_code"`
	TreatmentFunction string    `json:"treatment_function,omitempty"`
	PriorWardCode     string    `json:"prior_ward_code,omitempty"`
	PriorBayCode      string    `json:"prior_bay_code,omitempty"`
	PriorBedCode      string    `json:"prior_bed_code,omitempty"`
	PriorConsultant   string    `json:"prior_consultant_code,omitempty"`
	DischargedAt      time.Time `json:"discharged_at,omitzero"`
	DischargeMethod   string    `json:"discharge_method,omitempty"`
	Destination       string    `json:"discharge_destination,omitempty"`
	At                time.Time `json:"at"` // when the change took effect
	PathwayID         string    `json:"pathway_id,omitempty"`
	Reason            string    `json:"reason,omitempty"`
	ExpectedOn        Date      `json:"expected_on,omitzero"` // a pre-admission's expected admission date
	ExpectedAt        time.Time `json:"expected_at,omitzero"` // and time, when known
}

// BedBoardWard is a ward on the bed board with each of its beds.
type BedBoardWard struct {
	WardID   string
	WardCode string
	WardName string
	Beds     []*BedBoardBed
	Occupied int
	Unbedded []*BedBoardBed // patients on the ward without a bed
	SiteID   string         // the hospital site the ward is on
	SiteName string
}

// WardSummary is a ward as the trust's bed board sums it up for the bed
// manager: how many of its beds can take a patient now and how many will
// soon.
type WardSummary struct {
	WardID, WardCode, WardName string
	SiteID, SiteName           string // the hospital site the ward is on
	Beds                       int    // the ward's active beds
	Occupied                   int    // patients in a bed
	Free                       int    // beds available and empty
	Closed                     int    // beds closed or out of use, and empty
	// AwaitingDischarge counts the ward's patients (in a bed or not) whose
	// expected date of discharge is today or has passed.
	AwaitingDischarge int
	Unbedded          int // patients on the ward without a bed
}

// BedBoardBed is a bed, free or with its patient.
type BedBoardBed struct {
	BedID             string
	BedCode           string
	Status            BedStatus // available, closed or out of use
	SpellID           string    // "" when free
	PatientID         string
	MRN               string
	Name              string
	ConsultantCode    string
	AdmittedAt        time.Time
	ExpectedDischarge Date
	OnLeave           bool
	BayID, BayCode    string // the bay or side room the bed is in; "" for a bed in the open ward
	Gender            string // the patient's stated gender (NHS Data Dictionary code)
	BirthDate         Date   // the patient's date of birth, for the age
	// Flags are what the clinical record warns the ward of (BedFlags
	// order), read only for staff who may see the patient's clinical
	// record; nil for others.
	Flags []string
}

// CensusWard is one ward's count at the midnight census of a night.
type CensusWard struct {
	Night    Date
	WardID   string
	WardCode string
	Beds     int // beds on the ward
	Occupied int // patients in a bed at 23:59:59
	SpellIDs []string
}

// Reasons the procedure of an admission for first definitive treatment
// was not carried out (RTT guidance s4.3.2.3 and its examples).
const (
	NotDoneHospital = "hospital" // cancelled by the hospital on the day, e.g. no theatre time
	NotDoneUnfit    = "unfit"    // the patient was found temporarily unfit, e.g. a chest infection
	NotDonePatient  = "patient"  // the patient cancelled or left before the procedure
	NotDoneOther    = "other"    // another reason, said in the note
)

// NotDoneReasons names each reason a procedure was not carried out.
var NotDoneReasons = map[string]string{
	NotDoneHospital: "cancelled by the hospital on the day (e.g. no theatre time)",
	NotDoneUnfit:    "the patient was temporarily unfit",
	NotDonePatient:  "the patient cancelled or left before the procedure",
	NotDoneOther:    "another reason",
}

// ProcedureNotDone records that a patient admitted from the waiting list
// for first definitive treatment went home without the intended
// procedure (RTT guidance s4.3.2.3): the spell stays recorded, the RTT
// clock does not stop at this admission, and the waiting list entry the
// patient was admitted from is open again for a new date to come in.
type ProcedureNotDone struct {
	Reason string // one of NotDoneReasons
	Note   string // what happened; required for NotDoneOther
}

// Validate checks the reason is known and, for another reason, said.
func (p ProcedureNotDone) Validate() error {
	var es Errors
	if _, ok := NotDoneReasons[p.Reason]; !ok {
		es = append(es, FieldErrorf("not_done_reason", "say why the procedure was not carried out"))
	}
	if p.Reason == NotDoneOther && p.Note == "" {
		es = append(es, FieldErrorf("not_done_note", "say what the other reason was"))
	}
	es.addNote("not_done_note", "the note", p.Note, MaxCommentLength)
	return es.Err()
}

// InpatientService admits, moves and discharges inpatients and keeps the
// bed board and the midnight census.
type InpatientService interface {
	// Admit admits a patient to a ward and bed under a consultant. An
	// elective admission from the waiting list for treatment stops the RTT
	// clock (status 30); one for diagnostics only does not, and leaves an
	// entry listed for treatment on the waiting list. From A&E, the
	// attendance departs as admitted.
	Admit(ctx context.Context, a Actor, ad *Admission) (*Spell, error)
	// ProcedureNotCarriedOut records that the intended procedure of an
	// admission for first definitive treatment was not carried out (RTT
	// guidance s4.3.2.3): the admission's clock stop is withdrawn (its RTT
	// event becomes "admitted, treatment not carried out"), the clock runs
	// on from its original start, and the waiting list entry admitted from
	// is restored to waiting with its original decision date, its TCI
	// cleared.
	ProcedureNotCarriedOut(ctx context.Context, a Actor, spellID string, p ProcedureNotDone) error
	// Transfer moves the patient to another ward or bed; a bed holds one
	// patient.
	Transfer(ctx context.Context, a Actor, spellID string, t Transfer) error
	// ChangeConsultant starts a new consultant episode.
	ChangeConsultant(ctx context.Context, a Actor, spellID, consultantCode, treatmentFunction string, at time.Time) error
	// StartLeave and EndLeave record leave of absence; the bed is kept.
	StartLeave(ctx context.Context, a Actor, spellID string, at time.Time) error
	EndLeave(ctx context.Context, a Actor, spellID string, at time.Time) error
	// SetExpectedDischarge records the expected date of discharge.
	SetExpectedDischarge(ctx context.Context, a Actor, spellID string, d Date) error
	// Discharge ends the spell and frees the bed.
	Discharge(ctx context.Context, a Actor, spellID string, d Discharge) error
	// CancelAdmission, CancelTransfer and CancelDischarge undo an
	// admission, the last transfer or the discharge entered in error
	// (HL7 A11, A12, A13).
	CancelAdmission(ctx context.Context, a Actor, spellID, reason string) error
	CancelTransfer(ctx context.Context, a Actor, spellID, reason string) error
	CancelDischarge(ctx context.Context, a Actor, spellID, reason string) error
	// FindSpell returns a spell with its episodes and stays.
	FindSpell(ctx context.Context, a Actor, id string) (*Spell, error)
	// FindSpells lists a patient's spells, latest first.
	FindSpells(ctx context.Context, a Actor, patientID string) ([]*Spell, error)
	// ListSpells lists the trust's spells across its patients, a batch
	// at a time in the order of RecordScan, without their episodes and
	// stays, and the cursor of the next batch ("" after the last). The
	// batch is audited as a list shown of the patients whose spells it
	// holds.
	ListSpells(ctx context.Context, a Actor, q RecordScan) ([]*Spell, string, error)
	// CountSpells counts what ListSpells would list of a RecordScan, all
	// its batches (its cursor, order and limit aside).
	CountSpells(ctx context.Context, a Actor, q RecordScan) (int, error)
	// SpellHistories gives spells read by FindSpells or ListSpells their
	// episodes and stays, as FindSpell gives one spell's.
	SpellHistories(ctx context.Context, a Actor, spells []*Spell) error
	// RecordPreadmission records a planned admission (pre-admission,
	// HL7 A05) and gives it the trust's next visit number.
	RecordPreadmission(ctx context.Context, a Actor, p *Preadmission) error
	// CancelPreadmission cancels a pending planned admission (A38). One
	// made from an agreed TCI takes the TCI date off the waiting list entry.
	CancelPreadmission(ctx context.Context, a Actor, id, reason string) error
	// FindPreadmission returns a planned admission.
	FindPreadmission(ctx context.Context, a Actor, id string) (*Preadmission, error)
	// FindPreadmissions lists a patient's planned admissions, pending
	// first, then the latest.
	FindPreadmissions(ctx context.Context, a Actor, patientID string) ([]*Preadmission, error)
	// BedBoard lists every ward's beds, occupied or free.
	BedBoard(ctx context.Context, a Actor) ([]*BedBoardWard, error)
	// WardSummaries lists every ward of the trust with the count of its
	// beds, occupied, free and closed, and of its patients due out: the
	// bed manager's view of the trust. No patient's details are read.
	WardSummaries(ctx context.Context, a Actor) ([]*WardSummary, error)
	// WardBoard lists one ward's beds as BedBoard does: the ward clerk's
	// and nurse in charge's board.
	WardBoard(ctx context.Context, a Actor, wardID string) (*BedBoardWard, error)
	// WardBeds lists every ward's beds as BedBoard does, an occupied bed
	// with its spell alone and no patient's details, for choosing where
	// to admit or move a patient.
	WardBeds(ctx context.Context, a Actor) ([]*BedBoardWard, error)
	// RecordCensus takes the midnight census of a night: per ward, the
	// patients in a bed at 23:59:59 UK time, from the effective times of
	// admissions, transfers and discharges. Taking it again replaces it.
	RecordCensus(ctx context.Context, a Actor, night Date) ([]*CensusWard, error)
}

// Open reports whether the bed can take a patient now: it is available
// and free.
func (b *BedBoardBed) Open() bool { return b.SpellID == "" && b.Status == BedAvailable }
