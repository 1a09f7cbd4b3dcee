package store

import (
	"context"
	"strconv"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// The RTT returns read every pathway's RTT events in one query, pathway by
// pathway, and work the clocks out as of the census date in package report.

// pathwayHistorySelect reads each pathway's events in the order recorded,
// with the treatment function of the clinic or spell of each event that
// may stop a clock, so a completed pathway is reported under the function
// that stopped it.
const pathwayHistorySelect = `SELECT pw.id, pw.ppi, pw.patient_id, pw.treatment_function, p.gp_practice_code,
	e.event_date, e.kind, e.status, e.ref, COALESCE(sp.treatment_function, c.treatment_function, ''), e.recorded_at, e.removed_at
	FROM pathways pw JOIN patients p ON p.id = pw.patient_id
	JOIN rtt_events e ON e.pathway_id = pw.id
	LEFT JOIN spells sp ON e.status BETWEEN 30 AND 36 AND sp.id = e.ref
	LEFT JOIN appointments ap ON e.status BETWEEN 30 AND 36 AND ap.id = e.ref
	LEFT JOIN clinics c ON c.id = ap.clinic_id
	WHERE pw.org_id = $1 AND e.org_id = $1`

// EachPathwayHistory calls fn with each RTT pathway of the trust and its
// events (those standing now, or recorded and standing at
// basis.RecordedBy when set, or every version), from one query in
// pathway id order, so a million pathways stream without being held in
// memory.
func (s *ReportSource) EachPathwayHistory(ctx context.Context, a crs.Actor, basis crs.ReportBasis, fn func(*crs.PathwayHistory) error) error {
	return s.db.view(ctx, a, crs.ActViewReports, "RTT pathways for a return", func(q Querier) (string, error) {
		return "", eachHistory(ctx, q, a.OrgID, basis, "", fn)
	})
}

// eachHistory reads the histories EachPathwayHistory gives, of one
// pathway only when pathwayID is set.
func eachHistory(ctx context.Context, q Querier, orgID string, basis crs.ReportBasis, pathwayID string, fn func(*crs.PathwayHistory) error) error {
	query, args := pathwayHistorySelect, []any{orgID}
	switch {
	case basis.AllVersions:
	case basis.RecordedBy.IsZero():
		query += ` AND e.removed_at = ''`
	default:
		query += ` AND e.recorded_at <= $2 AND (e.removed_at = '' OR e.removed_at > $2)`
		args = append(args, formatTime(basis.RecordedBy))
	}
	if pathwayID != "" {
		args = append(args, pathwayID)
		query += ` AND pw.id = $` + strconv.Itoa(len(args))
	}
	query += ` ORDER BY pw.id, e.seq`
	var h crs.PathwayHistory
	var id, ppi, patient, tf, gp, date, kind, ref, actTF, recorded, removed string
	var st int
	err := eachRow(ctx, q, func(r scanner) error {
		if err := r.Scan(&id, &ppi, &patient, &tf, &gp, &date, &kind, &st, &ref, &actTF, &recorded, &removed); err != nil {
			return err
		}
		if id != h.PathwayID {
			if h.PathwayID != "" {
				if err := fn(&h); err != nil {
					return err
				}
			}
			h = crs.PathwayHistory{PathwayID: id, PPI: ppi, PatientID: patient, TreatmentFunction: tf, GPPracticeCode: gp,
				Events: h.Events[:0], ActivityTreatmentFunctions: h.ActivityTreatmentFunctions[:0], RecordedAt: h.RecordedAt[:0], RemovedAt: h.RemovedAt[:0]}
		}
		h.Events = append(h.Events, rtt.Event{Date: parseDate(date).Time, Kind: rttKinds[kind], Status: rtt.Status(st), Ref: ref})
		h.ActivityTreatmentFunctions = append(h.ActivityTreatmentFunctions, actTF)
		if basis.AllVersions {
			h.RecordedAt, h.RemovedAt = append(h.RecordedAt, parseTime(recorded)), append(h.RemovedAt, parseTime(removed))
		}
		return nil
	}, query, args...)
	if err == nil && h.PathwayID != "" {
		err = fn(&h)
	}
	return err
}
