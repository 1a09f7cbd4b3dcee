package fhir

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// handleEverything answers Patient/[id]/$everything: the patient and
// every resource of the record that refers to them, as a searchset
// Bundle paged by _count, each page's next link keyed on the last
// resource so that resources added meanwhile never shift a page. The
// reads are audited as reads of the patient's record; types the token
// may not read are left out.
func (s *Server) handleEverything(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.everything(w, r, p, "Patient")
}

// handleEncounterEverything answers Encounter/[id]/$everything (R4's
// Fetch Encounter Record): the encounter, every resource that refers to
// it (its observations, conditions, procedures, reports, documents,
// orders, the encounters part of it), as Patient/$everything answers a
// patient's, and what those and the encounter refer to: its patient,
// who cared for them, where, the episode of care and referral it
// belongs to. It takes _since, _type and _count.
func (s *Server) handleEncounterEverything(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.everything(w, r, p, "Encounter")
}

// everything answers $everything of a patient or an encounter (typ).
func (s *Server) everything(w http.ResponseWriter, r *http.Request, p *Principal, typ string) error {
	id := r.PathValue("id")
	if err := p.allow(typ, false); err != nil {
		return err
	}
	q := r.URL.Query()
	count, err := pageCount(q)
	if err != nil {
		return err
	}
	query := crs.ResourceQuery{RefersTo: []string{typ + "/" + id}, Count: count + 1, After: q.Get("_cursor")}
	if v := q.Get("_since"); v != "" {
		lo, hi, ok := ParseDateRange(v)
		if !ok {
			return invalid("invalid", "_since", "_since %q is not an instant", v)
		}
		query.All = [][]crs.ResourceCondition{{{Param: "_lastUpdated", Kind: "date", Op: crs.MatchGe, Lo: lo, Hi: hi}}}
	}
	// _type keeps the resources of the types it lists.
	types := map[string]bool{}
	for _, v := range q["_type"] {
		for _, t := range strings.Split(v, ",") {
			if !isResource[t] {
				return invalid("invalid", "_type", "_type %q is not an R4 resource type", t)
			}
			types[t] = true
		}
	}
	care, err := careRange(q)
	if err != nil {
		return err
	}
	keepType := func(typ string) bool { return len(types) == 0 || types[typ] }
	keep := func(res *crs.Resource) bool { return keepType(res.Type) && care.holds(res) }
	for k := range q {
		switch k {
		case "_count", "_cursor", "_since", "_type", "_format", "_pretty":
		case "start", "end":
			if typ == "Patient" {
				continue
			}
			fallthrough
		default:
			return invalid("not-supported", k, "$everything does not support the parameter %s", k)
		}
	}
	path := baseURL(r) + "/" + typ + "/" + id + "/$everything"
	base := baseURL(r)
	b := &bundle{ResourceType: "Bundle", Type: "searchset"}
	self := path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	b.Link = append(b.Link, bundleLink{"self", self})
	// What the encounter itself refers to comes with each page, as what
	// the page's resources refer to does.
	var own []string
	if query.After == "" || typ == "Encounter" {
		head, err := s.readAny(r.Context(), p, typ, id, 0)
		if err != nil {
			return err
		}
		if head.Deleted {
			return outcomeOf(http.StatusGone, "deleted", "%s/%s was deleted (version %d)", typ, id, head.Version)
		}
		if typ == "Encounter" {
			if res, err := Decode(head.Body); err == nil {
				eachReference(map[string]any(res), func(_ map[string]any, ref string) bool {
					if t, rid, _, ok := heldReference(ref, base); ok {
						own = append(own, t+"/"+rid)
					}
					return true
				})
			}
		}
		if query.After == "" && keepType(typ) {
			b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + typ + "/" + id, Resource: head.Body, Search: &entrySearch{Mode: "match"}})
		}
	}
	if query.After == "" && typ == "Patient" {
		// The records of the PAS about the patient (spells, attendances,
		// pathways, referrals, appointments) come with the first page.
		core, err := s.coreOfPatient(r.Context(), p, id)
		if err != nil {
			return err
		}
		for _, res := range core {
			if keep(res) {
				b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + res.Type + "/" + res.ID, Resource: res.Body, Search: &entrySearch{Mode: "match"}})
			}
		}
	}
	// The compartment is read a page at a time, in type and id order,
	// until a page of the types kept is full or nothing is left.
	var found []*crs.Resource
	for {
		page, _, err := s.Resources.SearchResources(r.Context(), p.Actor, query)
		if err != nil {
			return err
		}
		for _, res := range page {
			if keep(res) {
				found = append(found, res)
			}
		}
		if len(found) > count || len(page) < query.Count {
			break
		}
		last := page[len(page)-1]
		query.After = last.Type + "/" + last.ID
	}
	if len(found) > count {
		found = found[:count]
		last := found[len(found)-1]
		next := url.Values{"_count": {strconv.Itoa(count)}, "_cursor": {last.Type + "/" + last.ID}}
		for _, k := range []string{"_since", "_type", "start", "end"} {
			if v := q[k]; v != nil {
				next[k] = v
			}
		}
		b.Link = append(b.Link, bundleLink{"next", path + "?" + linkQuery(next)})
	}
	for _, res := range found {
		if res.Type == typ && res.ID == id || !p.Scopes.Allows(res.Type, false) {
			continue
		}
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + res.Type + "/" + res.ID, Resource: res.Body, Search: &entrySearch{Mode: "match"}})
	}
	support, err := s.everythingSupport(r.Context(), p, b.Entry, own, keepType)
	if err != nil {
		return err
	}
	for _, res := range support {
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + res.Type + "/" + res.ID, Resource: res.Body, Search: &entrySearch{Mode: "include"}})
	}
	writeJSON(w, http.StatusOK, b.servedJSON())
	return nil
}

// supportTypes are the types outside a patient's compartment that the
// record's resources refer to: who cared for the patient, where, for
// which organisation, with what medicine or device.
var supportTypes = map[string]bool{"Practitioner": true, "PractitionerRole": true, "Organization": true, "Location": true,
	"Medication": true, "Device": true, "Substance": true, "HealthcareService": true, "Endpoint": true}

// everythingSupport reads what a page of $everything refers to outside
// the patient's compartment (its support types, by the references its
// search parameters index), and own (what an encounter refers to), as
// R4 asks of $everything: "any resource referenced from those". Each
// comes once a page, marked include, unless the page holds it; one the
// token may not read, or no longer there, is left out.
func (s *Server) everythingSupport(ctx context.Context, p *Principal, page []bundleEntry, own []string, keep func(string) bool) ([]*crs.Resource, error) {
	seen := map[string]bool{}
	var held []Resource
	for _, e := range page {
		if res, err := Decode(e.Resource); err == nil {
			seen[res.Type()+"/"+res.ID()] = true
			held = append(held, res)
		}
	}
	var refs []string
	add := func(ref string) {
		if !seen[ref] {
			seen[ref] = true
			refs = append(refs, ref)
		}
	}
	for _, ref := range own {
		add(ref)
	}
	for _, res := range held {
		for _, row := range IndexRows(res) {
			if supportTypes[row.System] && strings.HasPrefix(row.Code, row.System+"/") {
				add(row.Code)
			}
		}
	}
	sort.Strings(refs)
	var out []*crs.Resource
	for _, ref := range refs {
		typ, id, _ := strings.Cut(ref, "/")
		if !keep(typ) || !p.Scopes.Allows(typ, false) {
			continue
		}
		res, err := s.readAny(ctx, p, typ, id, 0)
		if code := crs.ErrorCode(err); code == crs.ENOTFOUND || code == crs.EFORBIDDEN {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !res.Deleted {
			out = append(out, res)
		}
	}
	return out, nil
}

// coreOfPatient lists the typed core's records of a patient, whole, for
// $everything: each mapped type the token may read that is searched by
// patient. The resource store's resources of those types come through
// the compartment search as any other.
func (s *Server) coreOfPatient(ctx context.Context, p *Principal, id string) ([]*crs.Resource, error) {
	if s.Core == nil {
		return nil, nil
	}
	types := make([]string, 0, len(coreMappings))
	for typ, m := range coreMappings {
		if slices.Contains(m.params, "patient") && p.Scopes.Allows(typ, false) {
			types = append(types, typ)
		}
	}
	sort.Strings(types)
	var out []*crs.Resource
	for _, typ := range types {
		q, err := parseSearch(typ, "patient=Patient/"+url.QueryEscape(id), s.Store.Now())
		if err != nil {
			return nil, err
		}
		found, err := coreMappings[typ].search(s, ctx, p, q)
		if err != nil {
			return nil, err
		}
		for _, res := range found {
			if res.Body == nil {
				if res, err = s.readAny(ctx, p, typ, res.ID, 0); err != nil {
					return nil, err
				}
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// careDates is the period $everything's start and end ask for: the
// dates of care, not of the record's changes (that is _since). The zero
// time leaves its side open.
type careDates struct{ lo, hi time.Time }

// careRange reads $everything's start and end: a date, a month or a
// year, the end taken to its last instant.
func careRange(q url.Values) (careDates, error) {
	var c careDates
	for _, k := range []string{"start", "end"} {
		v := q.Get(k)
		if v == "" {
			continue
		}
		lo, hi, ok := ParseDateRange(v)
		if !ok {
			return c, invalid("invalid", k, "%s %q is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", k, v)
		}
		if k == "start" {
			c.lo = lo
		} else {
			c.hi = hi
		}
	}
	if !c.lo.IsZero() && !c.hi.IsZero() && !c.lo.Before(c.hi) {
		return c, invalid("invalid", "end", "end %s is before start %s", q.Get("end"), q.Get("start"))
	}
	return c, nil
}

// careDateParams are the search parameters that carry a resource's date
// of care, by the first its type has: the clinical date most types
// share, then the dates of the types without one.
var careDateParams = []string{"date", "onset-date", "authoredon", "effective", "authored", "created", "period", "occurrence", "issued"}

// holds reports whether a resource's care falls in the period: some
// value of its care date overlaps it. A resource with no date of care
// (a patient, a medication) is kept, as the record of the patient it
// belongs to.
func (c careDates) holds(res *crs.Resource) bool {
	if c.lo.IsZero() && c.hi.IsZero() {
		return true
	}
	for _, name := range careDateParams {
		sp, ok := SearchParamOf(res.Type, name)
		if !ok || sp.Type != "date" {
			continue
		}
		body, err := Decode(res.Body)
		if err != nil {
			return true
		}
		rows := indexRows(body, map[string]bool{name: true})
		if len(rows) == 0 {
			return true
		}
		for _, row := range rows {
			if (c.hi.IsZero() || row.Lo.Before(c.hi)) && (c.lo.IsZero() || row.Hi.After(c.lo)) {
				return true
			}
		}
		return false
	}
	return true
}
