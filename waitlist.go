package crs

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// Event types of the elective waiting list.
const (
	EventWaitingListAdded = "waitlist.added"         // decision to admit: added to the waiting list
	EventTCIOffered       = "waitlist.tci_offered"   // TCI dates were offered to the patient
	EventTCIAgreed        = "waitlist.tci"           // the patient accepted a TCI date; it records a Preadmission (A05)
	EventTCIDeclined      = "waitlist.tci_declined"  // the patient declined the dates offered
	EventTCICancelled     = "waitlist.tci_cancelled" // the agreed TCI date was cancelled with its Preadmission (A38)
	EventSuspended        = "waitlist.suspended"     // the patient is not available; the RTT clock does not pause
	EventResumed          = "waitlist.resumed"
	EventTCIDNA           = "waitlist.tci_dna" // the patient did not come in on the agreed TCI date, without notice
	EventWaitingListLeft  = "waitlist.removed" // removed from the list with a reason
)

// Waiting list entry statuses.
const (
	ListWaiting   = "waiting"
	ListSuspended = "suspended"
	ListAdmitted  = "admitted"
	ListRemoved   = "removed"
)

// ReasonableNotice is the notice a reasonable offer gives: three weeks
// from the day the offer is made (RTT guidance, definitions and s8.3).
const ReasonableNotice = 21 * 24 * time.Hour

// WaitingListEntry is a patient on the elective admission list after a
// decision to admit, on the same RTT pathway as the referral.
type WaitingListEntry struct {
	ID                 string
	OrgID              string
	PatientID          string
	PathwayID          string
	ReferralID         string
	DecidedOn          Date   // date of the decision to admit
	IntendedManagement string // INTENDED MANAGEMENT: 1 ordinary, 2 day case, ...
	ProcedureCode      string // intended procedure, OPCS-4 e.g. "W401"
	ProcedureName      string
	Priority           string // clinical priority P1 (or P1a, P1b), P2, P3, P4
	ConsultantCode     string
	TreatmentFunction  string
	ForTreatment       bool       // admission for treatment (stops the clock); false for diagnostics only
	RTTStatus          rtt.Status // status of the decision; 0 means 20
	Status             string     // waiting, suspended, admitted, removed
	TCIDate            Date       // the agreed date to come in
	SuspendedUntil     Date
	SuspendedReason    string
	DeclinedReasonable int // reasonable offers the patient declined
	RemovalReason      string
	RemovalNote        string
	RemovedOn          Date
	SpellID            string
	Offers             []*TCIOffer
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

var opcsPattern = regexp.MustCompile(`^[A-Z][0-9]{2}\.?[0-9]$`)

// ValidOPCS reports whether s has the shape of an OPCS-4 procedure code
// at four characters, e.g. "W401" or "W40.1".
func ValidOPCS(s string) bool { return opcsPattern.MatchString(s) }

// Normalize tidies the entry's codes as typed.
func (e *WaitingListEntry) Normalize() {
	e.ProcedureCode = strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(e.ProcedureCode)), ".", "")
	e.ConsultantCode = strings.ToUpper(strings.TrimSpace(e.ConsultantCode))
}

// Validate checks the decision to admit.
func (e *WaitingListEntry) Validate(now time.Time) error {
	var es Errors
	if e.DecidedOn.IsZero() || e.DecidedOn.After(LocalDate(now).Time) { // the UK's date, as Referral.Validate
		es = append(es, FieldErrorf("decided_on", "say when the decision to admit was made (not in the future)"))
	}
	if _, ok := nhs.Lookup(nhs.IntendedManagements, e.IntendedManagement); !ok {
		es = append(es, FieldErrorf("intended_management", "intended management %q is not an INTENDED MANAGEMENT code (1 ordinary admission, 2 day case)", e.IntendedManagement))
	}
	if !ValidOPCS(e.ProcedureCode) {
		es = append(es, FieldErrorf("procedure", "intended procedure %q is not an OPCS-4 code such as W401", e.ProcedureCode))
	}
	switch e.Priority {
	case "P1", "P1a", "P1b", "P2", "P3", "P4":
	default:
		es = append(es, FieldErrorf("priority", "clinical priority %q is not P1 (P1a, P1b), P2, P3 or P4", e.Priority))
	}
	if !ValidConsultantCode(e.ConsultantCode) {
		es = append(es, FieldErrorf("consultant", "the consultant's code %q is not valid", e.ConsultantCode))
	}
	if e.TreatmentFunction != "" {
		if _, ok := nhs.Lookup(nhs.TreatmentFunctions, e.TreatmentFunction); !ok {
			es = append(es, FieldErrorf("treatment_function", "treatment function %q is not a current TREATMENT FUNCTION CODE", e.TreatmentFunction))
		}
	}
	if e.RTTStatus != 0 && !e.RTTStatus.Valid() {
		es = append(es, FieldErrorf("rtt_status", "RTT status %s is not a national RTT period status", e.RTTStatus))
	}
	e.validateText(&es)
	return es.Err()
}

// TCI offer responses.
const (
	TCIPending  = "pending"
	TCIAccepted = "accepted"
	TCIDeclined = "declined"
)

// TCIOffer is an offer of dates to come in for admission. It is
// reasonable when it offers at least two dates, each at least three
// weeks after the offer is made (RTT guidance s8.3).
type TCIOffer struct {
	ID           string
	EntryID      string
	PatientID    string
	OfferedOn    Date
	Dates        []Date
	Reasonable   bool
	Response     string // pending, accepted, declined
	AcceptedDate Date
	RespondedOn  Date
	Note         string
}

// IsReasonable reports whether an offer made on offeredOn of dates is a
// reasonable offer: two or more dates, all with three weeks' notice.
func IsReasonable(offeredOn Date, dates []Date) bool {
	if len(dates) < 2 {
		return false
	}
	for _, d := range dates {
		if d.Sub(offeredOn.Time) < ReasonableNotice {
			return false
		}
	}
	return true
}

// Validate checks the offer.
func (o *TCIOffer) Validate() error {
	var es Errors
	if o.OfferedOn.IsZero() {
		es = append(es, FieldErrorf("offered_on", "say when the offer was made"))
	}
	if len(o.Dates) == 0 {
		es = append(es, FieldErrorf("dates", "offer at least one date to come in"))
	}
	for _, d := range o.Dates {
		if !d.After(o.OfferedOn.Time) {
			es = append(es, FieldErrorf("dates", "the date %s is not after the offer was made", d.Display()))
		}
	}
	es.addNote("note", "the note", o.Note, MaxCommentLength)
	return es.Err()
}

// TCIResponse is the patient's answer to an offer.
type TCIResponse struct {
	Accept bool
	Date   Date // the date accepted, one of those offered
	On     Date // when the patient answered; zero means today
	Note   string
}

// Removal takes a patient off the waiting list.
type Removal struct {
	Reason    string     // ELECTIVE ADMISSION LIST REMOVAL REASON: 2 emergency admission, 3 died, 4 other
	On        Date       // zero means today
	RTTStatus rtt.Status // status of the decision (e.g. 34, 35, 36, 32); 0 leaves the clock
	Note      string
}

// WaitingListFilter narrows the waiting list.
type WaitingListFilter struct {
	TreatmentFunction string
	Status            string // "" for waiting and suspended
	Limit             int
}

// Waiting list page views: the status a clerk filters the list by. An
// entry with an agreed TCI date is still "waiting" in the store; the page
// tells it apart.
const (
	ListViewLive      = ""          // waiting or suspended: everyone still on the list
	ListViewWaiting   = "waiting"   // waiting, no TCI date agreed yet
	ListViewTCIAgreed = "tci"       // waiting with an agreed date to come in
	ListViewSuspended = "suspended" // not available for admission for now
	ListViewAdmitted  = "admitted"
	ListViewRemoved   = "removed"
)

// Waiting list page orders.
const (
	ListByPriority = ""      // clinical priority, then longest RTT wait first
	ListByAdded    = "added" // date of the decision to admit, oldest first
)

// WaitingListQuery selects a page of the trust's waiting list for the
// admissions clerk. Empty fields do not filter.
type WaitingListQuery struct {
	TreatmentFunction  string
	ConsultantCode     string
	Priority           string // P1 also finds P1a and P1b
	IntendedManagement string // 1 ordinary (inpatient), 2 day case, ...
	Status             string // one of the ListView... values
	NoTCIDate          bool   // only entries with no TCI date agreed
	Sort               string // ListByPriority or ListByAdded
	Cursor             string // where the previous page ended ("" for the first)
	AsOf               Date   // the day waits are counted to; zero means today
	Limit              int    // rows a page; 0 means 50
}

// WaitingListRow is an entry on the waiting list page with its patient
// and how long the patient has waited on the RTT pathway.
type WaitingListRow struct {
	Entry      *WaitingListEntry
	Name       string // FAMILY, Given
	NHSNumber  string
	MRN        string // hospital number
	ClockStart Date   // the RTT clock start, or the decision to admit when there is no clock
	Days       int    // days waited to AsOf (to the clock stop once it stopped)
}

// Weeks is the number of whole weeks waited.
func (r *WaitingListRow) Weeks() int { return r.Days / 7 }

// WaitingListPage is one page of the waiting list.
type WaitingListPage struct {
	Rows []*WaitingListRow
	Next string // cursor of the next page, "" on the last
	AsOf Date
}

// WaitingListService keeps the elective admission list.
type WaitingListService interface {
	// AddToWaitingList records a decision to admit for a referral's
	// pathway and adds the patient to the list.
	AddToWaitingList(ctx context.Context, a Actor, e *WaitingListEntry) error
	// FindWaitingListEntry returns an entry with its offers.
	FindWaitingListEntry(ctx context.Context, a Actor, id string) (*WaitingListEntry, error)
	// FindWaitingListEntries lists a patient's waiting list entries.
	FindWaitingListEntries(ctx context.Context, a Actor, patientID string) ([]*WaitingListEntry, error)
	// FindWaitingList lists entries, longest waiting first.
	FindWaitingList(ctx context.Context, a Actor, f WaitingListFilter) ([]*WaitingListEntry, error)
	// WaitingList returns a page of the trust's waiting list with each
	// entry's patient and wait, filtered and ordered as the query says.
	WaitingList(ctx context.Context, a Actor, q WaitingListQuery) (*WaitingListPage, error)
	// OfferTCI records dates offered to come in; it works out whether the
	// offer is reasonable.
	OfferTCI(ctx context.Context, a Actor, entryID string, o *TCIOffer) error
	// RespondToTCI records the patient's acceptance of one date or
	// refusal of the offer.
	RespondToTCI(ctx context.Context, a Actor, offerID string, r TCIResponse) error
	// Suspend records that the patient is unavailable until a date. It
	// does not pause the RTT clock.
	Suspend(ctx context.Context, a Actor, entryID string, until Date, reason string) error
	// Resume ends a suspension.
	Resume(ctx context.Context, a Actor, entryID string) error
	// RecordTCIDNA records that the patient did not come in on the agreed
	// TCI date without notice (a DNA of an admission, s4.4.1.3): a DNA on
	// the pathway dated the TCI date, which does not stop the clock by
	// itself (only a clinical decision to discharge back to the GP does,
	// rule 5f); the TCI and its planned admission are cleared, and the
	// patient stays on the list for a new offer.
	RecordTCIDNA(ctx context.Context, a Actor, entryID string) error
	// RemoveFromWaitingList takes the patient off the list.
	RemoveFromWaitingList(ctx context.Context, a Actor, entryID string, r Removal) error
}
