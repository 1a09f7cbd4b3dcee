package fhir

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// handleSearch answers search (GET [type]?..., POST [type]/_search with
// a form body): a searchset Bundle of one page of the matches, with the
// resources _include and _revinclude ask for, and a next link that
// stays true while resources are added.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ := r.PathValue("type")
	if err := p.allow(typ, false); err != nil {
		return err
	}
	vals, err := searchValues(r)
	if err != nil {
		return err
	}
	q, err := s.prepareSearch(r, p, typ, vals)
	if err != nil {
		return err
	}
	if in := compartmentOf(r.Context()); in != nil {
		if err := in.narrow(q, s.Store.Now()); err != nil {
			return err
		}
	}
	b := &bundle{ResourceType: "Bundle", Type: "searchset", noTotal: q.totalNone && !q.countOnly,
		firstPage: !vals.Has("_cursor") && !vals.Has("_offset")}
	// The self link is the search done: the parameters used and the page
	// (_count, _cursor or _offset as asked), so that it answers this page.
	self := q.params
	if vals.Has("_count") || vals.Has("_cursor") || vals.Has("_offset") {
		self = maps.Clone(q.params)
		for _, k := range []string{"_count", "_cursor", "_offset"} {
			if v := vals[k]; v != nil {
				self[k] = v
			}
		}
	}
	b.Link = append(b.Link, bundleLink{"self", linkURL(q.linkPath(r), self)})
	if len(q.ignored) > 0 && !q.countOnly {
		b.Entry = append(b.Entry, ignoredOutcome(q.query.Type, q.ignored))
	}
	if !q.countOnly {
		// The first page: the search with the page size asked, from
		// its start.
		first := q.params
		if vals.Has("_count") {
			first = maps.Clone(q.params)
			first["_count"] = vals["_count"]
		}
		b.Link = append(b.Link, bundleLink{"first", linkURL(q.linkPath(r), first)})
		if off := q.query.Offset; off > 0 {
			// A page read by its offset has the page before it.
			prev := maps.Clone(first)
			prev.Set("_count", strconv.Itoa(q.query.Count))
			if off > q.query.Count {
				prev.Set("_offset", strconv.Itoa(off-q.query.Count))
			}
			b.Link = append(b.Link, bundleLink{"previous", linkURL(q.linkPath(r), prev)})
		}
	}
	typed := s.typedSearch(typ)
	if typed != nil && (q.query.Before != "" || q.query.SortAfter != nil) {
		// A previous link's cursor and a sorted search's are of the
		// resource store's pages alone.
		return invalid("invalid", "_cursor", "search parameter _cursor: %q is not a page of this search; follow its links", vals.Get("_cursor"))
	}
	if typed != nil {
		if q.params.Has("_list") && !s.pmi(typ) {
			return invalid("not-supported", "_list", "search parameter _list of %s is not supported: the PAS keeps its records", typ)
		}
		// The typed core takes the checks it can make on what it serves
		// (identifier:of-type), not those on the stored JSON (_content).
		for _, c := range q.checks {
			if !c.core {
				return invalid("not-supported", c.param, "search parameter %s of %s is not supported: the PAS keeps its records", c.param, typ)
			}
			if len(q.query.SortBy) > 0 && s.pmi(typ) {
				return invalid("not-supported", "_sort", "search parameter _sort: a search of %s by %s is not sorted", typ, c.param)
			}
		}
	}
	if q.none {
		if q.countOnly || q.total {
			b.Total = intPtr(0)
		}
		return s.writeSearchset(w, r, p, q, b, nil)
	}
	if typed != nil {
		return s.writeTypedSearch(w, r, p, q, b, typed)
	}
	if own := ownDefinitionsFound(q); len(own) > 0 {
		// OpenCRS's definitions the search finds come first, the
		// trust's own after them, sorted and paged together by _offset.
		if err := sortServed(own, q.query.SortBy); err != nil {
			return err
		}
		return s.writeTypedFound(w, r, p, q, b, own, len(own), true)
	}
	if q.countOnly {
		total, err := s.countMatches(r.Context(), p.Actor, q)
		if err != nil {
			return err
		}
		b.Total = intPtr(total)
		writeJSON(w, http.StatusOK, b.servedJSON())
		return nil
	}
	if q.total {
		total, err := s.countMatches(r.Context(), p.Actor, q)
		if err != nil {
			return err
		}
		b.Total = intPtr(total)
	}
	found, err := s.searchPage(r, p, q, b, q.linkPath(r))
	if err != nil {
		return err
	}
	// What the store's index cannot decide (a composite's components
	// in different elements, an identifier of another type, words
	// outside the narrative) is taken off the page; the next link
	// follows the store's page, so a page may hold fewer than _count.
	if len(q.checks) > 0 {
		kept := found[:0:0]
		for _, f := range found {
			if q.keep(f) {
				kept = append(kept, f)
			}
		}
		found = kept
	}
	return s.writeSearchset(w, r, p, q, b, found)
}

// searchPage reads one page of a search's matches and links the next
// page from the bundle, when there is one, as a search of path: by
// _cursor, a place in the search's order (the resource's id in the order
// created, a place in a sorted search's or in $lastn's order), so that
// a page resumes where the one before ended while resources are written.
func (s *Server) searchPage(r *http.Request, p *Principal, q *search, b *bundle, path string) ([]*crs.Resource, error) {
	page := q.query
	page.Count++ // one more, to know whether there is a next page
	found, _, err := s.Resources.SearchResources(r.Context(), p.Actor, page)
	if err != nil {
		return nil, err
	}
	cursor := func(res *crs.Resource, before bool) string {
		if res.SortPlace != nil {
			return sortPlaceCursor(res.SortPlace, before)
		}
		if before {
			return beforeCursor + res.ID
		}
		return res.ID
	}
	if q.query.Before != "" || q.query.SortAfter != nil && q.query.SortAfter.Before {
		// The page before a place, read back to front: one more than
		// the page, the first, says there is a page before it, and the
		// place it was read before comes next.
		if len(found) > q.query.Count {
			found = found[1:]
			b.Link = append(b.Link, bundleLink{"previous", pageLink(path, q, cursor(found[0], true))})
		}
		if len(found) > 0 {
			b.Link = append(b.Link, bundleLink{"next", pageLink(path, q, cursor(found[len(found)-1], false))})
		}
		return found, nil
	}
	if (q.query.After != "" || q.query.SortAfter != nil) && len(found) > 0 && q.query.LastN == nil {
		// A page after a place has a page before it.
		b.Link = append(b.Link, bundleLink{"previous", pageLink(path, q, cursor(found[0], true))})
	}
	if len(found) > q.query.Count {
		found = found[:q.query.Count]
		next := maps.Clone(q.params)
		next.Set("_count", strconv.Itoa(q.query.Count))
		if last := found[len(found)-1]; q.query.LastN != nil {
			next.Set("_cursor", lastNCursor(last.Place))
		} else {
			next.Set("_cursor", cursor(last, false))
		}
		b.Link = append(b.Link, bundleLink{"next", path + "?" + linkQuery(next)})
	}
	return found, nil
}

// beforeCursor starts the _cursor of a previous link: the page before the
// resource it names (a resource's id holds no colon).
const beforeCursor = "before:"

// pageLink is the link to the page of q at the _cursor cursor.
func pageLink(path string, q *search, cursor string) string {
	v := maps.Clone(q.params)
	v.Set("_count", strconv.Itoa(q.query.Count))
	v.Set("_cursor", cursor)
	return path + "?" + linkQuery(v)
}

// prepareSearch reads the parameters of a search of typ (vals, less
// those the client asked to be left out when lenient) and resolves what
// they name outside the resource store: the PMI's and the typed core's
// chains, value sets and Lists.
func (s *Server) prepareSearch(r *http.Request, p *Principal, typ string, vals url.Values) (*search, error) {
	var ignored []string
	if lenient(r) {
		// A parameter this server does not know or support is left out,
		// as R4 asks unless the client asks for strict handling (a
		// proxy or a browser's stack may add parameters of its own), and
		// the self link shows the search done without it; so that a
		// misspelt parameter never widens a search of patients' records
		// unseen, the searchset says what was left out (ignoredOutcome).
		// A known parameter's bad value is refused either way.
		for k, vs := range vals {
			if !knownParamValues(typ, k, vs) {
				delete(vals, k)
				ignored = append(ignored, k)
			}
		}
		sorts := strings.Join(vals["_sort"], ",")
		s.leniently(typ, vals)
		if kept := strings.Join(vals["_sort"], ","); kept != sorts {
			ignored = append(ignored, "_sort="+sorts+" (sorted by "+cmp.Or(kept, "none")+")")
		}
	}
	q, err := parseSearchValues(typ, vals, s.Store.Now())
	if err != nil {
		return nil, err
	}
	slices.Sort(ignored)
	q.ignored = ignored
	if err := s.resolveQuery(r.Context(), p, q); err != nil {
		return nil, err
	}
	return q, nil
}

// resolveQuery resolves what a parsed search names outside the
// resource store: the PMI's and the typed core's chains, value sets and
// Lists.
func (s *Server) resolveQuery(ctx context.Context, p *Principal, q *search) error {
	typ := q.query.Type
	if err := s.resolvePMIChains(ctx, p, &q.query); err != nil {
		return err
	}
	if s.coreType(typ) != nil && !s.pmi(typ) {
		if err := s.resolveCoreChains(ctx, p, &q.query); err != nil {
			return err
		}
	} else if s.typedSearch(typ) == nil {
		if err := s.resolveTypedTargets(ctx, p, &q.query); err != nil {
			return err
		}
	}
	return s.resolveSearch(ctx, p, q)
}

// countMatches counts a search's matches (_summary=count); with a
// check on each page (a composite parameter, :of-type, _content), the
// store's matches are read a page at a time and counted where the check
// holds.
func (s *Server) countMatches(ctx context.Context, a crs.Actor, q *search) (int, error) {
	cq := q.query
	if len(q.checks) == 0 {
		cq.Count = 0
		_, total, err := s.Resources.SearchResources(ctx, a, cq)
		return total, err
	}
	total := 0
	err := s.eachKept(ctx, a, q, func(*crs.Resource) { total++ })
	return total, err
}

// eachKept reads the store's matches of a search a page at a time, in
// id order, and calls fn with each that passes the search's checks.
func (s *Server) eachKept(ctx context.Context, a crs.Actor, q *search, fn func(*crs.Resource)) error {
	cq := q.query
	cq.SortBy, cq.Offset, cq.Count, cq.After = nil, 0, maxCount, ""
	return s.eachResource(ctx, a, cq, func(f *crs.Resource) error {
		if q.keep(f) {
			fn(f)
		}
		return nil
	})
}

// eachResource reads the resource store's matches of q a page (q.Count)
// at a time, in the search's order from q.After (a type's: the order its
// resources were created), and calls fn with each until it fails or the
// context ends.
func (s *Server) eachResource(ctx context.Context, a crs.Actor, q crs.ResourceQuery, fn func(*crs.Resource) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		found, _, err := s.Resources.SearchResources(ctx, a, q)
		if err != nil {
			return err
		}
		for _, f := range found {
			if err := fn(f); err != nil {
				return err
			}
		}
		if len(found) < q.Count {
			return nil
		}
		q.After = found[len(found)-1].ID
	}
}

// writeSearchset answers a page of matches with what _include and
// _revinclude add to them.
func (s *Server) writeSearchset(w http.ResponseWriter, r *http.Request, p *Principal, q *search, b *bundle, found []*crs.Resource) error {
	base := baseURL(r)
	for _, res := range found {
		body := res.Body
		if len(q.elements) > 0 || q.summary != "" {
			var err error
			if body, err = subsetted(body, q.elements, q.summary); err != nil {
				return err
			}
		}
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + res.Type + "/" + res.ID, Resource: body, Search: &entrySearch{Mode: "match"}})
	}
	included, err := s.included(r, p, q, found)
	if err != nil {
		return err
	}
	for _, res := range included {
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + res.Type + "/" + res.ID, Resource: res.Body, Search: &entrySearch{Mode: "include"}})
	}
	writeJSON(w, http.StatusOK, b.servedJSON())
	return nil
}

// resolveSearch reads what a search names but does not hold: the value
// sets of :in and :not-in, expanded into their codes, and the Lists of
// _list, into the ids they list (q.none when they list none).
func (s *Server) resolveSearch(ctx context.Context, p *Principal, q *search) error {
	for _, v := range q.valueSets {
		group, err := s.valueSetCondition(ctx, p, q.query.Type, v)
		if err != nil {
			return err
		}
		switch {
		case v.not && group != nil:
			q.query.Not = append(q.query.Not, group)
		case !v.not && group == nil: // a value set of no code: nothing is in it
			q.none = true
		case !v.not:
			q.query.All = append(q.query.All, group)
		}
	}
	q.valueSets = nil
	if err := s.resolvePlaces(ctx, p, q); err != nil {
		return err
	}
	return s.resolveLists(ctx, p, q)
}

// maxIterate bounds how many times :iterate applies an _include or
// _revinclude to what the one before added.
const maxIterate = 4

// included reads what _include and _revinclude add to the matches:
// each resource once, none of the matches again, only types the token
// may read. Those marked :iterate apply again to what was added, until
// nothing new is found.
func (s *Server) included(r *http.Request, p *Principal, q *search, found []*crs.Resource) ([]*crs.Resource, error) {
	if len(q.includes) == 0 && len(q.revinclude) == 0 || len(found) == 0 {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, f := range found {
		seen[f.Type+"/"+f.ID] = true
	}
	var out []*crs.Resource
	frontier := found
	for round := 0; round <= maxIterate && len(frontier) > 0; round++ {
		var added []*crs.Resource
		add := func(res *crs.Resource) {
			if k := res.Type + "/" + res.ID; !seen[k] && !res.Deleted {
				seen[k] = true
				added = append(added, res)
			}
		}
		for _, inc := range q.includes {
			if round > 0 && !inc.iterate {
				continue
			}
			targets := map[string]bool{}
			for _, f := range frontier {
				if f.Type != inc.typ {
					continue
				}
				res, err := Decode(f.Body)
				if err != nil {
					continue
				}
				for _, row := range IndexRows(res) {
					if rowOf(inc.typ, inc.param, row) && row.System != "" && (inc.target == "" || row.System == inc.target) {
						targets[row.Code] = true
					}
				}
			}
			keys := make([]string, 0, len(targets))
			for k := range targets {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				typ, id, _ := strings.Cut(k, "/")
				if !p.Scopes.Allows(typ, false) {
					continue
				}
				res, err := s.readAny(r.Context(), p, typ, id, 0)
				if crs.ErrorCode(err) == crs.ENOTFOUND {
					continue
				}
				if err != nil {
					return nil, err
				}
				add(res)
			}
		}
		for _, rev := range q.revinclude {
			if round > 0 && !rev.iterate || !p.Scopes.Allows(rev.typ, false) {
				continue
			}
			var group []crs.ResourceCondition
			for _, f := range frontier {
				// A resource its parameter cannot refer to (a Group, for
				// a patient) adds nothing.
				cs, _ := storedConditions(rev.typ, crs.ResourceCondition{Param: rev.param, Kind: "reference", Code: f.Type + "/" + f.ID})
				group = append(group, cs...)
			}
			if len(group) == 0 {
				continue
			}
			// The PAS's records (a location's encounters) are found as a
			// search of them finds them.
			res, err := s.matchesOf(r.Context(), p, crs.ResourceQuery{Type: rev.typ, All: [][]crs.ResourceCondition{group}}, maxCount)
			if err != nil {
				return nil, err
			}
			for _, x := range res {
				add(x)
			}
		}
		out = append(out, added...)
		frontier = added
	}
	return out, nil
}

// subsetted cuts a resource to the elements _elements asks for, or
// those _summary does (true: the elements R4 marks as the summary, at
// every depth (summaryOnly); text:
// text and the elements every resource of its type has; data: all but
// text), with its resourceType, id and meta, and tags it SUBSETTED so
// that no one takes it for the whole resource. The elements every
// resource of its type has are kept whatever is asked, as R4 says a
// server should, so that what is sent is still valid R4; the profiles
// of its meta are not, as a part need not conform to them.
func subsetted(body []byte, elements []string, summary string) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read a stored resource: %w", err)
	}
	typ, _ := m["resourceType"].(string)
	keep := func(k string) bool {
		k = strings.TrimPrefix(k, "_")
		switch k {
		case "resourceType", "id", "meta":
			return true
		}
		if slices.Contains(requiredOf[typ], k) {
			return true
		}
		if len(elements) > 0 {
			for _, e := range elements {
				if rest, ok := strings.CutPrefix(k, e); ok && (rest == "" || rest[0] >= 'A' && rest[0] <= 'Z') {
					return true
				}
			}
			return false
		}
		el := elementsByPath[typ+"."+k]
		switch summary {
		case "true":
			return el != nil && el.Summary
		case "text":
			return k == "text" || el != nil && el.Min > 0
		}
		return k != "text" // data
	}
	for k, v := range m {
		if !keep(k) {
			delete(m, k)
		} else if summary == "true" && len(elements) == 0 {
			summaryOnly(v, elementsByPath[typ+"."+strings.TrimPrefix(k, "_")])
		}
	}
	meta, _ := m["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	delete(meta, "profile")
	tags, _ := meta["tag"].([]any)
	meta["tag"] = append(tags, map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"})
	m["meta"] = meta
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "write a subsetted resource: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// summaryOnly cuts v, the value of el, to the summary: an element R4
// defines inside the resource (a BackboneElement such as a
// CapabilityStatement's rest, each of its resources) keeps the elements
// R4 marks as the summary and those it must have, each cut the same
// way, and leaves out the others (a resource's searchParam of the rest,
// its documentation). A value of a data type (a CodeableConcept, a
// Quantity) is kept whole.
func summaryOnly(v any, el *Element) {
	if el == nil {
		return
	}
	path := cmp.Or(el.ContentRef, el.Path)
	if el.ContentRef == "" && !slices.Contains(el.Types, "BackboneElement") && !slices.Contains(el.Types, "Element") {
		return
	}
	switch x := v.(type) {
	case []any:
		for _, item := range x {
			summaryOnly(item, el)
		}
	case map[string]any:
		for k, c := range x {
			child := elementsByPath[path+"."+strings.TrimPrefix(k, "_")]
			switch {
			case child == nil:
			case !child.Summary && child.Min == 0:
				delete(x, k)
			default:
				summaryOnly(c, child)
			}
		}
	}
}

// lenient reports whether a search leaves out the parameters it does
// not know or support (R4's default), not asked to refuse them with
// Prefer: handling=strict.
func lenient(r *http.Request) bool { return prefer(r, "handling") != "strict" }

// ignoredOutcome is the searchset's entry (search mode outcome) that
// says which parameters a lenient search left out: a client that looks
// at its matches alone still has them named beside.
func ignoredOutcome(typ string, ignored []string) bundleEntry {
	o := &Outcome{Status: http.StatusOK}
	for _, k := range ignored {
		o.Issues = append(o.Issues, Issue{Severity: "warning", Code: "not-supported", Expression: k,
			Diagnostics: fmt.Sprintf("%s is not a search parameter of %s this server supports: the search was done without it (Prefer: handling=strict refuses it)", k, cmp.Or(typ, "every type"))})
	}
	return bundleEntry{Resource: o.JSON(), Search: &entrySearch{Mode: "outcome"}}
}

// searchValues is a search's parameters: of the URL, and of the form
// body of POST _search. A parameter given with no value (family=) is
// left out, as R4 asks: an empty parameter is not an error, it is
// ignored (an interface's template that fills some of its parameters
// searches by those it filled), and the self link shows the search
// without it.
func searchValues(r *http.Request) (url.Values, error) {
	vals := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return nil, invalid("invalid", "", "the search form cannot be read: %v", err)
		}
		for k, vs := range r.PostForm {
			vals[k] = append(vals[k], vs...)
		}
	}
	for k, vs := range vals {
		if slices.Contains(vs, "") {
			if vs = slices.DeleteFunc(vs, func(v string) bool { return v == "" }); len(vs) == 0 {
				delete(vals, k)
			} else {
				vals[k] = vs
			}
		}
	}
	return vals, nil
}
