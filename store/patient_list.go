package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// patientOrder holds, by PatientSort key, the columns a key sorts by
// ascending, then descending. An empty date of birth or postcode is a
// missing one, sorted last either way; every patient has names (their
// normalized form, by which a list of names is read in the order of its
// index, patients_family_norm), a gender and a hospital number.
var patientOrder = map[string][2][]string{
	"id":         {{"id"}, {"id"}},
	"updated":    {{"updated_at"}, {"updated_at"}},
	"family":     {{"family_norm"}, {"family_norm"}},
	"given":      {{"given_norm"}, {"given_norm"}},
	"name":       {{"family_norm", "given_norm"}, {"family_norm", "given_norm"}},
	"birth_date": {{"birth_date"}, {"birth_date"}},
	"postcode":   {{"postcode_norm"}, {"postcode_norm"}},
	// the FHIR gender codes' order: female, male, other, unknown
	"gender": {{genderOrder}, {genderOrder}},
	"identifier": {
		{"CASE WHEN nhs_number = '' OR (mrn <> '' AND mrn < nhs_number) THEN mrn ELSE nhs_number END"},
		{"CASE WHEN nhs_number = '' OR (mrn <> '' AND mrn > nhs_number) THEN mrn ELSE nhs_number END"},
	},
}

const genderOrder = "CASE gender WHEN '2' THEN 'a' WHEN '1' THEN 'b' WHEN '9' THEN 'c' ELSE 'd' END"

// ListPatients finds the patients a PatientList names, in its order, a
// page at a time by offset: the database sorts, reading the rows of the
// names, numbers or birth dates named through their indexes, and counts
// them only when asked.
func (s *PatientService) ListPatients(ctx context.Context, a crs.Actor, q crs.PatientList) (*crs.PatientResults, error) {
	if err := a.Authorize(crs.ActSearchPatients); err != nil {
		s.db.refused(a, crs.ActSearchPatients)
		return nil, err
	}
	if q.Limit <= 0 {
		q.Limit = 20
	}
	q.Limit, q.Offset = min(q.Limit, 1000), max(0, q.Offset)
	count, list, args, err := patientListSQL(a.OrgID, q)
	if err != nil {
		return nil, err
	}
	res := &crs.PatientResults{Offset: q.Offset}
	if q.Count {
		if err := s.db.read.QueryRowContext(ctx, count, args...).Scan(&res.Total); err != nil {
			return nil, err
		}
	}
	if !q.Count || q.Offset < res.Total {
		ps, err := queryRows(ctx, s.db.read, scanListedPatient, list, args...)
		if err != nil {
			return nil, err
		}
		if !q.Count {
			res.Total = q.Offset + len(ps)
			ps = ps[:min(len(ps), q.Limit)]
		}
		for _, p := range ps {
			res.Matches = append(res.Matches, crs.PatientMatch{Patient: p})
		}
	}
	s.db.Audit(a, "", crs.AuditSearch, fmt.Sprintf("sorted list by %s: %d shown", listDetail(q), len(res.Matches)))
	ids := make([]string, len(res.Matches))
	for i, m := range res.Matches {
		ids[i] = m.Patient.ID
	}
	s.db.recordListed(a, ids, "search result")
	return res, nil
}

// patientListSQL returns the statements that count and list the
// patients of a PatientList, and their arguments.
func patientListSQL(orgID string, q crs.PatientList) (count, list string, args []any, err error) {
	args = []any{orgID}
	arg := paramAdder(&args)
	in := func(col string, vals []string) string {
		ps := make([]string, len(vals))
		for i, v := range vals {
			ps[i] = arg(v)
		}
		return col + " IN (" + strings.Join(ps, ", ") + ")"
	}
	starts := func(col string, prefixes []string) string {
		var ors []string
		for _, p := range prefixes {
			ors = append(ors, "("+col+" >= "+arg(p)+" AND "+col+" < "+arg(p+"\uffff")+")")
		}
		return anyOf(ors)
	}
	where := []string{"org_id = $1"}
	if len(q.IDs) > 0 {
		where = append(where, in("id", q.IDs))
	}
	var held []string
	for _, n := range q.NHSNumbers {
		if v, err := nhs.ParseNumber(n); err == nil {
			held = append(held, in("nhs_number", []string{v}))
		}
	}
	for _, m := range q.MRNs {
		held = append(held, in("mrn", []string{strings.ToUpper(strings.TrimSpace(m))}))
	}
	if len(q.HeldIDs) > 0 {
		held = append(held, in("id", q.HeldIDs))
	}
	switch {
	case len(held) > 0:
		where = append(where, anyOf(held))
	case len(q.NHSNumbers) > 0 || len(q.MRNs) > 0:
		where = append(where, "1 = 0") // no number named is one a patient can hold
	}
	if len(q.Families) > 0 {
		where = append(where, starts("family_norm", q.Families))
	}
	if len(q.Givens) > 0 {
		where = append(where, starts("given_norm", q.Givens))
	}
	if len(q.BirthDates) > 0 {
		ds := make([]string, len(q.BirthDates))
		for i, d := range q.BirthDates {
			ds[i] = formatDate(d)
		}
		where = append(where, in("birth_date", ds))
	}
	if len(q.Genders) > 0 {
		where = append(where, in("gender", q.Genders))
	}
	var order []string
	for _, k := range q.Sort {
		cols, ok := patientOrder[k.Key]
		if !ok {
			return "", "", nil, crs.Errorf(crs.EINVALID, "patients are not listed by %s", k.Key)
		}
		dir, side := "", 0
		if k.Desc {
			dir, side = " DESC", 1
		}
		for _, c := range cols[side] {
			if k.Key == "birth_date" || k.Key == "postcode" {
				order = append(order, "("+c+" = '')")
			}
			// A column is sorted as an expression, so that no index of it
			// is walked for its order, the trust's patients read to find
			// the few matching (a day's births walking the trust by
			// name); the names of a list of names are read in the order
			// of their index.
			if !strings.HasPrefix(c, "CASE") && (len(q.Families) == 0 || c != "family_norm" && c != "given_norm") {
				c = "(" + c + " || '')"
			}
			order = append(order, c+dir)
		}
	}
	order = append(order, "id")
	cond := strings.Join(where, " AND ")
	limit := q.Limit
	if !q.Count {
		limit++ // one more, to know whether more follow
	}
	return `SELECT COUNT(*) FROM patients WHERE ` + cond, `SELECT ` + listedPatientColumns + ` FROM patients WHERE ` + cond +
		` ORDER BY ` + strings.Join(order, ", ") + fmt.Sprintf(` LIMIT %d OFFSET %d`, limit, q.Offset), args, nil
}

// listDetail names what a PatientList was narrowed by, for its audit
// record (no values: the audit trail holds no names or numbers of a
// search).
func listDetail(q crs.PatientList) string {
	var f []string
	for _, x := range []struct {
		set  bool
		name string
	}{{len(q.IDs) > 0, "id"}, {len(q.NHSNumbers) > 0, "NHS number"}, {len(q.MRNs) > 0, "hospital number"},
		{len(q.HeldIDs) > 0, "other identifier"}, {len(q.Families) > 0, "family name"}, {len(q.Givens) > 0, "given name"},
		{len(q.BirthDates) > 0, "date of birth"}, {len(q.Genders) > 0, "gender"}} {
		if x.set {
			f = append(f, x.name)
		}
	}
	return strings.Join(f, ", ")
}
