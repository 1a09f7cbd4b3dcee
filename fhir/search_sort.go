package fhir

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match"
	"github.com/opencrs/crs/nhs"
)

// _sort on the typed core. The records of a patient (Encounter,
// EpisodeOfCare, Appointment, ServiceRequest) and the trust's
// locations, organisations and practitioners are few enough to be
// sorted as served, each by the index rows of its search parameters, as
// the resource store sorts its resources; a search of the PMI (millions
// of patients) is sorted by the database (sortedPatients).

// pmiSortKeys are the search parameters of Patient the PMI sorts by,
// with the key of its list (crs.PatientSort).
var pmiSortKeys = map[string]string{"_id": "id", "_lastUpdated": "updated", "family": "family", "given": "given",
	"name": "name", "birthdate": "birth_date", "gender": "gender", "address-postalcode": "postcode", "identifier": "identifier"}

// sortable reports whether a search of typ can be sorted by the
// parameter name: _id, _lastUpdated, or a search parameter of the type
// with values to order (not a composite or special one); for a Patient
// of the PMI, one the PMI sorts by.
func (s *Server) sortable(typ, name string) bool {
	if s.pmi(typ) {
		return pmiSortKeys[name] != ""
	}
	if name == "_id" || name == "_lastUpdated" {
		return true
	}
	p, ok := SearchParamOf(typ, name)
	return ok && p.Type != "composite" && p.Type != "special" && len(p.Paths) > 0
}

// sortKeyOf is the _sort key of a field of its value: the parameter
// name without its "-".
func sortKeyOf(field string) string { return strings.TrimPrefix(field, "-") }

// leniently leaves out of a search's _sort the keys the type cannot be
// sorted by, as a lenient search leaves out a parameter it does not
// know; a _sort left with none goes.
func (s *Server) leniently(typ string, vals url.Values) {
	var kept []string
	for _, v := range vals["_sort"] {
		var fields []string
		for _, f := range strings.Split(v, ",") {
			if s.sortable(typ, sortKeyOf(f)) {
				fields = append(fields, f)
			}
		}
		if len(fields) > 0 {
			kept = append(kept, strings.Join(fields, ","))
		}
	}
	if len(kept) > 0 {
		vals["_sort"] = kept
	} else {
		delete(vals, "_sort")
	}
}

// sortValue is the value a resource sorts by for one key: the least of
// its values of the parameter ascending, the greatest descending.
type sortValue struct {
	ok  bool
	s   string
	t   time.Time
	num float64
}

func compareSortValue(a, b sortValue) int {
	return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.num, b.num), strings.Compare(a.s, b.s))
}

// rowSortValue is the value an index row holds for a parameter of kind,
// in the column the resource store sorts it by.
func rowSortValue(row crs.ResourceIndexRow, kind string) sortValue {
	switch kind {
	case "date":
		return sortValue{ok: true, t: row.Lo}
	case "token", "uri", "reference":
		return sortValue{ok: true, s: row.Code}
	case "number", "quantity":
		if row.Num == nil {
			return sortValue{}
		}
		return sortValue{ok: true, num: *row.Num}
	case "string":
		// A part of a family name (its code empty) sorts nothing: the
		// name sorts by the whole of it.
		return sortValue{ok: row.Code != "", s: row.Text}
	}
	return sortValue{ok: true, s: row.Text}
}

// sortValues are the values r sorts by, one for each key.
func sortValues(r *crs.Resource, by []crs.ResourceSort) ([]sortValue, error) {
	out := make([]sortValue, len(by))
	var rows []crs.ResourceIndexRow
	for i, k := range by {
		switch k.Param {
		case "_id":
			out[i] = sortValue{ok: true, s: r.ID}
			continue
		case "_lastUpdated":
			out[i] = sortValue{ok: !r.LastUpdated.IsZero(), t: r.LastUpdated}
			continue
		}
		if rows == nil {
			res, err := Decode(r.Body)
			if err != nil {
				return nil, err
			}
			rows = IndexRows(res)
		}
		for _, row := range rows {
			if row.Param != k.Param && !slices.Contains(k.Also, row.Param) {
				continue
			}
			v := rowSortValue(row, k.Kind)
			if v.ok && (!out[i].ok || (compareSortValue(v, out[i]) < 0) != k.Desc) {
				out[i] = v
			}
		}
	}
	return out, nil
}

// sortServed sorts served resources by the keys of a _sort as the
// resource store sorts its own: by each key's value, one without it
// last either way, then by id.
func sortServed(rs []*crs.Resource, by []crs.ResourceSort) error {
	if len(by) == 0 {
		return nil
	}
	vals := make(map[*crs.Resource][]sortValue, len(rs))
	for _, r := range rs {
		v, err := sortValues(r, by)
		if err != nil {
			return err
		}
		vals[r] = v
	}
	slices.SortStableFunc(rs, func(a, b *crs.Resource) int {
		return compareSorted(by, vals[a], vals[b], a.ID, b.ID)
	})
	return nil
}

// compareSorted orders two resources by the keys of a _sort, given the
// values each sorts by (sortValues) and their ids: by each key's value,
// one without it last either way, then by id.
func compareSorted(by []crs.ResourceSort, va, vb []sortValue, idA, idB string) int {
	for i, k := range by {
		switch {
		case va[i].ok != vb[i].ok:
			if va[i].ok {
				return -1
			}
			return 1
		case !va[i].ok:
			continue
		}
		c := compareSortValue(va[i], vb[i])
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return strings.Compare(idA, idB)
}

// sortedPatients answers a search of the PMI with _sort: the database
// lists the patients the search's identifiers, names or birth dates
// name, in the order of the keys, and returns the page asked for (by
// _offset) with how many it lists (counted for _total or
// _summary=count; otherwise those up to the page's end and one more
// when more follow). Each listed patient is then matched
// as FHIR defines the search, as searchPatients matches its candidates,
// so a page may hold fewer than _count where the PMI's normalized name
// starts with the one asked for and the name as written does not. A
// search needs what searchPatients needs to start from.
func (s *Server) sortedPatients(ctx context.Context, p *Principal, q *search) ([]*crs.Resource, int, error) {
	list := crs.PatientList{Offset: q.query.Offset, Limit: q.query.Count, Count: q.total || q.countOnly}
	for _, k := range q.query.SortBy {
		key := pmiSortKeys[k.Param]
		if key == "" {
			return nil, 0, invalid("not-supported", "_sort", "search parameter _sort: Patient is sorted by _id, _lastUpdated, family, given, name, birthdate, gender, address-postalcode or identifier, not %s", k.Param)
		}
		list.Sort = append(list.Sort, crs.PatientSort{Key: key, Desc: k.Desc})
	}
	q, groups, other, err := s.patientGroups(ctx, p, q)
	if err != nil || q == nil {
		return nil, 0, err
	}
	normalized := func(cs []crs.ResourceCondition) []string {
		var out []string
		for _, c := range cs {
			if n := match.Normalize(cmp.Or(c.Text, c.Code)); n != "" {
				out = append(out, n)
			}
		}
		return out
	}
	birth := groups["birthdate"]
	switch {
	case len(q.query.IDs) > 0:
		list.IDs = q.query.IDs
	case len(groups["identifier"]) > 0:
		for _, c := range groups["identifier"] {
			system := ""
			if c.System != nil {
				system = *c.System
			}
			if n, err := nhs.ParseNumber(c.Code); err == nil && (system == SystemNHSNumber || system == "") {
				list.NHSNumbers = append(list.NHSNumbers, n)
			}
			if system == SystemHospitalNumber || system == "" {
				list.MRNs = append(list.MRNs, c.Code)
			}
		}
		for id := range other {
			list.HeldIDs = append(list.HeldIDs, id)
		}
		slices.Sort(list.HeldIDs)
		if len(list.NHSNumbers)+len(list.MRNs)+len(list.HeldIDs) == 0 {
			return nil, 0, nil
		}
	case len(groups["name"]) > 0 || len(groups["phonetic"]) > 0 || len(groups["family"]) == 0 && len(groups["given"]) > 0:
		// A name matches on any of its parts, phonetic by sound and a
		// given name on any given name, which no order of the index
		// covers: the matches are found as a search without _sort finds
		// them and sorted here.
		return s.sortedAsFound(ctx, p, q)
	case len(groups["family"]) > 0:
		if list.Families = normalized(groups["family"]); len(list.Families) == 0 {
			return nil, 0, nil
		}
	case len(birth) > 0 && birth[0].Op == crs.MatchEq && birth[0].Hi.Sub(birth[0].Lo) <= 25*time.Hour:
		for _, c := range birth {
			list.BirthDates = append(list.BirthDates, crs.DateOf(c.Lo.In(london).Add(12*time.Hour)))
		}
	case len(groups) == 0 || len(groups) == 1 && len(groups["gender"]) > 0:
		// The trust's patients in the order asked, narrowed by gender
		// when it is named (below).
	default:
		return nil, 0, invalid("required", "", "a sorted search of patients by a postcode or a range of birth dates needs an identifier, family, name, a birthdate (one day), _id or _has to start from; without _sort it is read page by page")
	}
	// given and gender narrow the list in the database too.
	if g := groups["given"]; len(g) > 0 && len(normalized(g)) == len(g) {
		list.Givens = normalized(g)
	}
	for _, c := range groups["gender"] {
		code, ok := pmiGender[c.Code]
		if !ok {
			list.Genders = nil
			break
		}
		list.Genders = append(list.Genders, code)
	}
	res, err := s.Patients.ListPatients(ctx, p.Actor, list)
	if err != nil {
		return nil, 0, pmiSearchOutcome(err)
	}
	var out []*crs.Resource
	for _, m := range res.Matches {
		id := m.Patient.ID
		if other[id] == nil {
			if matchesAll(patientResource(m.Patient, nil), q.query.All, nil) {
				out = append(out, &crs.Resource{Type: "Patient", ID: id})
			}
			continue
		}
		whole, err := s.readPatient(ctx, p, id)
		if err != nil {
			return nil, 0, err
		}
		pat, err := Decode(whole.Body)
		if err != nil {
			return nil, 0, err
		}
		if matchesAll(pat, q.query.All, other) {
			out = append(out, whole)
		}
	}
	return out, res.Total, nil
}

// sortedAsFound answers a sorted search of the PMI that searchPatients
// finds (by any part of a name, by sound, by a given name alone): its
// matches, at most the PMI's page of candidates, read whole and sorted
// as sortServed sorts, then the page _offset and _count ask for.
func (s *Server) sortedAsFound(ctx context.Context, p *Principal, q *search) ([]*crs.Resource, int, error) {
	found, err := s.searchPatients(ctx, p, q)
	if err != nil {
		return nil, 0, err
	}
	for i, r := range found {
		if r.Body == nil {
			if found[i], err = s.readPatient(ctx, p, r.ID); err != nil {
				return nil, 0, err
			}
		}
	}
	if err := sortServed(found, q.query.SortBy); err != nil {
		return nil, 0, err
	}
	lo := min(q.query.Offset, len(found))
	hi := min(lo+max(q.query.Count, 0), len(found))
	return found[lo:hi], len(found), nil
}
