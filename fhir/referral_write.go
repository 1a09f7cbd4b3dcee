package fhir

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// A referral is recorded and closed through the FHIR API by the PAS's own
// commands, as the referral screens do it, each with its event and its
// step of the RTT pathway:
//
//   - POST ServiceRequest of category referral (SNOMED CT 3457005)
//     records the referral: a consultant-led one opens its RTT pathway
//     (an EpisodeOfCare), whose clock starts on authoredOn, the date the
//     trust received it, and puts it on the to-book worklist;
//   - PUT or PATCH ServiceRequest/ref-... with status completed or
//     revoked, and the closure extensions saying why (and when, and,
//     where the clock runs, the RTT status that stops it), closes it.
//
// A ServiceRequest of another category (a test ordered) is the resource
// store's, as before; one of category referral is refused there, so that
// no referral is kept where the PAS's worklists and RTT reports do not
// see it.

// The codes and extensions of a referral as a ServiceRequest.
const (
	referralCategory       = "3457005"         // SNOMED CT: Patient referral
	snomedReferredByGP     = "108161000000109" // SNOMED CT (UK): Referred by general practitioner
	sourceOfReferralSystem = "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-SourceOfReferralForOutpatients"
	mainSpecialtySystem    = "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-MainSpecialtyCode"
	rttStatusSystem        = "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-ReferralToTreatmentPeriodStatus"
	extSourceOfRequest     = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-SourceOfServiceRequest"
	extConsultantLed       = "https://opencrs.org/fhir/StructureDefinition/consultant-led"
	extClosedReason        = "https://opencrs.org/fhir/StructureDefinition/referral-closed-reason"
	extClosedOn            = "https://opencrs.org/fhir/StructureDefinition/referral-closed-on"
	extClosedRTTStatus     = "https://opencrs.org/fhir/StructureDefinition/referral-closed-rtt-status"
)

// referralElements are the elements of a ServiceRequest the PAS keeps of
// a referral; a referral sent with any other is refused, naming it.
var referralElements = []string{"resourceType", "id", "meta", "text", "extension", "identifier", "status", "intent", "category",
	"priority", "subject", "authoredOn", "requester", "performer", "performerType", "reasonCode"}

// referralFieldPaths are the elements the PAS's fields of a referral
// are read from, naming where a referral it refuses went wrong.
var referralFieldPaths = map[string]string{
	"patient": "ServiceRequest.subject", "source": "ServiceRequest.extension", "received_on": "ServiceRequest.authoredOn",
	"priority": "ServiceRequest.priority", "treatment_function": "ServiceRequest.performerType", "specialty": "ServiceRequest.performerType",
	"consultant": "ServiceRequest.performer", "ubrn": "ServiceRequest.identifier", "ppi": "ServiceRequest.identifier",
	"reason": "ServiceRequest.reasonCode", "referrer_name": "ServiceRequest.requester",
}

// closureExtensions are the extensions that say why and when a referral
// was closed, and the RTT status its closure recorded.
var closureExtensions = []string{extClosedReason, extClosedOn, extClosedRTTStatus}

// closureFieldPaths name the closure extensions.
var closureFieldPaths = map[string]string{
	"reason": "ServiceRequest.extension", "closed_on": "ServiceRequest.extension", "rtt_status": "ServiceRequest.extension",
	"closed_reason": "ServiceRequest.extension",
}

// referralsWritable reports whether referrals are the PAS's, which the
// API writes through its commands.
func (s *Server) referralsWritable() bool {
	return s.coreType("ServiceRequest") != nil && s.Core.Referrals != nil
}

// isReferral reports whether a resource is a ServiceRequest of category
// referral.
func isReferral(res Resource) bool {
	if res.Type() != "ServiceRequest" {
		return false
	}
	for _, c := range array(res["category"]) {
		m, _ := c.(map[string]any)
		for _, x := range array(m["coding"]) {
			if cd, _ := x.(map[string]any); cd["code"] == referralCategory && cd["system"] == "http://snomed.info/sct" {
				return true
			}
		}
	}
	return false
}

// refuseStoredReferral refuses to keep a referral in the resource store
// (from prefix, where it is an entry of a Bundle): the PAS records it.
func (s *Server) refuseStoredReferral(res Resource, prefix string) error {
	if !isReferral(res) || !s.referralsWritable() {
		return nil
	}
	return unprocessable("business-rule", cmp.Or(prefix, "ServiceRequest")+".category",
		"a ServiceRequest of category referral (SNOMED CT %s) is recorded by the PAS, which starts its RTT pathway and puts it on a worklist: POST it to ServiceRequest (by itself, in a batch or in a transaction) to record it (a referral already recorded is ServiceRequest/%s..., closed by PUT or PATCH of its status)", referralCategory, prefixReferral)
}

// createReferral answers a create of a ServiceRequest of category
// referral: the PAS records it.
func (s *Server) createReferral(w http.ResponseWriter, r *http.Request, p *Principal, res Resource) error {
	rf, err := s.referralOf(res)
	if err != nil {
		return err
	}
	if criteria := r.Header.Get("If-None-Exist"); criteria != "" {
		// An e-Referral Service message sent again: the referral its
		// UBRN names, if recorded, is the answer.
		ubrn, err := ubrnCriteria(criteria, "If-None-Exist")
		if err != nil {
			return err
		}
		if err := takeUBRN(rf, ubrn, "If-None-Exist"); err != nil {
			return err
		}
		found, err := s.Core.Referrals.FindReferralByUBRN(r.Context(), p.Actor, ubrn)
		switch {
		case err == nil:
			existing, err := readReferral(s, r.Context(), p, prefixReferral+found.ID)
			if err != nil {
				return err
			}
			writeResource(w, r, http.StatusOK, existing)
			return nil
		case crs.ErrorCode(err) != crs.ENOTFOUND:
			return err
		}
	}
	if err := s.Core.Referrals.RecordReferral(r.Context(), p.Actor, rf); err != nil {
		return fieldOutcome(err, "ServiceRequest", referralFieldPaths)
	}
	stored, err := readReferral(s, r.Context(), p, prefixReferral+rf.ID)
	if err != nil {
		return err
	}
	writeUpdated(w, r, stored, true)
	return nil
}

// ubrnCriteria reads the UBRN a referral's conditional create names (at
// where): identifier=[UBRN system]|[UBRN], alone.
func ubrnCriteria(criteria, where string) (string, error) {
	q, err := url.ParseQuery(criteria)
	ubrn, ok := strings.CutPrefix(q.Get("identifier"), SystemUBRN+"|")
	if err != nil || len(q) != 1 || len(q["identifier"]) != 1 || !ok || ubrn == "" {
		return "", invalid("not-supported", where, "a referral's conditional create names its UBRN alone (identifier=%s|[UBRN]), not %q", SystemUBRN, criteria)
	}
	return ubrn, nil
}

// takeUBRN gives the referral the UBRN its conditional create names (at
// where), refusing one that names another.
func takeUBRN(rf *crs.Referral, ubrn, where string) error {
	if rf.UBRN != "" && rf.UBRN != ubrn {
		return invalid("invalid", where, "%s names UBRN %s, the referral UBRN %s", where, ubrn, rf.UBRN)
	}
	rf.UBRN = ubrn
	return nil
}

// referralOf reads a referral from a ServiceRequest of category referral;
// the PAS's rules for it (its code lists, a date received not in the
// future) are its command's.
func (s *Server) referralOf(res Resource) (*crs.Referral, error) {
	for k := range res {
		if !slices.Contains(referralElements, k) {
			return nil, unprocessable("business-rule", "ServiceRequest."+k, "ServiceRequest.%s is not kept by the PAS's referral: it keeps the patient (subject), the date received (authoredOn), priority, the service (performerType), the consultant (performer), the referrer (requester), the UBRN and PPI (identifier), the reason (reasonCode) and the source of referral (extension)", k)
		}
	}
	if st, _ := res["status"].(string); st != "active" {
		return nil, unprocessable("business-rule", "ServiceRequest.status", "a referral is recorded active, not %q; it is closed later by an update of its status", st)
	}
	rf := &crs.Referral{Priority: crs.PriorityRoutine, ConsultantLed: true}
	patient, ok := heldRef(res["subject"], "Patient", "")
	if !ok {
		return nil, unprocessable("required", "ServiceRequest.subject", "name the patient referred (subject Patient/[id])")
	}
	rf.PatientID = patient
	switch p, _ := res["priority"].(string); p {
	case "", "routine":
	case "urgent":
		rf.Priority = crs.PriorityUrgent
	case "asap":
		rf.Priority = crs.PriorityTwoWeekWait
	default:
		return nil, unprocessable("business-rule", "ServiceRequest.priority", "a referral's priority is routine, urgent or asap (two week wait), not %q", p)
	}
	rf.ReceivedOn = crs.LocalDate(s.Store.Now())
	if on, _ := res["authoredOn"].(string); on != "" {
		t, ok := parseInstant(on)
		if !ok {
			return nil, unprocessable("invalid", "ServiceRequest.authoredOn", "%q is not a date", on)
		}
		rf.ReceivedOn = crs.LocalDate(t)
	}
	for i, x := range array(res["identifier"]) {
		m, _ := x.(map[string]any)
		v, _ := m["value"].(string)
		switch m["system"] {
		case SystemUBRN:
			rf.UBRN = v
		case SystemPPI:
			rf.PPI = v
		default:
			return nil, unprocessable("business-rule", "ServiceRequest.identifier["+strconv.Itoa(i)+"]", "a referral is identified by its UBRN (%s) or its patient pathway identifier (%s), not by %v", SystemUBRN, SystemPPI, m["system"])
		}
	}
	rf.TreatmentFunction = codingIn(res["performerType"], treatmentFunctionSystem)
	rf.Specialty = codingIn(res["performerType"], mainSpecialtySystem)
	if rf.TreatmentFunction == "" {
		return nil, unprocessable("required", "ServiceRequest.performerType", "name the service referred to: a TREATMENT FUNCTION CODE (%s), e.g. 100 General Surgery", treatmentFunctionSystem)
	}
	for i, x := range array(res["performer"]) {
		code, ok := consultantOf(x)
		if !ok || rf.ConsultantCode != "" {
			return nil, unprocessable("business-rule", "ServiceRequest.performer["+strconv.Itoa(i)+"]", "a referral names one consultant referred to, a Practitioner by consultant code (%s or Practitioner/%s[code])", SystemConsultantCode, prefixConsultant)
		}
		rf.ConsultantCode = code
	}
	if req, _ := res["requester"].(map[string]any); req != nil {
		id, _ := req["identifier"].(map[string]any)
		v, _ := id["value"].(string)
		rf.ReferrerName, _ = req["display"].(string)
		code, consultant := consultantOf(req)
		switch {
		case consultant:
			rf.ReferrerCode = code
		case id["system"] == SystemODSCode:
			rf.ReferrerOrg = v
		case id["system"] == SystemGMPNumber:
			rf.ReferrerCode = v
		default:
			if rf.ReferrerName == "" {
				return nil, unprocessable("business-rule", "ServiceRequest.requester", "the referrer is an Organization by ODS code (%s), a GP by GMP number (%s) or a consultant by code (%s), or a name (display)", SystemODSCode, SystemGMPNumber, SystemConsultantCode)
			}
		}
	}
	for _, c := range array(res["reasonCode"]) {
		m, _ := c.(map[string]any)
		text, _ := m["text"].(string)
		for _, x := range array(m["coding"]) {
			cd, _ := x.(map[string]any)
			display, _ := cd["display"].(string)
			text = cmp.Or(text, display)
		}
		rf.Reason = strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{rf.Reason, text}, func(s string) bool { return s == "" }), "; "))
	}
	for i, x := range array(res["extension"]) {
		m, _ := x.(map[string]any)
		at := "ServiceRequest.extension[" + strconv.Itoa(i) + "]"
		switch m["url"] {
		case extSourceOfRequest:
			if code := codingIn(m["valueCodeableConcept"], sourceOfReferralSystem); code != "" {
				rf.Source = code
			} else if codingIn(m["valueCodeableConcept"], "http://snomed.info/sct") == snomedReferredByGP {
				rf.Source = "03"
			} else {
				return nil, unprocessable("business-rule", at, "the source of referral is a SOURCE OF REFERRAL FOR OUTPATIENTS code (%s: 03 GP, 05 consultant, 06 self, ...) or SNOMED CT %s (referred by a GP)", sourceOfReferralSystem, snomedReferredByGP)
			}
		case extConsultantLed:
			led, ok := m["valueBoolean"].(bool)
			if !ok {
				return nil, unprocessable("invalid", at, "%s takes valueBoolean", extConsultantLed)
			}
			rf.ConsultantLed = led
		case extClosedReason, extClosedOn, extClosedRTTStatus:
			return nil, unprocessable("business-rule", at, "a referral is recorded open; it is closed by an update of its status")
		default:
			return nil, unprocessable("business-rule", at, "the PAS keeps no extension %v of a referral", m["url"])
		}
	}
	if rf.Source == "" {
		return nil, unprocessable("required", "ServiceRequest.extension", "say who referred the patient: extension %s with a SOURCE OF REFERRAL FOR OUTPATIENTS code (%s: 03 GP, 05 consultant, 06 self, ...)", extSourceOfRequest, sourceOfReferralSystem)
	}
	return rf, nil
}

// codingIn returns the code of a CodeableConcept's coding of system.
func codingIn(v any, system string) string {
	m, _ := v.(map[string]any)
	for _, x := range array(m["coding"]) {
		if c, _ := x.(map[string]any); c["system"] == system {
			code, _ := c["code"].(string)
			return code
		}
	}
	return ""
}

// consultantOf reads a Reference to a consultant: by its consultant code
// identifier, or Practitioner/cons-[code].
func consultantOf(v any) (string, bool) {
	if code, ok := heldRef(v, "Practitioner", prefixConsultant); ok {
		return code, true
	}
	m, _ := v.(map[string]any)
	id, _ := m["identifier"].(map[string]any)
	code, _ := id["value"].(string)
	return code, id["system"] == SystemConsultantCode && code != ""
}

// referralChanges are the elements of a referral an update may change;
// the others are compared with the record's.
var referralChanges = []string{"status", "meta", "text", "id", "resourceType"}

// changeReferral decides the change from the referral cur (held, as
// served) to res: an open one closed (status completed or revoked, with
// the closure extension) by the PAS's command, nothing else.
func (s *Server) changeReferral(r *http.Request, p *Principal, cur *crs.Resource, held, res Resource) (heldCommand, error) {
	id := cur.ID
	closure, rest := splitExtension(res, closureExtensions...)
	heldClosure, heldRest := splitExtension(held, closureExtensions...)
	if err := unchangedExcept("ServiceRequest", heldRest, rest, referralChanges, func(string) string {
		return "; a referral is closed by its status (completed or revoked) with the extension " + extClosedReason + " saying why"
	}); err != nil {
		return nil, err
	}
	from, _ := held["status"].(string)
	to, _ := res["status"].(string)
	switch {
	case to == from && sameJSON(closure, heldClosure):
		return nil, nil
	case to == from:
		return nil, unprocessable("business-rule", "ServiceRequest.extension", "the closure of a referral is recorded when it is closed, and kept as it was")
	case from == "active" && (to == "completed" || to == "revoked"):
	default:
		return nil, unprocessable("business-rule", "ServiceRequest.status", "a referral that is %s does not become %s: an open (active) one is closed, completed or revoked", from, to)
	}
	c, err := closureOf(closure)
	if err != nil {
		return nil, err
	}
	return func(tx crs.Tx) error {
		return fieldOutcome(tx.CloseReferral(strings.TrimPrefix(id, prefixReferral), c), "ServiceRequest", closureFieldPaths)
	}, nil
}

// closureOf reads why and when a referral was closed, and the RTT status
// that stops or hands on its clock, from the closure extensions.
func closureOf(exts []any) (crs.ReferralClosure, error) {
	var c crs.ReferralClosure
	for _, x := range exts {
		m, _ := x.(map[string]any)
		switch m["url"] {
		case extClosedReason:
			c.Reason, _ = m["valueString"].(string)
		case extClosedOn:
			on, _ := m["valueDate"].(string)
			d, err := time.Parse("2006-01-02", on)
			if err != nil {
				return c, unprocessable("invalid", "ServiceRequest.extension", "%s %q is not a date (YYYY-MM-DD)", extClosedOn, on)
			}
			c.On = crs.Date{Time: d}
		case extClosedRTTStatus:
			cd, _ := m["valueCoding"].(map[string]any)
			code, _ := cd["code"].(string)
			st, err := rtt.ParseStatus(code)
			if cd["system"] != rttStatusSystem || err != nil {
				return c, unprocessable("invalid", "ServiceRequest.extension", "%s is a REFERRAL TO TREATMENT PERIOD STATUS code of %s (30-36, 21 or 90-98), not %v|%v", extClosedRTTStatus, rttStatusSystem, cd["system"], cd["code"])
			}
			c.RTTStatus = st
		}
	}
	if c.Reason == "" {
		return c, unprocessable("required", "ServiceRequest.extension", "say why the referral is closed: extension %s (valueString), with %s (valueDate) and %s (valueCoding of %s, e.g. 34 decision not to treat) where they apply", extClosedReason, extClosedOn, extClosedRTTStatus, rttStatusSystem)
	}
	return c, nil
}

// referralServed adds to a referral's ServiceRequest what the PAS holds
// of it beyond R4's elements: its source, whether it is consultant-led,
// and when and why it was closed.
func referralServed(r Resource, rf *crs.Referral) {
	src := []any{ddCoding(sourceOfReferralSystem, nhs.ReferralSources, rf.Source)}
	if rf.Source == "03" {
		src = append(src, map[string]any{"system": "http://snomed.info/sct", "code": snomedReferredByGP, "display": "Referred by general practitioner"})
	}
	exts := []any{
		map[string]any{"url": extSourceOfRequest, "valueCodeableConcept": map[string]any{"coding": src}},
		map[string]any{"url": extConsultantLed, "valueBoolean": rf.ConsultantLed},
	}
	if rf.Status == crs.ReferralClosed && rf.ClosedReason != "" {
		exts = append(exts, map[string]any{"url": extClosedReason, "valueString": rf.ClosedReason})
	}
	if rf.Status == crs.ReferralClosed && !rf.ClosedOn.IsZero() {
		exts = append(exts, map[string]any{"url": extClosedOn, "valueDate": rf.ClosedOn.String()})
	}
	r["extension"] = exts
	var codings []any
	if rf.TreatmentFunction != "" {
		codings = append(codings, ddCoding(treatmentFunctionSystem, nhs.TreatmentFunctions, rf.TreatmentFunction))
	}
	if rf.Specialty != "" {
		codings = append(codings, ddCoding(mainSpecialtySystem, nhs.MainSpecialties, rf.Specialty))
	}
	if codings != nil {
		r["performerType"] = map[string]any{"coding": codings}
	}
}

// ddCoding is a Coding of an NHS Data Dictionary code list, with the
// list's name for the code (none where it has none).
func ddCoding(system string, list []nhs.Code, code string) map[string]any {
	c := map[string]any{"system": system, "code": code}
	if name, ok := nhs.Lookup(list, code); ok && name != "" {
		c["display"] = name
	}
	return c
}

// heldReferral reports whether typ/id names one of the PAS's referrals,
// which the API closes through its command.
func (s *Server) heldReferral(typ, id string) bool {
	return typ == "ServiceRequest" && strings.HasPrefix(id, prefixReferral) && len(id) > len(prefixReferral) && s.referralsWritable()
}

// referralDoc is what the CapabilityStatement says of the PAS's
// referrals.
const referralDoc = "The PAS's referrals (ids " + prefixReferral + "*), category referral (SNOMED CT " + referralCategory + "), written through its own commands as the referral screens write them (each with its event and RTT step): a create of a ServiceRequest of that category records the referral (subject, authoredOn the date received, priority routine, urgent or asap for two week wait, performerType a TREATMENT FUNCTION CODE of " + treatmentFunctionSystem + " and a MAIN SPECIALTY CODE of " + mainSpecialtySystem + ", performer the consultant by code, requester the referrer, identifier the UBRN and a PPI to use, reasonCode, extension " + extSourceOfRequest + " the SOURCE OF REFERRAL FOR OUTPATIENTS code of " + sourceOfReferralSystem + " and " + extConsultantLed + " whether it starts an RTT pathway, true unless sent false); elements the PAS does not keep are refused (422, naming them), a conditional create names the UBRN (If-None-Exist: identifier=" + SystemUBRN + "|[UBRN]; the referral recorded with it answers 200, else this one is recorded), a referral in a batch is recorded as by itself, one in a transaction by the same command inside the transaction's one command (after its patients are registered, so that its subject may be a urn:uuid of the Bundle, and other entries may name it by its fullUrl; request.ifNoneExist names the UBRN as If-None-Exist does), one as a resource of the store refused; a closure in a transaction is made inside its command too; an update or patch closes an open one (status completed or revoked, with extensions " + extClosedReason + ", " + extClosedOn + " (today when not sent) and " + extClosedRTTStatus + " (a code of " + rttStatusSystem + ", the clock stop or hand-on the closure records); the reason and date are served after); nothing else of it changes (422)"
