package crs

import "context"

// The data quality checks that come before every return: each finds the
// records a return would count wrongly or not at all, and links to each.

// Data quality checks.
const (
	DQNHSNumberUntraced  = "nhs_number_untraced"        // no NHS number, or one not traced and verified (status other than 01)
	DQNHSNumberInvalid   = "nhs_number_invalid"         // an NHS number that fails the Modulus 11 check
	DQNoEthnicity        = "missing_ethnicity"          // no ETHNIC CATEGORY recorded
	DQNoGP               = "missing_gp"                 // no registered GP practice
	DQNoPostcode         = "missing_postcode"           // no postcode
	DQNoNameOrBirthDate  = "missing_name_or_birth_date" // no family name, given name or date of birth (a system's registration)
	DQUnoutcomed         = "unoutcomed_attendance"      // attended or did not attend, no outcome recorded
	DQPathwayNoStatus    = "open_pathway_no_status"     // a running clock whose last RTT status is not known (0 or 99)
	DQReferralNoWorklist = "referral_on_no_worklist"    // an open referral on no worklist, with nothing booked or listed
	DQFollowUpOverdue    = "overdue_follow_up"          // a follow-up due before today and not booked
	DQAdmissionUncoded   = "admission_not_coded"        // discharged over 30 days ago with no coded episode
)

// DQChecks are the checks in the order the report lists them.
var DQChecks = []string{DQNHSNumberUntraced, DQNHSNumberInvalid, DQNoEthnicity, DQNoGP, DQNoPostcode, DQNoNameOrBirthDate, DQUnoutcomed,
	DQPathwayNoStatus, DQReferralNoWorklist, DQFollowUpOverdue, DQAdmissionUncoded}

// DQItem is one record a check found: what to fix and where.
type DQItem struct {
	Check      string `json:"check"`
	PatientID  string `json:"patient_id"`
	RecordKind string `json:"record"` // patient, appointment, pathway, referral, spell
	RecordID   string `json:"record_id"`
	Detail     string `json:"detail"`
	// Link is the page of the record to fix, e.g. /patients/{id}.
	Link string `json:"link"`
}

// DQReportSource is what the data quality report reads from the record.
type DQReportSource interface {
	// EachDataQualityItem calls fn with every record each check finds as
	// of the date today, check by check. Checked for the reports activity
	// and audited once.
	EachDataQualityItem(ctx context.Context, a Actor, today Date, fn func(*DQItem) error) error
}

// DQReport is the data quality report of a trust on a date: how many
// records each check found, and each of them.
type DQReport struct {
	AsOf   string         `json:"as_of"`
	Counts map[string]int `json:"counts"`
	Items  []DQItem       `json:"items"`
	// Notes say what a check cannot yet see.
	Notes []string `json:"notes,omitempty"`
}
