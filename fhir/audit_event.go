package fhir

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/opencrs/crs"
)

// handleAuditEventRead answers read of AuditEvent/[id]: one record of
// the trust's audit trail, which has one version only.
func (s *Server) handleAuditEventRead(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := s.allowAudit(p); err != nil {
		return err
	}
	rec, err := s.Audit.AuditRecordByID(r.Context(), p.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	if vid := r.PathValue("vid"); vid != "" && vid != "1" {
		return outcomeOf(http.StatusNotFound, "not-found", "AuditEvent/%s has one version, 1, never changed; it has no version %s", rec.ID, vid)
	}
	b, err := encodeResource(auditEvent(rec))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

// auditParams are the search parameters of the audit trail.
var auditParams = map[string]bool{"patient": true, "entity": true, "agent": true, "date": true}

// handleAuditEventSearch answers search of AuditEvent by patient (or
// entity Patient/[id]), agent (a user's id or username) and date, newest
// first, paged by _count with a next link keyed on the last record.
func (s *Server) handleAuditEventSearch(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := s.allowAudit(p); err != nil {
		return err
	}
	vals, err := searchValues(r)
	if err != nil {
		return err
	}
	count, err := pageCount(vals)
	if err != nil {
		return err
	}
	q := crs.AuditQuery{Count: count + 1, Before: vals.Get("_cursor")}
	params := url.Values{}
	for k, vs := range vals {
		for _, v := range vs {
			switch k {
			case "_count", "_cursor", "_format", "_pretty":
				continue
			case "patient", "entity":
				id := v
				if typ, rid, ok := splitReference(v); ok {
					if typ != "Patient" {
						return invalid("not-supported", k, "the audit trail is kept by patient: %s must name a Patient, not %s", k, v)
					}
					id = rid
				}
				q.PatientID = id
			case "agent":
				if _, id, ok := splitReference(v); ok {
					v = id
				}
				q.Agent = v
			case "date":
				c, err := condition("date", "date", "", v, s.Store.Now())
				if err != nil {
					return invalid("invalid", k, "search parameter date: %v", err)
				}
				switch c.Op {
				case crs.MatchEq:
					q.From, q.To = c.Lo, c.Hi
				case crs.MatchGe:
					q.From = c.Lo
				case crs.MatchGt, crs.MatchSa:
					q.From = c.Hi
				case crs.MatchLt, crs.MatchEb:
					q.To = c.Lo
				case crs.MatchLe:
					q.To = c.Hi
				default:
					return invalid("not-supported", k, "date %s: use eq, ge, gt, le or lt", v)
				}
			default:
				return invalid("not-supported", k, "AuditEvent is searched by patient, entity, agent and date, not %s", k)
			}
			params.Add(k, v)
		}
	}
	recs, err := s.Audit.SearchAudit(r.Context(), p.Actor, q)
	if err != nil {
		return err
	}
	base := baseURL(r)
	b := &bundle{ResourceType: "Bundle", Type: "searchset"}
	// The links name the page: the search, its _count where asked, and
	// the record it goes on after.
	page := func(cursor string) string {
		v := url.Values{}
		for k, vs := range params {
			v[k] = vs
		}
		if vals.Has("_count") || cursor != "" {
			v.Set("_count", strconv.Itoa(count))
		}
		if cursor != "" {
			v.Set("_cursor", cursor)
		}
		if len(v) == 0 {
			return base + "/AuditEvent"
		}
		return base + "/AuditEvent?" + linkQuery(v)
	}
	b.Link = append(b.Link, bundleLink{"self", page(q.Before)})
	if len(recs) > count {
		recs = recs[:count]
		b.Link = append(b.Link, bundleLink{"next", page(recs[len(recs)-1].ID)})
	}
	for _, rec := range recs {
		body, err := encodeResource(auditEvent(rec))
		if err != nil {
			return err
		}
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/AuditEvent/" + rec.ID, Resource: body, Search: &entrySearch{Mode: "match"}})
	}
	writeBundle(w, b)
	return nil
}

// allowAudit checks the server keeps an audit trail to read and the
// token may read AuditEvent.
func (s *Server) allowAudit(p *Principal) error {
	if s.Audit == nil {
		return outcomeOf(http.StatusNotFound, "not-supported", "this server does not serve its audit trail")
	}
	return p.allow("AuditEvent", false)
}

// refuseAuditWrite answers any write of AuditEvent: the audit trail is
// written by the accesses it records, never through the API.
func refuseAuditWrite(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET")
	writeOutcome(w, auditWriteRefused())
}

// auditWriteRefused is the answer to a write of AuditEvent.
func auditWriteRefused() *Outcome {
	return outcomeOf(http.StatusMethodNotAllowed, "not-supported", "AuditEvent is the audit trail: it is never created, changed or deleted through the API")
}

// auditActions maps an audit record's action to AuditEvent.action.
var auditActions = map[string]string{
	crs.AuditView: "R", crs.AuditSearch: "E", crs.AuditChange: "U",
}

// auditSubtypes are the codes of the value set R4 binds
// AuditEvent.subtype to (extensible) for an audit record's action: the
// FHIR interaction of a read, a search or a change, DICOM's login and
// logout, each with its display.
var auditSubtypes = map[string][3]string{
	crs.AuditView:   {"http://hl7.org/fhir/restful-interaction", "read", "read"},
	crs.AuditSearch: {"http://hl7.org/fhir/restful-interaction", "search", "search"},
	crs.AuditChange: {"http://hl7.org/fhir/restful-interaction", "update", "update"},
	crs.AuditLogin:  {"http://dicom.nema.org/resources/ontology/DCM", "110122", "Login"},
	crs.AuditLogout: {"http://dicom.nema.org/resources/ontology/DCM", "110123", "Logout"},
}

// auditSubtype is AuditEvent.subtype for an audit record's action: the
// value set's code where it has one, else (a refused access) OpenCRS's
// own action code, as an extensible binding allows when the value set has
// no suitable code.
func auditSubtype(action string) map[string]any {
	if c, ok := auditSubtypes[action]; ok {
		return map[string]any{"system": c[0], "code": c[1], "display": c[2]}
	}
	return map[string]any{"system": auditActionSystem, "code": action}
}

// auditEvent is an audit record as an R4 AuditEvent, with a narrative
// saying who did what to whose record.
func auditEvent(rec *crs.AuditRecord) Resource {
	action := auditActions[rec.Action]
	if action == "" {
		action = "E"
	}
	typ := map[string]any{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110110", "display": "Patient Record"}
	switch rec.Action {
	case crs.AuditLogin, crs.AuditLogout:
		typ = map[string]any{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110114", "display": "User Authentication"}
	}
	outcome := "0"
	if rec.Action == crs.AuditRefused {
		outcome = "4"
	}
	at := rec.At.UTC().Format(instant)
	agent := map[string]any{
		"who":       map[string]any{"identifier": map[string]any{"system": "https://opencrs.org/Id/user", "value": rec.UserID}, "display": rec.Username},
		"role":      []any{map[string]any{"text": string(rec.Role)}},
		"requestor": true,
	}
	ev := Resource{
		"resourceType": "AuditEvent",
		"id":           rec.ID,
		"meta":         map[string]any{"versionId": "1", "lastUpdated": at},
		"type":         typ,
		"subtype":      []any{auditSubtype(rec.Action)},
		"action":       action,
		"recorded":     at,
		"outcome":      outcome,
		"agent":        []any{agent},
		"source":       map[string]any{"observer": map[string]any{"display": "OpenCRS"}, "site": rec.OrgID},
	}
	if rec.Purpose != "" {
		ev["purposeOfEvent"] = []any{map[string]any{"text": rec.Purpose}}
	}
	entity := map[string]any{}
	if rec.What != "" {
		entity["description"] = rec.What
	}
	if rec.PatientID != "" {
		entity["what"] = map[string]any{"reference": "Patient/" + rec.PatientID}
		entity["role"] = map[string]any{"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"}
	}
	if rec.EventID != "" {
		entity["detail"] = []any{map[string]any{"type": "event", "valueString": rec.EventID}}
	}
	if len(entity) > 0 {
		ev["entity"] = []any{entity}
	}
	withNarrative(ev)
	return ev
}
