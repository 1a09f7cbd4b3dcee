package store

import (
	"context"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// The RTT returns read every pathway's RTT events in one query, pathway by
// pathway, and work the clocks out as of the census date in package report.

// EachPathwayHistory calls fn with each RTT pathway of the trust and its
// events (those recorded by basis.RecordedBy when set), from one query in
// pathway id order, so a million pathways stream without being held in
// memory.
func (s *ReportSource) EachPathwayHistory(ctx context.Context, a crs.Actor, basis crs.ReportBasis, fn func(*crs.PathwayHistory) error) error {
	return s.db.view(ctx, a, crs.ActViewReports, "RTT pathways for a return", func(q Querier) (string, error) {
		query := `SELECT pw.id, pw.ppi, pw.patient_id, pw.treatment_function, e.event_date, e.kind, e.status, e.ref
			FROM pathways pw JOIN rtt_events e ON e.pathway_id = pw.id
			WHERE pw.org_id = $1 AND e.org_id = $1`
		args := []any{a.OrgID}
		if !basis.RecordedBy.IsZero() {
			query += ` AND e.recorded_at <= $2`
			args = append(args, formatTime(basis.RecordedBy))
		}
		query += ` ORDER BY pw.id, e.seq`
		var h crs.PathwayHistory
		var id, ppi, patient, tf, date, kind, ref string
		var st int
		err := eachRow(ctx, q, func(r scanner) error {
			if err := r.Scan(&id, &ppi, &patient, &tf, &date, &kind, &st, &ref); err != nil {
				return err
			}
			if id != h.PathwayID {
				if h.PathwayID != "" {
					if err := fn(&h); err != nil {
						return err
					}
				}
				h = crs.PathwayHistory{PathwayID: id, PPI: ppi, PatientID: patient, TreatmentFunction: tf, Events: h.Events[:0]}
			}
			h.Events = append(h.Events, rtt.Event{Date: parseDate(date).Time, Kind: rttKinds[kind], Status: rtt.Status(st), Ref: ref})
			return nil
		}, query, args...)
		if err == nil && h.PathwayID != "" {
			err = fn(&h)
		}
		return "", err
	})
}
