package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
)

// systemParams are the search parameters R4 defines for every resource,
// which a search of the whole system takes without _type.
var systemParams = []string{"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "_has"}

// searchedTypes lists, in the order a system search pages through them,
// every resource type a search can name: those with search parameters
// of their own, alphabetically.
var searchedTypes = sync.OnceValue(func() []string {
	var out []string
	for t := range isResource {
		if _, ok := SearchParamOf(t, "_id"); ok && t != "Resource" && t != "DomainResource" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
})

// handleSystemSearch answers a search of the whole system (GET
// [base]?..., POST [base]/_search): each type _type names, or without it
// each the token may read but the audit trail, is searched as its own
// search is, with its access rules, tenancy and audit, and the matches
// are paged type by type in the order of _type (alphabetical without
// it). The next link names the type reached and that type's own cursor,
// so that paging neither repeats nor skips a match while resources are
// added. With _sort, several types' matches are sorted together.
func (s *Server) handleSystemSearch(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.searchTypes(w, r, p, "")
}

// searchTypes answers a search of several types: of the whole system
// (in ""), or of every type of a compartment (in "Encounter/123": GET
// [base]/Encounter/123/*), each type's search then the search in the
// compartment, which takes only the parameters of every resource.
func (s *Server) searchTypes(w http.ResponseWriter, r *http.Request, p *Principal, in string) error {
	vals, err := searchValues(r)
	if err != nil {
		return err
	}
	types, err := systemTypes(vals, p, in)
	if err != nil {
		return err
	}
	// Each type is searched at prefix+type, its links at base.
	prefix, base := "", baseURL(r)
	if in != "" {
		prefix, base = in+"/", base+"/"+in+"/*"
	}
	leave := lenient(r)
	var ignored []string
	for k := range vals {
		if err := systemParam(types, vals, k, in); err != nil {
			if !leave || !errors.As(err, new(unknownParam)) {
				return err
			}
			delete(vals, k)
			ignored = append(ignored, k)
		}
	}
	slices.Sort(ignored)
	count := defaultCount
	if v := vals.Get("_count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalid("invalid", "_count", "search parameter _count: %q is not a count", v)
		}
		count = min(n, maxCount)
	}
	countOnly := count == 0 || vals.Get("_summary") == "count"
	from, inner, err := systemCursor(vals.Get("_cursor"), types)
	if err != nil {
		return err
	}
	// The parameters every type's search is given, and the self link's;
	// not how to answer (_format, _pretty): each type's search is read
	// as JSON, and this one is answered as it asks.
	shared := url.Values{}
	for k, v := range vals {
		switch k {
		case "_count", "_cursor", "_offset", "_type", "_format", "_pretty":
		default:
			shared[k] = v
		}
	}
	self := maps.Clone(shared)
	if vals.Has("_type") {
		self.Set("_type", strings.Join(types, ","))
	}
	if !countOnly {
		self.Set("_count", strconv.Itoa(count))
	}
	for _, k := range []string{"_cursor", "_offset"} {
		if vals.Has(k) {
			self.Set(k, vals.Get(k))
		}
	}
	b := &bundle{ResourceType: "Bundle", Type: "searchset", Link: []bundleLink{{"self", linkURL(base, self)}},
		firstPage: !vals.Has("_cursor") && !vals.Has("_offset"), noTotal: vals.Get("_total") == "none" && !countOnly}
	if !countOnly {
		first := maps.Clone(self)
		first.Del("_cursor")
		first.Del("_offset")
		b.Link = append(b.Link, bundleLink{"first", linkURL(base, first)})
		if len(ignored) > 0 {
			b.Entry = append(b.Entry, ignoredOutcome("", ignored))
		}
	}
	if countOnly || vals.Has("_total") && vals.Get("_total") != "none" {
		total := 0
		for _, t := range types {
			q := typeValues(shared, t)
			q.Set("_summary", "count")
			q.Del("_total")
			page, err := s.typeSearch(r, prefix+t, q)
			if err != nil {
				return err
			}
			if page.Total != nil {
				total += *page.Total
			}
		}
		b.Total = intPtr(total)
		if countOnly {
			writeJSON(w, http.StatusOK, b.servedJSON())
			return nil
		}
	}
	if vals.Has("_sort") && len(types) > 1 {
		return s.writeSortedSystemPage(w, r, types, shared, vals.Get("_offset"), count, b, prefix, base)
	}
	if vals.Has("_offset") {
		return invalid("not-supported", "_offset", "search parameter _offset: a search of the system is paged by the _cursor of its next link; _offset pages one sorted with _sort over several types")
	}
	var included []bundleEntry
	seen := map[string]bool{}
	left := count
	for i := from; i < len(types) && left > 0; i++ {
		t := types[i]
		q := typeValues(shared, t)
		q.Del("_total")
		if i == from {
			for k, v := range inner {
				q[k] = v
			}
		}
		q.Set("_count", strconv.Itoa(left))
		page, err := s.typeSearch(r, prefix+t, q)
		if err != nil {
			return err
		}
		for _, e := range page.Entry {
			if e.Search != nil && e.Search.Mode == "match" {
				b.Entry = append(b.Entry, e)
				seen[e.FullURL] = true
				left--
			}
		}
		for _, e := range page.Entry {
			if (e.Search == nil || e.Search.Mode != "match") && !seen[e.FullURL] {
				seen[e.FullURL] = true
				included = append(included, e)
			}
		}
		next := url.Values{}
		for k, v := range shared {
			next[k] = v
		}
		if vals.Has("_type") {
			next.Set("_type", strings.Join(types, ","))
		}
		next.Set("_count", strconv.Itoa(count))
		if more := page.next(); more != nil {
			next.Set("_cursor", t+"?"+more.Encode())
			b.Link = append(b.Link, bundleLink{"next", base + "?" + linkQuery(next)})
			break
		}
		if left == 0 && i+1 < len(types) {
			next.Set("_cursor", types[i+1])
			b.Link = append(b.Link, bundleLink{"next", base + "?" + linkQuery(next)})
		}
	}
	writeSystemPage(w, b, included)
	return nil
}

// writeSystemPage answers a page of matches with what the types' pages
// included: a resource included by one type's page and matched by
// another's is there once, as a match.
func writeSystemPage(w http.ResponseWriter, b *bundle, included []bundleEntry) {
	for _, e := range included {
		if !slices.ContainsFunc(b.Entry, func(m bundleEntry) bool { return m.FullURL == e.FullURL }) {
			b.Entry = append(b.Entry, e)
		}
	}
	writeJSON(w, http.StatusOK, b.servedJSON())
}

// writeSortedSystemPage answers a page of a system search of several
// types with _sort (by _id and _lastUpdated, the keys every type has):
// the first matches of each type to the page's end are read (their ids
// and meta), sorted together, and the page's matches then read with
// what _include, _revinclude and _elements add, a type at a time. It
// pages by _offset, as a type's sorted search does.
func (s *Server) writeSortedSystemPage(w http.ResponseWriter, r *http.Request, types []string, shared url.Values, from string, count int, b *bundle, prefix, link string) error {
	var by []crs.ResourceSort
	for _, v := range shared["_sort"] {
		for _, f := range strings.Split(v, ",") {
			name := sortKeyOf(f)
			if name != "_id" && name != "_lastUpdated" {
				return invalid("not-supported", "_sort", "search parameter _sort: a search of several types is sorted by _id or _lastUpdated, which every type has, not %s", name)
			}
			by = append(by, crs.ResourceSort{Param: name, Desc: strings.HasPrefix(f, "-")})
		}
	}
	offset := 0
	if from != "" {
		n, err := strconv.Atoi(from)
		if err != nil || n < 0 {
			return invalid("invalid", "_offset", "search parameter _offset: %q is not an offset", from)
		}
		offset = n
	}
	if offset+count > maxCount {
		return invalid("too-costly", "_offset", "a search of several types sorted together pages through its first %d matches; narrow it, or search the types one at a time", maxCount)
	}
	var keys []*crs.Resource
	more := false
	for _, t := range types {
		q := url.Values{}
		for k, v := range shared {
			if !strings.HasPrefix(k, "_include") && !strings.HasPrefix(k, "_revinclude") && k != "_elements" && k != "_summary" {
				q[k] = v
			}
		}
		q.Set("_elements", "id")
		q.Set("_count", strconv.Itoa(offset+count))
		page, err := s.typeSearch(r, prefix+t, q)
		if err != nil {
			return err
		}
		more = more || page.next() != nil
		for _, e := range page.Entry {
			if e.Search == nil || e.Search.Mode != "match" {
				continue
			}
			var m struct {
				ID   string
				Meta struct{ LastUpdated time.Time }
			}
			if err := json.Unmarshal(e.Resource, &m); err != nil {
				return crs.Errorf(crs.EINTERNAL, "read a match of %s: %w", t, err)
			}
			keys = append(keys, &crs.Resource{Type: t, ID: m.ID, LastUpdated: m.Meta.LastUpdated})
		}
	}
	if err := sortServed(keys, by); err != nil {
		return err
	}
	if offset+count < len(keys) || more {
		next := maps.Clone(shared)
		next.Set("_type", strings.Join(types, ","))
		next.Set("_count", strconv.Itoa(count))
		next.Set("_offset", strconv.Itoa(offset+count))
		b.Link = append(b.Link, bundleLink{"next", link + "?" + linkQuery(next)})
	}
	keys = keys[min(offset, len(keys)):min(offset+count, len(keys))]
	// The page's matches, read whole with what they include.
	byKey := map[string]bundleEntry{}
	var included []bundleEntry
	for _, t := range types {
		var ids []string
		for _, k := range keys {
			if k.Type == t {
				ids = append(ids, k.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		q := typeValues(shared, t)
		for _, k := range []string{"_sort", "_total", "_id"} {
			q.Del(k)
		}
		q.Set("_id", strings.Join(ids, ","))
		q.Set("_count", strconv.Itoa(len(ids)))
		page, err := s.typeSearch(r, prefix+t, q)
		if err != nil {
			return err
		}
		for _, e := range page.Entry {
			if e.Search != nil && e.Search.Mode == "match" {
				byKey[e.FullURL] = e
			} else {
				included = append(included, e)
			}
		}
	}
	base := baseURL(r)
	for _, k := range keys {
		if e, ok := byKey[base+"/"+k.Type+"/"+k.ID]; ok {
			b.Entry = append(b.Entry, e)
		}
	}
	seen := map[string]bool{}
	var once []bundleEntry
	for _, e := range included {
		if !seen[e.FullURL] {
			seen[e.FullURL] = true
			once = append(once, e)
		}
	}
	writeSystemPage(w, b, once)
	return nil
}

// systemTypes reads _type: the types it names, each one the token may
// read, in its order, once each. Without it, every type the token may
// read but AuditEvent, the audit trail, which is searched only by name,
// and of those, with _has, the ones its references may point at. In a
// compartment (in), the types are those of the compartment.
func systemTypes(vals url.Values, p *Principal, in string) ([]string, error) {
	var out []string
	all := searchedTypes()
	comp, _, _ := strings.Cut(in, "/")
	if in != "" {
		all = compartmentTypes(comp)
	}
	if !vals.Has("_type") {
		for _, t := range all {
			if t != "AuditEvent" && p.Scopes.Allows(t, false) && referredToByHas(vals, t) {
				out = append(out, t)
			}
		}
		return out, nil
	}
	for _, v := range vals["_type"] {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if !slices.Contains(searchedTypes(), t) {
				return nil, invalid("invalid", "_type", "search parameter _type: %q is not an R4 resource type", t)
			}
			if !slices.Contains(all, t) {
				return nil, invalid("invalid", "_type", "search parameter _type: %s is not in the %s compartment", t, comp)
			}
			if err := p.allow(t, false); err != nil {
				return nil, err
			}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// referredToByHas reports whether a resource of typ can be found by
// every _has of the search (_has:Type:param:...): whether param of Type
// may refer to typ. No other type can match.
func referredToByHas(vals url.Values, typ string) bool {
	for k := range vals {
		rest, ok := strings.CutPrefix(k, "_has:")
		if !ok {
			continue
		}
		parts := strings.SplitN(rest, ":", 3)
		if len(parts) < 2 {
			continue // refused as it is by the search of each type
		}
		if p, ok := SearchParamOf(parts[0], parts[1]); ok && len(p.Targets) > 0 && !slices.Contains(p.Targets, typ) {
			return false
		}
	}
	return true
}

// systemParam refuses a parameter a system search of types cannot take:
// one that is not a result or control parameter or a parameter of every
// type searched. An _include names the type whose matches it follows,
// which must be one searched. In a compartment (in), only the
// parameters of every resource are taken.
func systemParam(types []string, vals url.Values, key, in string) error {
	switch key {
	case "_type", "_count", "_cursor", "_offset", "_format", "_pretty", "_summary", "_total", "_elements", "_sort", "_revinclude", "_revinclude:iterate", "_include:iterate":
		return nil
	case "_contained", "_containedType":
		for _, v := range vals[key] {
			if err := containedParam(key, v); err != nil {
				return err
			}
		}
		return nil
	case "_include":
		for _, v := range vals[key] {
			if t, _, _ := strings.Cut(v, ":"); t != "*" && !slices.Contains(types, t) {
				return invalid("invalid", key, "search parameter _include: %s follows the references of %s, which this search does not search (name it in _type)", v, t)
			}
		}
		return nil
	}
	name, _, _ := strings.Cut(key, ":")
	name, _, _ = strings.Cut(name, ".")
	// A parameter of some types but not of every type searched is
	// refused, as R4 asks of a search of several types, lenient or not:
	// left out, it would widen the search of the types that have it. One
	// of no type is the unknown parameter a lenient search leaves out.
	// Which it is is asked only of a parameter refused.
	refuse := func(key, format string, args ...any) error {
		if ofSomeType(key) {
			return invalid("not-supported", key, format, args...)
		}
		return unknown(key, format, args...)
	}
	if in != "" && !slices.Contains(systemParams, name) {
		return refuse(key, "search parameter %s: a search of every type of a compartment (%s/*) takes only the parameters of every resource (%s); name one type to search by its own", key, in, strings.Join(systemParams, ", "))
	}
	for _, t := range types {
		if !knownParam(t, key) {
			if !vals.Has("_type") && !slices.Contains(systemParams, name) {
				return refuse(key, "search parameter %s: a search of every type takes only the parameters of every resource (%s); name the types to search with _type", key, strings.Join(systemParams, ", "))
			}
			return refuse(key, "search parameter %s is not a parameter of %s, one of the types searched", key, t)
		}
	}
	return nil
}

// ofSomeType reports whether key is a parameter a search of some R4 type
// reads.
func ofSomeType(key string) bool {
	for t := range isResource {
		if knownParam(t, key) {
			return true
		}
	}
	return false
}

// typeValues is the parameters of a system search given to its search of
// typ: an _include goes to the type whose references it follows.
func typeValues(shared url.Values, typ string) url.Values {
	q := maps.Clone(shared)
	var incs []string
	for _, v := range shared["_include"] {
		if t, _, _ := strings.Cut(v, ":"); t == typ || t == "*" {
			incs = append(incs, v)
		}
	}
	q.Del("_include")
	if len(incs) > 0 {
		q["_include"] = incs
	}
	return q
}

// systemCursor reads a system search's _cursor: the type its page starts
// at, and that type's own paging parameters (_cursor or _offset) where
// the page starts within it.
func systemCursor(v string, types []string) (int, url.Values, error) {
	if v == "" {
		return 0, nil, nil
	}
	typ, raw, _ := strings.Cut(v, "?")
	i := slices.Index(types, typ)
	inner, err := url.ParseQuery(raw)
	if i < 0 || err != nil {
		return 0, nil, invalid("invalid", "_cursor", "search parameter _cursor: %q is not a page of this search", v)
	}
	for k := range inner {
		if k != "_cursor" && k != "_offset" {
			return 0, nil, invalid("invalid", "_cursor", "search parameter _cursor: %q is not a page of this search", v)
		}
	}
	return i, inner, nil
}

// typePage is one type's page of a system search.
type typePage struct {
	Total *int          `json:"total"`
	Link  []bundleLink  `json:"link"`
	Entry []bundleEntry `json:"entry"`
}

// next is the paging parameters (_cursor or _offset) of the page after
// this one, nil on the last.
func (p *typePage) next() url.Values {
	for _, l := range p.Link {
		if l.Relation != "next" {
			continue
		}
		u, err := url.Parse(l.URL)
		if err != nil {
			return nil
		}
		out := url.Values{}
		for _, k := range []string{"_cursor", "_offset"} {
			if v := u.Query().Get(k); v != "" {
				out.Set(k, v)
			}
		}
		return out
	}
	return nil
}

// typeSearch runs the search at path (a type, or a type in a
// compartment: Encounter/123/Observation) as the API answers GET
// [path]?q with the request's credentials, through its own route: its
// scopes, access rules, tenancy and audit as ever. A refusal is the
// system search's, its diagnostics naming the path.
func (s *Server) typeSearch(r *http.Request, path string, q url.Values) (*typePage, error) {
	body, err := s.innerGet(r, path+"?"+q.Encode(), path)
	if err != nil {
		return nil, err
	}
	var page typePage
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read the search of %s: %w", path, err)
	}
	return &page, nil
}

// innerGet answers GET [base]/path as the API does with the request's
// credentials, through its own route; a refusal is answered as it is,
// its diagnostics naming what.
func (s *Server) innerGet(r *http.Request, path, what string) ([]byte, error) {
	// The request is its own: it is in no compartment the one it serves is in.
	ctx := context.WithValue(r.Context(), compartmentKey{}, (*compartment)(nil))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/fhir/"+path, nil)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read %s: %w", what, err)
	}
	req.Host, req.TLS = r.Host, r.TLS
	for _, h := range []string{"Authorization", "Prefer", "X-Request-ID", "X-Correlation-ID"} {
		if v := r.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	rec := &entryRecorder{header: http.Header{}, status: http.StatusOK}
	s.api.ServeHTTP(rec, req)
	if rec.status != http.StatusOK {
		if o, ok := readOutcome(rec.status, rec.body.Bytes(), what+": "); ok {
			return nil, o
		}
		return nil, outcomeOf(rec.status, "exception", "the read of %s failed (%d)", what, rec.status)
	}
	return rec.body.Bytes(), nil
}
