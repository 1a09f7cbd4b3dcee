package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opencrs/crs"
)

// resourceSearch builds the SQL of a search of the resource store: the
// current versions of one type, each group of conditions an EXISTS over
// the search index.
type resourceSearch struct {
	org  string // the trust searched
	orgN int64  // its number in the index (organisations.n)
	args []any
	// few says of each SNOMED CT concept of the search's sets whether
	// it has at most fewBelow concepts below it (fewConcepts).
	few map[string]bool
	// led holds the aliases a group of conditions already reads from
	// the index (rid IN a subquery): the groups after it name the
	// number as +rid (ridOf).
	led map[string]bool
}

// ridOf is the number of the resource aliased a, as a group of
// conditions matches it to the rows the index finds (rid IN ...). Only
// the first such group of a search leads: SQLite takes an IN of the
// number as a key of the type's index (org_id, type, rid), and a
// second one as a key of the same number (the rowid that ends the
// index) and reads every pair of the two lists, where rid and rowid
// are one: a date range (date=ge2018&date=le2019) of 68,000
// Observations read for 90 seconds. A unary plus makes the later
// groups tests of each resource the first one finds, against their
// lists built once, on both engines.
func (s *resourceSearch) ridOf(a string) string {
	if s.led[a] {
		return "+" + a + ".rid"
	}
	return a + ".rid"
}

func (s *resourceSearch) arg(v any) string {
	s.args = append(s.args, v)
	return fmt.Sprintf("$%d", len(s.args))
}

// lazy returns a function that adds v as an argument the first time it
// is called and its placeholder each time: PostgreSQL refuses an
// argument the statement never reads.
func (s *resourceSearch) lazy(v any) func() string {
	var ph string
	return func() string {
		if ph == "" {
			ph = s.arg(v)
		}
		return ph
	}
}

// resourceSearchSQL returns the query and its arguments for the trust
// orgID, numbered orgN; count asks for the number of matches instead of
// the resources.
func resourceSearchSQL(orgID string, orgN int64, q crs.ResourceQuery, count bool) (string, []any) {
	return resourceSearchFew(orgID, orgN, q, count, nil)
}

// resourceSearchFew is resourceSearchSQL knowing which concepts of its
// SNOMED CT sets have few concepts below them (fewConcepts).
//
// A search of one type answers in the order its resources were created
// (their number, rid), unless sorted; one of every type in type and id
// order.
func resourceSearchFew(orgID string, orgN int64, q crs.ResourceQuery, count bool, few map[string]bool) (string, []any) {
	s := &resourceSearch{org: orgID, orgN: orgN, few: few}
	q = indexedQuery(q)
	from, id := "fhir_current c", "c.rid"
	var where []string
	if len(q.RefersTo) > 0 {
		from = s.refersTo(q)
	} else if d := drivingToken(q); d >= 0 {
		// The resources are read in their order from the index rows of
		// the code (fhir_index_token), so a page of a code every
		// resource has stops at the page, and a rare code reads its
		// own rows only. A token's rows are never repeated for one
		// resource (PutResource), so the join repeats none.
		c := q.All[d][0]
		from, id = "fhir_index d JOIN fhir_current c ON c.rid = d.rid", "d.rid"
		where = append(where, "d.org_n = "+s.arg(orgN), "d.type = "+s.arg(q.Type), "d.param = "+s.arg(c.Param),
			"d.code <> ''", "d.text = ''", "d.code = "+s.arg(c.Code), "d.system = "+s.arg(*c.System))
		q.All = append(q.All[:d:d], q.All[d+1:]...)
	}
	where = append(where, "c.org_id = "+s.arg(orgID))
	where = append(where, s.where(q, "c")...)
	if q.LastN != nil {
		return s.lastN(q, from, where, count), s.args
	}
	if count {
		return "SELECT COUNT(*) FROM " + from + " WHERE " + strings.Join(where, " AND "), s.args
	}
	order := id
	if q.Type == "" {
		order = "c.type, c.id"
	}
	if len(q.SortBy) == 0 && q.After != "" {
		if typ, after, ok := strings.Cut(q.After, "/"); ok && q.Type == "" {
			t := s.arg(typ)
			where = append(where, "(c.type > "+t+" OR (c.type = "+t+" AND c.id > "+s.arg(after)+"))")
		} else if q.Type == "" {
			where = append(where, "c.id > "+s.arg(q.After))
		} else {
			// After the resource of that id, in the order of numbers.
			where = append(where, id+" > (SELECT a.rid FROM fhir_current a WHERE a.org_id = "+s.arg(orgID)+" AND a.type = "+s.arg(q.Type)+
				" AND a.id = "+s.arg(q.After)+")")
		}
	}
	if len(q.SortBy) == 0 && q.Before != "" && q.Type != "" {
		// Before the resource of that id: the nearest first, turned
		// round by SearchResources.
		where = append(where, id+" < (SELECT a.rid FROM fhir_current a WHERE a.org_id = "+s.arg(orgID)+" AND a.type = "+s.arg(q.Type)+
			" AND a.id = "+s.arg(q.Before)+")")
		order = id + " DESC"
	}
	var sortCols string
	if len(q.SortBy) > 0 {
		keys := s.sortKeys(q.SortBy)
		before := q.SortAfter != nil && q.SortAfter.Before
		var terms []string
		for _, k := range keys {
			terms = append(terms, k.order(before)...)
			sortCols += ", " + k.e
		}
		if before {
			terms = append(terms, "c.id DESC")
		} else {
			terms = append(terms, "c.id")
		}
		order = strings.Join(terms, ", ")
		if q.SortAfter != nil {
			where = append(where, s.keyset(keys, q.SortAfter))
		}
	}
	query := "SELECT c.type, c.id, c.version, c.seq, c.last_updated, c.deleted, c.patient_id, c.body" + sortCols + " FROM " + from + " WHERE " +
		strings.Join(where, " AND ") + " ORDER BY " + order + fmt.Sprintf(" LIMIT %d", q.Count)
	if len(q.SortBy) > 0 && q.Offset > 0 {
		query += fmt.Sprintf(" OFFSET %d", q.Offset)
	}
	return query, s.args
}

// sortKey is one key of a sorted search: its expression, of each
// resource (c), whether a resource may have no value of it (which sorts
// after every value, either way), whether its values are numbers, and
// whether it sorts down.
type sortKey struct {
	e             string
	nullable, num bool
	desc          bool
}

// sortKeys returns the keys of a sorted search: _id, _lastUpdated, or a
// parameter's least value (its greatest when sorted down) among the
// resource's index rows.
func (s *resourceSearch) sortKeys(by []crs.ResourceSort) []sortKey {
	var keys []sortKey
	for _, k := range by {
		switch k.Param {
		case "_id":
			keys = append(keys, sortKey{e: "c.id", desc: k.Desc})
			continue
		case "_lastUpdated":
			keys = append(keys, sortKey{e: "c.last_updated", desc: k.Desc})
			continue
		}
		col, agg := "text", "MIN"
		switch k.Kind {
		case "date":
			col = "lo"
		case "token", "uri", "reference":
			col = "code"
		case "number", "quantity":
			col = "num"
		}
		if k.Desc {
			agg = "MAX"
		}
		params := []string{s.arg(k.Param)}
		for _, p := range k.Also {
			params = append(params, s.arg(p))
		}
		param := "= " + params[0]
		if len(params) > 1 {
			param = "IN (" + strings.Join(params, ", ") + ")"
		}
		if k.Kind == "string" {
			// A part of a family name (its code empty) sorts
			// nothing: the name sorts by the whole of it.
			param += " AND x.code <> ''"
		}
		e := fmt.Sprintf("(SELECT %s(x.%s) FROM fhir_index x WHERE x.rid = c.rid AND x.param %s)", agg, col, param)
		keys = append(keys, sortKey{e: e, nullable: true, num: col == "num", desc: k.Desc})
	}
	return keys
}

// order is the key's terms of ORDER BY: those with no value last, then
// by value, up or down; turned round when before.
func (k sortKey) order(before bool) []string {
	desc := k.desc != before
	var terms []string
	if k.nullable {
		terms = append(terms, "("+k.e+" IS NULL)"+map[bool]string{false: "", true: " DESC"}[before])
	}
	return append(terms, k.e+map[bool]string{false: "", true: " DESC"}[desc])
}

// keyset is the condition that keeps the resources after the place at
// (or before it, when at.Before) in the order of keys, then id: after
// it at the first key they differ by.
func (s *resourceSearch) keyset(keys []sortKey, at *crs.ResourceSortPlace) string {
	var ors, equal []string
	for i, k := range keys {
		var v *string
		if i < len(at.Keys) {
			v = at.Keys[i]
		}
		val := func() string {
			if k.num {
				f, _ := strconv.ParseFloat(*v, 64)
				return s.arg(f)
			}
			return s.arg(*v)
		}
		var beyond, same string
		switch {
		case v == nil && at.Before:
			// Before no value: any value.
			beyond, same = k.e+" IS NOT NULL", k.e+" IS NULL"
		case v == nil:
			// After no value: nothing by this key.
			same = k.e + " IS NULL"
		default:
			x := val()
			op := map[bool]string{false: " > ", true: " < "}[k.desc != at.Before]
			beyond, same = k.e+op+x, k.e+" = "+x
			if k.nullable && !at.Before {
				beyond = "(" + beyond + " OR " + k.e + " IS NULL)"
			}
		}
		if beyond != "" {
			ors = append(ors, strings.Join(append(slices.Clone(equal), beyond), " AND "))
		}
		equal = append(equal, same)
	}
	op := map[bool]string{false: " > ", true: " < "}[at.Before]
	ors = append(ors, strings.Join(append(equal, "c.id"+op+s.arg(at.ID)), " AND "))
	return "((" + strings.Join(ors, ") OR (") + "))"
}

// lastN is the SQL of a search that keeps the most recent matches of
// each group ($lastn), from the matches the search's from and where
// select: each match's time (its earliest value of q.LastN.By, else when
// it was written), its rank within each group of its values of
// q.LastN.Group, and the first group, by system and code, of those that
// keep it, so that it is answered once. The ranking is the database's
// (ROW_NUMBER over each group), so only the kept resources are read.
func (s *resourceSearch) lastN(q crs.ResourceQuery, from string, where []string, count bool) string {
	// Each match's time and codes are read by its own key, not from
	// the trust's index of the parameter (every Observation's): the
	// matches are read first and the rest joined to them (MATERIALIZED,
	// CROSS JOIN: SQLite keeps that order; PostgreSQL plans it as it
	// would anyway), and the terms name no partial index (code > '' is
	// code <> '' for text), which SQLite, without statistics, would
	// otherwise prefer to the key.
	matches := "SELECT c.rid, c.id, COALESCE((SELECT MIN(NULLIF(x.lo, '')) FROM fhir_index x WHERE x.rid = c.rid AND x.param = " +
		s.arg(q.LastN.By) + "), c.last_updated) AS at FROM " + from + " WHERE " + strings.Join(where, " AND ")
	ranked := "SELECT m.rid, m.id, m.at, x.system, x.code, ROW_NUMBER() OVER (PARTITION BY x.system, x.code ORDER BY m.at DESC, m.id DESC) AS n FROM m CROSS JOIN fhir_index x WHERE x.rid = m.rid AND x.param = " +
		s.arg(q.LastN.Group) + " AND x.code > '' AND x.text = ''"
	kept := fmt.Sprintf("SELECT g.rid, g.id, g.at, g.system, g.code, g.n, ROW_NUMBER() OVER (PARTITION BY g.id ORDER BY g.system, g.code) AS once FROM g WHERE g.n <= %d", q.LastN.Max)
	with := "WITH m AS MATERIALIZED (" + matches + "), g AS (" + ranked + "), k AS (" + kept + ") "
	if count {
		return with + "SELECT COUNT(*) FROM k WHERE k.once = 1"
	}
	after := ""
	if p := q.LastN.After; p != nil {
		// After the place: a later group, or the same one and older (a
		// group is newest first, then by id from the greatest, as n
		// ranks it).
		sys, code, at, id := s.arg(p.System), s.arg(p.Code), s.arg(p.At), s.arg(p.ID)
		after = " AND (k.system > " + sys + " OR k.system = " + sys + " AND (k.code > " + code + " OR k.code = " + code +
			" AND (k.at < " + at + " OR k.at = " + at + " AND k.id < " + id + ")))"
	}
	query := with + "SELECT c.type, c.id, c.version, c.seq, c.last_updated, c.deleted, c.patient_id, c.body, k.system, k.code, k.at FROM k CROSS JOIN fhir_current c WHERE c.rid = k.rid AND k.once = 1" +
		after + " ORDER BY k.system, k.code, k.n" + fmt.Sprintf(" LIMIT %d", q.Count)
	if q.Offset > 0 {
		query += fmt.Sprintf(" OFFSET %d", q.Offset)
	}
	return query
}

// drivingToken returns the group of q that reads its resources from the
// index in its order, or -1 for none: a search of one type in that order
// whose group is one code of one system (Observation?code=system|code).
func drivingToken(q crs.ResourceQuery) int {
	if q.Type == "" || len(q.SortBy) > 0 {
		return -1
	}
	for i, g := range q.All {
		if len(g) != 1 {
			continue
		}
		c := g[0]
		if (c.Kind == "token" || c.Kind == "uri") && c.Code != "" && c.System != nil && c.Target == nil && c.Has == nil && c.Param != "_lastUpdated" {
			return i
		}
	}
	return -1
}

// refersTo is what a search of the resources referring to q.RefersTo
// reads from: the references found in the index (fhir_index_refers,
// whose rows hold a reference's target id in text, its type in system
// and Type/id in code), joined to the current versions by their
// numbers, so that a
// patient's compartment costs what it holds, not what the trust holds.
func (s *resourceSearch) refersTo(q crs.ResourceQuery) string {
	var ors []string
	for _, ref := range q.RefersTo {
		typ, id, one := strings.Cut(ref, "/")
		if one {
			ors = append(ors, "(x.text = "+s.arg(id)+" AND x.system = "+s.arg(typ)+")")
		} else {
			ors = append(ors, "(x.system = "+s.arg(typ)+")")
		}
	}
	refs := "SELECT DISTINCT x.rid FROM fhir_index x WHERE x.org_n = " + s.arg(s.orgN) + " AND " + refersRow + " AND " + anyOf(ors)
	if q.Type != "" {
		refs += " AND x.type = " + s.arg(q.Type)
	}
	return "(" + refs + ") r JOIN fhir_current c ON c.rid = r.rid"
}

// where is the conditions of q on the current versions aliased c; a
// chained or reverse-chained condition nests another search, aliased
// one deeper.
func (s *resourceSearch) where(q crs.ResourceQuery, c string) []string {
	where := []string{c + ".deleted = 0"}
	if q.Type != "" {
		where = append(where, c+".type = "+s.arg(q.Type))
	}
	if len(q.IDs) > 0 {
		var ps []string
		for _, id := range q.IDs {
			ps = append(ps, s.arg(id))
		}
		where = append(where, c+".id IN ("+strings.Join(ps, ", ")+")")
	}
	for _, g := range q.All {
		where = append(where, s.group(g, c, q.Type))
	}
	for _, g := range q.Not {
		where = append(where, "NOT "+s.group(g, c, q.Type))
	}
	for _, w := range q.Words {
		where = append(where, "LOWER("+c+".body) LIKE "+s.arg("%"+likeEscape(strings.ToLower(w))+"%")+` ESCAPE '\'`)
	}
	params := make([]string, 0, len(q.Missing))
	for p := range q.Missing {
		params = append(params, p)
	}
	sort.Strings(params)
	for _, p := range params {
		e := "EXISTS (SELECT 1 FROM fhir_index x WHERE x.rid = " + c + ".rid AND x.param = " + s.arg(p) + ")"
		if q.Missing[p] {
			e = "NOT " + e
		}
		where = append(where, e)
	}
	return where
}

// nested is the alias of a search nested in the one aliased c.
func nested(c string) string { return c + "n" }

// group is the SQL of one group of conditions, any of which matches.
// A plain condition of a search of one type is the ids whose index rows
// match it, a subquery that does not depend on the resource: the
// database reads the index once for it, where a correlated EXISTS would
// read every row of a common code (all the NEWS2 scores of the trust)
// once per resource.
func (s *resourceSearch) group(g []crs.ResourceCondition, a, typ string) string {
	var ors []string
	rid := s.ridOf(a)
	defer func() {
		for _, o := range ors {
			if strings.HasPrefix(o, rid+" IN (") {
				if s.led == nil {
					s.led = map[string]bool{}
				}
				s.led[a] = true
				return
			}
		}
	}()
	if typ != "" {
		ors, g = s.referenceLists(g, a, typ)
	}
	for _, c := range g {
		switch {
		case c.Param == "_lastUpdated":
			ors = append(ors, s.dateCond(c, a+".last_updated", a+".last_updated"))
		case c.Has != nil:
			// Some resource the nested search matches refers to this
			// one (through references to System's type alone, if given).
			// The references the nested search's matches make are found
			// once, not once for each resource of this type: asked for
			// each, a trust's 20,000 Observations each read the 20,000
			// of the nested search (Observation?_has:Observation:...).
			n := nested(a)
			typed := ""
			if c.System != nil {
				typed = " AND y.system = " + s.arg(*c.System)
			}
			ors = append(ors, "("+a+".type || '/' || "+a+".id) IN (SELECT y.code FROM fhir_index y WHERE y.rid IN (SELECT "+n+".rid FROM fhir_current "+n+
				" WHERE "+n+".org_id = "+s.arg(s.org)+" AND "+strings.Join(s.where(*c.Has, n), " AND ")+") AND y.param = "+s.arg(c.Param)+typed+")")
		case c.Target != nil:
			// This one refers to some resource the nested search matches,
			// whose ids are found once for the search.
			n := nested(a)
			ors = append(ors, "EXISTS (SELECT 1 FROM fhir_index x WHERE x.rid = "+a+".rid AND x.param = "+
				s.arg(c.Param)+" AND x.system = "+s.arg(c.Target.Type)+" AND x.text IN (SELECT "+n+".id FROM fhir_current "+n+" WHERE "+n+".org_id = "+s.arg(s.org)+" AND "+
				strings.Join(s.where(*c.Target, n), " AND ")+"))")
			ors = append(ors, s.containedTarget(c, a)...)
		case typ != "" && indexed(c):
			// Driven from the index: a selective value reads only its
			// matches, not every resource of the type.
			for _, e := range s.conds(c) {
				ors = append(ors, rid+" IN (SELECT x.rid FROM fhir_index x WHERE x.org_n = "+s.arg(s.orgN)+" AND x.type = "+s.arg(typ)+" AND x.param = "+
					s.arg(c.Param)+" AND "+e+")")
			}
		default:
			for _, e := range s.conds(c) {
				ors = append(ors, "EXISTS (SELECT 1 FROM fhir_index x WHERE x.rid = "+a+".rid AND x.param = "+
					s.arg(c.Param)+" AND "+e+")")
			}
		}
	}
	return anyOf(ors)
}

// containedTarget is the SQL of a chain's search evaluated inside the
// resources contained in the one aliased a that its reference names
// (#id), as R4 asks: the contained resource's index rows, which the
// resource holds named as the chain (medication:Medication.code), match
// the chain's condition. A chain whose search is more than one group of
// plain conditions (a chain of chains, an _id, :missing) is matched
// to the resources stored only.
func (s *resourceSearch) containedTarget(c crs.ResourceCondition, a string) []string {
	t := c.Target
	if len(t.All) != 1 || len(t.Not) > 0 || len(t.IDs) > 0 || len(t.Words) > 0 || len(t.Missing) > 0 || t.LastN != nil || len(t.RefersTo) > 0 {
		return nil
	}
	for _, tc := range t.All[0] {
		if tc.Target != nil || tc.Has != nil || tc.Param == "_lastUpdated" {
			return nil
		}
	}
	prefix := c.Param + ":" + t.Type + "."
	var ors []string
	for _, tc := range t.All[0] {
		tc.Param = prefix + tc.Param
		for _, e := range s.conds(tc) {
			ors = append(ors, "EXISTS (SELECT 1 FROM fhir_index x WHERE x.rid = "+a+".rid AND x.param = "+s.arg(tc.Param)+" AND "+e+")")
		}
	}
	return ors
}

// referenceLists asks the group's references to resources, where a
// parameter names more than one, as lists: the references a parameter
// names to resources of one type (subject=Patient/a,Patient/b, a chain's
// matches, a _revinclude's page of resources) in one subquery of the
// references index, and the same values as written (a reference that
// names no type) in one of the token index, not a subquery each. Asked
// one by one, a _revinclude of a page of 1,000 patients ORed 2,000
// subqueries for each of the trust's Observations. It returns the SQL of
// those and the group's other conditions, asked as group asks them.
func (s *resourceSearch) referenceLists(g []crs.ResourceCondition, a, typ string) (ors []string, rest []crs.ResourceCondition) {
	count := map[string]int{}
	for _, c := range g {
		if listable(c) {
			count[c.Param]++
		}
	}
	type refersKey struct{ param, target string }
	ids := map[refersKey][]string{} // the ids of references to target
	codes := map[string][]string{}  // the values as written, by parameter
	var refersOrder []refersKey
	var codeOrder []string
	for _, c := range g {
		if !listable(c) || count[c.Param] < 2 {
			rest = append(rest, c)
			continue
		}
		target, id, typed := strings.Cut(c.Code, "/")
		switch {
		case !typed: // an id alone, of any type or of System's
			k := refersKey{c.Param, ""}
			if c.System != nil {
				k.target = *c.System
			}
			if ids[k] == nil {
				refersOrder = append(refersOrder, k)
			}
			ids[k] = append(ids[k], c.Code)
			continue
		case c.System != nil && (target != *c.System || id == "" || strings.Contains(id, "/")):
			continue // a reference to another type than the parameter's modifier names: none matches
		}
		if target != "" && id != "" && !strings.Contains(id, "/") {
			k := refersKey{c.Param, target}
			if ids[k] == nil {
				refersOrder = append(refersOrder, k)
			}
			ids[k] = append(ids[k], id)
		}
		if c.System == nil {
			if codes[c.Param] == nil {
				codeOrder = append(codeOrder, c.Param)
			}
			codes[c.Param] = append(codes[c.Param], c.Code)
		}
	}
	in := func(vs []string) string {
		ps := make([]string, len(vs))
		for i, v := range vs {
			ps[i] = s.arg(v)
		}
		return "(" + strings.Join(ps, ", ") + ")"
	}
	head := func(param string) string {
		return s.ridOf(a) + " IN (SELECT x.rid FROM fhir_index x WHERE x.org_n = " + s.arg(s.orgN) + " AND x.type = " + s.arg(typ) + " AND x.param = " + s.arg(param) + " AND "
	}
	for _, k := range refersOrder {
		e := head(k.param) + refersRow + " AND x.text IN " + in(ids[k])
		if k.target != "" {
			e += " AND x.system = " + s.arg(k.target)
		}
		ors = append(ors, e+")")
	}
	for _, param := range codeOrder {
		ors = append(ors, head(param)+tokenRow+" AND x.code IN "+in(codes[param])+")")
	}
	return ors, rest
}

// listable reports whether a condition is a plain reference to a
// resource, which referenceLists may ask in a list.
func listable(c crs.ResourceCondition) bool {
	return c.Kind == "reference" && c.Has == nil && c.Target == nil && c.Param != "_lastUpdated"
}

// indexed reports whether a partial index of the condition's kind
// serves it; one that none serves (a number, a token's system alone) is
// matched by reading each resource's own rows by the table's key.
func indexed(c crs.ResourceCondition) bool {
	switch c.Kind {
	case "reference", "string", "date":
		return true
	case "token", "uri", "quantity":
		return c.Code != "" || c.Concepts != nil
	}
	return false
}

// The rows of each kind of index row, as the partial indexes of
// migration 0103 select them: a search that names its kind's terms
// reads that index alone.
const (
	// tokenRow: a token, uri or quantity code, or a reference that
	// names no resource type (a canonical URL); fhir_index_token.
	tokenRow = "x.code <> '' AND x.text = ''"
	// textRow: a string or a token's text, folded; fhir_index_text.
	textRow = "x.text <> '' AND x.system = ''"
	// refersRow: a reference to Type/id, its id in text and its type
	// in system (its code is Type/id); fhir_index_refers.
	refersRow = "x.text <> '' AND x.system <> ''"
	// dateRow: a date's range; fhir_index_date.
	dateRow = "x.lo <> ''"
)

// conds is the SQL matching one index row to one condition, any of
// which matches. Each names the rows of its kind, so the partial index
// of the kind serves it. A reference to Type/id is looked for among the
// references (the target's id and type) and among the references that
// name no resource type (the code as written).
func (s *resourceSearch) conds(c crs.ResourceCondition) []string {
	system := func(e string) string {
		if c.System == nil {
			return e
		}
		return e + " AND x.system = " + s.arg(*c.System)
	}
	switch c.Kind {
	case "reference":
		typ, id, ok := strings.Cut(c.Code, "/")
		if !ok {
			return []string{system(refersRow + " AND x.text = " + s.arg(c.Code))}
		}
		if c.System != nil {
			// Only references to the type: Type/id names it.
			if typ != *c.System || id == "" || strings.Contains(id, "/") {
				return []string{"1 = 0"}
			}
			return []string{refersRow + " AND x.text = " + s.arg(id) + " AND x.system = " + s.arg(typ)}
		}
		as := []string{tokenRow + " AND x.code = " + s.arg(c.Code)}
		if typ != "" && id != "" && !strings.Contains(id, "/") {
			// A reference row's code is its system/text.
			as = append([]string{refersRow + " AND x.text = " + s.arg(id) + " AND x.system = " + s.arg(typ)}, as...)
		}
		return as
	case "token", "uri", "quantity":
		if c.Concepts != nil {
			return []string{system(tokenRow + " AND " + s.conceptCond(*c.Concepts))}
		}
		if c.Code != "" {
			return []string{tokenRow + " AND " + s.kindCond(c)}
		}
	case "string":
		if c.Op == crs.MatchExact && c.Text == "" { // a value that folds to nothing has no text row
			return []string{tokenRow + " AND x.code = " + s.arg(c.Code)}
		}
		if c.Op == crs.MatchExact {
			// The folded value narrows the text index to the value's
			// rows; the code is the value as sent.
			return []string{textRow + " AND x.text = " + s.arg(c.Text) + " AND x.code = " + s.arg(c.Code)}
		}
		return []string{textRow + " AND " + s.kindCond(c)}
	case "date":
		return []string{dateRow + " AND " + s.kindCond(c)}
	}
	return []string{s.kindCond(c)}
}

// conceptCond matches an index row's code to a set of SNOMED CT
// concepts of the trust's release, asking the release of the row's code
// by its key: whether the set's concept is one it is a kind of (the
// closure of the is-a relationships), whether the reference set lists
// it, whether it is a reference set. Each costs one lookup of a key per
// row read, however many concepts the set holds. Each is a scalar
// subquery (one row or none), which both engines ask per row: an EXISTS
// PostgreSQL turns into a join driven from the set's side, reading the
// 50,000 concepts below a wide one to find the rows coded with them.
func (s *resourceSearch) conceptCond(set crs.ConceptSet) string {
	// None found is 0, not NULL, so that NOT (a MINUS) holds of it.
	holds := func(from string) string { return "COALESCE((SELECT 1 FROM " + from + " LIMIT 1), 0) = 1" }
	var e string
	switch {
	case set.IsA != "":
		isa, org := s.arg(set.IsA), s.arg(s.org)
		if s.few[set.IsA] {
			// Few below it: the rows coded with each are read by the index.
			e = "x.code IN (SELECT k.concept_id FROM snomed_closure k WHERE k.org_id = " + org + " AND k.ancestor_id = " + isa + ")"
		} else {
			e = holds("snomed_closure k WHERE k.org_id = " + org + " AND k.ancestor_id = " + isa + " AND k.concept_id = x.code")
		}
		if set.Strict { // below the concept, not the concept itself
			e += " AND x.code <> " + isa
		}
	case set.Refset != "":
		e = holds("snomed_refset r WHERE r.org_id = " + s.arg(s.org) + " AND r.refset_id = " + s.arg(set.Refset) + " AND r.concept_id = x.code")
	case set.Refsets:
		e = holds("snomed_refset r WHERE r.org_id = " + s.arg(s.org) + " AND r.refset_id = x.code")
	case set.Codes != nil && len(set.Codes) == 0:
		e = "1 = 0"
	case set.Codes != nil:
		ps := make([]string, len(set.Codes))
		for i, c := range set.Codes {
			ps[i] = s.arg(c)
		}
		e = "x.code IN (" + strings.Join(ps, ", ") + ")"
	default:
		e = "1 = 1"
	}
	for _, m := range set.Minus {
		e += " AND NOT (" + s.conceptCond(m) + ")"
	}
	return "(" + e + ")"
}

// fewBelow is how many concepts below one a search reads from the
// closure, finding the rows coded with each by the index, rather than
// asking the release of each row of the parameter read: under it the
// concepts are fewer than the rows, past it the cost no longer grows
// with them.
const fewBelow = 100

// fewConcepts says of each concept of q's SNOMED CT sets (below a
// concept) whether it has at most fewBelow concepts below it, reading
// at most fewBelow+1 keys of the closure once for each concept however
// many conditions of the search name it.
func fewConcepts(ctx context.Context, db Querier, org string, q crs.ResourceQuery) (map[string]bool, error) {
	var few map[string]bool
	for _, gs := range [][][]crs.ResourceCondition{q.All, q.Not} {
		for _, g := range gs {
			for _, c := range g {
				if c.Concepts == nil || c.Concepts.IsA == "" {
					continue
				}
				isa := c.Concepts.IsA
				if _, asked := few[isa]; asked {
					continue
				}
				var n int
				if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM snomed_closure WHERE org_id = $1 AND ancestor_id = $2 LIMIT $3) x`,
					org, isa, fewBelow+1).Scan(&n); err != nil {
					return nil, err
				}
				if few == nil {
					few = map[string]bool{}
				}
				few[isa] = n <= fewBelow
			}
		}
	}
	return few, nil
}

func (s *resourceSearch) kindCond(c crs.ResourceCondition) string {
	system := func(e string) string {
		if c.System == nil {
			return e
		}
		return e + " AND x.system = " + s.arg(*c.System)
	}
	switch c.Kind {
	case "token", "uri":
		if c.Code == "" && c.System != nil {
			return "x.system = " + s.arg(*c.System)
		}
		if c.Op == crs.MatchBelow {
			below := c.Code + "/"
			if strings.Contains(c.Code, "|") { // a canonical's version: those it is the start of (url|1 of url|1.1.0)
				below = c.Code + "."
			}
			return "(x.code = " + s.arg(c.Code) + " OR substr(x.code, 1, " + strconv.Itoa(utf8.RuneCountInString(below)) + ") = " + s.arg(below) + ")"
		}
		return system("x.code = " + s.arg(c.Code))
	case "string":
		switch c.Op {
		case crs.MatchContains:
			return "x.text LIKE " + s.arg("%"+likeEscape(c.Text)+"%") + ` ESCAPE '\'`
		}
		return "x.text LIKE " + s.arg(likeEscape(c.Text)+"%") + ` ESCAPE '\'`
	case "date":
		return s.dateCond(c, "x.lo", "x.hi")
	case "exists":
		return system("1 = 1")
	case "number", "quantity":
		e := s.numCond(c)
		if c.Kind == "quantity" && c.Code != "" {
			e = system(e + " AND x.code = " + s.arg(c.Code))
		}
		return e
	}
	return "1 = 0"
}

// dateCond matches a value covering lo..hi (hi exclusive) to the query's
// range by the condition's prefix.
func (s *resourceSearch) dateCond(c crs.ResourceCondition, lo, hi string) string {
	qlo, qhi := s.lazy(formatIndexTime(c.Lo)), s.lazy(formatIndexTime(c.Hi))
	if lo == hi { // an instant, as _lastUpdated is
		switch c.Op {
		case crs.MatchGt, crs.MatchSa:
			return lo + " >= " + qhi()
		case crs.MatchLt, crs.MatchEb:
			return lo + " < " + qlo()
		case crs.MatchGe:
			return lo + " >= " + qlo()
		case crs.MatchLe:
			return lo + " < " + qhi()
		case crs.MatchNe:
			return "NOT (" + lo + " >= " + qlo() + " AND " + lo + " < " + qhi() + ")"
		}
		return "(" + lo + " >= " + qlo() + " AND " + lo + " < " + qhi() + ")"
	}
	switch c.Op {
	case crs.MatchNe:
		return "NOT (" + lo + " >= " + qlo() + " AND " + hi + " <= " + qhi() + ")"
	case crs.MatchGt:
		return hi + " > " + qhi()
	case crs.MatchLt:
		return lo + " < " + qlo()
	case crs.MatchGe:
		return hi + " > " + qlo()
	case crs.MatchLe:
		return lo + " < " + qhi()
	case crs.MatchSa:
		return lo + " >= " + qhi()
	case crs.MatchEb:
		return hi + " <= " + qlo()
	case crs.MatchAp:
		return "(" + lo + " < " + qhi() + " AND " + hi + " > " + qlo() + ")"
	}
	return "(" + lo + " >= " + qlo() + " AND " + hi + " <= " + qhi() + ")"
}

// numCond matches a number to the query's value; an equal value is one
// within the precision the query gave (NumLo..NumHi).
func (s *resourceSearch) numCond(c crs.ResourceCondition) string {
	lo, hi := s.lazy(c.NumLo), s.lazy(c.NumHi)
	switch c.Op {
	case crs.MatchNe:
		return "NOT (x.num >= " + lo() + " AND x.num < " + hi() + ")"
	case crs.MatchGt, crs.MatchSa:
		return "x.num >= " + hi()
	case crs.MatchLt, crs.MatchEb:
		return "x.num < " + lo()
	case crs.MatchGe:
		return "x.num >= " + lo()
	case crs.MatchLe:
		return "x.num < " + hi()
	}
	return "(x.num >= " + lo() + " AND x.num < " + hi() + ")"
}

// likeEscape escapes the LIKE wildcards of a value searched for, so
// "a_b" matches itself only.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}
