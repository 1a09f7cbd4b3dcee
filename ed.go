package crs

import (
	"context"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Event types of A&E attendances.
const (
	EventEDArrived         = "ed.arrived"           // the patient arrived (HL7 A04 register)
	EventEDTriaged         = "ed.triaged"           // initial assessment with a triage category
	EventEDMoved           = "ed.moved"             // moved within the department
	EventEDSeen            = "ed.seen"              // seen by a decision-making clinician
	EventEDDecisionToAdmit = "ed.decision_to_admit" // decided to admit: the 12-hour clock starts
	EventEDDeparted        = "ed.departed"          // left the department (HL7 A03)
	EventEDCoded           = "ed.coded"             // ECDS details recorded or corrected
	// EventEDAdmissionCancelled: the admission the patient left A&E by was
	// cancelled in error (A11), so the attendance is in the department
	// again; its data is the attendance after it.
	EventEDAdmissionCancelled = "ed.admission_cancelled"
)

// Departure kinds of an A&E attendance.
const (
	EDAdmitted    = "admitted"
	EDDischarged  = "discharged"
	EDTransferred = "transferred"
	EDLeft        = "left" // left before being seen or treatment completed
)

// Breach thresholds of the A&E standards.
const (
	EDWarnAfter    = 3 * time.Hour  // amber on the tracking board
	EDBreachAfter  = 4 * time.Hour  // the 4-hour standard from arrival
	DTABreachAfter = 12 * time.Hour // 12 hours from decision to admit
)

// EDAttendance is one attendance at the emergency department, from
// arrival to departure.
type EDAttendance struct {
	ID                   string
	OrgID                string
	PatientID            string
	ArrivedAt            time.Time
	ArrivalMode          string // EMERGENCY CARE ARRIVAL MODE (SNOMED CT)
	AttendanceCategory   string // EMERGENCY CARE ATTENDANCE CATEGORY: 1-4 or X
	Complaint            string // presenting complaint in the patient's words
	ChiefComplaint       string // EMERGENCY CARE CHIEF COMPLAINT (SNOMED CT)
	TriageCategory       int    // 1 immediate ... 5 non-urgent (Manchester triage)
	Acuity               string // EMERGENCY CARE ACUITY (SNOMED CT), from the triage category
	TriagedAt            time.Time
	Location             string // area in the department, e.g. "RESUS", "MAJ-4"
	SeenAt               time.Time
	SeenBy               string
	DecisionToAdmitAt    time.Time
	AdmitSpecialty       string
	DepartedAt           time.Time
	Departure            string // admitted, discharged, transferred, left
	DischargeStatus      string // EMERGENCY CARE DISCHARGE STATUS (SNOMED CT)
	DischargeDestination string // EMERGENCY CARE DISCHARGE DESTINATION (SNOMED CT)
	SpellID              string
	Status               string // in_department, departed
	CreatedAt            time.Time
}

// A&E attendance statuses.
const (
	EDInDepartment = "in_department"
	EDDeparted     = "departed"
)

// Validate checks the arrival.
func (e *EDAttendance) Validate(now time.Time) error {
	var es Errors
	if e.PatientID == "" {
		es = append(es, FieldErrorf("patient", "say who arrived"))
	}
	if _, ok := nhs.Lookup(nhs.ArrivalModes, e.ArrivalMode); !ok {
		es = append(es, FieldErrorf("arrival_mode", "arrival mode %q is not an EMERGENCY CARE ARRIVAL MODE code", e.ArrivalMode))
	}
	if _, ok := nhs.Lookup(nhs.EDAttendanceCategories, e.AttendanceCategory); !ok {
		es = append(es, FieldErrorf("attendance_category", "attendance category %q is not an EMERGENCY CARE ATTENDANCE CATEGORY (1 to 4 or X)", e.AttendanceCategory))
	}
	if e.ChiefComplaint != "" {
		if _, ok := nhs.Lookup(nhs.EDChiefComplaints, e.ChiefComplaint); !ok {
			es = append(es, FieldErrorf("chief_complaint", "chief complaint %q is not an EMERGENCY CARE CHIEF COMPLAINT code of the list", e.ChiefComplaint))
		}
	}
	if e.ArrivedAt.After(now.Add(5 * time.Minute)) {
		es = append(es, FieldErrorf("arrived_at", "arrival cannot be in the future"))
	}
	e.validateText(&es)
	return es.Err()
}

// EDDeparture says how a patient left the department (other than
// admitted, which InpatientService.Admit records).
type EDDeparture struct {
	Kind        string    // discharged, transferred or left
	Status      string    // EMERGENCY CARE DISCHARGE STATUS
	Destination string    // EMERGENCY CARE DISCHARGE DESTINATION
	At          time.Time // zero means now
}

// ECDSDetails are the Emergency Care Data Set items of an attendance
// that can be recorded or corrected at any time, also after the patient
// left: attendance category, chief complaint, discharge status and
// destination. An empty field keeps what is recorded.
type ECDSDetails struct {
	AttendanceCategory   string
	ChiefComplaint       string
	DischargeStatus      string
	DischargeDestination string
}

// Validate checks each given code is of its ECDS list.
func (d ECDSDetails) Validate() error {
	var es Errors
	check := func(field, value string, list []nhs.Code, name string) {
		if value == "" {
			return
		}
		if _, ok := nhs.Lookup(list, value); !ok {
			es = append(es, FieldErrorf(field, "%q is not an %s code", value, name))
		}
	}
	check("attendance_category", d.AttendanceCategory, nhs.EDAttendanceCategories, "EMERGENCY CARE ATTENDANCE CATEGORY")
	check("chief_complaint", d.ChiefComplaint, nhs.EDChiefComplaints, "EMERGENCY CARE CHIEF COMPLAINT")
	check("discharge_status", d.DischargeStatus, nhs.EDDischargeStatuses, "EMERGENCY CARE DISCHARGE STATUS")
	check("destination", d.DischargeDestination, nhs.EDDischargeDestinations, "EMERGENCY CARE DISCHARGE DESTINATION")
	if d == (ECDSDetails{}) {
		es = append(es, FieldErrorf("attendance_category", "give at least one item to record"))
	}
	return es.Err()
}

// TrackingRow is one patient on the A&E tracking board.
type TrackingRow struct {
	Attendance *EDAttendance
	MRN        string
	Name       string
	BirthDate  Date          // the patient's date of birth, for the age
	Waited     time.Duration // since arrival
	SinceDTA   time.Duration // since the decision to admit; 0 if none
	Warn       bool          // 3 hours or more since arrival
	Breach4    bool          // 4 hours or more since arrival
	Breach12   bool          // 12 hours or more since the decision to admit
}

// EDService runs the emergency department.
type EDService interface {
	// Arrive registers a patient's arrival.
	Arrive(ctx context.Context, a Actor, e *EDAttendance) error
	// Triage records the triage category (1-5).
	Triage(ctx context.Context, a Actor, id string, category int, at time.Time) error
	// Move records where in the department the patient is.
	Move(ctx context.Context, a Actor, id, location string) error
	// RecordSeen records the clinician who saw the patient.
	RecordSeen(ctx context.Context, a Actor, id, clinician string, at time.Time) error
	// DecideToAdmit records a decision to admit under a specialty.
	DecideToAdmit(ctx context.Context, a Actor, id, specialty string, at time.Time) error
	// Depart records that the patient left the department, not admitted.
	Depart(ctx context.Context, a Actor, id string, d EDDeparture) error
	// RecordECDS records or corrects the ECDS items of an attendance, in
	// the department or after it.
	RecordECDS(ctx context.Context, a Actor, id string, d ECDSDetails) error
	// FindAttendance returns an attendance.
	FindAttendance(ctx context.Context, a Actor, id string) (*EDAttendance, error)
	// FindAttendances lists a patient's A&E attendances, latest first.
	FindAttendances(ctx context.Context, a Actor, patientID string) ([]*EDAttendance, error)
	// ListAttendances lists the trust's A&E attendances across its
	// patients, a batch at a time in the order of RecordScan, and the
	// cursor of the next batch ("" after the last); audited as ListSpells
	// is.
	ListAttendances(ctx context.Context, a Actor, q RecordScan) ([]*EDAttendance, string, error)
	// CountAttendances counts what ListAttendances would list of a RecordScan, all
	// its batches (its cursor, order and limit aside).
	CountAttendances(ctx context.Context, a Actor, q RecordScan) (int, error)
	// TrackingBoard lists every patient in the department as of the
	// clock's now, longest waiting first, with breach flags.
	TrackingBoard(ctx context.Context, a Actor) ([]*TrackingRow, error)
}
