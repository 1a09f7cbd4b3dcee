package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// EachEDAttendance calls fn with every A&E attendance that arrived in
// [from, to), in arrival order, with the type of the department attended;
// with basis.RecordedBy, each as its events recorded by then left it.
func (s *ReportSource) EachEDAttendance(ctx context.Context, a crs.Actor, from, to time.Time, basis crs.ReportBasis, fn func(*crs.EDReportRow) error) error {
	return s.db.view(ctx, a, crs.ActViewReports, "A&E attendances for a return", func(q Querier) (string, error) {
		types, only, err := edDepartmentTypes(ctx, q, a.OrgID)
		if err != nil {
			return "", err
		}
		put := func(r *crs.EDReportRow, location string) error {
			if r.DepartmentType = types[location]; r.DepartmentType == "" {
				r.DepartmentType = only
			}
			return fn(r)
		}
		if !basis.RecordedBy.IsZero() {
			rows, locations, err := edAsRecorded(ctx, q, a.OrgID, from, to, basis.RecordedBy)
			if err != nil {
				return "", err
			}
			for i := range rows {
				if err := put(&rows[i], locations[i]); err != nil {
					return "", err
				}
			}
			return "", nil
		}
		var r crs.EDReportRow
		var arrived, dta, departed, location string
		return "", eachRow(ctx, q, func(sc scanner) error {
			if err := sc.Scan(&r.AttendanceID, &r.PatientID, &arrived, &dta, &departed, &r.Departure, &location); err != nil {
				return err
			}
			r.ArrivedAt, r.DecisionToAdmitAt, r.DepartedAt = parseTime(arrived), parseTime(dta), parseTime(departed)
			return put(&r, location)
		}, `SELECT id, patient_id, arrived_at, decision_to_admit_at, departed_at, departure, location FROM ed_attendances
			WHERE org_id = $1 AND arrived_at >= $2 AND arrived_at < $3 ORDER BY arrived_at, id`, a.OrgID, formatTime(from), formatTime(to))
	})
}

// edEventData is what an A&E event's data says of the attendance: the
// whole attendance after the change, or, for a departure by admission,
// the departure and its time (At).
type edEventData struct {
	ArrivedAt, DecisionToAdmitAt, DepartedAt, At time.Time
	Departure, Location                          string
}

// edAsRecorded replays the A&E events recorded by recordedBy of the
// attendances that arrived in [from, to): each attendance as the record
// stood then, in arrival order, with the area it was in.
func edAsRecorded(ctx context.Context, q Querier, orgID string, from, to, recordedBy time.Time) ([]crs.EDReportRow, []string, error) {
	var rows []crs.EDReportRow
	var locations []string
	err := eachRow(ctx, q, func(sc scanner) error {
		var id, patient, typ, data string
		if err := sc.Scan(&id, &patient, &typ, &data); err != nil {
			return err
		}
		var d edEventData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return crs.Errorf(crs.EINTERNAL, "A&E event of attendance %s: %w", id, err)
		}
		if len(rows) == 0 || rows[len(rows)-1].AttendanceID != id {
			rows, locations = append(rows, crs.EDReportRow{AttendanceID: id, PatientID: patient}), append(locations, "")
		}
		r := &rows[len(rows)-1]
		if typ == crs.EventEDDeparted && !d.At.IsZero() {
			r.DepartedAt, r.Departure = d.At, d.Departure
			return nil
		}
		r.ArrivedAt, r.DecisionToAdmitAt, r.DepartedAt, r.Departure, locations[len(locations)-1] = d.ArrivedAt, d.DecisionToAdmitAt, d.DepartedAt, d.Departure, d.Location
		return nil
	}, `SELECT e.subject_id, a.patient_id, e.type, e.data FROM events e JOIN ed_attendances a ON a.id = e.subject_id
		WHERE a.org_id = $1 AND a.arrived_at >= $2 AND a.arrived_at < $3 AND e.org_id = $1 AND `+subjectIndexed("e.")+` AND e.type LIKE 'ed.%' AND e.recorded_at <= $4
		ORDER BY e.subject_id, e.recorded_at, e.id`, orgID, formatTime(from), formatTime(to), formatTime(recordedBy))
	if err != nil {
		return nil, nil, err
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		x, y := rows[idx[i]], rows[idx[j]]
		if !x.ArrivedAt.Equal(y.ArrivedAt) {
			return x.ArrivedAt.Before(y.ArrivedAt)
		}
		return x.AttendanceID < y.AttendanceID
	})
	outRows, outLocs := make([]crs.EDReportRow, len(rows)), make([]string, len(rows))
	for i, k := range idx {
		outRows[i], outLocs[i] = rows[k], locations[k]
	}
	return outRows, outLocs, nil
}

// edDepartmentTypes maps the code of each emergency department location of
// the trust, and of each area within one, to the department's type; only
// is the type an attendance in no known area takes: that of the trust's
// only department, or 01.
func edDepartmentTypes(ctx context.Context, q Querier, orgID string) (map[string]string, string, error) {
	type loc struct{ id, parent, code, typ string }
	locs, err := queryRows(ctx, q, func(r scanner) (l loc, err error) {
		err = r.Scan(&l.id, &l.parent, &l.code, &l.typ)
		return l, err
	}, `SELECT id, parent_id, code, ed_type FROM locations WHERE org_id = $1 AND kind = 'ed' AND active = 1 ORDER BY code`, orgID)
	if err != nil {
		return nil, "", err
	}
	byID := map[string]loc{}
	for _, l := range locs {
		byID[l.id] = l
	}
	types, departments := map[string]string{}, map[string]bool{}
	for _, l := range locs {
		// An area takes the type of the nearest department above it
		// that has one.
		for d := l; ; {
			if d.typ != "" {
				types[l.code] = d.typ
				departments[d.typ+"/"+d.id] = true
				break
			}
			p, ok := byID[d.parent]
			if !ok {
				break
			}
			d = p
		}
	}
	only := "01"
	if len(departments) == 1 {
		for k := range departments {
			only = k[:2]
		}
	}
	return types, only, nil
}

// EventsRecordedAfter lists the trust's events of the types beginning with
// one of prefixes recorded after t, in the order recorded.
func (s *ReportSource) EventsRecordedAfter(ctx context.Context, a crs.Actor, t time.Time, prefixes ...string) ([]crs.Event, error) {
	var out []crs.Event
	err := s.db.view(ctx, a, crs.ActViewReports, "events recorded since a return", func(q Querier) (string, error) {
		args := []any{a.OrgID, formatTime(t)}
		var like []string
		for _, p := range prefixes {
			args = append(args, p+"%")
			like = append(like, fmt.Sprintf("type LIKE $%d", len(args)))
		}
		if len(like) == 0 {
			return "", nil
		}
		var err error
		out, err = queryRows(ctx, q, func(r scanner) (e crs.Event, err error) {
			var rec, eff string
			err = r.Scan(&e.ID, &e.Type, &e.PatientID, &e.SubjectID, &rec, &eff, &e.Summary)
			e.RecordedAt, e.EffectiveAt = parseTime(rec), parseTime(eff)
			return e, err
		}, `SELECT id, type, patient_id, subject_id, recorded_at, effective_at, summary FROM events
			WHERE org_id = $1 AND recorded_at > $2 AND (`+strings.Join(like, " OR ")+`) ORDER BY recorded_at, id`, args...)
		return "", err
	})
	return out, err
}
