package fhir

import (
	"slices"
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
	return appendIndexRows(nil, r, keep)
}

// appendIndexRows appends indexRows(r, keep) to rows.
func appendIndexRows(rows []crs.ResourceIndexRow, r Resource, keep map[string]bool) []crs.ResourceIndexRow {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	top := resourceKeys{r: r, keys: keys}
	derived := derivedRows[r.Type()]
	contained, _ := r["contained"].([]any)
	var values []any
	for _, p := range indexPlan()[r.Type()] {
		if keep != nil && !keep[p.name] {
			continue
		}
		if derive := derived[p.name]; derive != nil {
			rows = append(rows, derive(r)...)
			continue
		}
		for _, segs := range p.paths {
			values = top.walk(values[:0], segs)
			for _, v := range values {
				rows = appendValueRows(rows, p.name, p.kind, v)
				if len(contained) > 0 && p.kind == "reference" {
					rows = appendContainedRows(rows, p.name, v, contained)
				}
			}
		}
		if p.versioned {
			// The canonical url of this version (url|version), which
			// the parameter matches when the value names a version:
			// rows of their own, so that the url alone is sorted by.
			url, _ := r["url"].(string)
			if version, _ := r["version"].(string); url != "" && version != "" {
				rows = append(rows, crs.ResourceIndexRow{Param: p.name + ":version", Code: url + "|" + version})
			}
		}
	}
	return rows
}

// appendContainedRows appends, for a reference of the parameter param
// to a resource contained in the one indexed (#id), the index rows of
// the contained resource, each named as the chain through param to its
// type names it (medication:Medication.ingredient-code): a chained
// search is evaluated inside contained resources (R4), and matches the
// container by them. A contained resource's references are kept as
// written (code alone), not as references of the container to Type/id:
// the container's compartments and the references a merge follows are
// its own.
func appendContainedRows(rows []crs.ResourceIndexRow, param string, v any, contained []any) []crs.ResourceIndexRow {
	o, _ := v.(map[string]any)
	ref, _ := o["reference"].(string)
	id, local := strings.CutPrefix(ref, "#")
	if !local || id == "" {
		return rows
	}
	for _, c := range contained {
		res, _ := c.(map[string]any)
		if cid, _ := res["id"].(string); cid != id {
			continue
		}
		typ, _ := res["resourceType"].(string)
		if !isResource[typ] {
			return rows
		}
		prefix := param + ":" + typ + "."
		from := len(rows)
		rows = appendIndexRows(rows, Resource(res), nil)
		for i := from; i < len(rows); i++ {
			rows[i].Param = prefix + rows[i].Param
			if rows[i].Text != "" && rows[i].System != "" { // a reference to Type/id
				rows[i].System, rows[i].Text = "", ""
			}
		}
		return rows
	}
	return rows
}

// resourceKeys is a resource with its elements' names in order. Most of
// the parameters of its type index an element it does not have, which
// walk then looks for as a choice (effective as effectiveDateTime): among
// the names in order, it is found without going through them all.
type resourceKeys struct {
	r    Resource
	keys []string
}

// walk appends to out the values at the path below the resource, as
// walk does.
func (t resourceKeys) walk(out []any, segs []string) []any {
	if next, ok := t.r[segs[0]]; ok {
		return walkInto(out, next, segs[1:])
	}
	i, _ := slices.BinarySearch(t.keys, segs[0])
	for ; i < len(t.keys) && strings.HasPrefix(t.keys[i], segs[0]); i++ {
		if k := t.keys[i]; isChoiceOf(k, segs[0]) {
			out = walkInto(out, t.r[k], segs[1:])
		}
	}
	return out
}

// indexedParam is a search parameter written to the index, with the
// paths below the resource of the elements it indexes.
type indexedParam struct {
	name, kind string
	paths      [][]string // Observation.code.coding is {"code", "coding"}
	// versioned marks the uri parameter of a resource's own canonical
	// url where the resource has a version (versionedURL).
	versioned bool
}

// versionedURL reports whether the parameter of typ is a uri of the
// resource's own canonical url (ValueSet.url) and typ has a version: a
// value of it may name one (url|1.1.0, R4's canonical with a version),
// matched against the url|version the index holds of the resource as
// the parameter's :version.
func versionedURL(typ string, p *SearchParam) bool {
	return p.Type == "uri" && slices.Equal(p.Paths, []string{typ + ".url"}) && elementsByPath[typ+".version"] != nil
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
				ip.versioned = versionedURL(typ, p)
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
func walk(v any, segs []string) []any { return walkInto(nil, v, segs) }

// walkInto appends to out the values walk finds.
func walkInto(out []any, v any, segs []string) []any {
	if len(segs) == 0 {
		if arr, ok := v.([]any); ok {
			return append(out, arr...)
		}
		return append(out, v)
	}
	switch x := v.(type) {
	case []any:
		for _, item := range x {
			out = walkInto(out, item, segs)
		}
	case map[string]any:
		if next, ok := x[segs[0]]; ok {
			return walkInto(out, next, segs[1:])
		}
		for k, next := range x {
			if isChoiceOf(k, segs[0]) {
				out = walkInto(out, next, segs[1:])
			}
		}
	}
	return out
}

// isChoiceOf reports whether the element named k is a choice of the
// element name (effectiveDateTime of effective).
func isChoiceOf(k, name string) bool {
	return len(k) > len(name) && strings.HasPrefix(k, name) && unicode.IsUpper(rune(k[len(name)]))
}

// valueRows turns one element value into the index rows of a parameter
// of the kind.
func valueRows(param, kind string, v any) []crs.ResourceIndexRow {
	return appendValueRows(nil, param, kind, v)
}

// appendValueRows appends valueRows(param, kind, v) to rows.
func appendValueRows(rows []crs.ResourceIndexRow, param, kind string, v any) []crs.ResourceIndexRow {
	row := func(r crs.ResourceIndexRow) []crs.ResourceIndexRow { r.Param = param; return append(rows, r) }
	switch kind {
	case "token":
		return appendTokenRows(rows, param, v)
	case "uri":
		if s, ok := v.(string); ok {
			return row(crs.ResourceIndexRow{Code: s})
		}
	case "string":
		for _, s := range strings_(v) {
			rows = append(rows, crs.ResourceIndexRow{Param: param, Code: s, Text: Fold(s)})
		}
		// The later parts of a family name of several (Carreno Quinones,
		// Smythe-Jones) are searched independently, as R4 asks: a row of
		// each, its text alone, which no :exact search and no sort reads
		// (their code is empty).
		family, _ := v.(string)
		if m, ok := v.(map[string]any); ok {
			family, _ = m["family"].(string)
		} else if param != "family" {
			family = ""
		}
		if parts := match.FamilyParts(family); parts != nil {
			for _, p := range parts[1:] {
				if t := Fold(p); t != "" {
					rows = append(rows, crs.ResourceIndexRow{Param: param, Text: t})
				}
			}
		}
		return rows
	case "reference":
		o, ok := v.(map[string]any)
		if !ok {
			if s, ok := v.(string); ok { // canonical
				return row(crs.ResourceIndexRow{Code: s})
			}
			return rows
		}
		// A logical reference's identifier is its :identifier token.
		if id, ok := o["identifier"].(map[string]any); ok {
			rows = appendTokenRows(rows, param+":identifier", id)
		}
		ref, _ := o["reference"].(string)
		if ref == "" || strings.HasPrefix(ref, "#") {
			return rows
		}
		r := crs.ResourceIndexRow{Param: param, Code: ref}
		if typ, id, ok := splitReference(ref); ok {
			r.System, r.Text = typ, id
			if len(ref) != len(typ)+1+len(id) { // absolute, or of a version
				r.Code = typ + "/" + id
			}
		}
		return append(rows, r)
	case "date":
		lo, hi, ok := dateRange(v)
		if ok {
			return row(crs.ResourceIndexRow{Lo: lo, Hi: hi})
		}
	case "number":
		if f, ok := numberOf(v); ok {
			return row(crs.ResourceIndexRow{Num: &f})
		}
	case "quantity":
		o, ok := v.(map[string]any)
		if !ok {
			return rows
		}
		f, ok := numberOf(o["value"])
		if !ok {
			return rows
		}
		r := crs.ResourceIndexRow{Num: &f}
		r.System, _ = o["system"].(string)
		r.Code, _ = o["code"].(string)
		if r.Code == "" {
			r.Code, _ = o["unit"].(string)
		}
		return row(r)
	}
	return rows
}

// splitReference splits a literal reference, relative (Patient/123) or
// absolute (https://x/fhir/Patient/123, optionally /_history/n), into
// its type and id.
func splitReference(ref string) (typ, id string, ok bool) {
	if strings.Count(ref, "/") >= 3 { // a version of another's: drop /_history/n
		if i := strings.LastIndexByte(ref, '/'); strings.HasSuffix(ref[:i], "/_history") {
			ref = ref[:i-len("/_history")]
		}
	}
	i := strings.LastIndexByte(ref, '/')
	if i < 0 {
		return "", "", false
	}
	typ, id = ref[strings.LastIndexByte(ref[:i], '/')+1:i], ref[i+1:]
	if !isResource[typ] || id == "" {
		return "", "", false
	}
	return typ, id, true
}

// appendTokenRows appends to out the rows of a token parameter's value:
// a code, a Coding, a CodeableConcept (and its text, as :text), an
// Identifier or a ContactPoint.
func appendTokenRows(out []crs.ResourceIndexRow, param string, v any) []crs.ResourceIndexRow {
	add := func(system, code string) {
		if code != "" || system != "" {
			out = append(out, crs.ResourceIndexRow{Param: param, System: system, Code: code})
		}
	}
	str := func(o map[string]any, k string) string { s, _ := o[k].(string); return s }
	// :text matches the text of a code (R4): a CodeableConcept's text, a
	// Coding's display, an Identifier's type's text; each different
	// text once.
	var texts []string
	text := func(t string) {
		if f := Fold(t); f != "" && !slices.Contains(texts, f) {
			texts = append(texts, f)
			out = append(out, crs.ResourceIndexRow{Param: param + ":text", Code: t, Text: f})
		}
	}
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
			text(str(x, "text"))
			for _, c := range codings {
				if co, ok := c.(map[string]any); ok {
					text(str(co, "display"))
				}
			}
		case x["value"] != nil: // Identifier, ContactPoint
			add(str(x, "system"), str(x, "value"))
			if t, ok := x["type"].(map[string]any); ok {
				text(str(t, "text"))
			}
		default: // Coding
			add(str(x, "system"), str(x, "code"))
			text(str(x, "display"))
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
	s, frac := cutFraction(s)
	// Each layout takes text of its own shape, so the one the text's
	// shape names is tried first; the others after it only for text that
	// is no date at all.
	if l, ok := dateLayoutOf(s); ok {
		if lo, hi, ok := parseDateLayout(s, frac, l); ok {
			return lo, hi, true
		}
	}
	for _, l := range dateLayouts {
		if lo, hi, ok := parseDateLayout(s, frac, l); ok {
			return lo, hi, true
		}
	}
	return lo, hi, false
}

// cutFraction takes the fraction of a second out of a time (.123 of
// 2024-03-01T10:00:00.123Z), which no layout reads.
func cutFraction(s string) (rest, frac string) {
	i := strings.IndexByte(s, '.')
	if i <= 0 || !strings.Contains(s, "T") {
		return s, ""
	}
	j := i + 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return s[:i] + s[j:], s[i:j]
}

// dateLayout is one way a FHIR date or time is written, and the step
// from its start to the end of the time it covers.
type dateLayout struct {
	layout string
	step   func(time.Time) time.Time
}

// dateLayouts are the ways ParseDateRange reads, in the order it tries
// them.
var dateLayouts = []dateLayout{
	{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
	{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	{"2006-01-02T15:04", func(t time.Time) time.Time { return t.Add(time.Minute) }},
	{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
	{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
	{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time { return t.Add(time.Second) }},
}

// dateLayoutOf returns the one of dateLayouts that text of s's shape
// can be (its length, and what follows the minutes).
func dateLayoutOf(s string) (dateLayout, bool) {
	switch {
	case len(s) == 4:
		return dateLayouts[0], true
	case len(s) == 7:
		return dateLayouts[1], true
	case len(s) == 10:
		return dateLayouts[2], true
	case len(s) < 16 || s[10] != 'T':
		return dateLayout{}, false
	case len(s) == 16:
		return dateLayouts[3], true
	case s[16] != ':':
		return dateLayouts[4], true
	case len(s) == 19:
		return dateLayouts[5], true
	}
	return dateLayouts[6], true
}

// parseDateLayout is ParseDateRange of s written as l, frac the
// fraction of a second taken out of it.
func parseDateLayout(s, frac string, l dateLayout) (lo, hi time.Time, ok bool) {
	t, err := time.ParseInLocation(l.layout, s, london)
	if err != nil {
		return lo, hi, false
	}
	hi = l.step(t)
	if frac != "" {
		d, _ := time.ParseDuration("0" + frac + "s")
		t = t.Add(d)
		hi = t.Add(time.Millisecond)
	}
	return t.UTC(), hi.UTC(), true
}
