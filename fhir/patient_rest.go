package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match"
	"github.com/opencrs/crs/nhs"
)

// A Patient is served from the patient master index (PMI) when the
// server has one (Server.Patients): Patient/<id> is the PMI's patient,
// its versionId the record's version, a create a registration and an
// update a demographics change through the same commands as the PAS
// screens. What a system sends that the PMI does not hold (other
// identifiers and names, extensions, marital status, language...) is
// kept beside the record in the resource store under the same id and
// served back with it; what the PMI cannot take in the elements it does
// hold is refused, naming the element.

// pmi reports whether typ is served from the PMI.
func (s *Server) pmi(typ string) bool { return typ == "Patient" && s.Patients != nil }

// encodeResource writes a resource as JSON, its text as sent.
func encodeResource(r Resource) ([]byte, error) {
	b, err := appendJSONObject(make([]byte, 0, 1024), r)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "encode %s: %w", r.Type(), err)
	}
	return b, nil
}

// servedPatient is a patient of the PMI as the resource the API answers
// with; replaces are the records merged into it.
func servedPatient(p *crs.Patient, kept Resource, replaces ...string) (*crs.Resource, error) {
	body, err := encodeResource(servedPatientResource(p, kept, replaces...))
	if err != nil {
		return nil, err
	}
	return &crs.Resource{Type: "Patient", ID: p.ID, Version: p.Version, LastUpdated: p.UpdatedAt, Body: body, PatientID: p.ID}, nil
}

// servedPatientResource is servedPatient's resource, not yet encoded.
func servedPatientResource(p *crs.Patient, kept Resource, replaces ...string) Resource {
	r := patientResource(p, kept)
	for _, id := range replaces {
		r["link"] = append(array(r["link"]), map[string]any{"other": map[string]any{"reference": "Patient/" + id}, "type": "replaces"})
	}
	withNarrative(r)
	return r
}

// keptOf reads what is kept beside a patient's record from its version
// in the resource store.
func keptOf(res *crs.Resource) Resource {
	if res == nil || res.Deleted {
		return nil
	}
	var r Resource
	d := json.NewDecoder(bytes.NewReader(res.Body))
	d.UseNumber()
	if d.Decode(&r) != nil {
		return nil
	}
	delete(r, "resourceType")
	delete(r, "id")
	if len(r) == 0 {
		return nil
	}
	return r
}

// readPatient reads a patient of the PMI, an audited view, with what is
// kept beside it.
func (s *Server) readPatient(ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	e, err := s.readPatientServed(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return e.res, nil
}

// readPatientServed is readPatient with the answer's headers.
func (s *Server) readPatientServed(ctx context.Context, p *Principal, id string) (*servedEntry, error) {
	a := p.Actor
	clinical := s.Resources != nil && a.Can(crs.ActViewClinical)
	c := s.cache()
	if c == nil || !cacheable(a) || !a.Can(crs.ActViewDemographics) {
		res, what, err := s.readPatientRecord(ctx, p, id, clinical)
		if err != nil {
			return nil, err
		}
		return newServedEntry(res, what), nil
	}
	// The read audits what the reads of the store below audit.
	k := readKey{OrgID: a.OrgID, Type: "Patient", ID: id, PMI: true, Clinical: clinical}
	if e, ok := c.get(k); ok {
		s.Store.Audit(a, id, crs.AuditView, e.what)
		return e, nil
	}
	gen := c.begin()
	res, what, err := s.readPatientRecord(ctx, p, id, clinical)
	if err != nil {
		return nil, err
	}
	e := newServedEntry(res, what)
	c.put(gen, k, e)
	return e, nil
}

// readPatientRecord reads a patient's record from the PMI, with the
// records merged into it and, for an actor who sees the clinical record,
// the resource kept beside it; what is what its audit record says was
// read.
func (s *Server) readPatientRecord(ctx context.Context, p *Principal, id string, clinical bool) (res *crs.Resource, what string, err error) {
	rec, err := s.Patients.ReadPatientRecord(ctx, p.Actor, id, clinical)
	if err != nil {
		return nil, "", err
	}
	res, err = servedPatient(rec.Patient, keptOf(rec.Kept), rec.Merged...)
	return res, rec.What(), err
}

// patientVersions are the versions of a patient's record, newest first,
// from the events of its history: each registration, change, death,
// merge and unmerge carries the record as it stood after it.
func (s *Server) patientVersions(ctx context.Context, p *Principal, id string) ([]*crs.Resource, error) {
	events, err := s.Patients.PatientHistory(ctx, p.Actor, id)
	if err != nil {
		return nil, err
	}
	var out []*crs.Resource
	seen := map[int]bool{}
	for _, ev := range events {
		res, ok, err := eventVersion(ev)
		if err != nil {
			return nil, err
		}
		if !ok || res.ID != id || seen[res.Version] {
			continue
		}
		seen[res.Version] = true
		out = append(out, res)
	}
	return out, nil
}

// eventVersion is the version of a patient's record an event of the
// PMI carries, served, its Seq the event's id; ok is false when the
// event carries none.
func eventVersion(ev *crs.Event) (res *crs.Resource, ok bool, err error) {
	if !strings.HasPrefix(ev.Type, "patient.") || len(ev.Data) == 0 {
		return nil, false, nil
	}
	var d struct{ Patient *crs.Patient }
	if json.Unmarshal(ev.Data, &d) != nil || d.Patient == nil {
		return nil, false, nil
	}
	if res, err = servedPatient(d.Patient, nil); err != nil {
		return nil, false, err
	}
	res.Seq = ev.ID
	res.Deleted = ev.Type == crs.EventPatientDeleted
	return res, true, nil
}

// findPatientsIn finds the patients an If-None-Exist or a conditional
// reference names, inside a command: by NHS number, hospital number or,
// for another system's identifier, the identifiers kept beside the
// record.
func findPatientsIn(tx crs.Tx, criteria string) ([]*crs.Patient, error) {
	q, err := parseSearch("Patient", criteria, tx.Now())
	if err != nil {
		return nil, err
	}
	if len(q.query.All) != 1 || len(q.query.All[0]) != 1 || q.query.All[0][0].Param != "identifier" || len(q.query.IDs) > 0 {
		return nil, invalid("not-supported", "", "a patient is found for a conditional create or reference by one identifier (identifier=%s|NHS number), not by %s", SystemNHSNumber, criteria)
	}
	c := q.query.All[0][0]
	system := ""
	if c.System != nil {
		system = *c.System
	}
	var kinds []string
	switch {
	case system == SystemNHSNumber:
		kinds = []string{"nhs"}
	case system == SystemHospitalNumber:
		kinds = []string{"mrn"}
	case system == "":
		kinds = []string{"nhs", "mrn"}
	}
	for _, kind := range kinds {
		value := c.Code
		if kind == "nhs" {
			n, err := nhs.ParseNumber(value)
			if err != nil {
				continue
			}
			value = n
		}
		pat, err := tx.FindPatientByIdentifier(kind, value)
		if err == nil {
			return []*crs.Patient{pat}, nil
		}
		if crs.ErrorCode(err) != crs.ENOTFOUND {
			return nil, err
		}
	}
	if system == SystemNHSNumber || system == SystemHospitalNumber {
		return nil, nil
	}
	found, err := tx.SearchResources(crs.ResourceQuery{Type: "Patient", All: q.query.All, Count: 2})
	if err != nil {
		return nil, err
	}
	var out []*crs.Patient
	for _, f := range found {
		pat, err := tx.GetPatient(f.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, pat)
	}
	return out, nil
}

// keptBeside is what is kept beside the patient's record now, as
// version of Patient/<id> in the resource store; nil when nothing ever
// was.
func keptBeside(tx crs.Tx, id string) (*crs.Resource, error) {
	cur, err := tx.GetResource("Patient", id)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, nil
	}
	return cur, err
}

// keepBeside writes what is kept beside a patient's record as the
// version after cur (keptBeside) of Patient/<id> in the resource store,
// indexed as the whole Patient is served (so its kept identifiers are
// found); nothing when nothing is kept and nothing was.
func keepBeside(tx crs.Tx, pat *crs.Patient, kept Resource, cur *crs.Resource) error {
	version := 1
	switch {
	case cur != nil:
		version = cur.Version + 1
	case kept == nil:
		return nil
	}
	return putKept(tx, pat, kept, version)
}

// keptChanged reports whether kept differs from what is kept beside
// the patient's record now (cur, from keptBeside).
func keptChanged(cur *crs.Resource, kept Resource) (bool, error) {
	if cur == nil || cur.Deleted {
		return len(kept) > 0, nil
	}
	was, err := Decode(cur.Body)
	if err != nil {
		return false, err
	}
	delete(was, "resourceType")
	delete(was, "id")
	if m, ok := was["meta"].(map[string]any); ok {
		delete(m, "versionId")
		delete(m, "lastUpdated")
		if len(m) == 0 {
			delete(was, "meta")
		}
	}
	if len(was) == 0 && len(kept) == 0 {
		return false, nil
	}
	return !reflect.DeepEqual(map[string]any(was), map[string]any(kept)), nil
}

// putKept writes what is kept beside a patient's record as version of
// Patient/<id> in the resource store.
func putKept(tx crs.Tx, pat *crs.Patient, kept Resource, version int) error {
	body := Resource{"resourceType": "Patient", "id": pat.ID}
	for k, v := range kept {
		body[k] = v
	}
	b, err := encodeResource(body)
	if err != nil {
		return err
	}
	return tx.PutResource(&crs.Resource{Type: "Patient", ID: pat.ID, Version: version, Body: b, PatientID: pat.ID}, IndexRows(patientResource(pat, kept)))
}

// createPatientIn registers the patient a Patient resource describes
// inside the command, with id when given (a transaction names it
// first). With criteria (If-None-Exist) it first looks for the patient
// and answers the one it finds as existing, registering no one;
// concurrent creates with the criteria wait for each other.
func createPatientIn(tx crs.Tx, res Resource, id, criteria string, ready *newPatient) (made *newPatient, existing *crs.Resource, err error) {
	if criteria != "" {
		if err := tx.LockResourceKey("create Patient " + criteria); err != nil {
			return nil, nil, err
		}
		found, err := findPatientsIn(tx, criteria)
		if err != nil {
			return nil, nil, err
		}
		switch len(found) {
		case 0:
		case 1:
			kept, _ := tx.GetResource("Patient", found[0].ID)
			existing, err := servedPatient(found[0], keptOf(kept))
			return nil, existing, err
		default:
			return nil, nil, outcomeOf(http.StatusPreconditionFailed, "duplicate", "more than one patient matches If-None-Exist: %s", criteria)
		}
	}
	var pat *crs.Patient
	var kept Resource
	if ready != nil {
		// A copy: a command run again starts from the patient as mapped.
		p := *ready.pat
		pat, kept = &p, ready.kept
	} else {
		pat = &crs.Patient{ID: id}
		if kept, err = patientFromResource(res, pat); err != nil {
			return nil, nil, err
		}
	}
	if err := tx.InsertPatient(pat); err != nil {
		return nil, nil, pmiOutcome(err)
	}
	// The patient's id is new, so the resource store holds nothing
	// beside the record yet: what the resource brings is the first
	// version, and nothing needs reading.
	if kept != nil {
		if err := putKept(tx, pat, kept, 1); err != nil {
			return nil, nil, err
		}
	}
	return &newPatient{pat: pat, kept: kept}, nil, nil
}

// newPatient is a patient a command registered. It is served as a
// resource (servedPatient) once the command is done, not in it: on
// SQLite the command holds the one writer, and the body is encoded
// beside it.
type newPatient struct {
	pat  *crs.Patient
	kept Resource
}

// resource is the new patient's version without its body, which is all
// a Bundle's response entry says of it; nil for none.
func (n *newPatient) resource() *crs.Resource {
	if n == nil {
		return nil
	}
	return &crs.Resource{Type: "Patient", ID: n.pat.ID, Version: n.pat.Version, LastUpdated: n.pat.UpdatedAt, PatientID: n.pat.ID}
}

// served is the new patient as the API serves it.
func (n *newPatient) served() (*crs.Resource, error) { return servedPatient(n.pat, n.kept) }

// updatePatientIn changes the demographics of the patient id to those
// of a Patient resource inside the command; want, unless 0, is the
// version If-Match names. The PMI allocates patients' ids, so an update
// never creates one.
func updatePatientIn(tx crs.Tx, res Resource, id string, want int) (*crs.Resource, error) {
	old, err := tx.GetPatient(id)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		// R4: an update of what does not exist, where the server gives
		// the ids, is 405.
		return nil, outcomeOf(http.StatusMethodNotAllowed, "not-supported", "Patient/%s is not in the patient index; register a patient with POST Patient (the index gives it its id)", id)
	}
	if err != nil {
		return nil, err
	}
	return changePatientIn(tx, old, res, want)
}

// changePatientIn is updatePatientIn of the record old, read in the
// command.
func changePatientIn(tx crs.Tx, old *crs.Patient, res Resource, want int) (*crs.Resource, error) {
	id := old.ID
	if want != 0 && old.Version != want {
		return nil, outcomeOf(http.StatusPreconditionFailed, "conflict", "Patient/%s is at version %d, not the version %d of If-Match", id, old.Version, want)
	}
	pat := *old
	kept, err := patientFromResource(res, &pat)
	if err != nil {
		return nil, err
	}
	cur, err := keptBeside(tx, id)
	if err != nil {
		return nil, err
	}
	if pat.KeptChanged, err = keptChanged(cur, kept); err != nil {
		return nil, err
	}
	if err := tx.UpdatePatient(&pat); err != nil {
		return nil, pmiOutcome(err)
	}
	if err := keepBeside(tx, &pat, kept, cur); err != nil {
		return nil, err
	}
	return servedPatient(&pat, kept)
}

// upsertPatientIn is an update of Patient/id inside the command, or,
// where the PMI holds no patient with the id, the patient's registration
// with it (update as create): a system that keeps its own ids for the
// patients it sends (a migration, an app) uses them. An id a record of
// another trust holds is refused; one of a record of the trust deleted
// registers the patient again, the record's history continued. made is
// the patient registered, nil for an update.
func upsertPatientIn(tx crs.Tx, res Resource, id string, want int) (stored *crs.Resource, made *newPatient, err error) {
	if old, err := tx.GetPatient(id); crs.ErrorCode(err) != crs.ENOTFOUND {
		if err != nil {
			return nil, nil, err
		}
		stored, err = changePatientIn(tx, old, res, want)
		return stored, nil, err
	}
	if want != 0 {
		return nil, nil, outcomeOf(http.StatusPreconditionFailed, "conflict", "Patient/%s is not in the patient index; If-Match names its version %d", id, want)
	}
	if err := tx.Actor().Authorize(crs.ActRegisterPatient); err != nil {
		return nil, nil, err
	}
	if used, err := tx.PatientIDUsed(id); err != nil {
		return nil, nil, err
	} else if used {
		return nil, nil, outcomeOf(http.StatusConflict, "conflict", "Patient/%s: the id is another patient record's; choose another, or register with POST Patient (the index gives the patient an id)", id)
	}
	pat := &crs.Patient{ID: id}
	kept, err := patientFromResource(res, pat)
	if err != nil {
		return nil, nil, err
	}
	// A record of the trust deleted (registered in error) is registered
	// again under its id, its history continued.
	again := *pat
	switch err := tx.RegisterPatientAgain(&again); crs.ErrorCode(err) {
	case "":
		cur, err := keptBeside(tx, id)
		if err == nil {
			err = keepBeside(tx, &again, kept, cur)
		}
		return nil, &newPatient{pat: &again, kept: kept}, err
	case crs.ENOTFOUND:
	default:
		return nil, nil, pmiOutcome(err)
	}
	made, _, err = createPatientIn(tx, res, id, "", &newPatient{pat: pat, kept: kept})
	return nil, made, err
}

// currentPatientIn is a patient of the PMI as the API serves it now,
// with what is kept beside the record, inside a command.
func currentPatientIn(tx crs.Tx, id string) (*crs.Resource, error) {
	pat, err := tx.GetPatient(id)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, outcomeOf(http.StatusNotFound, "not-found", "Patient/%s is not in the patient index", id)
	}
	if err != nil {
		return nil, err
	}
	kept, err := tx.GetResource("Patient", id)
	if err != nil && crs.ErrorCode(err) != crs.ENOTFOUND {
		return nil, err
	}
	return servedPatient(pat, keptOf(kept))
}

// pmiCandidates is how many patients searchPatients reads from one
// search of the PMI: crs.MaxPatientResults, less in the tests
// (SetPMICandidates).
var pmiCandidates = crs.MaxPatientResults

// searchPatients finds the patients a search names through the PMI's
// own search, then keeps those that match every parameter as FHIR
// defines it. The PMI's search is driven by an identifier, a family name
// (or name, taken as a family name as PAS users type it) or a date of
// birth; given, gender and address-postalcode narrow it. It returns every
// match; a search whose PMI search finds more than pmiCandidates
// patients is refused (too costly), never answered from some of them.
func (s *Server) searchPatients(ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error) {
	q, groups, other, err := s.patientGroups(ctx, p, q)
	if err != nil || q == nil {
		return nil, err
	}
	ids := map[string]bool{}
	var order []string
	listed := map[string]*crs.Patient{} // what the PMI's search shows of a candidate
	add := func(id string) {
		if !ids[id] {
			ids[id] = true
			order = append(order, id)
		}
	}
	// Patients found by names the PMI does not hold, a usual or maiden
	// name kept beside their record and indexed in the resource store
	// (other, from patientGroups, by other systems' identifiers).
	beside := map[string]bool{}
	if g := nameGroup(groups); len(g) > 0 && s.Resources != nil && p.Actor.Can(crs.ActViewClinical) {
		found, err := s.keptMatching(ctx, p, g)
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			beside[f.ID] = true
		}
	}
	// pmiFind is the patients a search of the PMI finds, every one:
	// errTooMany when they are more than pmiCandidates.
	pmiFind := func(pq crs.PatientQuery) ([]*crs.Patient, error) {
		pq.Limit = pmiCandidates
		res, err := s.Patients.SearchPatients(ctx, p.Actor, pq)
		if err != nil {
			return nil, pmiSearchOutcome(err)
		}
		if res.Total > len(res.Matches) {
			return nil, errTooMany
		}
		found := make([]*crs.Patient, len(res.Matches))
		for i, m := range res.Matches {
			found[i] = m.Patient
		}
		return found, nil
	}
	take := func(found []*crs.Patient) {
		for _, pat := range found {
			add(pat.ID)
			listed[pat.ID] = pat
		}
	}
	pmiSearch := func(pq crs.PatientQuery) error {
		found, err := pmiFind(pq)
		if err == errTooMany {
			return tooManyPatients()
		}
		take(found)
		return err
	}
	switch {
	case len(q.query.IDs) > 0:
		for _, id := range q.query.IDs {
			add(id)
		}
	case len(groups["identifier"]) > 0:
		for _, c := range groups["identifier"] {
			system := ""
			if c.System != nil {
				system = *c.System
			}
			if system == SystemNHSNumber || system == "" {
				if n, err := nhs.ParseNumber(c.Code); err == nil {
					if err := pmiSearch(crs.PatientQuery{NHSNumber: n}); err != nil {
						return nil, err
					}
				}
			}
			if system == SystemHospitalNumber || system == "" {
				if err := pmiSearch(crs.PatientQuery{MRN: c.Code}); err != nil {
					return nil, err
				}
			}
		}
		for _, id := range slices.Sorted(maps.Keys(other)) {
			add(id)
		}
	case len(groups["family"]) > 0 || len(groups["name"]) > 0 || len(groups["given"]) > 0 || len(groups["phonetic"]) > 0:
		// Every group must match: the patients of one are the candidates,
		// the family name's first as the fewest, or the next when the
		// PMI finds more of those than a search reads (Patient?family=
		// smith&given=ann in a trust of thousands of Smiths).
		found, err := []*crs.Patient(nil), errTooMany
		for _, g := range nameGroups(groups) {
			if found, err = namesFound(g, pmiFind); err != errTooMany {
				break
			}
		}
		if err == errTooMany {
			return nil, tooManyPatients()
		}
		if err != nil {
			return nil, err
		}
		take(found)
		for _, id := range slices.Sorted(maps.Keys(beside)) {
			add(id)
		}
	case len(groups["birthdate"]) > 0 && groups["birthdate"][0].Op == crs.MatchEq && groups["birthdate"][0].Hi.Sub(groups["birthdate"][0].Lo) <= 25*time.Hour:
		for _, c := range groups["birthdate"] {
			if err := pmiSearch(crs.PatientQuery{BirthDate: crs.DateOf(c.Lo.In(london).Add(12 * time.Hour))}); err != nil {
				return nil, err
			}
		}
	default:
		return nil, invalid("required", "", "search patients by identifier, family, given, name, phonetic, a birthdate (one day), _id or _has; gender and address-postalcode narrow such a search")
	}
	// A candidate of the PMI's search is matched on what the search shows
	// of it (its identifiers, names, birth date, gender and postcode) and
	// read whole only if it is on the page answered (a match without a
	// Body; see writeTypedSearch); one found otherwise is read to match.
	var out []*crs.Resource
	for _, id := range order {
		if l := listed[id]; l != nil && other[id] == nil && !beside[id] && listedAnswers(&q.query) {
			if r := patientResource(l, nil); matchesQuery(r, &q.query, nil) && q.keepServed(r) {
				out = append(out, &crs.Resource{Type: "Patient", ID: id})
			}
			continue
		}
		res, err := s.readPatient(ctx, p, id)
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		pat, err := Decode(res.Body)
		if err != nil {
			return nil, err
		}
		if matchesQuery(pat, &q.query, other) && q.keepServed(pat) {
			out = append(out, res)
		}
	}
	return out, nil
}

// nameGroup is the group of conditions on names a search by name reads
// its candidates by: family, name, given or phonetic, the first present.
func nameGroup(groups map[string][]crs.ResourceCondition) []crs.ResourceCondition {
	if gs := nameGroups(groups); len(gs) > 0 {
		return gs[0]
	}
	return nil
}

// nameGroups are the groups of conditions on names present, in the order
// a search by name reads its candidates by them: family, name, given,
// phonetic.
func nameGroups(groups map[string][]crs.ResourceCondition) [][]crs.ResourceCondition {
	var out [][]crs.ResourceCondition
	for _, p := range []string{"family", "name", "given", "phonetic"} {
		if g := groups[p]; len(g) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// namesFound is the patients the PMI finds by any of a group's names
// (find: errTooMany when they are more than a search reads): a name
// part's start, or what it contains; a phonetic name's sound by family
// name and its start by given name.
func namesFound(g []crs.ResourceCondition, find func(crs.PatientQuery) ([]*crs.Patient, error)) ([]*crs.Patient, error) {
	var out []*crs.Patient
	for _, c := range g {
		text := c.Text
		if text == "" {
			text = c.Code
		}
		pq := crs.PatientQuery{NamePart: text, NameOf: c.Param, NameContains: c.Op == crs.MatchContains}
		switch c.Param {
		case "name":
			pq.NameOf = ""
		case "phonetic":
			found, err := find(crs.PatientQuery{FamilyName: text})
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
			pq.NameOf = "given"
		}
		found, err := find(pq)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// keptMatching is the Patients of the resource store (what is kept
// beside the PMI's records) that match any of conds, every one: more
// than a search reads (pmiCandidates) is refused, too costly.
func (s *Server) keptMatching(ctx context.Context, p *Principal, conds []crs.ResourceCondition) ([]*crs.Resource, error) {
	found, _, err := s.Resources.SearchResources(ctx, p.Actor, crs.ResourceQuery{Type: "Patient", All: [][]crs.ResourceCondition{conds}, Count: pmiCandidates + 1})
	if err == nil && len(found) > pmiCandidates {
		return nil, tooManyPatients()
	}
	return found, err
}

// errTooMany says a search of the PMI finds more patients than a search
// reads (pmiCandidates).
var errTooMany = errors.New("more patients than a search reads")

// tooManyPatients refuses a Patient search the PMI finds more patients
// for than a search reads, rather than answer it from some of them.
func tooManyPatients() error {
	return invalid("too-costly", "", "the patient index finds more than %d patients for this search; narrow it (a given name, a birthdate, a postcode, an identifier)", pmiCandidates)
}

// patientGroups reads a search of the PMI: the search with the patients
// a reverse chain names as its _id (nil when the chain names none), its
// conditions by parameter, refusing one the PMI does not search by, and
// the patients found by identifiers of other systems, kept beside their
// record and indexed in the resource store.
func (s *Server) patientGroups(ctx context.Context, p *Principal, q *search) (*search, map[string][]crs.ResourceCondition, heldElsewhere, error) {
	if len(q.query.SortBy) > 0 && (len(q.query.Not) > 0 || len(q.query.Missing) > 0) {
		return nil, nil, nil, invalid("not-supported", "", "a Patient search sorted by _sort does not take :not or :missing")
	}
	// A reverse chain names the patients it finds as _id does.
	q = &search{query: q.query, checks: q.checks}
	q.query.All = slices.Clone(q.query.All)
	if referred, ok, err := s.patientsReferred(ctx, p, &q.query); err != nil {
		return nil, nil, nil, err
	} else if ok {
		if len(q.query.IDs) > 0 {
			referred = slices.DeleteFunc(referred, func(id string) bool { return !slices.Contains(q.query.IDs, id) })
		}
		if len(referred) == 0 {
			return nil, nil, nil, nil
		}
		q.query.IDs = referred
	}
	supported := map[string]bool{"identifier": true, "family": true, "given": true, "name": true, "phonetic": true, "birthdate": true, "gender": true, "address-postalcode": true}
	groups := map[string][]crs.ResourceCondition{}
	for _, g := range q.query.All {
		param := g[0].Param
		// Any other parameter of the patient's own values narrows a
		// search the index leads (a search led by none scans; scanOf).
		if !supported[param] && (!plainGroup(g) || len(q.query.SortBy) > 0) {
			return nil, nil, nil, invalid("not-supported", param, "Patient search by %s is not supported; search by identifier, family, given, name, phonetic, birthdate, gender, address-postalcode or _id", param)
		}
		groups[param] = append(groups[param], g...)
	}
	// The patients holding another system's identifier, each found by
	// one identifier asked: a patient matches that identifier (and only
	// that one) whatever the PMI's record holds (heldElsewhere).
	other := heldElsewhere{}
	if g := groups["identifier"]; len(g) > 0 && s.Resources != nil && p.Actor.Can(crs.ActViewClinical) {
		for _, c := range g {
			found, err := s.keptMatching(ctx, p, []crs.ResourceCondition{c})
			if err != nil {
				return nil, nil, nil, err
			}
			for _, f := range found {
				if other[f.ID] == nil {
					other[f.ID] = map[string]bool{}
				}
				other[f.ID][identifierKey(c)] = true
			}
		}
	}
	return q, groups, other, nil
}

// heldElsewhere are the patients found by identifiers of other systems
// kept beside their records (patientGroups), each with the identifiers
// asked that found it (identifierKey): a patient matches those, and
// only those, whatever the PMI's record holds.
type heldElsewhere map[string]map[string]bool

// identifierKey names an identifier condition in heldElsewhere.
func identifierKey(c crs.ResourceCondition) string {
	system := "(none)"
	if c.System != nil {
		system = "|" + *c.System
	}
	return c.Op + " " + system + "|" + c.Code
}

// pmiSearchOutcome names the parameter a refused PMI search was about.
func pmiSearchOutcome(err error) error {
	if crs.ErrorCode(err) != crs.EINVALID {
		return err
	}
	return invalid("invalid", "", "%s", crs.ErrorMessage(err))
}

// matchesAll reports whether a served Patient matches every group of
// conditions (any one of each) as the resource store would match it:
// through the index rows of its search parameters.
func matchesAll(r Resource, groups [][]crs.ResourceCondition, other heldElsewhere) bool {
	return matchesQuery(r, &crs.ResourceQuery{All: groups}, other)
}

// soundsLike reports whether a family or given name of a Patient sounds
// like the one a phonetic search asks for, by the key the PMI's search
// weighs names alike by.
func soundsLike(r Resource, c crs.ResourceCondition) bool {
	text := c.Text
	if text == "" {
		text = c.Code
	}
	key := match.Key(text)
	if key == "" {
		return false
	}
	for _, n := range array(r["name"]) {
		n, _ := n.(map[string]any)
		names := strs(n["given"])
		if f, ok := n["family"].(string); ok {
			names = append(names, f)
		}
		for _, name := range names {
			if match.Key(name) == key {
				return true
			}
		}
	}
	return false
}

// foundPatients is findPatientsIn with each patient as its resource:
// what a transaction's conditional create or reference resolves to.
func foundPatients(tx crs.Tx, criteria string) ([]*crs.Resource, error) {
	pats, err := findPatientsIn(tx, criteria)
	if err != nil {
		return nil, err
	}
	out := make([]*crs.Resource, 0, len(pats))
	for _, pat := range pats {
		res, err := servedPatient(pat, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// applyPatientEntry applies an entry of a batch or transaction about a
// Patient of the patient index inside the command.
func applyPatientEntry(tx crs.Tx, e *txEntry, base string) error {
	switch e.method {
	case "POST":
		made, existing, err := createPatientIn(tx, e.resource, e.newID, e.criteria, e.patient)
		if err != nil {
			return err
		}
		e.response = createResponse(base, made.resource(), existing)
		if existing == nil {
			e.response.serve = made.served // made only if Prefer asks for it
		}
	case "PUT":
		if err := noneMatchRefuses(tx, e.ifNoneMatch, "Patient", e.id, true); err != nil {
			return err
		}
		stored, made, err := upsertPatientIn(tx, e.resource, e.id, e.ifMatch)
		if err != nil {
			return err
		}
		if made != nil {
			status := "201"
			if made.pat.Version > 1 {
				status = "200" // registered again after its deletion
			}
			e.response = created(base, made.resource(), status)
			e.response.serve = made.served
		} else {
			e.response = created(base, stored, "200")
		}
	case "DELETE":
		id := e.id
		if e.match != "" {
			found, err := patientIDsMatching(tx, e.match)
			if err != nil {
				return err
			}
			switch len(found) {
			case 0:
				e.response = bundleEntry{Response: &entryResponse{Status: "204"}}
				return nil
			case 1:
				id = found[0]
			default:
				return outcomeOf(http.StatusPreconditionFailed, "multiple-matches", "more than one Patient matches %s", e.match)
			}
		}
		if err := noneMatchRefuses(tx, e.ifNoneMatch, "Patient", id, true); err != nil {
			return err
		}
		if err := deletePatientIn(tx, id); err != nil && !errors.Is(err, errUnchanged) {
			return err
		}
		e.response = bundleEntry{Response: &entryResponse{Status: "204"}}
	case "GET":
		pat, err := tx.GetPatient(e.id)
		if err != nil {
			return err
		}
		kept, _ := tx.GetResource("Patient", e.id)
		cur, err := servedPatient(pat, keptOf(kept))
		if err != nil {
			return err
		}
		if e.unchanged(cur) {
			e.response = bundleEntry{Response: &entryResponse{Status: "304", Etag: etag(cur.Version)}}
			break
		}
		e.response = readResponse(base, cur)
	default:
		return outcomeOf(http.StatusMethodNotAllowed, "not-supported", "%s of a Patient is not supported", e.method)
	}
	return nil
}
