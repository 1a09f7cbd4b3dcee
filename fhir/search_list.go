package fhir

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// functionalList is a list R4 names by its function ($current-problems)
// rather than by a List resource: the patient's records of one type in
// a state, kept current by their own status rather than by a List that
// someone must keep.
type functionalList struct {
	typ    string
	groups [][]crs.ResourceCondition
}

// functionalLists are the functional lists a search by _list answers,
// each given the patient= (or subject=) it is about.
var functionalLists = map[string]functionalList{
	"$current-problems":       {"Condition", [][]crs.ResourceCondition{{tokenCondition("clinical-status", "http://terminology.hl7.org/CodeSystem/condition-clinical", "active")}}},
	"$current-allergies":      {"AllergyIntolerance", [][]crs.ResourceCondition{{tokenCondition("clinical-status", "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active")}}},
	"$current-drug-allergies": {"AllergyIntolerance", [][]crs.ResourceCondition{{tokenCondition("clinical-status", "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active")}, {tokenCondition("category", "", "medication")}}},
	"$current-medications":    {"MedicationStatement", [][]crs.ResourceCondition{{tokenCondition("status", "", "active")}}},
}

// tokenCondition is the condition of a token parameter with a code of a
// system ("" for a code kept without one).
func tokenCondition(param, system, code string) crs.ResourceCondition {
	return crs.ResourceCondition{Param: param, Kind: "token", Op: crs.MatchEq, System: &system, Code: code}
}

// addList reads a _list parameter: the ids of Lists, any of whose items
// is searched, or a functional list, whose conditions are checked now.
func (s *search) addList(typ, value string) error {
	for _, v := range splitValues(value) {
		if !strings.HasPrefix(v, "$") {
			if v == "" {
				return invalid("invalid", "_list", "search parameter _list: give the id of a List")
			}
			continue
		}
		f, ok := functionalLists[v]
		if !ok {
			names := slices.Sorted(maps.Keys(functionalLists))
			return invalid("not-supported", "_list", "search parameter _list: %s is not a functional list this server keeps (%s)", v, strings.Join(names, ", "))
		}
		if f.typ != typ {
			return invalid("not-supported", "_list", "search parameter _list: %s lists %s resources, not %s", v, f.typ, typ)
		}
		if len(splitValues(value)) > 1 {
			return invalid("not-supported", "_list", "search parameter _list: a functional list cannot be given with others")
		}
	}
	s.lists = append(s.lists, value)
	return nil
}

// resolveLists turns each _list of a search into what it lists: a
// List's items of the type searched as _id (a List the trust does not
// hold lists nothing), a functional list's conditions on the patient's
// records.
func (s *Server) resolveLists(ctx context.Context, p *Principal, q *search) error {
	for _, value := range q.lists {
		if f, ok := functionalLists[value]; ok {
			if !slices.ContainsFunc(slices.Collect(maps.Keys(q.params)), func(k string) bool {
				name, _, _ := strings.Cut(strings.SplitN(k, ".", 2)[0], ":")
				return name == "patient" || name == "subject"
			}) {
				return invalid("required", "_list", "search parameter _list: %s is a patient's list: give patient= (or subject=) with it", value)
			}
			for _, g := range f.groups {
				g, err := storedGroup(q.query.Type, g)
				if err != nil {
					return invalid("invalid", "_list", "search parameter _list: %v", err)
				}
				q.query.All = append(q.query.All, g)
			}
			continue
		}
		if err := p.allow("List", false); err != nil {
			return err
		}
		var ids []string
		for _, id := range splitValues(value) {
			list, err := s.readAny(ctx, p, "List", id, 0)
			if code := crs.ErrorCode(err); code == crs.ENOTFOUND || err == nil && list.Deleted {
				continue
			} else if err != nil {
				return err
			}
			r, err := Decode(list.Body)
			if err != nil {
				return err
			}
			for _, e := range array(r["entry"]) {
				entry, _ := e.(map[string]any)
				if entry["deleted"] == true { // taken off the list
					continue
				}
				item, _ := entry["item"].(map[string]any)
				ref, _ := item["reference"].(string)
				if typ, id, ok := splitReference(ref); ok && typ == q.query.Type && !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
		if len(q.query.IDs) > 0 {
			// _id and _list both: the ids both name.
			ids = slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(q.query.IDs, id) })
		}
		if len(ids) == 0 {
			q.none = true
			return nil
		}
		q.query.IDs = ids
	}
	return nil
}
