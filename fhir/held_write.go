package fhir

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// The PAS's records the API changes through the PAS's commands (an
// Appointment's status, a referral's closure, an inpatient's move and
// discharge) are updated and patched alike: the record is read as
// served, If-Match is checked against it, a patch is applied to it, and
// its change, the served record (held) against the one sent (res), is
// made by the type's change function, which refuses what the PAS's
// commands do not change.

// heldChange decides the change from one of the PAS's records, cur
// (held, its body decoded), to res: the PAS's commands that make it, as
// one command's work (nil when nothing changes), or what refuses it.
// Its commands then run in a command of their own (a request by itself,
// a batch's entry) or in a transaction's.
type heldChange func(r *http.Request, p *Principal, cur *crs.Resource, held, res Resource) (heldCommand, error)

// heldCommand is the work, within a command, of a change of one of the
// PAS's records.
type heldCommand func(tx crs.Tx) error

// heldRead reads one of the PAS's records as served.
type heldRead func(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error)

// updateHeld answers an update of one of the PAS's records of typ.
func (s *Server) updateHeld(w http.ResponseWriter, r *http.Request, p *Principal, typ, id string, read heldRead, change heldChange) error {
	res, err := decodeFor(r, typ)
	if err != nil {
		return err
	}
	if res.ID() != id {
		return invalid("invalid", typ+".id", "the resource's id %q is not the id %q in the URL", res.ID(), id)
	}
	stored, err := s.changeHeld(r, p, typ, id, read, func(*crs.Resource) (Resource, error) { return res, nil }, change)
	if err != nil {
		return err
	}
	writeUpdated(w, r, stored, false)
	return nil
}

// patchHeld answers a patch of one of the PAS's records of typ: the patch
// applied to the record as served, its result changed as an update's.
func (s *Server) patchHeld(w http.ResponseWriter, r *http.Request, p *Principal, typ, id string, read heldRead, change heldChange) error {
	pt, err := readPatch(r)
	if err != nil {
		return err
	}
	stored, err := s.changeHeld(r, p, typ, id, read, func(cur *crs.Resource) (Resource, error) { return pt.applyTo(cur.Body, typ, id) }, change)
	if err != nil {
		return err
	}
	writeResource(w, r, http.StatusOK, stored)
	return nil
}

// changeHeld reads the record, checks If-Match against its version, and
// makes the change to what sent makes of it.
func (s *Server) changeHeld(r *http.Request, p *Principal, typ, id string, read heldRead, sent func(cur *crs.Resource) (Resource, error), change heldChange) (*crs.Resource, error) {
	want, err := ifMatch(r)
	if err != nil {
		return nil, err
	}
	cur, cmd, err := s.decideHeld(r, p, typ, id, want, read, sent, change)
	if err != nil || cmd == nil {
		return cur, err
	}
	if err := s.Store.Write(r.Context(), p.Actor, crs.ActManagePathways, cmd); err != nil {
		return nil, err
	}
	return read(s, r.Context(), p, id)
}

// decideHeld reads the record, checks the version wanted (If-Match; 0
// for any) against it, and decides the change to what sent makes of it:
// the record as read, and the commands that change it (nil for none).
func (s *Server) decideHeld(r *http.Request, p *Principal, typ, id string, want int, read heldRead, sent func(cur *crs.Resource) (Resource, error), change heldChange) (*crs.Resource, heldCommand, error) {
	cur, err := read(s, r.Context(), p, id)
	if err != nil {
		return nil, nil, err
	}
	if want > 0 && want != cur.Version {
		return nil, nil, outcomeOf(http.StatusPreconditionFailed, "conflict", "%s/%s is at version %d, not the version %d of If-Match", typ, id, cur.Version, want)
	}
	res, err := sent(cur)
	if err != nil {
		return nil, nil, err
	}
	held, err := Decode(cur.Body)
	if err != nil {
		return nil, nil, err
	}
	cmd, err := change(r, p, cur, held, res)
	return cur, cmd, err
}

// unchangedExcept refuses a change of one of the PAS's records, held as
// served, to res in any element but those it may change: 422 naming the
// first other that differs, with what hint says of it.
func unchangedExcept(typ string, held, res Resource, may []string, hint func(element string) string) error {
	keys := map[string]bool{}
	for k := range res {
		keys[k] = true
	}
	for k := range held {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if slices.Contains(may, k) || sameJSON(res[k], held[k]) {
			continue
		}
		return unprocessable("business-rule", typ+"."+k, "%s.%s is the PAS's record: an update changes %s alone%s", typ, k, strings.Join(slices.DeleteFunc(slices.Clone(may), func(e string) bool {
			return e == "meta" || e == "text" || e == "id" || e == "resourceType"
		}), " and "), hint(k))
	}
	return nil
}

// splitExtension parts a resource's extensions of the urls from the
// rest of the resource.
func splitExtension(res Resource, urls ...string) ([]any, Resource) {
	var found []any
	rest := Resource{}
	for k, v := range res {
		rest[k] = v
	}
	var others []any
	for _, x := range array(res["extension"]) {
		m, _ := x.(map[string]any)
		if u, _ := m["url"].(string); slices.Contains(urls, u) {
			found = append(found, x)
			continue
		}
		others = append(others, x)
	}
	delete(rest, "extension")
	if others != nil {
		rest["extension"] = others
	}
	return found, rest
}

// heldWriteEntry reads an entry of a batch that writes one of the PAS's
// records through its commands (a referral or admission created, an
// Appointment booked, one of them updated or patched): the batch answers it as the
// API answers the same request by itself, each with its own command,
// event and audit. A transaction's creates and changes of them are made
// inside its own command (heldWrite).
func (s *Server) heldWriteEntry(i int, e map[string]any) (*txEntry, bool) {
	req, _ := e["request"].(map[string]any)
	method, _ := req["method"].(string)
	u, _ := req["url"].(string)
	res, _ := e["resource"].(map[string]any)
	if res == nil || strings.ContainsAny(u, "?:") {
		return nil, false
	}
	typ, id, _ := strings.Cut(strings.TrimPrefix(u, "/"), "/")
	var held bool
	switch method {
	case http.MethodPost:
		held = id == "" && (isReferral(res) && s.referralsWritable() || isAdmission(res) && s.spellsWritable() || s.appointmentWritable(typ) && Resource(res).Type() == typ)
	case http.MethodPut, http.MethodPatch:
		// A PATCH's resource is its patch (a Parameters, a Binary holding
		// a JSON Patch), which the request by itself takes as its body.
		held = id != "" && !strings.Contains(id, "/") && (s.heldReferral(typ, id) || s.heldSpell(typ, id) || s.appointmentWritable(typ))
	}
	if !held {
		return nil, false
	}
	body, err := json.Marshal(res)
	if err != nil {
		return &txEntry{index: i, outcome: asOutcome(err)}, true
	}
	te := &txEntry{index: i, op: u, opBody: body, opMethod: method}
	if m, _ := req["ifMatch"].(string); m != "" {
		te.opHeader = http.Header{"If-Match": {m}}
	}
	return te, true
}
