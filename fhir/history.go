package fhir

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// handleHistory answers history of an instance ([type]/[id]/_history),
// a type ([type]/_history) or every resource (_history), newest first,
// with _since and _count, and a next link keyed on the versions seen so
// that new versions never shift a page.
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if typ != "" {
		if err := p.allow(typ, false); err != nil {
			return err
		}
	}
	if typ == "AuditEvent" {
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported", "the audit trail has no history: each record has one version, never changed; read AuditEvent/[id], or search AuditEvent by patient, entity, agent and date")
	}
	q := r.URL.Query()
	count, err := pageCount(q)
	if err != nil {
		return err
	}
	var since time.Time
	if v := q.Get("_since"); v != "" {
		lo, _, ok := ParseDateRange(v)
		if !ok {
			return invalid("invalid", "_since", "_since %q is not an instant", v)
		}
		since = lo
	}
	// _at keeps the versions that were current at some time in its
	// period.
	at, hasAt, err := historyAt(q["_at"])
	if err != nil {
		return err
	}
	for k := range q {
		switch k {
		case "_count", "_since", "_before", "_after", "_at", "_format", "_pretty":
		default:
			return invalid("not-supported", k, "history does not support the parameter %s", k)
		}
	}
	place := crs.HistoryPlace{Before: q.Get("_before"), After: q.Get("_after")}
	if place.Before != "" && place.After != "" {
		return invalid("invalid", "_after", "a page of history is before one version (_before) or after one (_after), not both")
	}
	paged := place != crs.HistoryPlace{}
	var versions []*crs.Resource
	typed := s.coreType(typ) != nil && id == ""
	if m := s.coreType(typ); m != nil && id != "" {
		if typed, err = s.typedRecord(r.Context(), p, m, typ, id); err != nil {
			return err
		}
	}
	// The versions of the PMI's patients, which the trust's history
	// lists in the place of the copies kept beside their records.
	fromPMI := map[string]bool{}
	switch {
	case s.pmi(typ) && id != "":
		if paged || !since.IsZero() {
			return invalid("not-supported", "", "a patient's history is answered whole, newest first, without _since or paging")
		}
		versions, err = s.patientHistory(r.Context(), p, id)
	case s.pmi(typ):
		versions, err = s.patientChanges(r.Context(), p, since, at, place, count+1, fromPMI)
	case id != "" && ownDefinition(typ, id) != nil:
		// OpenCRS's own definition has one version, the one it serves.
		if !paged {
			versions = []*crs.Resource{ownDefinition(typ, id)}
		}
	case typed && id != "":
		// A record of the PAS keeps no versions: its history is the
		// record as it stands, its one version.
		var res *crs.Resource
		if res, err = s.readAny(r.Context(), p, typ, id, 0); err == nil && (since.IsZero() || res.LastUpdated.IsZero() || !res.LastUpdated.Before(since)) && !paged {
			versions = []*crs.Resource{res}
		}
	case typed:
		return outcomeOf(http.StatusBadRequest, "not-supported", "history of %s is not supported: it is served from the PAS's records, which keep no versions (the history of one of them is the record as it stands, at %s/[id]/_history)", typ, typ)
	default:
		versions, err = s.Resources.ResourceHistoryAt(r.Context(), p.Actor, typ, id, since, at, place, count+1)
		if err == nil && typ == "" && s.pmi("Patient") && p.Actor.Can(crs.ActViewDemographics) {
			var pats []*crs.Resource
			if pats, err = s.patientChanges(r.Context(), p, since, at, place, count+1, fromPMI); err == nil {
				// Both keys are time-ordered ids: the newest of the two
				// lists first, one cursor for both; a page after a place
				// keeps the count+1 nearest it, the oldest.
				versions = append(versions, pats...)
				slices.SortStableFunc(versions, func(a, b *crs.Resource) int { return strings.Compare(b.Seq, a.Seq) })
				if place.After != "" && len(versions) > count+1 {
					versions = versions[len(versions)-count-1:]
				}
			}
		}
	}
	if err != nil {
		return err
	}
	if hasAt && id != "" && (typed || s.pmi(typ)) {
		// The versions of one record of the PMI or the PAS, read whole:
		// newest first, each was current until the one after it.
		kept := versions[:0]
		var until time.Time
		for _, v := range versions {
			if (at.End.IsZero() || v.LastUpdated.Before(at.End)) && (until.IsZero() || until.After(at.Start)) {
				kept = append(kept, v)
			}
			until = v.LastUpdated
		}
		versions = kept
	}
	base := baseURL(r)
	path := base + "/_history"
	switch {
	case id != "":
		path = base + "/" + typ + "/" + id + "/_history"
	case typ != "":
		path = base + "/" + typ + "/_history"
	}
	b := &bundle{ResourceType: "Bundle", Type: "history"}
	self := path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	b.Link = append(b.Link, bundleLink{"self", self})
	// A page read after a place holds the count+1 versions nearest it,
	// newest first: one more than a page means a page before it too.
	more := len(versions) > count
	if more && place.After != "" {
		versions = versions[1:]
	} else if more {
		versions = versions[:count]
	}
	link := func(rel, key, seq string) {
		v := url.Values{}
		v.Set("_count", strconv.Itoa(count))
		if s := q.Get("_since"); s != "" {
			v.Set("_since", s)
		}
		v["_at"] = q["_at"]
		v.Set(key, seq)
		b.Link = append(b.Link, bundleLink{rel, path + "?" + linkQuery(v)})
	}
	if len(versions) > 0 && (more && place.After != "" || place.Before != "") {
		link("previous", "_after", versions[0].Seq)
	}
	if len(versions) > 0 && (more && place.After == "" || place.After != "") {
		link("next", "_before", versions[len(versions)-1].Seq)
	}
	seen := map[string]bool{} // a patient the actor may see, by id
	for _, v := range versions {
		if typ == "" && !p.Scopes.Allows(v.Type, false) {
			continue
		}
		if typ == "" && v.Type == "Patient" && s.pmi("Patient") && !fromPMI[v.Seq] {
			continue // a copy kept beside a patient's record: the PMI's versions are listed
		}
		if fromPMI[v.Seq] {
			if v.ID == "" {
				continue // an event of the PMI that carries no version
			}
			ok, known := seen[v.ID]
			if !known {
				if ok, err = s.mayRead(r.Context(), p, v.ID); err != nil {
					return err
				}
				seen[v.ID] = ok
			}
			if !ok {
				continue
			}
		}
		b.Entry = append(b.Entry, historyEntry(base, v))
	}
	if id != "" && len(b.Entry) == 0 && q.Get("_before") == "" && since.IsZero() && !hasAt {
		return outcomeOf(http.StatusNotFound, "not-found", "%s/%s is not in the record", typ, id)
	}
	writeBundle(w, b)
	return nil
}

// historyAt reads the values of _at: the period in which a version
// listed was current at some time. Each value is a date, a day, a month
// or an instant with an optional prefix (eq, ge, gt, le, lt); values
// given together narrow the period to what they share
// (_at=ge2026-01-01&_at=lt2026-02-01). It reports whether any was
// given.
func historyAt(values []string) (crs.Period, bool, error) {
	var at crs.Period
	for _, v := range values {
		op, d := "eq", v
		if len(v) >= 2 && v[0] >= 'a' && v[0] <= 'z' {
			op, d = v[:2], v[2:]
		}
		lo, hi, ok := ParseDateRange(d)
		if !ok {
			return at, false, invalid("invalid", "_at", "_at %q is not a date or an instant (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime, with an optional prefix eq, ge, gt, le or lt)", v)
		}
		var p crs.Period
		switch op {
		case "eq":
			p = crs.Period{Start: lo, End: hi}
		case "ge":
			p.Start = lo
		case "gt":
			p.Start = hi
		case "le":
			p.End = hi
		case "lt":
			p.End = lo
		default:
			return at, false, invalid("not-supported", "_at", "_at %q: the prefix %s is not answered for _at; use eq, ge, gt, le or lt", v, op)
		}
		if p.Start.After(at.Start) {
			at.Start = p.Start
		}
		if !p.End.IsZero() && (at.End.IsZero() || p.End.Before(at.End)) {
			at.End = p.End
		}
	}
	return at, len(values) > 0, nil
}

// pageCount reads the _count of a paged answer: the default when
// absent, at most maxCount.
func pageCount(q url.Values) (int, error) {
	c := q.Get("_count")
	if c == "" {
		return defaultCount, nil
	}
	n, err := strconv.Atoi(c)
	if err != nil || n < 1 {
		return 0, invalid("invalid", "_count", "_count %q is not a positive count", c)
	}
	return min(n, maxCount), nil
}

// patientChanges is the history of the trust's patients, newest first:
// the versions the events of their records carry, from since, current
// at some time in at, at the page's place, at most count (a page's
// worth of events, before the patients the actor may not see are left
// out: mayRead). It marks each version's Seq in fromPMI.
func (s *Server) patientChanges(ctx context.Context, p *Principal, since time.Time, at crs.Period, place crs.HistoryPlace, count int, fromPMI map[string]bool) ([]*crs.Resource, error) {
	events, err := s.Patients.PatientChangesAt(ctx, p.Actor, since, at, place, count)
	if err != nil {
		return nil, err
	}
	var out []*crs.Resource
	for _, ev := range events {
		res, ok, err := eventVersion(ev)
		if err != nil {
			return nil, err
		}
		if !ok {
			// An event without a version still holds its place, so that
			// a page's cursor passes it.
			res = &crs.Resource{Type: "Patient", Seq: ev.ID}
		}
		fromPMI[res.Seq] = true
		out = append(out, res)
	}
	return out, nil
}

// mayRead reports whether the actor may read the patient's record now:
// a patient whose record is sealed or out of the actor's reach is not
// listed in a history.
func (s *Server) mayRead(ctx context.Context, p *Principal, id string) (bool, error) {
	_, err := s.readPatient(ctx, p, id)
	switch crs.ErrorCode(err) {
	case "":
		return true, nil
	case crs.ENOTFOUND:
		// A record deleted (registered in error) keeps its history.
		versions, err := s.patientVersions(ctx, p, id)
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			return false, nil
		}
		return len(versions) > 0 && versions[0].Deleted, err
	case crs.EFORBIDDEN, crs.ESEALED, crs.ENORELATIONSHIP:
		return false, nil
	}
	return false, err
}

// patientHistory is a patient's history: the versions its events carry,
// newest first, headed by the record as it stands when no event carries
// that version (a patient of a bulk load has one event for the whole
// load, not one for each patient).
func (s *Server) patientHistory(ctx context.Context, p *Principal, id string) ([]*crs.Resource, error) {
	cur, err := s.readPatientServed(ctx, p, id)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		// A record deleted: its history ends with the deletion.
		return s.patientVersions(ctx, p, id)
	}
	if err != nil {
		return nil, err
	}
	versions, err := s.patientVersions(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if len(versions) == 0 || versions[0].Version != cur.res.Version {
		versions = append([]*crs.Resource{cur.res}, versions...)
	}
	return versions, nil
}
