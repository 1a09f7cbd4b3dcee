package store

import (
	"fmt"
	"strings"

	"github.com/opencrs/crs"
)

// resourceSearch builds the SQL of a search of the resource store: the
// current versions of one type, each condition of a group the ids its
// index rows match.
type resourceSearch struct {
	args     []any
	org, typ string // the placeholders of the trust and the type
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

// resourceSearchSQL returns the query and its arguments; count asks for
// the number of matches instead of the resources.
func resourceSearchSQL(orgID string, q crs.ResourceQuery, count bool) (string, []any) {
	s := &resourceSearch{}
	s.org, s.typ = s.arg(orgID), s.arg(q.Type)
	where := []string{"c.org_id = " + s.org, "c.type = " + s.typ, "c.deleted = 0"}
	if len(q.IDs) > 0 {
		var ps []string
		for _, id := range q.IDs {
			ps = append(ps, s.arg(id))
		}
		where = append(where, "c.id IN ("+strings.Join(ps, ", ")+")")
	}
	for _, g := range q.All {
		where = append(where, s.group(g))
	}
	for _, g := range q.Not {
		where = append(where, "NOT "+s.group(g))
	}
	for p, missing := range q.Missing {
		e := "EXISTS (SELECT 1 FROM fhir_index x WHERE x.org_id = c.org_id AND x.type = c.type AND x.id = c.id AND x.param = " + s.arg(p) + ")"
		if missing {
			e = "NOT " + e
		}
		where = append(where, e)
	}
	if count {
		return "SELECT COUNT(*) FROM fhir_current c WHERE " + strings.Join(where, " AND "), s.args
	}
	order := "c.id"
	if len(q.SortBy) == 0 && q.After != "" {
		where = append(where, "c.id > "+s.arg(q.After))
	}
	if len(q.SortBy) > 0 {
		var keys []string
		for _, k := range q.SortBy {
			dir := ""
			if k.Desc {
				dir = " DESC"
			}
			var e string
			switch k.Param {
			case "_id":
				e = "c.id"
			case "_lastUpdated":
				e = "c.last_updated"
			default:
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
				e = fmt.Sprintf("(SELECT %s(x.%s) FROM fhir_index x WHERE x.org_id = c.org_id AND x.type = c.type AND x.id = c.id AND x.param = %s)", agg, col, s.arg(k.Param))
				keys = append(keys, "("+e+" IS NULL)")
			}
			keys = append(keys, e+dir)
		}
		order = strings.Join(append(keys, "c.id"), ", ")
	}
	query := "SELECT c.type, c.id, c.version, c.seq, c.last_updated, c.deleted, c.patient_id, c.body FROM fhir_current c WHERE " +
		strings.Join(where, " AND ") + " ORDER BY " + order + fmt.Sprintf(" LIMIT %d", q.Count)
	if len(q.SortBy) > 0 && q.Offset > 0 {
		query += fmt.Sprintf(" OFFSET %d", q.Offset)
	}
	return query, s.args
}

// group is the SQL of one group of conditions, any of which matches.
// Each condition is the ids whose index rows match it, a subquery that
// does not depend on the resource: the database reads the index once
// for it, where a correlated EXISTS would read every row of a common
// code (all the NEWS2 scores of the trust) once per resource.
func (s *resourceSearch) group(g []crs.ResourceCondition) string {
	var ors []string
	for _, c := range g {
		if c.Param == "_lastUpdated" {
			ors = append(ors, s.dateCond(c, "c.last_updated", "c.last_updated"))
			continue
		}
		ors = append(ors, "c.id IN (SELECT x.id FROM fhir_index x WHERE x.org_id = "+s.org+" AND x.type = "+s.typ+" AND x.param = "+
			s.arg(c.Param)+" AND "+s.cond(c)+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// cond is the SQL matching one index row to one condition. Each says
// the column of its kind is not empty, so the partial index of the kind
// serves it.
func (s *resourceSearch) cond(c crs.ResourceCondition) string {
	e := s.kindCond(c)
	switch c.Kind {
	case "reference":
		if !strings.Contains(c.Code, "/") {
			return "x.text <> '' AND " + e
		}
		return "x.code <> '' AND " + e
	case "token", "uri", "quantity":
		if c.Code != "" {
			return "x.code <> '' AND " + e
		}
	case "string":
		if c.Op == crs.MatchExact {
			return "x.code <> '' AND " + e
		}
		return "x.text <> '' AND " + e
	case "date":
		return "x.lo <> '' AND " + e
	}
	return e
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
		return system("x.code = " + s.arg(c.Code))
	case "reference":
		if strings.Contains(c.Code, "/") {
			return "x.code = " + s.arg(c.Code)
		}
		return system("x.text = " + s.arg(c.Code))
	case "string":
		switch c.Op {
		case crs.MatchExact:
			return "x.code = " + s.arg(c.Code)
		case crs.MatchContains:
			return "x.text LIKE " + s.arg("%"+likeEscape(c.Text)+"%") + ` ESCAPE '\'`
		}
		return "x.text LIKE " + s.arg(likeEscape(c.Text)+"%") + ` ESCAPE '\'`
	case "date":
		return s.dateCond(c, "x.lo", "x.hi")
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
