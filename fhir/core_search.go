package fhir

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// A search of the typed core that no index of the PAS leads (patients by
// gender or address alone, a trust's encounters by status, or a search
// with no criteria at all) is answered by a scan: the trust's records
// are read a batch at a time in a stable order (patients by id; their
// encounters, referrals, pathways and appointments by patient, then by
// id, from the PAS's tables: core_tables.go), each matched as the
// resource store would match it, until a page of matches is found. The
// next link carries the cursor of the last match shown, so pages neither
// repeat nor skip a record while others are added. A count
// (_summary=count, _total) reads to the end.

// scanned is a record a scan read, served, with the cursor that resumes
// the scan after it.
type scanned struct {
	res    *crs.Resource
	cursor string
	// r is the resource to match when res has no Body (a patient, read
	// whole only once on the page).
	r Resource
	// whole is a patient's resource read whole by the scan for the
	// search to match (not audited as a view: the scan was), when the
	// search needs it (readsWhole); nil when not read.
	whole Resource
}

// coreScan reads the batch of records after cursor ("" from the first);
// more says whether any follow the batch.
type coreScan func(ctx context.Context, p *Principal, cursor string) (batch []scanned, more bool, err error)

// scanBatch is how many patients a scan reads at a time.
const scanBatch = 200

// scanOf returns the scan that answers a search of the typed core, or
// nil when an index of the PAS leads it (the typed search answers it).
func (s *Server) scanOf(q *search) coreScan {
	if q.query.Type == "Patient" {
		if s.pmi("Patient") && !patientIndexed(&q.query) && len(q.query.SortBy) == 0 {
			return s.patientScan(q)
		}
		return nil
	}
	if q.query.Type == "Slot" && s.coreType("Slot") != nil && readWhole(q, "") {
		return s.scanSlots
	}
	if q.query.Type == "Organization" && s.coreType("Organization") != nil && readWhole(q, "identifier") {
		// By an ODS code the typed search serves the practice the code
		// names; otherwise the trust and the practices it knows are read.
		return s.scanOrganizations
	}
	if s.coreType(q.query.Type) == nil || coreTables[q.query.Type] == nil || len(q.query.IDs) > 0 || len(q.query.SortBy) > 0 {
		return nil
	}
	for _, g := range q.query.All {
		if g[0].Param == "patient" || g[0].Param == "subject" || !plainGroup(g) {
			return nil
		}
	}
	return s.scanTables(coreTables[q.query.Type], &q.query)
}

// readWhole reports whether a search of a type the PAS lists whole is
// answered by reading the list: no _id, no _sort, no chain or _has, and
// no condition on lead (a parameter the typed search answers directly;
// "" for none).
func readWhole(q *search, lead string) bool {
	return len(q.query.IDs) == 0 && len(q.query.SortBy) == 0 && !slices.ContainsFunc(q.query.All, func(g []crs.ResourceCondition) bool {
		return !plainGroup(g) || lead != "" && g[0].Param == lead
	})
}

// scanOrganizations reads the trust, then the GP practices it knows in
// ODS code order, a batch at a time. The trust's cursor is the prefix of
// the practices' ids, before any of theirs; a practice's is its id.
func (s *Server) scanOrganizations(ctx context.Context, p *Principal, cursor string) ([]scanned, bool, error) {
	var out []scanned
	if cursor == "" {
		o, err := s.Core.Orgs.FindOrganisation(ctx, p.Actor)
		if err != nil {
			return nil, false, err
		}
		trust, err := trustOrganization(o)
		if err != nil {
			return nil, false, err
		}
		out = append(out, scanned{res: trust, cursor: prefixGP})
	}
	ps, more, err := s.Core.Orgs.ListGPPractices(ctx, p.Actor, strings.TrimPrefix(cursor, prefixGP), scanBatch)
	if err != nil {
		return nil, false, err
	}
	for _, gp := range ps {
		r, err := gpOrganization(gp)
		if err != nil {
			return nil, false, err
		}
		out = append(out, scanned{res: r, cursor: prefixGP + gp.Code})
	}
	return out, more, nil
}

// patientIndexed reports whether the PMI's search leads a Patient
// search: an identifier, a name, a birthdate of one day, _id or a
// reverse chain.
func patientIndexed(q *crs.ResourceQuery) bool {
	if len(q.IDs) > 0 {
		return true
	}
	for _, g := range q.All {
		switch g[0].Param {
		case "identifier":
			return true
		case "family", "name", "given", "phonetic":
			// The PMI finds names by any part's start, by sound or
			// holding what was typed (:contains), and the names kept
			// beside a record.
			return true
		case "birthdate":
			if oneDay(g) {
				return true
			}
		}
		if !plainGroup(g) {
			return true
		}
	}
	return false
}

// oneDay reports whether a birthdate group names days, each on its own
// (the PMI finds the patients born on a day).
func oneDay(g []crs.ResourceCondition) bool {
	for _, c := range g {
		if c.Op != crs.MatchEq || c.Hi.Sub(c.Lo).Hours() > 25 {
			return false
		}
	}
	return true
}

// pmiHeld are the Patient search parameters the PMI's record answers
// alone; any other (another system's identifier, language, link) is
// matched on the patient's resource read whole, with what is kept
// beside the record.
var pmiHeld = map[string]bool{"_id": true, "_lastUpdated": true, "active": true, "address": true, "address-city": true, "address-country": true,
	"address-postalcode": true, "address-state": true, "address-use": true, "birthdate": true, "death-date": true, "deceased": true,
	"email": true, "family": true, "gender": true, "general-practitioner": true, "given": true, "name": true, "organization": true,
	"phone": true, "phonetic": true, "telecom": true}

// needsWhole reports whether a Patient search names a parameter the
// PMI's record does not answer alone.
func needsWhole(q *crs.ResourceQuery) bool { return !heldBy(q, pmiHeld) }

// heldBy reports whether every parameter a search names is in held.
func heldBy(q *crs.ResourceQuery, held map[string]bool) bool {
	for _, gs := range [][][]crs.ResourceCondition{q.All, q.Not} {
		for _, g := range gs {
			for _, c := range g {
				if !held[strings.TrimSuffix(c.Param, ":text")] {
					return false
				}
			}
		}
	}
	for name := range q.Missing {
		if !held[name] {
			return false
		}
	}
	return true
}

// patientScan returns the scan of the trust's patients in id order for
// the search q. A patient is served from the PMI's record, without a
// Body when its resource is read whole only once it is on the page: the
// patients the scan reads are audited as read for q, and those shown as
// read whole.
func (s *Server) patientScan(q *search) coreScan {
	scan := crs.PatientScan{Limit: scanBatch, For: scannedFor(q)}
	return func(ctx context.Context, p *Principal, cursor string) ([]scanned, bool, error) {
		scan.After = cursor
		batch, next, err := s.scanPatients(ctx, p, q, scan)
		return batch, next != "", err
	}
}

// scanPatients reads the page of scan of the trust's patients for the
// search q, and the cursor of the page after it: each read whole, a page
// at a time, when the search needs it (readsWhole), for it to be matched
// without a read (and a view audited) of each patient alone.
func (s *Server) scanPatients(ctx context.Context, p *Principal, q *search, scan crs.PatientScan) ([]scanned, string, error) {
	if s.readsWhole(p, q) {
		recs, next, err := s.Patients.ScanPatientRecords(ctx, p.Actor, scan, true)
		if err != nil {
			return nil, "", err
		}
		pats := make([]*crs.Patient, len(recs))
		for i, rec := range recs {
			pats[i] = rec.Patient
		}
		out := patientsScanned(pats)
		for i, rec := range recs {
			out[i].whole = servedPatientResource(rec.Patient, keptOf(rec.Kept), rec.Merged...)
		}
		return out, next, nil
	}
	pats, next, err := s.Patients.ScanPatients(ctx, p.Actor, scan)
	if err != nil {
		return nil, "", err
	}
	return patientsScanned(pats), next, nil
}

// readsWhole reports whether a search of the PMI's patients matches each
// on its resource read whole: a parameter the record does not answer
// alone (language, link, another system's identifier), for an actor who
// sees what is kept beside the record.
func (s *Server) readsWhole(p *Principal, q *search) bool {
	return q.query.Type == "Patient" && needsWhole(&q.query) && s.Resources != nil && p.Actor.Can(crs.ActViewClinical)
}

// scannedFor is how the audit trail names a search of the PMI that
// reads its patients to find the matches: its type and parameters.
func scannedFor(q *search) string { return q.query.Type + "?" + linkQuery(q.params) }

// patientsScanned are patients of the PMI as a scan reads them, each
// without a Body, its cursor its id.
func patientsScanned(pats []*crs.Patient) []scanned {
	out := make([]scanned, 0, len(pats))
	for _, pat := range pats {
		out = append(out, scanned{res: &crs.Resource{Type: "Patient", ID: pat.ID}, cursor: pat.ID, r: patientResource(pat, nil)})
	}
	return out
}

// writeScan answers a search of the typed core by a scan: a page of the
// matches after the cursor (_cursor), with a next link resuming after
// the last; a count (_summary=count, _total) reads every match. For a
// type the resource store also holds (other systems' encounters), its
// matches follow the PAS's, in id order, their cursor "store|id".
func (s *Server) writeScan(w http.ResponseWriter, r *http.Request, p *Principal, q *search, b *bundle, scan coreScan) error {
	ctx := r.Context()
	stored := false
	if m := s.coreType(q.query.Type); m != nil && m.stored() {
		stored = s.Resources != nil
	}
	if q.countOnly || q.total {
		var n int
		var err error
		counted := false
		if q.query.Type == "Patient" && len(q.query.All) == 0 && len(q.query.Not) == 0 && len(q.query.Missing) == 0 {
			n, err = s.Patients.CountPatients(ctx, p.Actor) // every patient: counted, not read
			counted = true
		} else {
			n, counted, err = s.countTables(ctx, p, q) // by status and class: counted, not read
		}
		if err == nil && !counted {
			n, _, _, err = s.scanPage(ctx, p, q, scan, "", -1)
		}
		if err != nil {
			return err
		}
		if stored {
			sq := *q
			sq.query.Count, sq.query.After = 0, ""
			more, err := s.countMatches(ctx, p.Actor, &sq)
			if err != nil {
				return err
			}
			n += more
		}
		b.Total = intPtr(n)
		if q.countOnly {
			writeJSON(w, http.StatusOK, b.servedJSON())
			return nil
		}
	}
	var page []*crs.Resource
	next := ""
	storeAfter, inStore := strings.CutPrefix(q.query.After, "store|")
	if !inStore {
		storeAfter = "" // the store's matches from the first, after the PAS's
		var err error
		if _, page, next, err = s.scanPage(ctx, p, q, scan, q.query.After, q.query.Count); err != nil {
			return err
		}
	}
	if stored && next == "" {
		want := q.query.Count - len(page)
		sq := q.query
		sq.After, sq.Count = storeAfter, want+1
		more, _, err := s.Resources.SearchResources(ctx, p.Actor, sq)
		if err != nil {
			return err
		}
		if len(more) > want {
			more = more[:want]
			next = "store|" // the PAS's page is full; the store's follow
			if want > 0 {
				next += more[want-1].ID
			}
		}
		// A check on each page keeps what passes it; the next link
		// follows the store's page, so a page may hold fewer.
		page = append(page, slices.DeleteFunc(more, func(res *crs.Resource) bool { return !q.keep(res) })...)
	}
	if next != "" {
		link := url.Values{}
		for k, v := range q.params {
			link[k] = v
		}
		link.Set("_count", strconv.Itoa(q.query.Count))
		link.Set("_cursor", next)
		b.Link = append(b.Link, bundleLink{"next", q.linkPath(r) + "?" + linkQuery(link)})
	}
	shown := page[:0]
	for _, res := range page {
		if res.Body == nil { // a patient, read whole (the read audited) now it is on the page
			whole, err := s.readAny(ctx, p, res.Type, res.ID, 0)
			switch crs.ErrorCode(err) {
			case "":
				res = whole
			case crs.EFORBIDDEN, crs.ESEALED: // a sealed record the actor has not opened is not shown
				continue
			default:
				return err
			}
		}
		shown = append(shown, res)
	}
	return s.writeSearchset(w, r, p, q, b, shown)
}

// scanPage scans from cursor for count matches (count < 0: every match)
// and returns how many it found, the page of them and the cursor after
// the page's last when more match ("" when none do).
func (s *Server) scanPage(ctx context.Context, p *Principal, q *search, scan coreScan, cursor string, count int) (n int, page []*crs.Resource, next string, err error) {
	whole := s.readsWhole(p, q)
	last, full := "", false
	err = s.scanEach(ctx, p, q, scan, cursor, whole, func(it scanned) bool {
		if count >= 0 && len(page) == count {
			full = true // a match beyond the page: another page follows
			return false
		}
		n++
		if count > 0 {
			page = append(page, it.res)
			last = it.cursor
		}
		return true
	})
	switch {
	case err != nil:
		return 0, nil, "", err
	case full:
		return n, page, last, nil
	}
	return n, page, "", nil
}

// scanEach reads a scan from the record after cursor and calls visit
// with each match of the search, until visit answers false or nothing
// is left.
func (s *Server) scanEach(ctx context.Context, p *Principal, q *search, scan coreScan, cursor string, whole bool, visit func(scanned) bool) error {
	for {
		batch, more, err := scan(ctx, p, cursor)
		if err != nil {
			return err
		}
		for _, it := range batch {
			cursor = it.cursor
			if it.res == nil {
				continue
			}
			ok, err := s.scanMatch(ctx, p, it, q, whole)
			if err != nil {
				return err
			}
			if ok && !visit(it) {
				return nil
			}
		}
		if !more {
			return nil
		}
	}
}

// maxScanSorted is how far into a sorted search the PAS reads across the
// trust a page may start: the matches up to a page's end are held while
// every match is read.
const maxScanSorted = 10000

// scanSorted answers a sorted search the PAS answers by reading the
// trust's records (no patient named): every match is read, as a count
// reads them, and the first keep of them in the order of by are kept
// and returned sorted, with how many match in all.
func (s *Server) scanSorted(ctx context.Context, p *Principal, q *search, scan coreScan, by []crs.ResourceSort, keep int) (kept []*crs.Resource, n int, err error) {
	if keep > maxScanSorted {
		return nil, 0, invalid("not-supported", "_offset", "a sorted %s search that names no patient pages through its first %d matches; name a patient (patient=) or narrow it by status or date", q.query.Type, maxScanSorted)
	}
	whole := s.readsWhole(p, q)
	// A patient of the PMI is sorted by what its search shows of it and
	// read whole only if it is on the page: its copy with that body
	// stands in for it while sorted.
	shown := map[*crs.Resource]*crs.Resource{}
	var failed error
	err = s.scanEach(ctx, p, q, scan, "", whole, func(it scanned) bool {
		n++
		res := it.res
		if res.Body == nil && it.r != nil {
			body, err := json.Marshal(it.r)
			if err != nil {
				failed = err
				return false
			}
			c := *res
			c.Body = body
			shown[&c] = res
			res = &c
		}
		kept = append(kept, res)
		if len(kept) >= 2*keep+tableBatch {
			// Only the first keep can be on the page: the rest go.
			if failed = sortServed(kept, by); failed != nil {
				return false
			}
			for _, r := range kept[keep:] {
				delete(shown, r)
			}
			clear(kept[keep:])
			kept = kept[:keep]
		}
		return true
	})
	if err == nil {
		err = failed
	}
	if err == nil {
		err = sortServed(kept, by)
	}
	if err != nil {
		return nil, 0, err
	}
	kept = kept[:min(keep, len(kept))]
	for i, r := range kept {
		if orig, ok := shown[r]; ok {
			kept[i] = orig
		}
	}
	return kept, n, nil
}

// scanMatch reports whether a record a scan read matches the search; a
// patient is read whole first when whole says the search needs it.
func (s *Server) scanMatch(ctx context.Context, p *Principal, it scanned, q *search, whole bool) (bool, error) {
	res, r := it.res, it.r
	if whole && it.whole != nil {
		r = it.whole
	} else if whole {
		full, err := s.readPatient(ctx, p, res.ID)
		switch crs.ErrorCode(err) {
		case "":
			res, r = full, nil
		case crs.ENOTFOUND, crs.EFORBIDDEN, crs.ESEALED:
			return false, nil
		default:
			return false, err
		}
	}
	if r == nil {
		var err error
		if r, err = Decode(res.Body); err != nil {
			return false, err
		}
	}
	return matchesQuery(r, &q.query, nil) && q.keepServed(r), nil
}

// matchesQuery reports whether a served resource matches a search as the
// resource store would: some condition of every group of All, no
// condition of any group of Not, and each parameter of Missing without a
// value (true) or with one (false).
func matchesQuery(r Resource, q *crs.ResourceQuery, other heldElsewhere) bool {
	return rowsMatchQuery(r, servedRows(r, paramsOf(q)), q, other)
}

// servedRows are the index rows the resource store would keep of a
// served resource (of the parameters keep names, all when nil), and its
// _lastUpdated, which the store keeps with the version, not in its
// index.
func servedRows(r Resource, keep map[string]bool) []crs.ResourceIndexRow {
	rows := indexRows(r, keep)
	if meta, _ := r["meta"].(map[string]any); meta != nil {
		if at, ok := meta["lastUpdated"].(string); ok {
			if lo, hi, ok := ParseDateRange(at); ok {
				rows = append(rows, crs.ResourceIndexRow{Param: "_lastUpdated", Lo: lo, Hi: hi})
			}
		}
	}
	return rows
}

// rowsMatchQuery is matchesQuery of a resource whose index rows are
// known.
func rowsMatchQuery(r Resource, rows []crs.ResourceIndexRow, q *crs.ResourceQuery, other heldElsewhere) bool {
	if !rowsMatchAll(r, rows, q.All, other) {
		return false
	}
	for _, g := range q.Not {
		if rowsMatchAll(r, rows, [][]crs.ResourceCondition{g}, other) {
			return false
		}
	}
	for name, missing := range q.Missing {
		if slices.ContainsFunc(rows, func(row crs.ResourceIndexRow) bool { return row.Param == name }) == missing {
			return false
		}
	}
	if len(q.IDs) > 0 && !slices.Contains(q.IDs, r.ID()) {
		return false
	}
	return true
}

// paramsOf names the parameters whose index rows a search reads.
func paramsOf(q *crs.ResourceQuery) map[string]bool {
	names := map[string]bool{}
	for _, gs := range [][][]crs.ResourceCondition{q.All, q.Not} {
		for _, g := range gs {
			for _, c := range g {
				name, _, _ := strings.Cut(c.Param, ":")
				names[name] = true
			}
		}
	}
	for name := range q.Missing {
		names[name] = true
	}
	return names
}

// rowsMatchAll reports whether the index rows of the resource r match
// some condition of every group; other names the resources matched by
// an identifier of another system whatever their rows say.
func rowsMatchAll(r Resource, rows []crs.ResourceIndexRow, groups [][]crs.ResourceCondition, other heldElsewhere) bool {
	for _, g := range groups {
		ok := false
		for _, c := range g {
			if c.Param == "identifier" && other[r.ID()][identifierKey(c)] {
				ok = true
			}
			if c.Param == "phonetic" && r.Type() == "Patient" {
				// Names that sound alike, by the PMI's key.
				ok = ok || soundsLike(r, c)
				continue
			}
			for _, row := range rows {
				if row.Param == c.Param && rowMatches(row, c) {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// listedHeld are the Patient search parameters what the PMI's search
// shows of a patient answers (identifiers, names, birth date, gender,
// postcode, death and merge); any other is matched on the patient's
// record read whole.
var listedHeld = map[string]bool{"_id": true, "identifier": true, "family": true, "given": true, "name": true, "phonetic": true,
	"birthdate": true, "gender": true, "address-postalcode": true, "death-date": true, "deceased": true, "active": true}

// listedAnswers reports whether what the PMI's search shows of a
// patient answers every parameter of a search.
func listedAnswers(q *crs.ResourceQuery) bool { return heldBy(q, listedHeld) }

// servedParams are the search parameters a type of the typed core is
// searched by: every R4 parameter of the type the served resources are
// matched on (none composite or special, each with its elements), _id
// and _lastUpdated, by name.
func servedParams(typ string) []string {
	names := []string{"_id", "_lastUpdated"}
	for n, p := range searchParams[typ] {
		if n != "_id" && n != "_lastUpdated" && p.Type != "composite" && p.Type != "special" && len(p.Paths) > 0 {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
