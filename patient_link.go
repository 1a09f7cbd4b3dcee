package crs

import "context"

// MergedRecordFinder finds the records merged into a patient's: the
// minor records a merge left pointing at the major one, which a FHIR
// Patient shows as "replaces" links.
type MergedRecordFinder interface {
	// MergedRecords returns the ids of the trust's records merged into
	// the patient's, oldest first. It is part of reading the patient's
	// record, whose read is audited, and is not audited again.
	MergedRecords(ctx context.Context, a Actor, id string) ([]string, error)
}

// PatientLister lists the trust's patients, for a bulk export of every
// patient's record.
type PatientLister interface {
	// PatientIDs returns the ids of the trust's patients after the id
	// after, in id order, up to limit; records merged into another are
	// left out (they are served as the record that stays).
	PatientIDs(ctx context.Context, a Actor, after string, limit int) ([]string, error)
}
