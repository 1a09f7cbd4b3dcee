package fhir

import (
	"context"
	"net/http"
	"net/url"
	"slices"
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
	// created, read, searched, updated and deleted beside the typed
	// records, which a write tells apart by reading (typedRecord).
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
// "" for a create): those change through the PAS. Of a type other
// systems also create (Location), a resource another system sent is
// theirs to update and delete.
func (s *Server) refuseCoreWrite(ctx context.Context, p *Principal, typ, id string) error {
	m := s.coreType(typ)
	if m == nil || (m.external && (id == "" || !m.owns(id))) || (m.created && id == "") {
		return nil
	}
	if m.created {
		typed, err := s.typedRecord(ctx, p, m, typ, id)
		if err != nil || !typed {
			return err
		}
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported",
			"%s/%s is one of the trust's own, kept by the PAS (its sites, wards, bays, beds and clinic rooms), and read only here: change it in the PAS. Those other systems sent are updated and deleted here", typ, id)
	}
	if s.heldReferral(typ, id) {
		// Reached from a delete or a conditional update.
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported",
			"%s/%s is one of the PAS's referrals: it is closed (PUT or PATCH of its status) by a request of its own, or a batch's or a transaction's PUT or PATCH, through the PAS's command; it is not deleted, nor changed by a conditional update", typ, id)
	}
	if s.heldSpell(typ, id) {
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported",
			"%s/%s is one of the PAS's inpatient spells: the patient is moved or discharged (PUT or PATCH) by a request of its own, or a batch's or a transaction's PUT or PATCH, through the PAS's commands; it is not deleted, nor changed by a conditional update", typ, id)
	}
	if s.appointmentWritable(typ) {
		// Reached from a delete or a conditional update: the API's
		// own requests (and a batch's or a transaction's POST, PUT and
		// PATCH) book and change appointments.
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported",
			"an Appointment is booked (POST Appointment), and cancelled or attended (PUT or PATCH Appointment/[id]), by a request of its own through the PAS's commands, a batch's or a transaction's POST, PUT or PATCH; it is not deleted, nor changed by a conditional update")
	}
	return outcomeOf(http.StatusMethodNotAllowed, "not-supported",
		"%s is served read only from the PAS's records; record it in the PAS (its screens or HL7 feed), which the API then serves", typ)
}

// typedRecord reports whether typ/id names a record of the typed core.
// Of a type whose ids have no prefix of their own (created), it reads
// the record to know.
func (s *Server) typedRecord(ctx context.Context, p *Principal, m *coreMapping, typ, id string) (bool, error) {
	if !m.owns(id) {
		return false, nil
	}
	if !m.created {
		return true, nil
	}
	_, err := m.read(s, ctx, p, id)
	switch crs.ErrorCode(err) {
	case "":
		return true, nil
	case crs.ENOTFOUND:
		return false, nil
	}
	return false, err
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

// keptServed keeps the typed matches that pass a search's checks, each
// read whole to be matched if it has no Body yet.
func (s *Server) keptServed(ctx context.Context, p *Principal, q *search, found []*crs.Resource) ([]*crs.Resource, error) {
	var kept []*crs.Resource
	for _, res := range found {
		if res.Body == nil {
			whole, err := s.readAny(ctx, p, res.Type, res.ID, 0)
			if err != nil {
				return nil, err
			}
			res = whole
		}
		if q.keep(res) {
			kept = append(kept, res)
		}
	}
	return kept, nil
}

// writeTypedSearch answers a search of a type of the typed core: every
// match of the typed records, then for a type the resource store also
// holds, the resource store's matches, paged together by _offset. It
// chooses one of four ways: a sorted search of the PMI the database
// sorts and pages (writePMISorted); a search no index of the PAS leads,
// read page by page across the trust (writeScan); one of those sorted
// (writeSortedScan); or the typed search, patient by patient, with
// each page's checks (writeTypedMatches).
func (s *Server) writeTypedSearch(w http.ResponseWriter, r *http.Request, p *Principal, q *search, b *bundle, typed func(context.Context, *Principal, *search) ([]*crs.Resource, error)) error {
	if s.pmi(q.query.Type) && len(q.query.SortBy) > 0 && s.pmiSorts(q) {
		return s.writePMISorted(w, r, p, q, b)
	}
	if scan := s.scanOf(q); scan != nil {
		return s.writeScan(w, r, p, q, b, scan)
	}
	if scan := s.sortedScanOf(q); scan != nil {
		return s.writeSortedScan(w, r, p, q, b, scan)
	}
	return s.writeTypedMatches(w, r, p, q, b, typed)
}

// writePMISorted answers a sorted search of the PMI the database sorts
// and pages (sortedPatients).
func (s *Server) writePMISorted(w http.ResponseWriter, r *http.Request, p *Principal, q *search, b *bundle) error {
	page, total, err := s.sortedPatients(r.Context(), p, q)
	if err != nil {
		return err
	}
	return s.writeTypedPage(w, r, p, q, b, page, total, q.total || q.countOnly)
}

// sortedScanOf returns the scan that reads the records of a sorted search
// the PAS answers by reading the trust (no patient named, no index to
// lead it), or nil when the typed search answers it. The trust's
// Organizations, a few hundred GP practices, are read whole and sorted
// by the typed search (searchOrganizations).
func (s *Server) sortedScanOf(q *search) coreScan {
	if len(q.query.SortBy) == 0 || q.query.Type == "Organization" {
		return nil
	}
	return s.scanOf(unsortedOf(q))
}

// unsortedOf is a search without its _sort.
func unsortedOf(q *search) *search {
	unsorted := *q
	unsorted.query.SortBy = nil
	return &unsorted
}

// writeSortedScan answers a sorted search the PAS answers by reading the
// trust's records. Sorted by date, encounters and appointments, and by
// birthdate the PMI's patients, are read in that order up to the page's
// end and one more (readSorted), and counted only when asked (_total,
// _summary=count); by any other key every match is read, counted, and
// those up to the page's end kept in order (scanSorted).
func (s *Server) writeSortedScan(w http.ResponseWriter, r *http.Request, p *Principal, q *search, b *bundle, scan coreScan) error {
	ctx := r.Context()
	unsorted := unsortedOf(q)
	end := q.query.Offset + q.query.Count
	reads := s.orderedReads(q, unsorted)
	if reads == nil {
		found, total, err := s.scanSorted(ctx, p, unsorted, scan, q.query.SortBy, end)
		if err != nil {
			return err
		}
		return s.writeTypedFound(w, r, p, q, b, found, total, true)
	}
	var found []*crs.Resource
	if !q.countOnly {
		var err error
		if found, err = s.readSorted(ctx, p, unsorted, reads, q.query.SortBy, end+1); err != nil {
			return err
		}
	}
	counted := q.total || q.countOnly
	total := len(found) // one more than the page's end when more follow
	if counted {
		var err error
		if total, _, _, err = s.scanPage(ctx, p, unsorted, scan, "", -1); err != nil {
			return err
		}
	}
	return s.writeTypedFound(w, r, p, q, b, found, total, counted)
}

// writeTypedMatches answers a search by the typed search's matches
// (patient by patient, or by an index of the PAS), sorted as served; a
// check on each page (identifier:of-type) is made on each match, so that
// _offset pages through those kept.
func (s *Server) writeTypedMatches(w http.ResponseWriter, r *http.Request, p *Principal, q *search, b *bundle, typed func(context.Context, *Principal, *search) ([]*crs.Resource, error)) error {
	found, err := typed(r.Context(), p, q)
	if err != nil {
		return err
	}
	if len(q.checks) > 0 && !s.pmi(q.query.Type) {
		if found, err = s.keptServed(r.Context(), p, q, found); err != nil {
			return err
		}
	}
	if err := sortServed(found, q.query.SortBy); err != nil {
		return err
	}
	return s.writeTypedFound(w, r, p, q, b, found, len(found), true)
}

// writeTypedFound answers a page of the typed matches found (in order,
// at least up to the page's end) of typedTotal, counted or not: with a
// type the resource store also holds, its matches join them, sorted
// with them or following them in id order. OpenCRS's own definitions a
// search finds (ownDefinitionsFound) are answered as typed matches of a
// type the store also holds: the trust's own join them, unless the
// search can find none of those (onlyOwnDefinitions).
func (s *Server) writeTypedFound(w http.ResponseWriter, r *http.Request, p *Principal, q *search, b *bundle, found []*crs.Resource, typedTotal int, counted bool) error {
	m := s.coreType(q.query.Type)
	stored := m != nil && m.stored() || slices.Contains(ownDefinitionTypes, q.query.Type) && !onlyOwnDefinitions(&q.query)
	checked := len(q.checks) > 0 && !s.pmi(q.query.Type)
	if checked && stored {
		// The resource store's kept matches join the typed ones, sorted
		// and paged with them.
		err := s.eachKept(r.Context(), p.Actor, q, func(res *crs.Resource) {
			found = append(found, res)
			typedTotal++
		})
		if err != nil {
			return err
		}
		if err := sortServed(found, q.query.SortBy); err != nil {
			return err
		}
	}
	from := min(q.query.Offset, len(found))
	to := min(from+q.query.Count, len(found))
	page := found[from:to]
	total := typedTotal
	if stored && !checked {
		// The resource store's matches follow the typed ones, in id order
		// so that an offset pages through them.
		store := q.query
		store.Count, store.After = 0, ""
		_, n, err := s.Resources.SearchResources(r.Context(), p.Actor, store)
		if err != nil {
			return err
		}
		total += n
		switch want := q.query.Count - len(page); {
		case q.countOnly || n == 0:
		case len(store.SortBy) > 0:
			// Sorted, the page is among the typed matches and the store's
			// first up to its end, sorted together; with no typed match,
			// the store's page.
			store.Count, store.Offset = q.query.Offset+q.query.Count, 0
			if typedTotal == 0 {
				store.Count, store.Offset = q.query.Count, q.query.Offset
			}
			more, _, err := s.Resources.SearchResources(r.Context(), p.Actor, store)
			if err != nil {
				return err
			}
			if typedTotal == 0 {
				page = more
				break
			}
			all := append(slices.Clone(found), more...)
			if err := sortServed(all, store.SortBy); err != nil {
				return err
			}
			page = all[min(q.query.Offset, len(all)):min(q.query.Offset+q.query.Count, len(all))]
		case want > 0:
			store.SortBy = []crs.ResourceSort{{Param: "_id"}}
			store.Count, store.Offset = want, max(0, q.query.Offset-typedTotal)
			more, _, err := s.Resources.SearchResources(r.Context(), p.Actor, store)
			if err != nil {
				return err
			}
			page = append(page, more...)
		}
	}
	return s.writeTypedPage(w, r, p, q, b, page, total, counted)
}

// pmiSorts reports whether the PMI sorts a sorted search of patients: one
// an index leads (an identifier, a name, a birth date), or none but
// gender alone. Any other (a town, a range of birth dates, :missing) is read
// across the trust and sorted as read (scanSorted).
func (s *Server) pmiSorts(q *search) bool {
	if s.scanOf(unsortedOf(q)) == nil {
		return true
	}
	if len(q.query.Not) > 0 || len(q.query.Missing) > 0 {
		return false
	}
	for _, g := range q.query.All {
		if g[0].Param != "gender" {
			return false
		}
	}
	return true
}

// writeTypedPage answers a page of a search of the typed core, of total
// matches (the Bundle's total when counted; otherwise at least one more
// than the page's end when more follow), with a next link to the page
// after it.
func (s *Server) writeTypedPage(w http.ResponseWriter, r *http.Request, p *Principal, q *search, b *bundle, page []*crs.Resource, total int, counted bool) error {
	var err error
	if counted {
		b.Total = intPtr(total)
	}
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
		b.Link = append(b.Link, bundleLink{"next", q.linkPath(r) + "?" + linkQuery(next)})
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
