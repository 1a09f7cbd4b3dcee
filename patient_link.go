package crs

import "context"

// PatientLister lists the trust's patients, for a bulk export of every
// patient's record.
type PatientLister interface {
	// PatientIDs returns the ids of the trust's patients after the id
	// after, in id order, up to limit; records merged into another are
	// left out (they are served as the record that stays).
	PatientIDs(ctx context.Context, a Actor, after string, limit int) ([]string, error)
}

// PatientRecord is a patient's record as a FHIR Patient read serves it:
// the PMI record, the records merged into it and what the trust keeps
// beside it in the resource store.
type PatientRecord struct {
	Patient *Patient
	// Merged are the ids of the records merged into this one, oldest
	// first (none for a record itself merged into another).
	Merged []string
	// Kept is the current version of the Patient resource kept beside
	// the record, nil when there is none or the reader may not see the
	// clinical record.
	Kept *Resource
}

// What says what a read of the record read, as its audit record names
// it: the demographics, and the kept resource when there was one.
func (r *PatientRecord) What() string {
	if r.Kept == nil {
		return "demographics"
	}
	return "demographics and fhir Patient/" + r.Patient.ID
}
