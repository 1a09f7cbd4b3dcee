package fhir

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// defaultCount and maxCount bound a search's page.
const (
	defaultCount = 50
	maxCount     = 1000
)

// maxSearchValues is how many values one search may name in all (each
// of a,b,c counts): each is a condition of the database's query, which
// takes some tens of thousands of arguments at most, and a chain adds up
// to maxChainMatches of its own.
const maxSearchValues = 1000

// resultParams are the parameters that shape a search's answer rather
// than name values it matches.
var resultParams = map[string]bool{"_format": true, "_pretty": true, "_count": true, "_cursor": true, "_offset": true,
	"_summary": true, "_total": true, "_sort": true, "_elements": true, "_contained": true, "_containedType": true,
	"_include": true, "_revinclude": true, "_include:iterate": true, "_revinclude:iterate": true}

// refersTo reports whether a reference search parameter may refer to a
// resource of type t: one of its targets, or any where it names none.
func refersTo(p *SearchParam, t string) bool {
	return len(p.Targets) == 0 || slices.Contains(p.Targets, t)
}

// search is a parsed search request: the query of the resource store and
// what the answer adds to its matches.
type search struct {
	query      crs.ResourceQuery
	countOnly  bool            // _summary=count or _count=0
	total      bool            // _total=accurate or estimate: the Bundle says how many match
	totalNone  bool            // _total=none: the Bundle says nothing of how many match
	includes   []include       // _include: references of the matches to follow
	revinclude []include       // _revinclude: resources whose references point at the matches
	elements   []string        // _elements: the top-level elements each match is cut to
	summary    string          // _summary: true, text or data, the elements each match is cut to
	params     url.Values      // the parameters to repeat in paging links
	checks     []pageCheck     // what the store's index cannot say alone, matched on each page
	valueSets  []valueSetParam // :in and :not-in, expanded before the search runs (resolveSearch)
	places     []placesParam   // a reference's :below and :above of a location, expanded before the search runs (resolveSearch)
	lists      []string        // _list: the List resources whose items are searched (resolveSearch)
	none       bool            // resolveSearch found that nothing can match (a List with no item of the type)
	in         string          // the compartment searched in ("Encounter/123"), named by the paging links
	ignored    []string        // the parameters a lenient search left out, named in its outcome entry
}

// linkPath is the address a search's paging links name: [base]/[type],
// or in a compartment [base]/[compartment]/[id]/[type].
func (s *search) linkPath(r *http.Request) string {
	if s.in != "" {
		return baseURL(r) + "/" + s.in + "/" + s.query.Type
	}
	return baseURL(r) + "/" + s.query.Type
}

// pageCheck is a condition the store's index narrows but cannot decide
// (a composite's components in one element, an identifier's type, words
// in the narrative): the store finds the candidates, and each page keeps
// those whose resource matches.
type pageCheck struct {
	param   string
	core    bool // the typed core's searches match it too, not only the resource store's
	matches func(Resource) bool
}

// include is one _include (Type:param:target, the resources the
// references of param point at) or _revinclude (the resources of Type
// whose param points at a result); iterate applies it again to what it
// added.
type include struct {
	typ, param, target string
	iterate            bool
}

// parseSearch reads the search parameters of a search of typ, from a
// query string or form body. An unknown parameter or modifier, or a
// value it cannot read, is refused with an OperationOutcome naming it.
//
// It reads the criteria of a conditional operation or a transaction's
// conditional reference, where the store's matches are taken whole: a
// composite parameter is refused there (its components would match in
// any element, not one).
func parseSearch(typ, raw string, now time.Time) (*search, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, invalid("invalid", "", "the search parameters cannot be read: %v", err)
	}
	s, err := parseSearchValues(typ, vals, now)
	if err != nil {
		return nil, err
	}
	if name := s.deferred(); name != "" {
		return nil, invalid("not-supported", name, "search parameter %s is supported in a search, not in a conditional operation's criteria", name)
	}
	return s, nil
}

func parseSearchValues(typ string, vals url.Values, now time.Time) (*search, error) {
	s := &search{query: crs.ResourceQuery{Type: typ, Count: defaultCount, Missing: map[string]bool{}}, params: url.Values{}}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	named := 0
	for _, key := range keys {
		if resultParams[key] {
			continue
		}
		for _, v := range vals[key] {
			if named += strings.Count(v, ",") + 1; named > maxSearchValues {
				return nil, invalid("too-costly", key, "the search names more than %d values (%s has some of them): search for at most %d at once", maxSearchValues, key, maxSearchValues)
			}
		}
	}
	for _, key := range keys {
		for _, v := range vals[key] {
			if err := s.add(typ, key, v, now); err != nil {
				return nil, err
			}
		}
	}
	if err := summaryTextAlone(vals); err != nil {
		return nil, err
	}
	if err := s.sortCursor(); err != nil {
		return nil, err
	}
	return s, nil
}

// sortCursorPrefix starts the _cursor of a page of a sorted search: a
// place in its order (sortCursor), after which the page begins, or with
// beforeCursor before it, before which it ends.
const sortCursorPrefix = "sort:"

// sortCursor reads the _cursor of a sorted search as a place in its
// order. A sorted search's pages are read by such a place, not by an id
// of the order created, so a cursor of the one is refused by the other.
func (s *search) sortCursor() error {
	c, before := s.query.After, false
	if s.query.Before != "" {
		c, before = s.query.Before, true
	}
	if c == "" {
		return nil
	}
	encoded, sorted := strings.CutPrefix(c, sortCursorPrefix)
	if sorted != (len(s.query.SortBy) > 0) {
		if before {
			c = beforeCursor + c
		}
		return invalid("invalid", "_cursor", "search parameter _cursor: %q is not a page of this search; follow its links", c)
	}
	if !sorted {
		return nil
	}
	place, err := parseSortCursor(encoded, len(s.query.SortBy))
	if err != nil {
		return invalid("invalid", "_cursor", "search parameter _cursor: %q is not a page of this search (%v); follow its links", c, err)
	}
	place.Before = before
	s.query.SortAfter, s.query.After, s.query.Before = place, "", ""
	return nil
}

// sortPlaceCursor is the _cursor of the page after the place (or, when
// before, the page before it) in a sorted search's order.
func sortPlaceCursor(place *crs.ResourceSortPlace, before bool) string {
	f := make([]any, 0, len(place.Keys)+1)
	for _, k := range place.Keys {
		if k == nil {
			f = append(f, nil)
		} else {
			f = append(f, *k)
		}
	}
	b, _ := json.Marshal(append(f, place.ID))
	c := sortCursorPrefix + base64.RawURLEncoding.EncodeToString(b)
	if before {
		c = beforeCursor + c
	}
	return c
}

// parseSortCursor reads a place sortPlaceCursor wrote of a search of keys
// sort keys.
func parseSortCursor(c string, keys int) (*crs.ResourceSortPlace, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, err
	}
	var f []*string
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if len(f) != keys+1 || f[keys] == nil || *f[keys] == "" {
		return nil, fmt.Errorf("not a place of %d sort keys", keys)
	}
	return &crs.ResourceSortPlace{Keys: f[:keys], ID: *f[keys]}, nil
}

// summaryTextAlone refuses _summary=text beside _include or _revinclude,
// as R4 does: such a search answers its matches' text alone, which
// names no resource to include.
func summaryTextAlone(vals url.Values) error {
	if !slices.Contains(vals["_summary"], "text") {
		return nil
	}
	for k := range vals {
		if strings.HasPrefix(k, "_include") || strings.HasPrefix(k, "_revinclude") {
			return invalid("invalid", "_summary", "_summary=text cannot be mixed with %s: search for the matches' text alone, or for the matches and what they include without _summary=text", k)
		}
	}
	return nil
}

func (s *search) add(typ, key, value string, now time.Time) error {
	bad := func(format string, args ...any) error {
		return invalid("invalid", key, "search parameter %s: "+format, append([]any{key}, args...)...)
	}
	keep := true
	defer func() {
		if keep {
			s.params.Add(key, value)
		}
	}()
	switch key {
	case "_format", "_pretty":
		keep = false
		return nil
	case "_count":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return bad("%q is not a count", value)
		}
		// _count=0 asks how many match and for none of them.
		s.query.Count = min(n, maxCount)
		s.countOnly = s.countOnly || n == 0
		keep = false
		return nil
	case "_cursor":
		// A previous link's cursor names the page before a resource.
		if before, ok := strings.CutPrefix(value, beforeCursor); ok {
			s.query.Before = before
		} else {
			s.query.After = value
		}
		keep = false
		return nil
	case "_offset":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return bad("%q is not an offset", value)
		}
		s.query.Offset = n
		keep = false
		return nil
	case "_summary":
		switch value {
		case "count":
			s.countOnly = true
		case "true", "text", "data":
			s.summary = value
		case "false":
		default:
			return bad("%q is not true, text, data, count or false", value)
		}
		return nil
	case "_contained", "_containedType":
		return containedParam(key, value)
	case "_total":
		switch value {
		case "accurate", "estimate":
			s.total = true
		case "none":
			s.totalNone = true
		default:
			return bad("%q is not none, estimate or accurate", value)
		}
		return nil
	case "_sort":
		for _, f := range strings.Split(value, ",") {
			desc := strings.HasPrefix(f, "-")
			name := strings.TrimPrefix(f, "-")
			kind := ""
			if name != "_id" && name != "_lastUpdated" {
				p, ok := SearchParamOf(typ, name)
				if !ok {
					return bad("%s is not a search parameter of %s", name, typ)
				}
				if p.Type == "composite" || p.Type == "special" || len(p.Paths) == 0 {
					return bad("%s of %s has no value of its own to sort by", name, typ)
				}
				kind = p.Type
			}
			by := crs.ResourceSort{Param: name, Kind: kind, Desc: desc}
			if sh, ok := sharedOf(typ, name); ok {
				by.Param, by.Also = sh.params[0], sh.params[1:]
			}
			s.query.SortBy = append(s.query.SortBy, by)
		}
		return nil
	case "_include", "_revinclude", "_include:iterate", "_revinclude:iterate":
		iterate, rev := strings.HasSuffix(key, ":iterate"), strings.HasPrefix(key, "_revinclude")
		if incs, ok := wildcardIncludes(typ, value, rev, iterate); ok {
			if len(incs) == 0 {
				return bad("%q names no reference search parameter", value)
			}
			if rev {
				s.revinclude = append(s.revinclude, incs...)
			} else {
				s.includes = append(s.includes, incs...)
			}
			return nil
		}
		parts := strings.Split(value, ":")
		if len(parts) < 2 || len(parts) > 3 || !isResource[parts[0]] {
			return bad("%q is not Type:param or Type:param:Target", value)
		}
		p, ok := SearchParamOf(parts[0], parts[1])
		if !ok || p.Type != "reference" {
			return bad("%s is not a reference search parameter of %s", parts[1], parts[0])
		}
		inc := include{typ: parts[0], param: parts[1], iterate: strings.HasSuffix(key, ":iterate")}
		if len(parts) == 3 {
			if !isResource[parts[2]] {
				return bad("%s is not a resource type", parts[2])
			}
			inc.target = parts[2]
		}
		if strings.HasPrefix(key, "_include") {
			if parts[0] != typ && !inc.iterate {
				return bad("%s does not search %s", value, typ)
			}
			s.includes = append(s.includes, inc)
		} else {
			s.revinclude = append(s.revinclude, inc)
		}
		return nil
	case "_elements":
		for _, e := range strings.Split(value, ",") {
			if !isElementOf(typ, e) {
				return bad("%s is not an element of %s", e, typ)
			}
			s.elements = append(s.elements, e)
		}
		return nil
	case "_id":
		s.query.IDs = append(s.query.IDs, strings.Split(value, ",")...)
		return nil
	case "_content", "_text":
		return s.addWords(key, value)
	case "_list":
		return s.addList(typ, value)
	case "_filter":
		return unknown(key, "_filter (R4's optional filter expression) is not supported: search by the parameters the CapabilityStatement lists for %s", typ)
	}
	if strings.HasPrefix(key, "_has:") {
		// _has:Type:param:rest: resources some Type matching rest refers
		// to through param.
		parts := strings.SplitN(key, ":", 4)
		if len(parts) < 4 || !isResource[parts[1]] {
			return bad("write _has:Type:reference:parameter")
		}
		if p, ok := SearchParamOf(parts[1], parts[2]); !ok || p.Type != "reference" {
			return bad("%s is not a reference search parameter of %s", parts[2], parts[1])
		}
		sub, err := subSearch(parts[1], parts[3], value, now)
		if err != nil {
			return bad("%v", err)
		}
		has, err := storedGroup(parts[1], []crs.ResourceCondition{{Param: parts[2], Kind: "has", Has: sub}})
		if err != nil {
			return bad("%v", err)
		}
		s.query.All = append(s.query.All, has)
		return nil
	}
	if ref, rest, ok := strings.Cut(key, "."); ok {
		// ref.rest or ref:Type.rest: resources whose reference ref
		// points at one that rest matches.
		name, target, _ := strings.Cut(ref, ":")
		p, ok := SearchParamOf(typ, name)
		if !ok || !supported(p) {
			return unknown(key, "%s is not a search parameter of %s", name, typ)
		}
		if p.Type != "reference" {
			return invalid("not-supported", key, "%s is not a reference search parameter of %s to chain from", name, typ)
		}
		targets := []string{target}
		if target == "" {
			targets = nil
			param, _, _ := strings.Cut(rest, ".")
			param, _, _ = strings.Cut(param, ":")
			for _, t := range p.Targets {
				if _, ok := SearchParamOf(t, param); ok || strings.HasPrefix(param, "_") {
					targets = append(targets, t)
				}
			}
			if len(targets) == 0 {
				return bad("no resource type %s refers to has a search parameter %s", name, param)
			}
		} else if !isResource[target] {
			return bad("%s is not a resource type", target)
		} else if !refersTo(p, target) {
			return bad("%s refers to resources of type %s, not %s", name, strings.Join(p.Targets, ", "), target)
		}
		var group []crs.ResourceCondition
		for _, t := range targets {
			sub, err := subSearch(t, rest, value, now)
			if err != nil {
				return bad("%v", err)
			}
			group = append(group, crs.ResourceCondition{Param: name, Kind: "reference", Target: sub})
		}
		group, err := storedGroup(typ, group)
		if err != nil {
			return bad("%v", err)
		}
		s.query.All = append(s.query.All, group)
		return nil
	}
	name, modifier, _ := strings.Cut(key, ":")
	switch name {
	case "_content", "_text", "_list":
		return bad("%s takes no modifier", name)
	}
	kind, versioned := "date", false
	if name != "_lastUpdated" {
		p, ok := SearchParamOf(typ, name)
		if !ok {
			return unknown(key, "%s is not a search parameter of %s", name, typ)
		}
		if !supported(p) {
			return unknown(key, "search parameter %s of %s is not supported", name, typ)
		}
		kind, versioned = p.Type, versionedURL(typ, p)
		if kind == "composite" {
			return s.addComposite(typ, key, p, modifier, value, now)
		}
		if kind == "reference" && isResource[modifier] && !refersTo(p, modifier) {
			return bad("%s refers to resources of type %s, not %s", name, strings.Join(p.Targets, ", "), modifier)
		}
		if kind == "token" {
			switch modifier {
			case "in", "not-in":
				urls := splitValues(value)
				if slices.Contains(urls, "") {
					return bad("give the canonical url of a value set, or several separated by commas")
				}
				s.valueSets = append(s.valueSets, valueSetParam{key: key, name: name, urls: urls, not: modifier == "not-in"})
				return nil
			case "of-type":
				return s.addOfType(typ, key, p, value)
			case "below", "above":
				// The codes below or above a SNOMED CT concept, by the
				// trust's release, or a code of a CodeSystem the trust
				// stores, by its nesting, read before the search runs.
				v := valueSetParam{key: key, name: name}
				for _, one := range splitValues(value) {
					system, code, ok := strings.Cut(one, "|")
					if !ok || system == "" || code == "" || system == nhs.SNOMEDSystem && nhs.CheckSCTID(code) != nil {
						return invalid("not-supported", key, "search parameter %s: :%s takes a SNOMED CT concept, %s|code (the codes below or above it in the trust's release), or system|code of a CodeSystem the trust stores (by its nesting), not %q; for another system list the codes, or name a value set with :in", key, modifier, nhs.SNOMEDSystem, one)
					}
					if modifier == "below" {
						v.below = append(v.below, codeRef{system, code})
					} else {
						v.above = append(v.above, codeRef{system, code})
					}
				}
				s.valueSets = append(s.valueSets, v)
				return nil
			}
		}
	}
	if modifier == "missing" {
		if value != "true" && value != "false" {
			return bad("%q is not true or false", value)
		}
		if hasOwnRows(typ, name) {
			s.query.Missing[name] = value == "true"
			return nil
		}
		// Some value among the rows that hold the parameter's.
		some, err := storedGroup(typ, []crs.ResourceCondition{{Param: name, Kind: "exists"}})
		if err != nil {
			return bad("%v", err)
		}
		if value == "true" {
			s.query.Not = append(s.query.Not, some)
		} else {
			s.query.All = append(s.query.All, some)
		}
		return nil
	}
	var group []crs.ResourceCondition
	values := splitValues(value)
	if kind == "reference" && (modifier == "below" || modifier == "above") {
		return s.addPlaces(typ, key, name, modifier, values)
	}
	if kind == "uri" && modifier == "above" {
		// A uri at or above the value: the value and each uri it is
		// below, segment by segment.
		values, modifier = urisAbove(values), ""
	}
	for _, v := range values {
		c, err := condition(name, kind, modifier, v, now)
		if err != nil {
			return invalid("invalid", key, "search parameter %s: %v", key, err)
		}
		if versioned && strings.Contains(c.Code, "|") {
			// A canonical url with its version (url|1.1.0), or the
			// start of one (:below url|1): the url|version the index
			// holds of each resource.
			c.Param = name + ":version"
		}
		group = append(group, c)
		if kind == "reference" && modifier == "" && c.Code != v && strings.Contains(v, "://") {
			// An absolute url is also a canonical reference's, kept
			// whole in the index: StructureDefinition?base=
			// http://hl7.org/fhir/StructureDefinition/Extension.
			whole := c
			whole.Code = v
			group = append(group, whole)
		}
	}
	group, err := storedGroup(typ, group)
	if err != nil {
		return invalid("invalid", key, "search parameter %s: %v", key, err)
	}
	if modifier == "not" {
		s.query.Not = append(s.query.Not, group)
	} else {
		s.query.All = append(s.query.All, group)
	}
	return nil
}

// deferred names a parameter the store's query alone does not answer
// (one matched on each page, or resolved before the search runs), or ""
// for none: a chain or a conditional operation's criteria, whose
// matches the store decides alone, cannot take it.
func (s *search) deferred() string {
	switch {
	case len(s.checks) > 0:
		return s.checks[0].param
	case len(s.valueSets) > 0:
		return s.valueSets[0].key
	case len(s.lists) > 0:
		return "_list"
	case len(s.places) > 0:
		return s.places[0].key
	}
	return ""
}

// urisAbove lists each uri and those it is below, cut at each "/" after
// its authority: http://a.org/fhir/ValueSet/1 gives it,
// http://a.org/fhir/ValueSet, http://a.org/fhir and http://a.org.
func urisAbove(uris []string) []string {
	var out []string
	for _, u := range uris {
		out = append(out, u)
		start := 0
		if i := strings.Index(u, "://"); i >= 0 {
			start = i + 3
		}
		for cut := strings.LastIndexByte(u, '/'); cut > start; cut = strings.LastIndexByte(u, '/') {
			u = u[:cut]
			if u != "" && !strings.HasSuffix(u, "/") {
				out = append(out, u)
			}
		}
	}
	return out
}

// wildcardIncludes reads an _include or _revinclude of every reference
// parameter: * (of the type searched; for _revinclude, every parameter
// of any type that can refer to it) or Type:* (each of Type's). ok is
// false for a value naming its parameter.
func wildcardIncludes(typ, value string, rev, iterate bool) (incs []include, ok bool) {
	from, param, _ := strings.Cut(value, ":")
	switch {
	case value == "*":
		from = typ
	case param == "*" && isResource[from]:
	default:
		return nil, false
	}
	if !rev {
		if from != typ && !iterate {
			return nil, true
		}
		for _, name := range slices.Sorted(maps.Keys(searchParams[from])) {
			if p := searchParams[from][name]; p.Type == "reference" && len(p.Paths) > 0 {
				incs = append(incs, include{typ: from, param: name, iterate: iterate})
			}
		}
		return incs, true
	}
	for _, v := range revIncludes()[typ] {
		t, name, _ := strings.Cut(v, ":")
		if value == "*" || t == from {
			incs = append(incs, include{typ: t, param: name, iterate: iterate})
		}
	}
	return incs, true
}

// splitValues splits a parameter's value at the commas not escaped.
func splitValues(v string) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\\' && i+1 < len(v) && (v[i+1] == '|' || v[i+1] == '\\'):
			// Kept escaped: a token's system and code, a quantity's
			// parts are split at the | not escaped (pipeParts).
			b.WriteString(v[i : i+2])
			i++
		case v[i] == '\\' && i+1 < len(v):
			i++
			b.WriteByte(v[i])
		case v[i] == ',':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(v[i])
		}
	}
	return append(out, b.String())
}

// condition reads one value of a parameter.
func condition(name, kind, modifier, v string, now time.Time) (crs.ResourceCondition, error) {
	c := crs.ResourceCondition{Param: name, Kind: kind, Op: crs.MatchEq}
	if kind != "token" && kind != "quantity" {
		v = unescapePipes(v) // only a token's and a quantity's | divide
	}
	switch kind {
	case "token":
		switch modifier {
		case "", "not":
		case "text":
			c.Param, c.Kind, c.Op, c.Text = name+":text", "string", crs.MatchStarts, Fold(v)
			return c, nil
		default:
			return c, crs.Errorf(crs.EINVALID, "modifier :%s is not supported for a token", modifier)
		}
		c.System, c.Code = tokenValue(v)
	case "uri":
		switch modifier {
		case "":
		case "below":
			c.Op = crs.MatchBelow
			if u := strings.TrimSuffix(v, "/"); !strings.HasSuffix(u, "/") {
				v = u
			}
		default:
			return c, crs.Errorf(crs.EINVALID, "modifier :%s is not supported for a uri", modifier)
		}
		c.Code = v
	case "string":
		switch modifier {
		case "":
			c.Op, c.Text = crs.MatchStarts, Fold(v)
		case "exact":
			c.Op, c.Code, c.Text = crs.MatchExact, v, Fold(v)
		case "contains":
			c.Op, c.Text = crs.MatchContains, Fold(v)
		default:
			return c, crs.Errorf(crs.EINVALID, "modifier :%s is not supported for a string", modifier)
		}
	case "reference":
		switch {
		case modifier == "identifier":
			// References by identifier (Reference.identifier), as a token.
			c.Param, c.Kind = name+":identifier", "token"
			c.System, c.Code = tokenValue(v)
			return c, nil
		case modifier == "":
		case isResource[modifier]:
			c.System = &modifier
		default:
			return c, crs.Errorf(crs.EINVALID, "modifier :%s is not supported for a reference", modifier)
		}
		if typ, id, ok := splitReference(v); ok {
			c.Code = typ + "/" + id
		} else if strings.Contains(v, "/") {
			c.Code = v
		} else {
			c.Code = v
		}
	case "date", "number", "quantity":
		if modifier != "" {
			return c, crs.Errorf(crs.EINVALID, "modifier :%s is not supported for a %s", modifier, kind)
		}
		if len(v) >= 2 {
			switch p := v[:2]; p {
			case "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap":
				c.Op, v = p, v[2:]
			}
		}
		if kind == "date" {
			lo, hi, ok := ParseDateRange(v)
			if !ok {
				return c, crs.Errorf(crs.EINVALID, "%q is not a date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime)", v)
			}
			if c.Op == "ap" {
				// Approximately: the range widened by a tenth of its
				// distance from now, at least a day each side.
				d := now.Sub(lo)
				if d < 0 {
					d = -d
				}
				w := max(d/10, 24*time.Hour)
				lo, hi = lo.Add(-w), hi.Add(w)
			}
			c.Lo, c.Hi = lo, hi
			return c, nil
		}
		num := v
		if kind == "quantity" {
			parts := pipeParts(v, 3)
			num = parts[0]
			if len(parts) == 3 {
				if parts[1] != "" {
					c.System = &parts[1]
				}
				c.Code = parts[2]
			}
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return c, crs.Errorf(crs.EINVALID, "%q is not a number", num)
		}
		half := 0.5 * math.Pow10(-decimals(num))
		switch c.Op {
		case "ap":
			c.Op, c.NumLo, c.NumHi = crs.MatchEq, f-math.Abs(f)*0.1, f+math.Abs(f)*0.1
		case crs.MatchEq, crs.MatchNe:
			// A value written to more decimals than a float64 holds at its
			// size (Synthea's 106.82527045224225) has a half-step below
			// the float's own: its range is at least the float itself, or
			// the value would not equal itself.
			c.NumLo, c.NumHi = min(f-half, f), max(f+half, math.Nextafter(f, math.Inf(1)))
		case crs.MatchLe, crs.MatchGt, crs.MatchSa:
			c.NumLo, c.NumHi = f, math.Nextafter(f, math.Inf(1))
		default:
			c.NumLo, c.NumHi = f, f
		}
	default:
		return c, crs.Errorf(crs.EINVALID, "%s parameters are not supported", kind)
	}
	return c, nil
}

// tokenValue reads a token's system|code, or a code of any system.
func tokenValue(v string) (system *string, code string) {
	if parts := pipeParts(v, 2); len(parts) == 2 {
		return &parts[0], parts[1]
	}
	return nil, unescapePipes(v)
}

// pipeParts splits a value at each | not escaped (\|), into at most n
// parts, each with its escaped pipes unescaped.
func pipeParts(v string, n int) []string {
	parts := splitUnescaped(v, '|')
	if len(parts) > n {
		parts = append(parts[:n-1], strings.Join(parts[n-1:], "|"))
	}
	for i := range parts {
		parts[i] = unescapePipes(parts[i])
	}
	return parts
}

// unescapePipes writes a value's escaped pipes (\|) as pipes, and its
// escaped backslashes (\\) as backslashes.
func unescapePipes(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (v[i+1] == '|' || v[i+1] == '\\') {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// decimals is the decimal place of the last digit of a number as
// written, the precision an equal value is matched to: the digits after
// its point, less its exponent (5.40e-3 is to the fifth place, 1e2 to
// the hundreds, -2).
func decimals(s string) int {
	s, exp, _ := strings.Cut(strings.ToLower(s), "e")
	n := 0
	if _, frac, ok := strings.Cut(s, "."); ok {
		n = len(frac)
	}
	if e, err := strconv.Atoi(exp); err == nil {
		n -= e
	}
	return n
}

// subSearch is the search of typ by one parameter that a chained or
// reverse-chained parameter nests.
func subSearch(typ, key, value string, now time.Time) (*crs.ResourceQuery, error) {
	switch key {
	case "_count", "_sort", "_summary", "_elements", "_cursor", "_offset", "_total", "_format", "_pretty", "_contained", "_containedType":
		return nil, crs.Errorf(crs.EINVALID, "%s cannot be chained", key)
	}
	if strings.HasPrefix(key, "_include") || strings.HasPrefix(key, "_revinclude") {
		return nil, crs.Errorf(crs.EINVALID, "%s cannot be chained", key)
	}
	sub := &search{query: crs.ResourceQuery{Type: typ, Missing: map[string]bool{}}, params: url.Values{}}
	if err := sub.add(typ, key, value, now); err != nil {
		return nil, err
	}
	if sub.deferred() != "" {
		return nil, crs.Errorf(crs.EINVALID, "%s cannot be chained", key)
	}
	return &sub.query, nil
}

// isElementOf reports whether name is a top-level element of typ, a
// choice element (value for valueQuantity) included.
func isElementOf(typ, name string) bool {
	if name == "" {
		return false
	}
	if elementsByPath[typ+"."+name] != nil {
		return true
	}
	prefix := typ + "." + name
	for path, el := range elementsByPath {
		if rest, ok := strings.CutPrefix(path, prefix); ok && el.Choice && rest != "" && rest[0] >= 'A' && rest[0] <= 'Z' && !strings.Contains(rest, ".") {
			return true
		}
	}
	return false
}

// unknownParam is add's refusal of a parameter this server does not
// know or support, whatever its value: what a lenient search leaves out
// (knownParam), where a known parameter's bad value is refused.
type unknownParam struct{ *Outcome }

func (u unknownParam) Unwrap() error { return u.Outcome }

// containedParam takes R4's _contained and _containedType with their
// defaults (false: the resources a search matches are those stored, each
// with what it contains inside it; container: the container is what is
// returned). A search inside contained resources is not built: the
// other values are refused as not supported, which a lenient search
// leaves out (Prefer: handling=lenient).
func containedParam(key, value string) error {
	want := map[string]string{"_contained": "false", "_containedType": "container"}[key]
	if value == want {
		return nil
	}
	return unknown(key, "search parameter %s=%s is not supported: a search matches the resources stored, not those contained in them, and returns each with what it contains (%s=%s, the default)", key, value, key, want)
}

func unknown(key, format string, args ...any) error {
	return unknownParam{invalid("not-supported", key, format, args...)}
}

// supported reports whether this server searches by a parameter: one
// with paths to index, or a composite of such.
func supported(p *SearchParam) bool {
	return p.Type == "composite" || p.Type != "special" && len(p.Paths) > 0
}

// knownParamValues is knownParam of key given the values vs: R4's
// _contained and _containedType are known at the values supported (their
// defaults), another value left out as the parameter it is not.
func knownParamValues(typ, key string, vs []string) bool {
	if key == "_contained" || key == "_containedType" {
		for _, v := range vs {
			if containedParam(key, v) != nil {
				return false
			}
		}
		return true
	}
	return knownParam(typ, key)
}

// knownParam reports whether key names a parameter a search of typ
// reads: a result or control parameter, _has, or a search parameter of
// typ this server supports, with a modifier or a chain after it or not.
// add decides, whatever the value given.
func knownParam(typ, key string) bool {
	err := (&search{query: crs.ResourceQuery{Type: typ, Missing: map[string]bool{}}, params: url.Values{}}).add(typ, key, "", time.Time{})
	return !errors.As(err, new(unknownParam))
}
