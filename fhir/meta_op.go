package fhir

import (
	"encoding/json"
	"net/http"

	"github.com/opencrs/crs"
)

// handleMeta answers [type]/[id]/$meta: the resource's meta (its
// version, time, profiles, tags and security labels) as a Parameters
// with one parameter, return. It is a read of the resource, checked and
// audited as one.
func (s *Server) handleMeta(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if typ == "AuditEvent" {
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported", "$meta is not answered for the audit trail; search AuditEvent")
	}
	if err := p.allow(typ, false); err != nil {
		return err
	}
	res, err := s.readAny(r.Context(), p, typ, id, 0)
	if err != nil {
		return err
	}
	if res.Deleted {
		return outcomeOf(http.StatusGone, "deleted", "%s/%s was deleted (version %d)", typ, id, res.Version)
	}
	body, err := Decode(res.Body)
	if err != nil {
		return err
	}
	meta, _ := body["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	out, err := json.Marshal(map[string]any{"resourceType": "Parameters", "parameter": []any{map[string]any{"name": "return", "valueMeta": meta}}})
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "write the meta of %s/%s: %w", typ, id, err)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
