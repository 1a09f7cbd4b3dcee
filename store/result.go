package store

import (
	"context"
	"encoding/json"

	"github.com/opencrs/crs"
)

// ClinicalService reads the clinical content other systems send to a
// patient's record that is kept in typed tables: documents. Every read
// checks the actor may view the clinical record and is audited. Results
// are kept in the resource store (package fhir reads them).
type ClinicalService struct{ db *DB }

// NewClinicalService returns the clinical record's reads over db.
func NewClinicalService(db *DB) *ClinicalService { return &ClinicalService{db: db} }

const resultColumns = `id, org_id, patient_id, message_id, placer_order, filler_order, service_code, service_name, observed_at, status, observations, created_at,
	reported_at, ordered_by, section, comments, version, replaces, superseded_by`

func scanResult(row scanner) (*crs.Result, error) {
	var r crs.Result
	var obs, comments, observed, reported, created string
	if err := row.Scan(&r.ID, &r.OrgID, &r.PatientID, &r.MessageID, &r.PlacerOrder, &r.FillerOrder, &r.ServiceCode, &r.ServiceName, &observed, &r.Status, &obs, &created,
		&reported, &r.OrderedBy, &r.Section, &comments, &r.Version, &r.Replaces, &r.SupersededBy); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(obs), &r.Observations)
	_ = json.Unmarshal([]byte(comments), &r.Comments)
	r.ObservedAt, r.ReportedAt, r.CreatedAt = parseTime(observed), parseTime(reported), parseTime(created)
	return &r, nil
}

// TypedResults lists the results a trust received before results were
// kept only in the resource store, from the typed results table (which
// nothing writes any more): every version, grouped by the order they
// report (a result of no order alone), each group oldest version first.
// It checks no access: the carrying of results into the resource store
// reads it, and writes what it carries through the one write path.
func TypedResults(ctx context.Context, db *DB, orgID string) ([][]*crs.Result, error) {
	rs, err := queryRows(ctx, db.read, scanResult, `SELECT `+resultColumns+` FROM results WHERE org_id = $1
		ORDER BY patient_id, CASE WHEN order_key = '' THEN id ELSE order_key END, version, id`, orgID)
	if err != nil {
		return nil, err
	}
	var out [][]*crs.Result
	last := ""
	for _, r := range rs {
		key := r.PatientID + "\x00" + r.OrderKey()
		if r.OrderKey() == "" {
			key += r.ID
		}
		if key != last || len(out) == 0 {
			out = append(out, nil)
			last = key
		}
		out[len(out)-1] = append(out[len(out)-1], r)
	}
	return out, nil
}
