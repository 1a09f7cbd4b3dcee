package fhir

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// Core is the typed administrative core the API serves read only, as
// UK Core resources: inpatient spells, A&E attendances and outpatient
// appointments as Encounters, RTT pathways as EpisodeOfCare, referrals
// as ServiceRequest, appointments, the trust's wards and beds as
// Location and the trust and GP practices as Organization. They change
// only through the PAS (its screens and HL7 feeds), so writes naming
// them are refused.
type Core struct {
	Referrals   crs.ReferralService
	Inpatients  crs.InpatientService
	ED          crs.EDService
	Outpatients crs.OutpatientService
	Orgs        crs.OrganisationService
}

// coreMapping is how one type of the typed core is served.
type coreMapping struct {
	// prefixes of the ids of the typed records it serves; an id without
	// one is a resource of the resource store.
	prefixes []string
	// external says the resource store also holds resources of the type
	// that other systems sent (Synthea's encounters of care elsewhere):
	// those are created, read, updated and searched as ever, beside the
	// typed ones.
	external bool
	// created says the resource store also takes creates of the type
	// from other systems (Synthea's hospitals' locations) though every
	// id is the typed core's (no prefix tells them apart): those are
	// created, read and searched beside the typed records, not changed
	// through the API.
	created bool
	read    func(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error)
	// search returns every typed record matching the search, or
	// errNotTyped when the search names none (then only the resource
	// store is searched).
	search func(s *Server, ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error)
	// params are the search parameters the typed search understands.
	params []string
	// sharesRows says the resource store indexes the type's resources
	// as any other type's, a parameter held in another's rows (see
	// sharedTable): its typed search names no parameter but _id.
	sharesRows bool
}

// stored reports whether the resource store holds resources of the type
// too, searched beside the typed records.
func (m *coreMapping) stored() bool { return m.external || m.created }

// owns reports whether id names a record of the typed core.
func (m *coreMapping) owns(id string) bool {
	for _, pre := range m.prefixes {
		if strings.HasPrefix(id, pre) {
			return true
		}
	}
	return false
}

// coreType returns how typ is served from the typed core, or nil when
// it is not (or the server has no core).
func (s *Server) coreType(typ string) *coreMapping {
	if s.Core == nil {
		return nil
	}
	return coreMappings[typ]
}

// coreMappings holds the mapped types; filled in by the files that map
// each.
var coreMappings = map[string]*coreMapping{}

// refuseCoreWrite refuses a write naming a record of the typed core (id
// "" for a create): those change through the PAS.
func (s *Server) refuseCoreWrite(typ, id string) error {
	m := s.coreType(typ)
	if m == nil || (m.external && (id == "" || !m.owns(id))) || (m.created && id == "") {
		return nil
	}
	return outcomeOf(http.StatusMethodNotAllowed, "not-supported",
		"%s is served read only from the PAS's records; record it in the PAS (its screens or HL7 feed), which the API then serves", typ)
}

// typedSearch returns the search of typ from the typed core, or nil.
func (s *Server) typedSearch(typ string) func(ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error) {
	if s.pmi(typ) {
		return s.searchPatients
	}
	if m := s.coreType(typ); m != nil {
		return func(ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error) {
			return m.search(s, ctx, p, q)
		}
	}
	return nil
}

// writeTypedSearch answers a search of a type of the typed core: every
// match of the typed records, then for a type the resource store also
// holds, the resource store's matches, paged together by _offset. A
// typed match without a Body is read whole when it is on the page.
func (s *Server) writeTypedSearch(w http.ResponseWriter, r *http.Request, p *Principal, q *search, b *bundle, typed func(context.Context, *Principal, *search) ([]*crs.Resource, error)) error {
	typ := q.query.Type
	if scan := s.scanOf(q); scan != nil {
		return s.writeScan(w, r, p, q, b, scan)
	}
	found, err := typed(r.Context(), p, q)
	if err != nil {
		return err
	}
	typedTotal := len(found)
	from := min(q.query.Offset, typedTotal)
	to := min(from+q.query.Count, typedTotal)
	page := found[from:to]
	total := typedTotal
	if m := s.coreType(typ); m != nil && m.stored() {
		// The resource store's matches follow the typed ones, in id order
		// so that an offset pages through them.
		store := q.query
		store.Count, store.After = 0, ""
		_, n, err := s.Resources.SearchResources(r.Context(), p.Actor, store)
		if err != nil {
			return err
		}
		total += n
		if want := q.query.Count - len(page); want > 0 && !q.countOnly && n > 0 {
			if len(store.SortBy) == 0 {
				store.SortBy = []crs.ResourceSort{{Param: "_id"}}
			}
			store.Count, store.Offset = want, max(0, q.query.Offset-typedTotal)
			more, _, err := s.Resources.SearchResources(r.Context(), p.Actor, store)
			if err != nil {
				return err
			}
			page = append(page, more...)
		}
	}
	b.Total = intPtr(total)
	if q.countOnly {
		writeJSON(w, http.StatusOK, b.servedJSON())
		return nil
	}
	if end := q.query.Offset + q.query.Count; end < total {
		next := url.Values{}
		for k, v := range q.params {
			next[k] = v
		}
		next.Set("_count", strconv.Itoa(q.query.Count))
		next.Set("_offset", strconv.Itoa(end))
		b.Link = append(b.Link, bundleLink{"next", baseURL(r) + "/" + typ + "?" + next.Encode()})
	}
	for i, res := range page {
		if res.Body == nil { // a match to read whole, now it is on the page
			if page[i], err = s.readAny(r.Context(), p, res.Type, res.ID, 0); err != nil {
				return err
			}
		}
	}
	return s.writeSearchset(w, r, p, q, b, page)
}
