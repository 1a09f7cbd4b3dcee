package fhir

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// handleRead answers read (GET [type]/[id]) and vread
// (GET [type]/[id]/_history/[vid]).
func (s *Server) handleRead(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if op, ok := strings.CutPrefix(id, "$"); ok {
		// No id has a $ (R4 ids are letters, digits, - and .): the
		// request names an operation on the type that is not served.
		if typ == "Patient" && op == "everything" {
			return outcomeOf(http.StatusNotImplemented, "not-supported", "Patient/$everything is served for one patient (Patient/[id]/$everything); every patient's records are exported with $export")
		}
		return outcomeOf(http.StatusNotImplemented, "not-supported", "operation $%s is not served on %s (the CapabilityStatement lists those that are)", op, typ)
	}
	if typ == "AuditEvent" {
		return s.handleAuditEventRead(w, r, p)
	}
	if err := p.allow(typ, false); err != nil {
		return err
	}
	version := 0
	if v := r.PathValue("vid"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			// No version has that id: versions are numbered from 1.
			return outcomeOf(http.StatusNotFound, "not-found", "%s/%s has no version %q: its versions are numbered 1, 2, ...", typ, id, v)
		}
		version = n
	}
	e, err := s.readServed(r.Context(), p, typ, id, version)
	if err != nil {
		return err
	}
	if e.res.Deleted {
		return outcomeOf(http.StatusGone, "deleted", "%s/%s was deleted (version %d)", typ, id, e.res.Version)
	}
	if notModified(r, e.res) {
		e.setValidators(w.Header())
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if typ == "Binary" && rawBinaryWanted(r.Context()) {
		return writeRawBinary(w, e)
	}
	if r.URL.RawQuery != "" {
		if q := r.URL.Query(); q.Has("_summary") || q.Has("_elements") {
			return writeSubsetted(w, typ, q, e)
		}
	}
	writeServed(w, http.StatusOK, e)
	return nil
}

// writeSubsetted answers a read with _summary or _elements: the
// resource cut to the elements asked for, tagged SUBSETTED.
func writeSubsetted(w http.ResponseWriter, typ string, q url.Values, e *servedEntry) error {
	body, err := cutAsAsked(typ, q, e.res.Body)
	if err != nil {
		return err
	}
	e.setValidators(w.Header())
	writeJSON(w, http.StatusOK, body)
	return nil
}

// cutAsAsked is a resource of typ as a read's _summary and _elements
// ask for it: cut to the elements they name and tagged SUBSETTED, or
// whole when they ask for all of it (_summary=false).
func cutAsAsked(typ string, q url.Values, body []byte) ([]byte, error) {
	cut := &search{params: url.Values{}}
	for _, k := range []string{"_summary", "_elements"} {
		for _, v := range q[k] {
			if err := cut.add(typ, k, v, time.Time{}); err != nil {
				return nil, err
			}
		}
	}
	if cut.countOnly {
		return nil, invalid("invalid", "_summary", "_summary=count counts the matches of a search, not a read")
	}
	if len(cut.elements) > 0 || cut.summary != "" {
		return subsetted(body, cut.elements, cut.summary)
	}
	return body, nil
}

// notModified reports whether a conditional read finds the version it
// read the one the client holds: If-None-Match names its ETag (or is
// *), or, without If-None-Match, it was last updated no later than
// If-Modified-Since.
func notModified(r *http.Request, res *crs.Resource) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return noneMatchNames(inm, res.Version)
	}
	t, err := http.ParseTime(r.Header.Get("If-Modified-Since"))
	return err == nil && unmodifiedSince(res, t)
}

// unmodifiedSince reports whether res was last updated no later than t,
// to the second an HTTP date holds.
func unmodifiedSince(res *crs.Resource, t time.Time) bool {
	return !res.LastUpdated.IsZero() && !res.LastUpdated.Truncate(time.Second).After(t)
}

// readAny reads a version (0 for the current) of a resource of the
// typed core or of the resource store.
func (s *Server) readAny(ctx context.Context, p *Principal, typ, id string, version int) (*crs.Resource, error) {
	e, err := s.readServed(ctx, p, typ, id, version)
	if err != nil {
		return nil, err
	}
	return e.res, nil
}

// readServed is readAny with the answer's headers: those of the read
// cache's entry when it answered.
func (s *Server) readServed(ctx context.Context, p *Principal, typ, id string, version int) (*servedEntry, error) {
	served := func(res *crs.Resource, err error) (*servedEntry, error) {
		if err != nil {
			return nil, err
		}
		return newServedEntry(res, ""), nil
	}
	if s.pmi(typ) {
		e, err := s.readPatientServed(ctx, p, id)
		deleted := crs.ErrorCode(err) == crs.ENOTFOUND
		if !deleted && (err != nil || version == 0 || version == e.res.Version) {
			return e, err
		}
		// A record deleted (registered in error) is read from its
		// history, whose last version deletes it.
		versions, verr := s.patientVersions(ctx, p, id)
		switch {
		case deleted && (verr != nil || len(versions) == 0):
			return nil, err
		case verr != nil:
			return nil, verr
		case deleted && version == 0:
			return served(versions[0], nil)
		}
		for _, v := range versions {
			if v.Version == version {
				return served(v, nil)
			}
		}
		return nil, crs.Errorf(crs.ENOTFOUND, "Patient/%s has no version %d", id, version)
	}
	if m := s.coreType(typ); m != nil && m.owns(id) {
		res, err := m.read(s, ctx, p, id)
		switch {
		case m.created && crs.ErrorCode(err) == crs.ENOTFOUND:
			// not the PAS's: one another system created, in the store
		case err == nil && version > 1:
			return nil, crs.Errorf(crs.ENOTFOUND, "%s/%s is served from the PAS as it stands now (version 1); it has no version %d", typ, id, version)
		default:
			return served(res, err)
		}
	}
	if d := ownDefinition(typ, id); d != nil {
		// OpenCRS's own definitions are the same for every trust, and
		// have one version: no trust can write them.
		if version > 1 {
			return nil, crs.Errorf(crs.ENOTFOUND, "%s/%s is OpenCRS's own definition; it has no version %d", typ, id, version)
		}
		return served(d, nil)
	}
	if version != 0 {
		return served(s.Resources.ReadResource(ctx, p.Actor, typ, id, version))
	}
	return s.readCurrent(ctx, p.Actor, typ, id)
}

// readCurrent reads the current version of a resource of the resource
// store, from the read cache when the actor's access allows.
func (s *Server) readCurrent(ctx context.Context, a crs.Actor, typ, id string) (*servedEntry, error) {
	c := s.cache()
	if c == nil || !cacheable(a) || !a.Can(crs.ActViewClinical) {
		res, err := s.Resources.ReadResource(ctx, a, typ, id, 0)
		if err != nil {
			return nil, err
		}
		return newServedEntry(res, ""), nil
	}
	// The read audits what the store's read audits.
	k := readKey{OrgID: a.OrgID, Type: typ, ID: id, Clinical: true}
	if e, ok := c.get(k); ok {
		s.Store.Audit(a, e.res.PatientID, crs.AuditView, e.what)
		return e, nil
	}
	gen := c.begin()
	res, err := s.Resources.ReadResource(ctx, a, typ, id, 0)
	if err != nil {
		return nil, err
	}
	e := newServedEntry(res, "fhir "+typ+"/"+id)
	c.put(gen, k, e)
	return e, nil
}

// setValidators sets the ETag and Last-Modified of the version served
// (shared, so capped: a handler appending to them copies).
func (e *servedEntry) setValidators(h http.Header) {
	h["Etag"] = e.etag[:1:1]
	if e.modified != nil {
		h["Last-Modified"] = e.modified[:1:1]
	}
}

// writeServed answers with a served representation and its headers as
// made: with its Content-Length, so that the answer goes out whole in
// one write, never chunked.
func writeServed(w http.ResponseWriter, status int, e *servedEntry) {
	h := w.Header()
	h["Content-Type"] = jsonContentType[:1:1]
	e.setValidators(h)
	h["Content-Length"] = e.length[:1:1]
	w.WriteHeader(status)
	w.Write(e.res.Body)
}
