package fhir

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/opencrs/crs"
)

// errUnchanged ends a command that finds it has nothing to change (a
// conditional create whose resource exists, a delete of a deleted
// resource): the write is rolled back and the request answered without
// it.
var errUnchanged = errors.New("nothing to change")

// instant is how lastUpdated is written.
const instant = "2006-01-02T15:04:05.000Z07:00"

// putVersion writes res as version of the resource typ/id inside the
// command, with its meta and search index.
func putVersion(tx crs.Tx, res Resource, typ, id string, version int) (*crs.Resource, error) {
	return putVersionBy(tx, res, typ, id, version, "")
}

// putVersionBy is putVersion of a version written by method where its
// place does not say it (crs.Resource.Method): PUT for a version 1 an
// update creates, PATCH for a patch's.
func putVersionBy(tx crs.Tx, res Resource, typ, id string, version int, method string) (*crs.Resource, error) {
	body, err := withMeta(res, id, version, tx.Now().UTC().Format(instant))
	if err != nil {
		return nil, err
	}
	rows := IndexRows(res)
	stored := &crs.Resource{Type: typ, ID: id, Version: version, Body: body, PatientID: patientOf(typ, id, rows), Method: method}
	if err := tx.PutResource(stored, rows); err != nil {
		return nil, err
	}
	return stored, notifyWritten(tx, stored)
}

// patientOf is the id of the Patient a resource is about, from its
// patient or subject reference.
func patientOf(typ, id string, rows []crs.ResourceIndexRow) string {
	if typ == "Patient" {
		return id
	}
	for _, name := range []string{"patient", "subject"} {
		for _, r := range rows {
			if r.Param == name && r.System == "Patient" {
				return r.Text
			}
		}
	}
	return ""
}

// decodeFor reads the request's resource and checks it is of the type
// the URL names.
func decodeFor(r *http.Request, typ string) (Resource, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	res, err := decodeSent(body)
	if err != nil {
		return nil, err
	}
	if res.Type() != typ {
		return nil, invalid("invalid", "resourceType", "the resource is a %s but was sent to %s", res.Type(), typ)
	}
	return res, nil
}

// handleCreate answers create (POST [type]), conditional with
// If-None-Exist: when one resource matches its query that one is
// answered and none created; concurrent creates with the query wait for
// each other, so they never create two.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ := r.PathValue("type")
	if err := p.allow(typ, true); err != nil {
		return err
	}
	if s.appointmentWritable(typ) {
		return s.createAppointment(w, r, p)
	}
	if err := s.refuseCoreWrite(r.Context(), p, typ, ""); err != nil {
		return err
	}
	res, err := decodeFor(r, typ)
	if err != nil {
		return err
	}
	if isReferral(res) && s.referralsWritable() {
		return s.createReferral(w, r, p, res)
	}
	if isAdmission(res) && s.spellsWritable() {
		return s.createAdmission(w, r, p, res)
	}
	if err := s.checkSent(r.Context(), p.Actor, res, ""); err != nil {
		return err
	}
	if s.pmi(typ) {
		return s.createPatient(w, r, p, res)
	}
	var cond *crs.ResourceQuery
	criteria := r.Header.Get("If-None-Exist")
	if criteria != "" {
		q, err := parseSearch(typ, criteria, s.Store.Now())
		if err != nil {
			return err
		}
		q.query.Count = 2
		cond = &q.query
	}
	var stored, existing *crs.Resource
	err = s.Store.Write(r.Context(), p.Actor, crs.ActRecordClinical, func(tx crs.Tx) error {
		var err error
		stored, existing, err = createIn(tx, res, typ, cond, criteria)
		if err == nil && existing != nil {
			return errUnchanged
		}
		return err
	})
	if errors.Is(err, errUnchanged) {
		w.Header().Set("Location", baseURL(r)+"/"+typ+"/"+existing.ID+"/_history/"+strconv.Itoa(existing.Version))
		writeResource(w, r, http.StatusOK, existing)
		return nil
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", baseURL(r)+"/"+typ+"/"+stored.ID+"/_history/1")
	writeResource(w, r, http.StatusCreated, stored)
	return nil
}

// createPatient answers a create of a Patient: a registration in the
// PMI, conditional with If-None-Exist on an identifier.
func (s *Server) createPatient(w http.ResponseWriter, r *http.Request, p *Principal, res Resource) error {
	criteria := r.Header.Get("If-None-Exist")
	var made *newPatient
	var stored, existing *crs.Resource
	err := s.Store.Write(r.Context(), p.Actor, crs.ActRegisterPatient, func(tx crs.Tx) error {
		var err error
		made, existing, err = createPatientIn(tx, res, "", criteria, nil)
		if err == nil && existing != nil {
			return errUnchanged
		}
		return err
	})
	if errors.Is(err, errUnchanged) {
		stored = existing
	} else if err != nil {
		return err
	} else if stored, err = made.served(); err != nil {
		return err
	}
	w.Header().Set("Location", baseURL(r)+"/Patient/"+stored.ID+"/_history/"+strconv.Itoa(stored.Version))
	status := http.StatusCreated
	if existing != nil {
		status = http.StatusOK
	}
	writeResource(w, r, status, stored)
	return nil
}

// createIn creates res as a new resource of typ inside the command;
// with cond (If-None-Exist) it first looks for a match, and answers the
// one it finds as existing, creating nothing.
func createIn(tx crs.Tx, res Resource, typ string, cond *crs.ResourceQuery, criteria string) (stored, existing *crs.Resource, err error) {
	if cond != nil {
		if err := tx.LockResourceKey("create " + typ); err != nil {
			return nil, nil, err
		}
		found, err := tx.SearchResources(*cond)
		if err != nil {
			return nil, nil, err
		}
		switch len(found) {
		case 0:
		case 1:
			return nil, found[0], nil
		default:
			return nil, nil, outcomeOf(http.StatusPreconditionFailed, "duplicate", "more than one %s matches If-None-Exist: %s", typ, criteria)
		}
	}
	id := crs.NewID()
	if err := refuseNoteWrite(typ, id, nil, res); err != nil {
		return nil, nil, err
	}
	stored, err = putVersion(tx, res, typ, id, 1)
	return stored, nil, err
}

// refuseNoteWrite refuses a raw write (create, update, patch or delete)
// of a clinical note or clinic letter, the stored version cur (nil when
// new) or the one written, res (nil for a delete): a note changes only
// by the note rules, which keep a signed note as it was signed, amend it
// with a reason and let only a doctor sign a clinic letter.
func refuseNoteWrite(typ, id string, cur *crs.Resource, res Resource) error {
	if typ != "Composition" {
		return nil
	}
	note := cur != nil && !cur.Deleted && isNote(cur)
	if !note && res != nil {
		b, _ := json.Marshal(res)
		note = isNote(&crs.Resource{Body: b})
	}
	if !note {
		return nil
	}
	return outcomeOf(http.StatusUnprocessableEntity, "business-rule",
		"Composition/%s is a clinical note or clinic letter, which changes only by the note rules: write or amend it (with the reason) on the patient's notes page, where a signed note stays as signed and only a doctor signs a clinic letter, or mark it entered in error there", id)
}

// updateIn writes res as the next version of typ/id inside the command,
// or its first; want, unless 0, is the version If-Match names.
func updateIn(tx crs.Tx, res Resource, typ, id string, want int) (*crs.Resource, error) {
	version := 1
	cur, err := tx.GetResource(typ, id)
	switch {
	case err == nil:
		version = cur.Version + 1
	case crs.ErrorCode(err) != crs.ENOTFOUND:
		return nil, err
	}
	if err := refuseNoteWrite(typ, id, cur, res); err != nil {
		return nil, err
	}
	if want != 0 && (cur == nil || cur.Version != want) {
		have := 0
		if cur != nil {
			have = cur.Version
		}
		return nil, outcomeOf(http.StatusPreconditionFailed, "conflict", "%s/%s is at version %d, not the version %d of If-Match", typ, id, have, want)
	}
	if version == 1 {
		return putVersionBy(tx, res, typ, id, version, http.MethodPut) // created by an update
	}
	return putVersion(tx, res, typ, id, version)
}

// deleteIn deletes typ/id inside the command; errUnchanged when it is
// deleted already or does not exist (R4: a delete of what does not
// exist succeeds, 204).
func deleteIn(tx crs.Tx, typ, id string) error {
	if err := refuseOwnID(typ, id, ""); err != nil {
		return err
	}
	cur, err := tx.GetResource(typ, id)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return errUnchanged
	}
	if err != nil {
		return err
	}
	if cur.Deleted {
		return errUnchanged
	}
	if err := refuseNoteWrite(typ, id, cur, nil); err != nil {
		return err
	}
	return putDeletion(tx, cur)
}

// putDeletion writes the version that deletes cur, a resource of the
// store's current version.
func putDeletion(tx crs.Tx, cur *crs.Resource) error {
	return tx.PutResource(&crs.Resource{Type: cur.Type, ID: cur.ID, Version: cur.Version + 1, Deleted: true, PatientID: cur.PatientID, Body: cur.Body}, nil)
}

// handleUpdate answers update (PUT [type]/[id]): the next version of the
// resource, or its first when it does not exist (update as create).
// If-Match with the weak ETag of the current version guards against
// lost updates: another version answers 412.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if err := p.allow(typ, true); err != nil {
		return err
	}
	if s.appointmentWritable(typ) {
		return s.updateHeld(w, r, p, typ, id, readAppointment, s.changeAppointment)
	}
	if s.heldReferral(typ, id) {
		return s.updateHeld(w, r, p, typ, id, readReferral, s.changeReferral)
	}
	if s.heldSpell(typ, id) {
		return s.updateHeld(w, r, p, typ, id, readEncounter, s.changeSpell)
	}
	if err := s.refuseCoreWrite(r.Context(), p, typ, id); err != nil {
		return err
	}
	res, err := decodeFor(r, typ)
	if err != nil {
		return err
	}
	if err := s.checkSent(r.Context(), p.Actor, res, ""); err != nil {
		return err
	}
	if res.ID() != id {
		return invalid("invalid", typ+".id", "the resource's id %q is not the id %q in the URL", res.ID(), id)
	}
	if !validID(id) {
		return invalid("invalid", typ+".id", "%q is not a FHIR id (1 to 64 letters, digits, - and .)", id)
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	var stored *crs.Resource
	var made *newPatient // a patient registered by the update
	act, update := crs.ActRecordClinical, updateIn
	if s.pmi(typ) {
		act, update = crs.ActAmendDemographics, func(tx crs.Tx, res Resource, _, id string, want int) (stored *crs.Resource, err error) {
			stored, made, err = upsertPatientIn(tx, res, id, want)
			return stored, err
		}
	}
	err = s.Store.Write(r.Context(), p.Actor, act, func(tx crs.Tx) error {
		if err := s.noneMatchIn(tx, r, typ, id); err != nil {
			return err
		}
		var err error
		stored, err = update(tx, res, typ, id, want)
		return err
	})
	if err != nil {
		return err
	}
	if made != nil {
		if stored, err = made.served(); err != nil {
			return err
		}
	}
	// A record registered again under the id of one deleted continues
	// its history, as an update of a deleted resource of the store does
	// (200); one new is created (201).
	writeUpdated(w, r, stored, stored.Version == 1 && (made != nil || !s.pmi(typ)))
	return nil
}

// handleDelete answers delete (DELETE [type]/[id]): a version that
// deletes the resource; its history stays.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if err := p.allow(typ, true); err != nil {
		return err
	}
	act, del := crs.ActRecordClinical, deleteIn
	if s.pmi(typ) {
		act, del = crs.ActMergePatients, func(tx crs.Tx, _, id string) error { return deletePatientIn(tx, id) }
	} else if err := s.refuseCoreWrite(r.Context(), p, typ, id); err != nil {
		return err
	}
	err := s.Store.Write(r.Context(), p.Actor, act, func(tx crs.Tx) error {
		if err := s.noneMatchIn(tx, r, typ, id); err != nil {
			return err
		}
		return del(tx, typ, id)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deletePatientIn deletes a patient of the PMI registered in error, with
// what is kept beside its record, inside the command: the PMI refuses a
// record with activity (409, naming it; a duplicate is merged instead);
// errUnchanged for a patient the index does not hold.
func deletePatientIn(tx crs.Tx, id string) error {
	if err := tx.DeletePatient(id, ""); err != nil {
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			return errUnchanged // deleted already, or never was: 204
		}
		return err
	}
	kept, err := tx.GetResource("Patient", id)
	switch {
	case crs.ErrorCode(err) == crs.ENOTFOUND:
		return nil
	case err != nil:
		return err
	case kept.Deleted:
		return nil
	}
	return putDeletion(tx, kept)
}

// validID reports whether s is a FHIR logical id.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// writeUpdated answers an update with the version written: 201 with its
// Location when the update created the resource, else 200.
func writeUpdated(w http.ResponseWriter, r *http.Request, stored *crs.Resource, created bool) {
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", baseURL(r)+"/"+stored.Type+"/"+stored.ID+"/_history/"+strconv.Itoa(stored.Version))
	}
	writeResource(w, r, status, stored)
}

// writeResource answers a create, update or patch with the version
// written, its ETag and Last-Modified, and the body the request's
// Prefer: return= asks for: the resource (representation, the
// default), none (minimal), or an OperationOutcome saying what was done.
func writeResource(w http.ResponseWriter, r *http.Request, status int, res *crs.Resource) {
	e := newServedEntry(res, "")
	prefer := preferReturn(r)
	applied(w, r)
	if prefer == "" {
		writeServed(w, status, e)
		return
	}
	e.setValidators(w.Header())
	if prefer == "minimal" {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, writtenOutcome(res, status == http.StatusCreated, r.Method).JSON())
}

// writtenOutcome is the OperationOutcome that Prefer:
// return=OperationOutcome asks for in answer to a write: the version
// written, and whether it was created, updated, or found by a
// conditional create (a POST that created nothing).
func writtenOutcome(res *crs.Resource, created bool, method string) *Outcome {
	what := "updated"
	if created {
		what = "created"
	} else if method == http.MethodPost {
		what = "matched If-None-Exist; nothing was created"
	}
	return &Outcome{Issues: []Issue{{Severity: "information", Code: "informational", Diagnostics: res.Type + "/" + res.ID + " version " + strconv.Itoa(res.Version) + ": " + what}}}
}

// applied says which return= preference of the request's Prefer header
// the answer follows (Preference-Applied, RFC 7240): one the server
// knows, not one it ignores.
func applied(w http.ResponseWriter, r *http.Request) {
	switch v := prefer(r, "return"); v {
	case "minimal", "representation", "OperationOutcome":
		w.Header().Set("Preference-Applied", "return="+v)
	}
}

// preferReturn is the return= of the request's Prefer header:
// "minimal", "OperationOutcome", or "" for the resource.
func preferReturn(r *http.Request) string {
	switch v := prefer(r, "return"); v {
	case "minimal", "OperationOutcome":
		return v
	}
	return ""
}
