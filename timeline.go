package crs

import (
	"context"
	"time"
)

// Kinds of entry on a patient's timeline, the filter of its page.
const (
	TimelineEncounter   = "encounter"   // inpatient spells, outpatient attendances, A&E attendances
	TimelineResult      = "result"      // results and diagnostic reports
	TimelineDocument    = "document"    // letters, notes and discharge summaries
	TimelineObservation = "observation" // vital signs and other observations
	TimelineProblem     = "problem"     // problems and diagnoses
	TimelineAllergy     = "allergy"     // allergies and no known allergies statements
	TimelineOther       = "other"       // any other clinical entry
)

// TimelineKinds are the kinds of entry, in the order the filter offers
// them.
var TimelineKinds = []string{TimelineEncounter, TimelineResult, TimelineDocument, TimelineObservation, TimelineProblem, TimelineAllergy, TimelineOther}

// TimelineEntry is one thing that happened in a patient's care, as the
// timeline lists it: when, what kind, a line saying what, and where the
// record of it is.
type TimelineEntry struct {
	At      time.Time // when it happened, or was recorded when it has no clinical time
	Kind    string    // one of TimelineKinds
	Title   string
	Detail  string
	Status  string // e.g. "active", "final", "entered in error"
	Link    string // the page of the entry in the user interface, or ""
	Version int    // of a resource store entry, else 0
}

// PatientResourceReader reads every clinical entry of a patient's record
// in the resource store, whatever its type: what the timeline shows.
type PatientResourceReader interface {
	// PatientResources returns the current, not deleted, resources about
	// the patient, of the given types (all when none), last changed
	// first, at most limit. It checks view_clinical and audits the read.
	PatientResources(ctx context.Context, a Actor, patientID string, types []string, limit int) ([]*Resource, error)
}

// TimelineService lists the clinical entries of a patient's record (the
// resource store) as timeline entries; the typed encounters are added by
// whoever shows the timeline.
type TimelineService interface {
	// ClinicalTimeline returns the patient's clinical entries of the kinds
	// given (all when none), newest first, at most limit.
	ClinicalTimeline(ctx context.Context, a Actor, patientID string, kinds []string, limit int) ([]*TimelineEntry, error)
}
