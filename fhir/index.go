package fhir

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match"
)

// searchParams holds the search parameters of each resource type, those
// of every resource (_profile, _tag) included.
var searchParams = map[string]map[string]*SearchParam{}

func init() {
	common := map[string]*SearchParam{}
	for i := range searchParamTable {
		p := &searchParamTable[i]
		if p.Base == "Resource" || p.Base == "DomainResource" {
			common[p.Name] = p
		}
	}
	for _, t := range resourceTypes {
		m := map[string]*SearchParam{}
		for n, p := range common {
			m[n] = p
		}
		searchParams[t] = m
	}
	for i := range searchParamTable {
		p := &searchParamTable[i]
		if m := searchParams[p.Base]; m != nil {
			m[p.Name] = p
		}
	}
	// R4 gives Patient's deceased no element path (its expression is
	// Patient.deceased.exists() and Patient.deceased != false): it is
	// searched by the choice element deceased[x], its value derived
	// (derivedRows).
	d := *searchParams["Patient"]["deceased"]
	d.Paths = []string{"Patient.deceased"}
	searchParams["Patient"]["deceased"] = &d
}

// derivedRows are, by resource type and parameter, the index rows of a
// parameter whose value is not an element's as written but derived from
// the resource.
var derivedRows = map[string]map[string]func(Resource) []crs.ResourceIndexRow{
	"Patient": {"deceased": deceasedRows},
}

// deceasedRows is the value of Patient's deceased: true for a patient
// with a time of death or deceasedBoolean true, false for every other
// (nothing recorded included), as R4's expression evaluates.
func deceasedRows(r Resource) []crs.ResourceIndexRow {
	dead := false
	if t, ok := r["deceasedDateTime"].(string); ok && t != "" {
		dead = true
	}
	if b, ok := r["deceasedBoolean"].(bool); ok && b {
		dead = true
	}
	return []crs.ResourceIndexRow{{Param: "deceased", Code: strconv.FormatBool(dead)}}
}

// SearchParamOf returns the search parameter of a resource type by name.
func SearchParamOf(typ, name string) (*SearchParam, bool) {
	p, ok := searchParams[typ][name]
	return p, ok
}

// london is where a date or time given without a zone is taken to be.
var london = mustLoadLondon()

func mustLoadLondon() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("fhir: the time zone database has no Europe/London: " + err.Error())
	}
	return l
}

// IndexRows extracts the values of the search parameters of the
// resource's type: the rows its search index holds. A parameter whose
// values are other parameters' rows (sharedRows) has none of its own.
func IndexRows(r Resource) []crs.ResourceIndexRow { return indexRows(r, nil) }

// indexRows is IndexRows of the parameters keep names (nil for all):
// what matching a resource to a search needs of it.
func indexRows(r Resource, keep map[string]bool) []crs.ResourceIndexRow {
	var rows []crs.ResourceIndexRow
	for _, p := range indexPlan()[r.Type()] {
		if keep != nil && !keep[p.name] {
			continue
		}
		if derive := derivedRows[r.Type()][p.name]; derive != nil {
			rows = append(rows, derive(r)...)
			continue
		}
		for _, segs := range p.paths {
			for _, v := range walk(map[string]any(r), segs) {
				rows = append(rows, valueRows(p.name, p.kind, v)...)
			}
		}
	}
	return rows
}

// indexedParam is a search parameter written to the index, with the
// paths below the resource of the elements it indexes.
type indexedParam struct {
	name, kind string
	paths      [][]string // Observation.code.coding is {"code", "coding"}
}

var (
	indexPlans    map[string][]indexedParam
	indexPlanOnce sync.Once
)

// indexPlan returns, by resource type, the parameters IndexRows writes.
func indexPlan() map[string][]indexedParam {
	indexPlanOnce.Do(func() {
		indexPlans = map[string][]indexedParam{}
		for typ, params := range searchParams {
			var plan []indexedParam
			for name, p := range params {
				if name == "_id" || name == "_lastUpdated" || p.Type == "composite" || p.Type == "special" || !hasOwnRows(typ, name) {
					continue // composites and specials have no rows
				}
				ip := indexedParam{name: name, kind: p.Type}
				for _, path := range p.Paths {
					if _, rest, ok := strings.Cut(path, "."); ok {
						ip.paths = append(ip.paths, strings.Split(rest, "."))
					}
				}
				if len(ip.paths) > 0 {
					plan = append(plan, ip)
				}
			}
			sort.Slice(plan, func(i, j int) bool { return plan[i].name < plan[j].name })
			indexPlans[typ] = plan
		}
	})
	return indexPlans
}

// walk returns the values at the path below v, through arrays; a
// segment not present as such is tried as a choice (effective finds
// effectiveDateTime or effectivePeriod).
func walk(v any, segs []string) []any {
	if len(segs) == 0 {
		if arr, ok := v.([]any); ok {
			return arr
		}
		return []any{v}
	}
	switch x := v.(type) {
	case []any:
		var out []any
		for _, item := range x {
			out = append(out, walk(item, segs)...)
		}
		return out
	case map[string]any:
		if next, ok := x[segs[0]]; ok {
			return walk(next, segs[1:])
		}
		var out []any
		for k, next := range x {
			if len(k) > len(segs[0]) && strings.HasPrefix(k, segs[0]) && unicode.IsUpper(rune(k[len(segs[0])])) {
				out = append(out, walk(next, segs[1:])...)
			}
		}
		return out
	}
	return nil
}

// valueRows turns one element value into the index rows of a parameter
// of the kind.
func valueRows(param, kind string, v any) []crs.ResourceIndexRow {
	row := func(r crs.ResourceIndexRow) []crs.ResourceIndexRow { r.Param = param; return []crs.ResourceIndexRow{r} }
	switch kind {
	case "token":
		return tokenRows(param, v)
	case "uri":
		if s, ok := v.(string); ok {
			return row(crs.ResourceIndexRow{Code: s})
		}
	case "string":
		var out []crs.ResourceIndexRow
		for _, s := range strings_(v) {
			out = append(out, crs.ResourceIndexRow{Param: param, Code: s, Text: Fold(s)})
		}
		return out
	case "reference":
		o, ok := v.(map[string]any)
		if !ok {
			if s, ok := v.(string); ok { // canonical
				return row(crs.ResourceIndexRow{Code: s})
			}
			return nil
		}
		// A logical reference's identifier is its :identifier token.
		var out []crs.ResourceIndexRow
		if id, ok := o["identifier"].(map[string]any); ok {
			out = tokenRows(param+":identifier", id)
		}
		ref, _ := o["reference"].(string)
		if ref == "" || strings.HasPrefix(ref, "#") {
			return out
		}
		r := crs.ResourceIndexRow{Param: param, Code: ref}
		if typ, id, ok := splitReference(ref); ok {
			r.Code, r.System, r.Text = typ+"/"+id, typ, id
		}
		return append(out, r)
	case "date":
		lo, hi, ok := dateRange(v)
		if ok {
			return row(crs.ResourceIndexRow{Lo: lo, Hi: hi})
		}
	case "number":
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				return row(crs.ResourceIndexRow{Num: &f})
			}
		}
	case "quantity":
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		n, ok := o["value"].(json.Number)
		if !ok {
			return nil
		}
		f, err := n.Float64()
		if err != nil {
			return nil
		}
		r := crs.ResourceIndexRow{Num: &f}
		r.System, _ = o["system"].(string)
		r.Code, _ = o["code"].(string)
		if r.Code == "" {
			r.Code, _ = o["unit"].(string)
		}
		return row(r)
	}
	return nil
}

// splitReference splits a literal reference, relative (Patient/123) or
// absolute (https://x/fhir/Patient/123, optionally /_history/n), into
// its type and id.
func splitReference(ref string) (typ, id string, ok bool) {
	parts := strings.Split(ref, "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	n := len(parts)
	if n < 2 || !isResource[parts[n-2]] || parts[n-1] == "" {
		return "", "", false
	}
	return parts[n-2], parts[n-1], true
}

func tokenRows(param string, v any) []crs.ResourceIndexRow {
	var out []crs.ResourceIndexRow
	add := func(system, code string) {
		if code != "" || system != "" {
			out = append(out, crs.ResourceIndexRow{Param: param, System: system, Code: code})
		}
	}
	str := func(o map[string]any, k string) string { s, _ := o[k].(string); return s }
	switch x := v.(type) {
	case string:
		add("", x)
	case bool:
		if x {
			add("", "true")
		} else {
			add("", "false")
		}
	case map[string]any:
		switch {
		case x["coding"] != nil || x["text"] != nil && x["value"] == nil:
			codings, _ := x["coding"].([]any)
			for _, c := range codings {
				if co, ok := c.(map[string]any); ok {
					add(str(co, "system"), str(co, "code"))
				}
			}
			if t := str(x, "text"); t != "" {
				out = append(out, crs.ResourceIndexRow{Param: param + ":text", Code: t, Text: Fold(t)})
			}
		case x["value"] != nil: // Identifier, ContactPoint
			add(str(x, "system"), str(x, "value"))
		default: // Coding
			add(str(x, "system"), str(x, "code"))
		}
	}
	return out
}

// strings_ returns the text a string parameter matches in a value: a
// plain string, or each part of a HumanName or Address.
func strings_(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case map[string]any:
		var out []string
		for _, k := range []string{"text", "family", "given", "prefix", "suffix", "line", "city", "district", "state", "postalCode", "country"} {
			switch y := x[k].(type) {
			case string:
				out = append(out, y)
			case []any:
				for _, s := range y {
					if s, ok := s.(string); ok {
						out = append(out, s)
					}
				}
			}
		}
		return out
	}
	return nil
}

// Fold is how strings are compared in a search: lower case, accents
// taken off, so that "Zoë" is found by "zoe" (match.Fold, by which the
// PMI keeps its family names in that order too).
func Fold(s string) string { return match.Fold(s) }

// dateRange returns the time range a date, dateTime, instant or Period
// covers, hi exclusive; an open end of a Period is the least or greatest
// time.
func dateRange(v any) (lo, hi time.Time, ok bool) {
	switch x := v.(type) {
	case string:
		return ParseDateRange(x)
	case map[string]any:
		start, _ := x["start"].(string)
		end, _ := x["end"].(string)
		if start == "" && end == "" {
			return lo, hi, false
		}
		lo, hi = time.Time{}, maxTime
		if start != "" {
			if lo, _, ok = ParseDateRange(start); !ok {
				return lo, hi, false
			}
		}
		if end != "" {
			if _, hi, ok = ParseDateRange(end); !ok {
				return lo, hi, false
			}
		}
		return lo, hi, true
	}
	return lo, hi, false
}

// maxTime stands for an open end of a period.
var maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// ParseDateRange reads a FHIR date, dateTime or instant (2024, 2024-03,
// 2024-03-01, 2024-03-01T10:00, with or without seconds and zone) as the
// range of time it covers, hi exclusive. A value without a zone is
// Europe/London time.
func ParseDateRange(s string) (lo, hi time.Time, ok bool) {
	layouts := []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01-02T15:04", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
		{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time { return t.Add(time.Second) }},
	}
	frac := ""
	if i := strings.IndexByte(s, '.'); i > 0 && strings.Contains(s, "T") {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		frac, s = s[i:j], s[:i]+s[j:]
	}
	for _, l := range layouts {
		t, err := time.ParseInLocation(l.layout, s, london)
		if err != nil {
			continue
		}
		hi := l.step(t)
		if frac != "" {
			d, _ := time.ParseDuration("0" + frac + "s")
			t = t.Add(d)
			hi = t.Add(time.Millisecond)
		}
		return t.UTC(), hi.UTC(), true
	}
	return lo, hi, false
}
