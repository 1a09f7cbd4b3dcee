package fhir

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// An inpatient spell is admitted, moved and discharged through the FHIR
// API by the PAS's own commands, as the ward screens do it, each with its
// event, its ADT message and the bed board's change:
//
//   - POST Encounter of class IMP, status in-progress, whose
//     serviceProvider is the trust (Organization/trust) admits the patient
//     to the ward (and bed) its location names, under the consultant its
//     participant names;
//   - PUT or PATCH Encounter/ip-... with a location entry added after
//     those served (a ward and bed, or a bed of the same ward) transfers
//     the patient there; with status finished (the discharge method
//     extension, hospitalization.dischargeDisposition, period.end) it
//     discharges them.
//
// An inpatient Encounter other systems send (care elsewhere, no
// serviceProvider of this trust) is the resource store's, as before; one
// of this trust is refused there, so that no admission is kept where the
// bed board and the returns do not see it.

// admissionElements are the elements of an Encounter the PAS keeps of an
// admission; one sent with any other is refused, naming it.
var admissionElements = []string{"resourceType", "meta", "text", "status", "class", "subject", "serviceProvider", "period",
	"hospitalization", "location", "participant", "serviceType"}

// admissionFieldPaths name the elements the PAS's fields of an admission
// are read from.
var admissionFieldPaths = map[string]string{
	"patient": "Encounter.subject", "method": "Encounter.hospitalization.extension", "source": "Encounter.hospitalization.admitSource",
	"ward": "Encounter.location", "bed": "Encounter.location", "consultant": "Encounter.participant",
	"treatment_function": "Encounter.serviceType", "admitted_at": "Encounter.period.start",
}

// dischargeFieldPaths name the elements of a discharge.
var dischargeFieldPaths = map[string]string{
	"method": "Encounter.extension", "reason": "Encounter.extension", "destination": "Encounter.hospitalization.dischargeDisposition", "discharged_at": "Encounter.period.end",
	"ward": "Encounter.location", "bed": "Encounter.location",
}

// spellsWritable reports whether inpatient spells are the PAS's, which
// the API writes through its commands.
func (s *Server) spellsWritable() bool {
	return s.coreType("Encounter") != nil && s.Core.Inpatients != nil && s.Core.Orgs != nil
}

// isAdmission reports whether a resource is an inpatient Encounter of
// this trust.
func isAdmission(res Resource) bool {
	if res.Type() != "Encounter" {
		return false
	}
	class, _ := res["class"].(map[string]any)
	sp, _ := res["serviceProvider"].(map[string]any)
	return class["code"] == "IMP" && sp["reference"] == "Organization/"+trustID
}

// heldSpell reports whether typ/id names one of the PAS's inpatient
// spells, which the API moves and discharges through its commands.
func (s *Server) heldSpell(typ, id string) bool {
	return typ == "Encounter" && strings.HasPrefix(id, prefixSpell) && len(id) > len(prefixSpell) && s.spellsWritable()
}

// refuseStoredAdmission refuses to keep an inpatient Encounter of this
// trust in the resource store (from prefix, where it is an entry of a
// Bundle): the PAS admits.
func (s *Server) refuseStoredAdmission(res Resource, prefix string) error {
	if !isAdmission(res) || !s.spellsWritable() {
		return nil
	}
	at := "Encounter"
	if prefix != "" {
		at = prefix
	}
	return unprocessable("business-rule", at+".serviceProvider",
		"an inpatient Encounter of this trust (class IMP, serviceProvider Organization/%s) is an admission, which the PAS records with its bed, ADT message and returns: POST it to Encounter (by itself, in a batch or in a transaction) to admit (one admitted already is Encounter/%s..., moved and discharged by PUT or PATCH)", trustID, prefixSpell)
}

// createAdmission answers a create of an inpatient Encounter of this
// trust: the PAS admits the patient.
func (s *Server) createAdmission(w http.ResponseWriter, r *http.Request, p *Principal, res Resource) error {
	if r.Header.Get("If-None-Exist") != "" {
		return invalid("not-supported", "If-None-Exist", "a conditional create of an admission is not supported: a patient already admitted is refused (409)")
	}
	ad, err := s.admissionOf(r, p, res)
	if err != nil {
		return err
	}
	sp, err := s.Core.Inpatients.Admit(r.Context(), p.Actor, ad)
	if err != nil {
		return fieldOutcome(err, "Encounter", admissionFieldPaths)
	}
	stored, err := readEncounter(s, r.Context(), p, prefixSpell+sp.ID)
	if err != nil {
		return err
	}
	writeUpdated(w, r, stored, true)
	return nil
}

// admissionOf reads an admission from an inpatient Encounter of this
// trust; the PAS's rules for it are its command's.
func (s *Server) admissionOf(r *http.Request, p *Principal, res Resource) (*crs.Admission, error) {
	for k := range res {
		if !slices.Contains(admissionElements, k) {
			return nil, unprocessable("business-rule", "Encounter."+k, "Encounter.%s is not kept by the PAS's admission: it keeps the patient (subject), when (period.start), the admission method (hospitalization's extension) and source (admitSource), the ward and bed (location), the consultant (participant) and the service (serviceType)", k)
		}
	}
	if st, _ := res["status"].(string); st != "in-progress" {
		return nil, unprocessable("business-rule", "Encounter.status", "an admission is recorded in-progress, not %q; the patient is discharged later by an update of its status", st)
	}
	ad := &crs.Admission{}
	patient, ok := heldRef(res["subject"], "Patient", "")
	if !ok {
		return nil, unprocessable("required", "Encounter.subject", "name the patient admitted (subject Patient/[id])")
	}
	ad.PatientID = patient
	per, _ := res["period"].(map[string]any)
	if _, ok := per["end"]; ok {
		return nil, unprocessable("business-rule", "Encounter.period.end", "an admission is recorded before its discharge: admit (POST), then discharge (PUT or PATCH, status finished)")
	}
	if start, _ := per["start"].(string); start != "" {
		t, ok := parseInstant(start)
		if !ok {
			return nil, unprocessable("invalid", "Encounter.period.start", "%q is not a time", start)
		}
		ad.At = t
	}
	h, _ := res["hospitalization"].(map[string]any)
	for k := range h {
		if k != "extension" && k != "admitSource" {
			return nil, unprocessable("business-rule", "Encounter.hospitalization."+k, "Encounter.hospitalization.%s is not kept by the PAS's admission (it keeps the admission method and admitSource)", k)
		}
	}
	for i, x := range array(h["extension"]) {
		m, _ := x.(map[string]any)
		if m["url"] != extAdmissionMethod {
			return nil, unprocessable("business-rule", "Encounter.hospitalization.extension["+strconv.Itoa(i)+"]", "the PAS keeps no extension %v of an admission", m["url"])
		}
		ad.Method = codingIn(m["valueCodeableConcept"], csAdmissionMethod)
	}
	ad.Source = codingIn(h["admitSource"], csSourceOfAdmission)
	ad.TreatmentFunction = codingIn(firstOf(res["serviceType"]), treatmentFunctionSystem)
	for i, x := range array(res["participant"]) {
		m, _ := x.(map[string]any)
		code, ok := consultantOf(m["individual"])
		if !ok || ad.ConsultantCode != "" {
			return nil, unprocessable("business-rule", "Encounter.participant["+strconv.Itoa(i)+"]", "an admission names one consultant the patient is admitted under, a Practitioner by consultant code (%s or Practitioner/%s[code])", SystemConsultantCode, prefixConsultant)
		}
		ad.ConsultantCode = code
	}
	var err error
	if ad.WardID, ad.BedID, err = s.placeOf(r, p, array(res["location"]), 0); err != nil {
		return nil, err
	}
	if ad.Source == "" {
		ad.Source = "19" // the usual place of residence, as the admission screen offers it
	}
	return ad, nil
}

// placeOf reads the ward and bed the location entries from the from'th
// on name, each a Location of the trust's estate (a bay between them,
// as the bed board shows it, is taken as the bed's); a bed without its
// ward is of the ward it is in.
func (s *Server) placeOf(r *http.Request, p *Principal, entries []any, from int) (ward, bed string, err error) {
	var ids []string
	for i := from; i < len(entries); i++ {
		m, _ := entries[i].(map[string]any)
		id, ok := heldRef(m["location"], "Location", "")
		if !ok {
			return "", "", unprocessable("invalid", "Encounter.location["+strconv.Itoa(i)+"].location", "name a ward or bed of the trust (Location/[id])")
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return "", "", unprocessable("required", "Encounter.location", "name the ward (and bed) the patient is admitted or moved to, a Location of the trust")
	}
	places, err := s.Core.Orgs.FindLocationsByID(r.Context(), p.Actor, ids)
	if err != nil {
		return "", "", err
	}
	for i, id := range ids {
		at := "Encounter.location[" + strconv.Itoa(from+i) + "].location"
		l := places[id]
		switch {
		case l == nil:
			return "", "", unprocessable("not-found", at, "Location/%s is not one of the trust's wards or beds", id)
		case l.Kind == crs.LocationWard && ward == "":
			ward = id
		case l.Kind == crs.LocationBed && bed == "":
			bed = id
		case l.Kind == crs.LocationBay:
		default:
			return "", "", unprocessable("business-rule", at, "Location/%s is a %s: a patient is admitted or moved to one ward and one bed of it", id, l.Kind)
		}
	}
	// A bed's ward: its parent, or its bay's.
	for up, l := 0, places[bed]; ward == "" && l != nil && l.ParentID != "" && up < 2; up++ {
		parent := places[l.ParentID]
		if parent == nil {
			found, err := s.Core.Orgs.FindLocationsByID(r.Context(), p.Actor, []string{l.ParentID})
			if err != nil {
				return "", "", err
			}
			parent = found[l.ParentID]
		}
		if parent != nil && parent.Kind == crs.LocationWard {
			ward = parent.ID
		}
		l = parent
	}
	return ward, bed, nil
}

// spellChanges are what an update of a spell may change beyond its
// status: the elements of a discharge and a move.
var spellChanges = []string{"status", "meta", "text", "id", "resourceType"}

// changeSpell decides the change from the spell cur (held, as served) to
// res by the PAS's commands, in one command (so that a discharge refused
// leaves no move): a move (location entries added after those held), or
// the last move undone (its entries taken off the end); then a change of
// status: a discharge (finished), leave (onleave, and back to
// in-progress), a discharge undone (finished back to in-progress, its
// method, destination and end taken off) or an admission entered in
// error (entered-in-error). An undoing says why in the extension
// extCorrectionReason, which an admission entered in error needs; nothing
// else changes.
func (s *Server) changeSpell(r *http.Request, p *Principal, cur *crs.Resource, held, res Resource) (heldCommand, error) {
	id := cur.ID
	why, res := splitExtension(res, extCorrectionReason)
	reason := ""
	for _, x := range why {
		m, _ := x.(map[string]any)
		v, ok := m["valueString"].(string)
		if !ok {
			return nil, unprocessable("invalid", "Encounter.extension", "%s takes valueString", extCorrectionReason)
		}
		reason = strings.TrimSpace(strings.Join([]string{reason, v}, " "))
	}
	heldFixed, heldDischarge := spellParts(held)
	fixed, discharge := spellParts(res)
	if err := unchangedExcept("Encounter", heldFixed, fixed, spellChanges, func(k string) string {
		return "; a patient is moved by a location entry added after those served (a ward and bed, or a bed of the same ward), discharged by status finished with the discharge method extension, hospitalization.dischargeDisposition and period.end"
	}); err != nil {
		return nil, err
	}
	ctx, svc, spellID := r.Context(), s.Core.Inpatients, strings.TrimPrefix(id, prefixSpell)
	var cmds []heldCommand // a move or its undoing, then a change of status: one command
	from, _ := held["status"].(string)
	to, _ := res["status"].(string)
	heldLocs, locs := array(held["location"]), array(res["location"])
	moved := !sameJSON(heldLocs, locs)
	if moved && len(locs) < len(heldLocs) {
		if err := lastMoveTakenOff(heldLocs, locs); err != nil {
			return nil, err
		}
		cmds = append(cmds, func(tx crs.Tx) error {
			return fieldOutcome(tx.CancelPatientTransfer(spellID, reason), "Encounter", dischargeFieldPaths)
		})
		moved = false // the move is undone, no other made
	}
	if moved {
		if from != "in-progress" && from != "onleave" {
			return nil, unprocessable("business-rule", "Encounter.location", "a spell that is %s is not moved", from)
		}
		if len(locs) <= len(heldLocs) {
			return nil, unprocessable("business-rule", "Encounter.location", "the wards and beds of the stay so far are the PAS's record: a move adds an entry after them (a ward and bed, or a bed of the same ward)")
		}
		for i := range heldLocs {
			a, _ := heldLocs[i].(map[string]any)
			b, _ := locs[i].(map[string]any)
			if !sameJSON(refOnly(a["location"]), refOnly(b["location"])) {
				return nil, unprocessable("business-rule", "Encounter.location["+strconv.Itoa(i)+"]", "the wards and beds of the stay so far are the PAS's record: a move adds an entry after them")
			}
		}
		ward, bed, err := s.placeOf(r, p, locs, len(heldLocs))
		if err != nil {
			return nil, err
		}
		sp, err := svc.FindSpell(ctx, p.Actor, spellID)
		if err != nil {
			return nil, err
		}
		move := crs.Transfer{WardID: cmp.Or(ward, sp.WardID), BedID: bed}
		last, _ := locs[len(locs)-1].(map[string]any)
		per, _ := last["period"].(map[string]any)
		if start, _ := per["start"].(string); start != "" {
			if move.At, _ = parseInstant(start); move.At.IsZero() {
				return nil, unprocessable("invalid", "Encounter.location["+strconv.Itoa(len(locs)-1)+"].period.start", "%q is not a time", start)
			}
		}
		cmds = append(cmds, func(tx crs.Tx) error {
			return fieldOutcome(tx.TransferPatient(spellID, move), "Encounter", dischargeFieldPaths)
		})
	}
	switch {
	case to == from && sameJSON(discharge, heldDischarge):
	case to == from:
		return nil, unprocessable("business-rule", "Encounter.status", "a discharge is recorded with status finished, its method, destination and period.end together")
	case to == "finished" && (from == "in-progress" || from == "onleave"):
		d, err := dischargeOf(discharge)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, func(tx crs.Tx) error {
			return fieldOutcome(tx.DischargePatient(spellID, d), "Encounter", dischargeFieldPaths)
		})
	case to == "onleave" && from == "in-progress", to == "in-progress" && from == "onleave":
		if !sameJSON(discharge, heldDischarge) {
			return nil, unprocessable("business-rule", "Encounter.status", "leave is recorded by its status alone, not with a discharge's method, destination or end")
		}
		cmds = append(cmds, func(tx crs.Tx) error {
			if to == "onleave" {
				return tx.StartPatientLeave(spellID, time.Time{})
			}
			return tx.EndPatientLeave(spellID, time.Time{})
		})
	case to == "in-progress" && from == "finished":
		if len(discharge) > 0 {
			return nil, unprocessable("business-rule", "Encounter.status", "a discharge undone takes off its method (extension), destination (hospitalization.dischargeDisposition) and end (period.end)")
		}
		cmds = append(cmds, func(tx crs.Tx) error {
			return fieldOutcome(tx.CancelPatientDischarge(spellID, reason), "Encounter", dischargeFieldPaths)
		})
	case to == "entered-in-error" && (from == "in-progress" || from == "onleave"):
		cmds = append(cmds, func(tx crs.Tx) error {
			return fieldOutcome(tx.CancelPatientAdmission(spellID, reason), "Encounter", dischargeFieldPaths)
		})
	default:
		return nil, unprocessable("business-rule", "Encounter.status", "a spell that is %s does not become %s: an admitted one is discharged (finished), goes on leave (onleave) and comes back (in-progress), or was entered in error (entered-in-error, with the extension %s saying why); a discharge is undone (in-progress)", from, to, extCorrectionReason)
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	return func(tx crs.Tx) error {
		for _, cmd := range cmds {
			if err := cmd(tx); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// lastMoveTakenOff checks that the locations sent are those held with
// the last move's taken off the end: its bed, and its ward when the move
// was to another ward (the ward's entry starting when the bed's does).
func lastMoveTakenOff(held, sent []any) error {
	n := len(held) - 1 // the last move's entries start at n
	if n >= 1 {
		bed, _ := held[n].(map[string]any)
		ward, _ := held[n-1].(map[string]any)
		bp, _ := bed["period"].(map[string]any)
		wp, _ := ward["period"].(map[string]any)
		if bp["start"] != nil && sameJSON(bp["start"], wp["start"]) && n >= 2 {
			n--
		}
	}
	if len(sent) != n {
		return unprocessable("business-rule", "Encounter.location", "a move is undone by taking its entries off the end (the last %d of %d), one move at a time", len(held)-n, len(held))
	}
	for i := range sent {
		a, _ := held[i].(map[string]any)
		b, _ := sent[i].(map[string]any)
		if !sameJSON(refOnly(a["location"]), refOnly(b["location"])) {
			return unprocessable("business-rule", "Encounter.location["+strconv.Itoa(i)+"]", "the wards and beds of the stay before the move undone are the PAS's record")
		}
	}
	return nil
}

// refOnly is a Reference's reference alone (its display is the name the
// server gave it).
func refOnly(v any) any {
	m, _ := v.(map[string]any)
	return m["reference"]
}

// spellParts parts a spell's Encounter into what a change keeps as it
// is, and what a discharge records: the discharge method extension, the
// dischargeDisposition and period.end. The locations, which a move
// changes, are in neither.
func spellParts(res Resource) (fixed Resource, discharge map[string]any) {
	fixed = Resource{}
	for k, v := range res {
		fixed[k] = v
	}
	delete(fixed, "location")
	discharge = map[string]any{}
	method, rest := splitExtension(res, extDischargeMethod)
	if method != nil {
		discharge["method"] = method
	}
	if ext, ok := rest["extension"]; ok {
		fixed["extension"] = ext
	} else {
		delete(fixed, "extension")
	}
	if h, _ := res["hospitalization"].(map[string]any); h != nil {
		kept, destination := withoutKey(h, "dischargeDisposition")
		delete(fixed, "hospitalization")
		if destination != nil {
			discharge["destination"] = destination
		}
		if len(kept) > 0 {
			fixed["hospitalization"] = kept
		}
	}
	if per, _ := res["period"].(map[string]any); per != nil {
		kept, end := withoutKey(per, "end")
		if end != nil {
			discharge["end"] = end
		}
		fixed["period"] = kept
	}
	return fixed, discharge
}

// withoutKey is a copy of m without key, and m's value of key (nil when
// it has none).
func withoutKey(m map[string]any, key string) (map[string]any, any) {
	kept := maps.Clone(m)
	delete(kept, key)
	return kept, m[key]
}

// dischargeOf reads a discharge from its parts (spellParts): the method,
// the destination and when (period.end; now when not given).
func dischargeOf(parts map[string]any) (crs.Discharge, error) {
	var d crs.Discharge
	for _, x := range array(parts["method"]) {
		m, _ := x.(map[string]any)
		d.Method = codingIn(m["valueCodeableConcept"], csDischargeMethod)
	}
	d.Destination = codingIn(parts["destination"], csDischargeDestination)
	if end, _ := parts["end"].(string); end != "" {
		t, ok := parseInstant(end)
		if !ok {
			return d, unprocessable("invalid", "Encounter.period.end", "%q is not a time", end)
		}
		d.At = t
	}
	if d.Method == "" {
		return d, unprocessable("required", "Encounter.extension", "say how the patient was discharged: extension %s with a code of %s (1 on clinical advice, 2 self-discharged, 4 died, ...)", extDischargeMethod, csDischargeMethod)
	}
	if d.Destination == "" {
		return d, unprocessable("required", "Encounter.hospitalization.dischargeDisposition", "say where the patient was discharged to: a code of %s (19 usual place of residence, 79 not applicable: died, ...)", csDischargeDestination)
	}
	return d, nil
}

// spellDoc is what the CapabilityStatement says of the PAS's encounters.
const spellDoc = "The PAS's inpatient spells (ids " + prefixSpell + "*), A&E attendances (" + prefixAttendance + "*) and outpatient attendances (" + prefixOutpatient + "*); spells are written through the PAS's own commands as the ward screens write them (each with its event, ADT message and bed board change): a create of an Encounter of class IMP, status in-progress, whose serviceProvider is Organization/" + trustID + " admits the patient (subject; period.start; the admission method, extension " + extAdmissionMethod + " of hospitalization, a code of " + csAdmissionMethod + "; admitSource, a code of " + csSourceOfAdmission + ", 19 when not sent; location a ward and a bed of the trust (a bed named alone, or with its bay, is on its ward); participant the consultant by code; serviceType a TREATMENT FUNCTION CODE); an update or patch adding a location entry after those served (a ward and bed, or a bed of the same ward; its period.start when) moves the patient, and status finished (extension " + extDischargeMethod + ", hospitalization.dischargeDisposition a code of " + csDischargeDestination + ", period.end) discharges them; status onleave sends them on leave and in-progress brings them back; corrections say why in extension " + extCorrectionReason + ": the last move's entries taken off the end undo it, status in-progress with the discharge's method, destination and end taken off undoes a discharge, and status entered-in-error (its reason required) cancels an admission entered in error; nothing else of a spell changes (422), an element the PAS does not keep is refused naming it, an admission, move or discharge in a batch is made as by itself; an admission, move or discharge in a transaction is made by the same commands inside the transaction's one command (an admission after its patients are registered, so that its subject may be a urn:uuid of the Bundle, and other entries may name it by its fullUrl); an admission as a resource of the store is refused; a move and a discharge sent together are one command. Attendances are read only (405)"
