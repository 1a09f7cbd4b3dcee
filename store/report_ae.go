package store

import (
	"context"
	"time"

	"github.com/opencrs/crs"
)

// EachEDAttendance calls fn with every A&E attendance that arrived in
// [from, to), in arrival order, with the type of the department attended.
func (s *ReportSource) EachEDAttendance(ctx context.Context, a crs.Actor, from, to time.Time, fn func(*crs.EDReportRow) error) error {
	return s.db.view(ctx, a, crs.ActViewReports, "A&E attendances for a return", func(q Querier) (string, error) {
		types, only, err := edDepartmentTypes(ctx, q, a.OrgID)
		if err != nil {
			return "", err
		}
		var r crs.EDReportRow
		var arrived, dta, departed, location string
		return "", eachRow(ctx, q, func(sc scanner) error {
			if err := sc.Scan(&r.AttendanceID, &r.PatientID, &arrived, &dta, &departed, &r.Departure, &location); err != nil {
				return err
			}
			r.ArrivedAt, r.DecisionToAdmitAt, r.DepartedAt = parseTime(arrived), parseTime(dta), parseTime(departed)
			if r.DepartmentType = types[location]; r.DepartmentType == "" {
				r.DepartmentType = only
			}
			return fn(&r)
		}, `SELECT id, patient_id, arrived_at, decision_to_admit_at, departed_at, departure, location FROM ed_attendances
			WHERE org_id = $1 AND arrived_at >= $2 AND arrived_at < $3 ORDER BY arrived_at, id`, a.OrgID, formatTime(from), formatTime(to))
	})
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
