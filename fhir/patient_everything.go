package fhir

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/opencrs/crs"
)

// handleEverything answers Patient/[id]/$everything: the patient and
// every resource of the record that refers to them, as a searchset
// Bundle paged by _count, each page's next link keyed on the last
// resource so that resources added meanwhile never shift a page. The
// reads are audited as reads of the patient's record; types the token
// may not read are left out.
func (s *Server) handleEverything(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id := r.PathValue("id")
	if err := p.allow("Patient", false); err != nil {
		return err
	}
	q := r.URL.Query()
	count, err := pageCount(q)
	if err != nil {
		return err
	}
	query := crs.ResourceQuery{RefersTo: []string{"Patient/" + id}, Count: count + 1, After: q.Get("_cursor")}
	if v := q.Get("_since"); v != "" {
		lo, hi, ok := ParseDateRange(v)
		if !ok {
			return invalid("invalid", "_since", "_since %q is not an instant", v)
		}
		query.All = [][]crs.ResourceCondition{{{Param: "_lastUpdated", Kind: "date", Op: crs.MatchGe, Lo: lo, Hi: hi}}}
	}
	for k := range q {
		switch k {
		case "_count", "_cursor", "_since", "_format", "_pretty":
		default:
			return invalid("not-supported", k, "$everything does not support the parameter %s", k)
		}
	}
	base := baseURL(r)
	b := &bundle{ResourceType: "Bundle", Type: "searchset"}
	b.Link = append(b.Link, bundleLink{"self", base + "/Patient/" + id + "/$everything?" + r.URL.RawQuery})
	if query.After == "" {
		pat, err := s.Resources.ReadResource(r.Context(), p.Actor, "Patient", id, 0)
		if err != nil {
			return err
		}
		if pat.Deleted {
			return outcomeOf(http.StatusGone, "deleted", "Patient/%s was deleted (version %d)", id, pat.Version)
		}
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/Patient/" + id, Resource: pat.Body, Search: &entrySearch{Mode: "match"}})
	}
	found, _, err := s.Resources.SearchResources(r.Context(), p.Actor, query)
	if err != nil {
		return err
	}
	if len(found) > count {
		found = found[:count]
		last := found[len(found)-1]
		next := url.Values{"_count": {strconv.Itoa(count)}, "_cursor": {last.Type + "/" + last.ID}}
		if v := q.Get("_since"); v != "" {
			next.Set("_since", v)
		}
		b.Link = append(b.Link, bundleLink{"next", base + "/Patient/" + id + "/$everything?" + next.Encode()})
	}
	for _, res := range found {
		if res.Type == "Patient" && res.ID == id || !p.Scopes.Allows(res.Type, false) {
			continue
		}
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + res.Type + "/" + res.ID, Resource: res.Body, Search: &entrySearch{Mode: "match"}})
	}
	writeJSON(w, http.StatusOK, b.json())
	return nil
}
