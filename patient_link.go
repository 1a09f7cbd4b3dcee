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
