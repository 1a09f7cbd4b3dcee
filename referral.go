package crs

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// Event types of referrals and RTT pathways.
const (
	EventReferralReceived = "referral.received" // a referral was recorded; a consultant-led one opened an RTT pathway
	EventReferralClosed   = "referral.closed"   // the referral was closed without (further) appointments
	EventPathwayActivity  = "pathway.activity"  // an RTT event was recorded on a pathway outside an appointment or admission
)

// Priorities of a referral (PRIORITY TYPE).
const (
	PriorityRoutine     = "1" // routine
	PriorityUrgent      = "2" // urgent
	PriorityTwoWeekWait = "3" // two week wait: urgent suspected cancer or breast symptomatic
)

// Worklists that hold every open referral with nothing booked, so that
// no patient is left off the system. An open referral is on exactly one
// of them unless a live appointment or waiting list entry holds it.
type Worklist string

// The referral worklists.
const (
	WorklistToBook      Worklist = "to_book"       // referral received, first appointment not yet booked
	WorklistToOutcome   Worklist = "to_outcome"    // attended or did not attend, outcome not yet recorded
	WorklistFollowUpDue Worklist = "follow_up_due" // a follow-up is due and not yet booked
)

// Statuses of a referral.
const (
	ReferralOpen   = "open"   // the referral is being acted on
	ReferralClosed = "closed" // discharged, referred on or otherwise ended
)

// Referral is a request from a GP, consultant, the patient or A&E for a
// consultant (or service) to see the patient for a condition. A
// consultant-led referral starts an RTT pathway and its 18-week clock on
// the date it is received (for e-RS, the date the UBRN is converted).
type Referral struct {
	ID        string
	OrgID     string
	PatientID string
	PathwayID string // the RTT pathway it started; "" if not consultant-led

	Source       string // SOURCE OF REFERRAL FOR OUTPATIENTS code, e.g. "03" GP
	ReferrerCode string // national code of the referring GP or consultant
	ReferrerName string
	ReferrerOrg  string // ODS code of the referring practice or trust
	ReceivedOn   Date   // the date the trust received the referral: the clock start
	Priority     string // PRIORITY TYPE: 1 routine, 2 urgent, 3 two week wait

	Specialty         string // MAIN SPECIALTY CODE of the consultant referred to
	TreatmentFunction string // TREATMENT FUNCTION CODE of the service referred to
	ConsultantCode    string // consultant referred to, if named
	ConsultantLed     bool   // consultant-led referrals start an RTT pathway
	UBRN              string // e-Referral Service unique booking reference number, 12 digits
	PPI               string // patient pathway identifier to use; "" allocates one (or takes the UBRN)
	Reason            string // presenting complaint, free text

	Status       string   // open or closed
	Worklist     Worklist // the worklist it is on, "" if held by a booking or waiting list entry or closed
	FollowUpDue  Date     // when the follow-up on WorklistFollowUpDue is due
	ClosedOn     Date
	ClosedReason string

	CreatedAt time.Time
	UpdatedAt time.Time
}

var (
	ubrnPattern       = regexp.MustCompile(`^[0-9]{12}$`)
	consultantPattern = regexp.MustCompile(`^[A-Z0-9]{2,10}$`)
	ppiPattern        = regexp.MustCompile(`^[A-Za-z0-9-]{1,20}$`)
)

// ValidConsultantCode reports whether s has the shape of a consultant
// code (GMC-based "C1234567" or a local code of capitals and digits).
func ValidConsultantCode(s string) bool { return consultantPattern.MatchString(s) }

// Normalize tidies the referral's codes as typed.
func (r *Referral) Normalize() {
	r.UBRN = strings.ReplaceAll(strings.TrimSpace(r.UBRN), " ", "")
	r.ConsultantCode = strings.ToUpper(strings.TrimSpace(r.ConsultantCode))
	r.PPI = strings.TrimSpace(r.PPI)
	if len(r.Source) == 1 {
		r.Source = "0" + r.Source
	}
}

// Validate checks the referral's fields against the NHS code lists. now
// is the current time: a referral cannot be received after today in the UK.
func (r *Referral) Validate(now time.Time) error {
	var es Errors
	if r.PatientID == "" {
		es = append(es, FieldErrorf("patient", "a referral needs a patient"))
	}
	if _, ok := nhs.Lookup(nhs.ReferralSources, r.Source); !ok {
		es = append(es, FieldErrorf("source", "source of referral %q is not a SOURCE OF REFERRAL FOR OUTPATIENTS code (e.g. 03 GP, 05 consultant, 06 self, 04 A&E)", r.Source))
	}
	if r.ReceivedOn.IsZero() {
		es = append(es, FieldErrorf("received_on", "say when the referral was received"))
	} else if r.ReceivedOn.After(LocalDate(now).Time) { // today is the UK's date: after midnight in summer, UTC's is still yesterday
		es = append(es, FieldErrorf("received_on", "the referral cannot be received in the future (%s)", r.ReceivedOn.Display()))
	}
	if _, ok := nhs.Lookup(nhs.PriorityTypes, r.Priority); !ok {
		es = append(es, FieldErrorf("priority", "priority %q must be 1 (routine), 2 (urgent) or 3 (two week wait)", r.Priority))
	}
	if _, ok := nhs.Lookup(nhs.TreatmentFunctions, r.TreatmentFunction); !ok {
		es = append(es, FieldErrorf("treatment_function", "treatment function %q is not a current TREATMENT FUNCTION CODE", r.TreatmentFunction))
	}
	if r.Specialty != "" {
		if _, ok := nhs.Lookup(nhs.MainSpecialties, r.Specialty); !ok {
			es = append(es, FieldErrorf("specialty", "specialty %q is not a current MAIN SPECIALTY CODE", r.Specialty))
		}
	}
	if r.ConsultantCode != "" && !ValidConsultantCode(r.ConsultantCode) {
		es = append(es, FieldErrorf("consultant", "consultant code %q must be 2 to 10 capital letters or digits, e.g. C1234567", r.ConsultantCode))
	}
	if r.UBRN != "" && !ubrnPattern.MatchString(r.UBRN) {
		es = append(es, FieldErrorf("ubrn", "UBRN %q must be 12 digits", r.UBRN))
	}
	if r.PPI != "" && !ppiPattern.MatchString(r.PPI) {
		es = append(es, FieldErrorf("ppi", "patient pathway identifier %q must be up to 20 letters or digits", r.PPI))
	}
	r.validateText(&es)
	return es.Err()
}

// ReferralClosure closes a referral that needs no (further) outpatient
// care, e.g. returned to the GP after triage. RTTStatus is the status of
// the decision when the pathway's clock runs (34 no treatment needed, 35
// declined, 36 died, 21 referred to another provider); 0 leaves it.
type ReferralClosure struct {
	On        Date
	Reason    string
	RTTStatus rtt.Status
}

// ClosesReferral reports whether an RTT status may be recorded when a
// referral is closed: a clock stop other than a DNA (30-32, 34-36), 21
// care transferred to another provider, or a status outside RTT (90-98).
func ClosesReferral(s rtt.Status) bool {
	switch s {
	case rtt.StatusTransferred, rtt.StatusFirstTreatment, rtt.StatusActiveMonitoringPatient, rtt.StatusActiveMonitoringClinician,
		rtt.StatusDecisionNotToTreat, rtt.StatusDeclinedTreatment, rtt.StatusDied:
		return true
	}
	return s.Category() == rtt.CategoryNotRTT
}

// Validate checks the closure as of now: it says why, is not dated in
// the future and records, if any, an RTT status that ends or hands on
// the wait. A zero On means today.
func (c ReferralClosure) Validate(now time.Time) error {
	var es Errors
	if strings.TrimSpace(c.Reason) == "" {
		es = append(es, FieldErrorf("reason", "say why the referral is closed"))
	}
	if !c.On.IsZero() && c.On.After(LocalDate(now).Time) {
		es = append(es, FieldErrorf("closed_on", "the referral cannot be closed in the future (%s)", c.On.Display()))
	}
	if c.RTTStatus != 0 && !ClosesReferral(c.RTTStatus) {
		es = append(es, FieldErrorf("rtt_status", "closing a referral records a clock stop (30-32, 34-36), 21 or a status outside RTT (90-98), not %s", c.RTTStatus))
	}
	es.addNote("reason", "the reason", c.Reason, MaxCommentLength)
	return es.Err()
}

// PathwayEvent is a clinical or validation decision recorded on a
// pathway outside an appointment or admission: active monitoring, a
// decision not to treat, the patient's death, a validator's correction.
type PathwayEvent struct {
	Date   Date // the date the decision was made and told to the patient
	Kind   rtt.Kind
	Status rtt.Status
	Note   string
	// DNADate is, for a discharge back to the GP after the patient did
	// not attend a later appointment (rule 5f, s4.4.1.3), the date of the
	// appointment missed. The clock stops on Date, the decision to
	// discharge, which may be later; a DNA not yet recorded on the
	// pathway on that date is recorded with it.
	DNADate Date
}

// PathwayDecision is a clinical or validation decision recorded on a
// pathway outside an appointment or admission (the pathway page's, the
// API's): its code, its words, the RTT event and its status.
type PathwayDecision struct {
	Code, Label string
	Kind        rtt.Kind
	Status      rtt.Status
}

// PathwayDecisions lists the decisions, in the order a form offers them.
var PathwayDecisions = []PathwayDecision{
	{"monitor_clinician", "Start active monitoring, the clinician's decision (32)", rtt.KindActiveMonitoringStarted, rtt.StatusActiveMonitoringClinician},
	{"monitor_patient", "Start active monitoring, the patient's choice (31)", rtt.KindActiveMonitoringStarted, rtt.StatusActiveMonitoringPatient},
	{"monitor_ended", "Decision to treat after active monitoring: a new clock starts (11)", rtt.KindActiveMonitoringEnded, rtt.StatusAfterActiveMonitoring},
	{"not_treat", "Decision not to treat, or no further contact needed (34)", rtt.KindDecisionNotToTreat, rtt.StatusDecisionNotToTreat},
	{"declined", "The patient declined treatment offered (35)", rtt.KindPatientDeclinedTreatment, rtt.StatusDeclinedTreatment},
	{"died", "The patient died before treatment (36)", rtt.KindPatientDied, rtt.StatusDied},
	{"transfer_out", "Care transferred to another provider (21)", rtt.KindTransferOut, rtt.StatusTransferred},
	{"treated", "First definitive treatment outside an admission (30)", rtt.KindTreatmentStarted, rtt.StatusFirstTreatment},
	{"discharged", "Discharged back to the GP (34); after a DNA of a later appointment give its date below (rule 5f)", rtt.KindDischargedToGP, rtt.StatusDecisionNotToTreat},
	{"bilateral", "Fit and ready for the second side of a bilateral procedure: a new RTT period starts (10)", rtt.KindBilateralSecondSide, rtt.StatusFirstActivity},
	{"new_treatment", "Decision to start substantively new or different treatment: a new RTT period starts (10)", rtt.KindNewTreatmentDecision, rtt.StatusFirstActivity},
}

// PathwayDecisionOf is the decision of a code, and whether there is one.
func PathwayDecisionOf(code string) (PathwayDecision, bool) {
	for _, d := range PathwayDecisions {
		if d.Code == code {
			return d, true
		}
	}
	return PathwayDecision{}, false
}

// DNADateError says what is wrong with the event's DNADate, "" when
// nothing: a missed appointment is dated only with a discharge back to
// the GP (rule 5f), on or before the decision.
func (e PathwayEvent) DNADateError() string {
	switch {
	case e.DNADate.IsZero():
		return ""
	case e.Kind != rtt.KindDischargedToGP:
		return "Give the date of a missed appointment only with a discharge back to the GP (rule 5f)"
	case !e.Date.IsZero() && e.DNADate.After(e.Date.Time):
		return "The missed appointment must be on or before the decision to discharge"
	}
	return ""
}

// IsClinicalDecision reports whether recording an RTT event of kind k
// with status s is a clinician's decision (record_clinical), not an
// administrative one (manage_pathways): a decision not to treat, active
// monitoring on the clinician's decision, a discharge to the GP, a new
// treatment decision and fitness for the second side of a bilateral
// procedure.
func IsClinicalDecision(k rtt.Kind, s rtt.Status) bool {
	switch k {
	case rtt.KindDecisionNotToTreat, rtt.KindDischargedToGP, rtt.KindNewTreatmentDecision, rtt.KindBilateralSecondSide:
		return true
	}
	return s == rtt.StatusActiveMonitoringClinician
}

// ReferralService records referrals and keeps their RTT pathways, the
// worklists and the patient tracking list.
type ReferralService interface {
	// RecordReferral records a received referral. A consultant-led
	// referral opens an RTT pathway (allocating its PPI, or taking the
	// UBRN) whose clock starts on ReceivedOn (status 10), and puts the
	// referral on the to-book worklist. It fills in r.ID, r.PathwayID and
	// r.PPI.
	RecordReferral(ctx context.Context, a Actor, r *Referral) error
	// CloseReferral closes a referral without further appointments.
	CloseReferral(ctx context.Context, a Actor, id string, c ReferralClosure) error
	// FindReferral returns a referral (an audited view).
	FindReferral(ctx context.Context, a Actor, id string) (*Referral, error)
	// FindReferralByUBRN returns the trust's referral of an e-Referral
	// Service UBRN (an audited view); ENOTFOUND when none.
	FindReferralByUBRN(ctx context.Context, a Actor, ubrn string) (*Referral, error)
	// FindReferrals lists a patient's referrals, newest first.
	FindReferrals(ctx context.Context, a Actor, patientID string) ([]*Referral, error)
	// ListReferrals lists the trust's referrals across its patients, a
	// batch at a time in the order of RecordScan, and the cursor of the
	// next batch ("" after the last); audited as a list shown of the
	// patients referred.
	ListReferrals(ctx context.Context, a Actor, q RecordScan) ([]*Referral, string, error)
	// CountReferrals counts what ListReferrals would list of a RecordScan, all
	// its batches (its cursor, order and limit aside).
	CountReferrals(ctx context.Context, a Actor, q RecordScan) (int, error)
	// ListPathways lists the RTT pathways the trust's referrals are on
	// (each referral's current pathway; one a legacy PAS closed and
	// replaced is not listed), as ListReferrals does.
	ListPathways(ctx context.Context, a Actor, q RecordScan) ([]*Pathway, string, error)
	// CountPathways counts what ListPathways would list of a RecordScan, all
	// its batches (its cursor, order and limit aside).
	CountPathways(ctx context.Context, a Actor, q RecordScan) (int, error)

	// FindPathway returns an RTT pathway with its stored clock.
	FindPathway(ctx context.Context, a Actor, id string) (*Pathway, error)
	// PathwayClock works out the pathway's RTT clock as of the end of a
	// date from its recorded RTT events: whether it runs, since when, and
	// why (every decision with its rule of the guidance).
	PathwayClock(ctx context.Context, a Actor, pathwayID string, asOf Date) (*PathwayClock, error)
	// RecordPathwayEvent records a decision on the pathway, validated
	// against the pathway's state.
	RecordPathwayEvent(ctx context.Context, a Actor, pathwayID string, e PathwayEvent) error

	// Worklist lists the open referrals on a worklist, oldest first.
	Worklist(ctx context.Context, a Actor, w Worklist, f WorklistFilter) ([]*WorklistItem, error)
	// PTL returns a page of the patient tracking list: every pathway whose
	// clock runs, with its wait, next event and validation flags.
	PTL(ctx context.Context, a Actor, f PTLFilter) (*PTLPage, error)
}

// WorklistFilter narrows a worklist.
type WorklistFilter struct {
	TreatmentFunction string
	Limit             int // at most this many; 0 means 500
	After             string
}

// WorklistItem is one referral on a worklist with the patient's banner
// details.
type WorklistItem struct {
	Referral  *Referral
	MRN       string
	NHSNumber string
	Name      string // FAMILY, Given
}
