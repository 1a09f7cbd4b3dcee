package crs

import (
	"context"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Commissioning Data Set types the trust sends to the Secondary Uses
// Service (SUS), by the name the command line gives them.
const (
	CDSEmergencyCare = "ecds"       // CDS type 011, emergency care attendances
	CDSOutpatient    = "outpatient" // CDS type 020, outpatient attendances
	CDSAdmitted      = "apc"        // CDS type 130, admitted patient care finished general episodes
)

// EventCDSExtracted records that a CDS extract was written: which type,
// period and kind, and how many records it sent, updated, deleted and
// rejected.
const EventCDSExtracted = "cds.extracted"

// CDSPatient is what a CDS record says of the patient.
type CDSPatient struct {
	ID              string
	MRN             string // LOCAL PATIENT IDENTIFIER (EXTENDED)
	NHSNumber       string
	NHSNumberStatus nhs.NumberStatus
	Postcode        string
	BirthDate       Date
	Gender          string // PERSON STATED GENDER CODE
	EthnicCategory  string
	GPPracticeCode  string
}

// CDSPathway is the patient pathway data of a CDS record: the RTT
// pathway the activity belongs to and its RTT period.
type CDSPathway struct {
	PPI         string // PATIENT PATHWAY IDENTIFIER
	PPIIssuer   string // ORGANISATION IDENTIFIER (PATIENT PATHWAY IDENTIFIER ISSUER): an ODS code, or "e-RS" for a UBRN
	Start       Date   // REFERRAL TO TREATMENT PERIOD START DATE
	End         Date   // REFERRAL TO TREATMENT PERIOD END DATE; zero while the clock runs
	Status      string // REFERRAL TO TREATMENT PERIOD STATUS of the activity (two digits)
	Measurement string // WAITING TIME MEASUREMENT TYPE: 01 (RTT), 09 (not applicable)
}

// CDSEmergencyCareRecord is one A&E attendance as the emergency care CDS
// carries it.
type CDSEmergencyCareRecord struct {
	Attendance     *EDAttendance
	Patient        CDSPatient
	DepartmentType string // EMERGENCY CARE DEPARTMENT TYPE of the trust's department
}

// CDSOutpatientRecord is one outpatient appointment, attended, missed or
// cancelled, as the outpatient CDS carries it.
type CDSOutpatientRecord struct {
	AppointmentID     string
	Patient           CDSPatient
	Pathway           *CDSPathway // nil when the referral is not on an RTT pathway
	At                time.Time   // the appointment's date and time
	Status            string      // booked, attended, dna, cancelled
	CancelledBy       string      // patient or hospital
	Kind              string      // new or follow_up
	NextStep          string      // the outcome's next step, "" until outcomed
	ClinicCode        string
	ConsultantCode    string
	TreatmentFunction string
	Specialty         string // MAIN SPECIALTY CODE of the consultant
	Priority          string // PRIORITY TYPE of the referral
	ReferralSource    string // SOURCE OF REFERRAL FOR OUTPATIENTS
	ReferralReceived  Date
	ReferrerCode      string
	ReferrerOrg       string
}

// CDSEpisodeRecord is one finished consultant episode as the admitted
// patient care CDS carries it, with its spell and coding.
type CDSEpisodeRecord struct {
	EpisodeID            string
	Seq                  int
	Patient              CDSPatient
	Pathway              *CDSPathway
	SpellID              string
	VisitNumber          string // HOSPITAL PROVIDER SPELL NUMBER
	AdmittedAt           time.Time
	AdmissionMethod      string
	AdmissionSource      string
	PatientClass         string
	DischargedAt         time.Time // zero while the spell goes on
	DischargeMethod      string
	DischargeDestination string
	Start, End           time.Time
	ConsultantCode       string
	TreatmentFunction    string
	Coding               *EpisodeCoding // nil when not coded
	LastInSpell          bool           // the episode ended with the discharge
}

// CDSSent is what the trust last sent SUS of one CDS record: its CDS
// UNIQUE IDENTIFIER, the activity date it belongs to, a checksum of the
// record and whether it was a deletion.
type CDSSent struct {
	UniqueID     string
	ActivityDate Date
	Checksum     string
	Deleted      bool
}

// CDSSource reads the activity of a period for the CDS extracts and
// keeps what was sent, so a net change extract sends only what changed.
// Reads check the actor may view reports and are audited. The records of
// a period are handed one at a time to each, in the order of the
// extract, read a page at a time, so that an extract holds a page of a
// month and not the month; each's first error stops the read and is
// returned.
type CDSSource interface {
	// EmergencyCareRecords hands each A&E attendance that arrived from
	// from to to (London days, both included) to each, in order of
	// arrival.
	EmergencyCareRecords(ctx context.Context, a Actor, from, to Date, each func(*CDSEmergencyCareRecord) error) error
	// OutpatientRecords hands each outpatient appointment of the days
	// that was attended, missed or cancelled to each, in order of time.
	OutpatientRecords(ctx context.Context, a Actor, from, to Date, each func(*CDSOutpatientRecord) error) error
	// EpisodeRecords hands each consultant episode that finished on the
	// days, with its coding, to each, in order of its end.
	EpisodeRecords(ctx context.Context, a Actor, from, to Date, each func(*CDSEpisodeRecord) error) error
	// SentCDS lists what was last sent of a CDS type for activity dates
	// in the period, by unique identifier.
	SentCDS(ctx context.Context, a Actor, cdsType string, from, to Date) (map[string]CDSSent, error)
	// RecordCDSSent records what an extract sent, through the one write
	// path, with an EventCDSExtracted saying summary.
	RecordCDSSent(ctx context.Context, a Actor, cdsType string, sent []CDSSent, summary string) error
}
