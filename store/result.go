package store

import (
	"context"
	"encoding/json"

	"github.com/opencrs/crs"
)

// ClinicalService reads the clinical content other systems send to a
// patient's record: results and documents. Every read checks the actor
// may view the clinical record and is audited.
type ClinicalService struct{ db *DB }

// NewClinicalService returns the clinical record's reads over db.
func NewClinicalService(db *DB) *ClinicalService { return &ClinicalService{db: db} }

var _ crs.ResultService = (*ClinicalService)(nil)

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

// insertResult files a result to a patient within a command and appends
// its event. A report of an order already filed replaces the current
// report of it, which is kept as a superseded version.
func insertResult(tx *Tx, r *crs.Result) error {
	if r.ID == "" {
		r.ID = crs.NewID()
	}
	r.OrgID, r.CreatedAt, r.Version = tx.actor.OrgID, tx.now, 1
	key := r.OrderKey()
	var prev *crs.Result
	if key != "" {
		ps, err := queryRows(tx.ctx, tx, scanResult, `SELECT `+resultColumns+` FROM results
			WHERE org_id = $1 AND patient_id = $2 AND order_key = $3 AND superseded_by = '' ORDER BY version DESC LIMIT 1`, r.OrgID, r.PatientID, key)
		if err != nil {
			return crs.Errorf(crs.EINTERNAL, "find the earlier report of the order: %w", err)
		}
		if len(ps) == 1 {
			prev = ps[0]
			r.Replace(prev)
		}
	}
	obs, _ := json.Marshal(r.Observations)
	if r.Observations == nil {
		obs = []byte("[]")
	}
	comments, _ := json.Marshal(r.Comments)
	if r.Comments == nil {
		comments = []byte("[]")
	}
	if _, err := tx.Exec(`INSERT INTO results (id, org_id, patient_id, message_id, placer_order, filler_order, service_code, service_name, observed_at, status, observations, created_at,
		reported_at, ordered_by, section, comments, order_key, version, replaces)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`, r.ID, r.OrgID, r.PatientID, r.MessageID, r.PlacerOrder, r.FillerOrder,
		r.ServiceCode, r.ServiceName, formatTime(r.ObservedAt), r.Status, string(obs), formatTime(tx.now),
		formatTime(r.ReportedAt), r.OrderedBy, r.Section, string(comments), key, r.Version, r.Replaces); err != nil {
		return crs.Errorf(crs.EINTERNAL, "file result: %w", err)
	}
	name := r.ServiceName
	if name == "" {
		name = r.ServiceCode
	}
	summary := "Result received: " + name
	if prev != nil {
		if _, err := tx.Exec(`UPDATE results SET superseded_by = $1 WHERE id = $2 AND org_id = $3`, r.ID, prev.ID, r.OrgID); err != nil {
			return crs.Errorf(crs.EINTERNAL, "supersede the earlier report: %w", err)
		}
		summary = "Result updated: " + name
		if r.Corrected() {
			summary = "Result corrected: " + name
		}
	}
	return tx.EmitData(&crs.Event{Type: crs.EventResultReceived, PatientID: r.PatientID, SubjectID: r.ID, EffectiveAt: r.ObservedAt,
		Summary: summary}, "result", map[string]any{"result_id": r.ID, "service": name, "observations": len(r.Observations), "version": r.Version, "replaces": r.Replaces})
}

// FindResults lists a patient's current results, newest first, without
// access checks: for tests and the store's own reads. Clinicians read
// through ClinicalService.
func FindResults(ctx context.Context, db *DB, orgID, patientID string) ([]*crs.Result, error) {
	return queryRows(ctx, db.read, scanResult, `SELECT `+resultColumns+`
		FROM results WHERE org_id = $1 AND patient_id = $2 AND superseded_by = '' ORDER BY observed_at DESC, id DESC`, orgID, patientID)
}

// FindResults lists the patient's current results, newest first.
func (s *ClinicalService) FindResults(ctx context.Context, a crs.Actor, patientID string) ([]*crs.Result, error) {
	var out []*crs.Result
	err := s.db.View(ctx, a, crs.ActViewClinical, patientID, "results", func(q Querier) error {
		var err error
		out, err = queryRows(ctx, q, scanResult, `SELECT `+resultColumns+`
			FROM results WHERE org_id = $1 AND patient_id = $2 AND superseded_by = '' ORDER BY observed_at DESC, id DESC`, a.OrgID, patientID)
		return err
	})
	return out, err
}

// ResultHistory returns every version of the result id belongs to, the
// current one first.
func (s *ClinicalService) ResultHistory(ctx context.Context, a crs.Actor, patientID, id string) ([]*crs.Result, error) {
	var out []*crs.Result
	err := s.db.View(ctx, a, crs.ActViewClinical, patientID, "result "+id, func(q Querier) error {
		one := func(id string) (*crs.Result, error) {
			rs, err := queryRows(ctx, q, scanResult, `SELECT `+resultColumns+` FROM results WHERE id = $1 AND org_id = $2 AND patient_id = $3`, id, a.OrgID, patientID)
			if err != nil {
				return nil, err
			}
			if len(rs) == 0 {
				return nil, crs.Errorf(crs.ENOTFOUND, "no such result in the patient's record")
			}
			return rs[0], nil
		}
		var err error
		out, err = versions(id, one, func(r *crs.Result) (string, string) { return r.SupersededBy, r.Replaces })
		return err
	})
	return out, err
}
