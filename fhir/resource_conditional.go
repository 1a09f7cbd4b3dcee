package fhir

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/opencrs/crs"
)

// conditionalMatches finds, inside the command, the resources of typ
// the query of a conditional method matches, holding the type's
// conditional lock so that two conditional writes of one type never both
// miss each other.
// A query with no parameters is refused: it would match every resource.
func conditionalMatches(tx crs.Tx, typ, method, query string) ([]*crs.Resource, error) {
	if query == "" {
		return nil, invalid("invalid", "", "a conditional %s of %s needs search parameters", method, typ)
	}
	q, err := parseSearch(typ, query, tx.Now())
	if err != nil {
		return nil, err
	}
	q.query.Count = 2
	if err := tx.LockResourceKey("create " + typ); err != nil {
		return nil, err
	}
	return tx.SearchResources(q.query)
}

// handleConditionalUpdate answers conditional update (PUT [type]?query):
// no match creates the resource (with the id it carries, else a new
// one), one match updates that one, more than one answers 412.
func (s *Server) handleConditionalUpdate(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ := r.PathValue("type")
	if err := p.allow(typ, true); err != nil {
		return err
	}
	res, err := decodeFor(r, typ)
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	if id := res.ID(); id != "" && !validID(id) {
		return invalid("invalid", typ+".id", "%q is not a FHIR id (1 to 64 letters, digits, - and .)", id)
	}
	if err := s.refuseCoreWrite(r.Context(), p, typ, res.ID()); err != nil {
		return err
	}
	if err := s.checkSent(r.Context(), p.Actor, res, ""); err != nil {
		return err
	}
	if s.pmi(typ) {
		return s.conditionalUpdatePatient(w, r, p, res, want)
	}
	var stored *crs.Resource
	err = s.Store.Write(r.Context(), p.Actor, crs.ActRecordClinical, func(tx crs.Tx) error {
		found, err := conditionalMatches(tx, typ, r.Method, r.URL.RawQuery)
		if err != nil {
			return err
		}
		id := res.ID()
		switch len(found) {
		case 0:
			if id == "" {
				id = crs.NewID()
			}
		case 1:
			if id != "" && id != found[0].ID {
				return invalid("invalid", typ+".id", "the resource's id %q is not the id %q of the resource the query matches", id, found[0].ID)
			}
			id = found[0].ID
		default:
			return outcomeOf(http.StatusPreconditionFailed, "multiple-matches", "more than one %s matches %s", typ, r.URL.RawQuery)
		}
		if err := s.noneMatchIn(tx, r, typ, id); err != nil {
			return err
		}
		stored, err = updateIn(tx, res, typ, id, want)
		return err
	})
	if err != nil {
		return err
	}
	writeUpdated(w, r, stored, stored.Version == 1)
	return nil
}

// conditionalUpdatePatient answers a conditional update of a Patient of
// the PMI, found by one identifier as a conditional create finds it: no
// match registers the patient (the PMI gives the id), one match changes
// its demographics, more than one answers 412.
func (s *Server) conditionalUpdatePatient(w http.ResponseWriter, r *http.Request, p *Principal, res Resource, want int) error {
	var stored *crs.Resource
	var made *newPatient
	// Registering needs ActRegisterPatient and changing ActAmendDemographics:
	// the command is checked for one, and for the other once it is known
	// which the query leads to.
	act := crs.ActAmendDemographics
	if !p.Actor.Can(act) {
		act = crs.ActRegisterPatient
	}
	err := s.Store.Write(r.Context(), p.Actor, act, func(tx crs.Tx) error {
		matched, err := patientMatching(tx, r.URL.RawQuery)
		if err != nil {
			return err
		}
		if matched != "" {
			if err := s.noneMatchIn(tx, r, "Patient", matched); err != nil {
				return err
			}
		}
		stored, made, err = putPatientIn(tx, res, matched, "", r.URL.RawQuery, want)
		return err
	})
	if err != nil {
		return err
	}
	if made != nil {
		if stored, err = made.served(); err != nil {
			return err
		}
		w.Header().Set("Location", baseURL(r)+"/Patient/"+stored.ID+"/_history/"+strconv.Itoa(stored.Version))
		writeResource(w, r, http.StatusCreated, stored)
		return nil
	}
	writeResource(w, r, http.StatusOK, stored)
	return nil
}

// patientMatching finds, inside the command, the patient of the PMI a
// conditional update names by one identifier: its id, or "" when no
// patient holds it; more than one answers 412. It holds the lock
// conditional creates with the same query hold, so that two of them
// never both register the patient.
func patientMatching(tx crs.Tx, query string) (string, error) {
	if query != "" {
		if err := tx.LockResourceKey("create Patient " + query); err != nil {
			return "", err
		}
	}
	found, err := patientIDsMatching(tx, query)
	if err != nil {
		return "", err
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", outcomeOf(http.StatusPreconditionFailed, "multiple-matches", "more than one Patient matches %s", query)
}

// patientIDsMatching lists, inside the command, the ids of the patients
// of the PMI a conditional update's or delete's query finds.
func patientIDsMatching(tx crs.Tx, query string) ([]string, error) {
	if query == "" {
		return nil, invalid("invalid", "", "a conditional PUT or DELETE of Patient needs search parameters")
	}
	found, err := findPatientsIn(tx, query)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(found))
	for i, p := range found {
		ids[i] = p.ID
	}
	return ids, nil
}

// putPatientIn applies a conditional update of a Patient of the PMI
// inside the command, once patientMatching has found matched: the
// demographics of that patient changed (stored), or, when no patient
// matched, the patient registered (made), with id when a transaction
// has named it first. Registering asks ActRegisterPatient of the
// command's actor and changing ActAmendDemographics.
func putPatientIn(tx crs.Tx, res Resource, matched, id, query string, want int) (stored *crs.Resource, made *newPatient, err error) {
	if matched == "" {
		if err := tx.Actor().Authorize(crs.ActRegisterPatient); err != nil {
			return nil, nil, err
		}
		if res.ID() != "" {
			return nil, nil, invalid("invalid", "Patient.id", "no patient matches %s and the patient index gives a new patient its id: send the Patient without an id", query)
		}
		made, _, err = createPatientIn(tx, res, id, "", nil)
		return nil, made, err
	}
	if err := tx.Actor().Authorize(crs.ActAmendDemographics); err != nil {
		return nil, nil, err
	}
	if res.ID() != "" && res.ID() != matched {
		return nil, nil, invalid("invalid", "Patient.id", "the resource's id %q is not the id %q of the patient the query matches", res.ID(), matched)
	}
	stored, err = updatePatientIn(tx, res, matched, want)
	return stored, nil, err
}

// handleConditionalDelete answers conditional delete (DELETE
// [type]?query): the one resource the query matches is deleted; none
// is no change; more than one answers 412 and deletes nothing.
func (s *Server) handleConditionalDelete(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ := r.PathValue("type")
	if err := p.allow(typ, true); err != nil {
		return err
	}
	// What the query matches, as a Bundle's conditional entry finds it:
	// a patient of the PMI (one registered in error) as If-None-Exist
	// finds one, else resources of the store.
	target := &txEntry{typ: typ, method: r.Method, match: r.URL.RawQuery, pmi: s.pmi(typ)}
	act, del := crs.ActRecordClinical, deleteIn
	if target.pmi {
		act, del = crs.ActMergePatients, func(tx crs.Tx, _, id string) error { return deletePatientIn(tx, id) }
	} else if err := s.refuseCoreWrite(r.Context(), p, typ, ""); err != nil {
		return err
	}
	err := s.Store.Write(r.Context(), p.Actor, act, func(tx crs.Tx) error {
		found, err := target.targets(tx)
		if err != nil {
			return err
		}
		switch len(found) {
		case 0:
			return errUnchanged
		case 1:
			return del(tx, typ, found[0])
		}
		return outcomeOf(http.StatusPreconditionFailed, "multiple-matches", "more than one %s matches %s", typ, r.URL.RawQuery)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
