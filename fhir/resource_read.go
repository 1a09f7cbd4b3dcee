package fhir

import (
	"net/http"
	"strconv"

	"github.com/opencrs/crs"
)

// handleRead answers read (GET [type]/[id]) and vread
// (GET [type]/[id]/_history/[vid]).
func (s *Server) handleRead(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
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
			return invalid("value", "", "version %q is not a version id", v)
		}
		version = n
	}
	res, err := s.Resources.ReadResource(r.Context(), p.Actor, typ, id, version)
	if err != nil {
		return err
	}
	if res.Deleted {
		return outcomeOf(http.StatusGone, "deleted", "%s/%s was deleted (version %d)", typ, id, res.Version)
	}
	writeResource(w, http.StatusOK, res)
	return nil
}

// writeResource answers with a version of a resource, its ETag and
// Last-Modified.
func writeResource(w http.ResponseWriter, status int, res *crs.Resource) {
	w.Header().Set("ETag", etag(res.Version))
	w.Header().Set("Last-Modified", res.LastUpdated.UTC().Format(http.TimeFormat))
	writeJSON(w, status, res.Body)
}
