package fhir

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// Identifier systems of the trust's own numbers.
const (
	SystemVisitNumber    = "https://opencrs.org/Id/visit-number"
	SystemPPI            = "https://fhir.nhs.uk/Id/patient-pathway-identifier"
	SystemUBRN           = "https://fhir.nhs.uk/Id/UBRN"
	SystemLocationCode   = "https://opencrs.org/Id/location-code"
	SystemConsultantCode = "https://opencrs.org/Id/consultant-code"

	csActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
)

// Id prefixes of the records of the typed core served as resources.
const (
	prefixSpell      = "ip-"   // an inpatient spell, as an Encounter
	prefixAttendance = "ae-"   // an A&E attendance, as an Encounter
	prefixOutpatient = "op-"   // an outpatient attendance, as an Encounter
	prefixReferral   = "ref-"  // a referral, as a ServiceRequest
	trustID          = "trust" // the trust, as an Organization
	prefixGP         = "gp-"   // a GP practice, as an Organization, by ODS code
	prefixConsultant = "cons-" // a consultant, as a Practitioner, by consultant code
)

func init() {
	patientScoped := []string{"patient", "subject", "date", "status", "identifier", "class", "_id"}
	coreMappings["Encounter"] = &coreMapping{prefixes: []string{prefixSpell, prefixAttendance, prefixOutpatient}, external: true,
		read: readEncounter, search: patientSearch(encountersOf), params: patientScoped}
	coreMappings["EpisodeOfCare"] = &coreMapping{prefixes: []string{""},
		read: readEpisodeOfCare, search: patientSearch(episodesOf), params: patientScoped}
	coreMappings["Appointment"] = &coreMapping{prefixes: []string{""},
		read: readAppointment, search: patientSearch(appointmentsOf), params: patientScoped}
	coreMappings["ServiceRequest"] = &coreMapping{prefixes: []string{prefixReferral}, external: true,
		read: readReferral, search: patientSearch(referralsOf), params: patientScoped}
	coreMappings["Location"] = &coreMapping{prefixes: []string{""}, created: true,
		read: readLocation, search: searchLocations, params: []string{"_id", "identifier", "name", "partof", "status"}}
	coreMappings["Organization"] = &coreMapping{prefixes: []string{trustID, prefixGP}, external: true,
		read: readOrganization, search: searchOrganizations, params: []string{"_id", "identifier"}}
	coreMappings["Practitioner"] = &coreMapping{prefixes: []string{prefixConsultant}, external: true,
		read: readPractitioner, search: searchPractitioners, params: []string{"_id", "identifier"}}
}

// served makes a version 1 resource of a record of the typed core, with
// its UK Core profile; the PAS keeps no versions of these as the API
// serves them, so each is its current state. updated is when the record
// last changed, zero when the PAS does not record it (locations,
// organisations).
func served(r Resource, updated time.Time, patientID string) (*crs.Resource, error) {
	typ := r.Type()
	meta := map[string]any{"versionId": "1", "profile": []any{profileBase + typ}}
	if !updated.IsZero() {
		meta["lastUpdated"] = updated.UTC().Format(instant)
	}
	r["meta"] = meta
	withNarrative(r)
	body, err := encodeResource(r)
	if err != nil {
		return nil, err
	}
	return &crs.Resource{Type: typ, ID: r.ID(), Version: 1, LastUpdated: updated, Body: body, PatientID: patientID}, nil
}

// ref is a Reference element to typ/id.
func ref(typ, id string) map[string]any { return refTo(typ + "/" + id) }

// identifierRef is a reference by identifier alone, with a display.
func identifierRef(typ, system, value, display string) map[string]any {
	r := map[string]any{"type": typ, "identifier": map[string]any{"system": system, "value": value}}
	if display != "" {
		r["display"] = display
	}
	return r
}

func consultantRef(code string) map[string]any {
	r := identifierRef("Practitioner", SystemConsultantCode, code, "")
	r["reference"] = "Practitioner/" + prefixConsultant + code
	return r
}

func period(start, end time.Time) map[string]any {
	p := map[string]any{}
	if !start.IsZero() {
		p["start"] = start.UTC().Format(time.RFC3339)
	}
	if !end.IsZero() {
		p["end"] = end.UTC().Format(time.RFC3339)
	}
	return p
}

func datePeriod(start, end crs.Date) map[string]any {
	p := map[string]any{}
	if !start.IsZero() {
		p["start"] = start.String()
	}
	if !end.IsZero() {
		p["end"] = end.String()
	}
	return p
}

func class(code, display string) map[string]any {
	return map[string]any{"system": csActCode, "code": code, "display": display}
}

func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// spellReference is the reference to an inpatient spell as the API
// serves it (Encounter/ip-[id]), which the clinical record's resources
// about the stay carry.
func spellReference(spellID string) string { return "Encounter/" + prefixSpell + spellID }

// spellOfReference is the spell a reference to its Encounter names;
// one written before the record's references carried the Encounter's
// id (Encounter/[spell id]) is read as well.
func spellOfReference(ref string) string {
	return strings.TrimPrefix(strings.TrimPrefix(ref, "Encounter/"), prefixSpell)
}

// encounter is an inpatient spell as an Encounter of class IMP.
func (nm *coreNames) encounter(sp *crs.Spell) (*crs.Resource, error) {
	status := spellStatus[sp.Status]
	e := Resource{"resourceType": "Encounter", "id": prefixSpell + sp.ID, "status": status, "class": class("IMP", "inpatient encounter"),
		"subject": ref("Patient", sp.PatientID), "period": period(sp.AdmittedAt, sp.DischargedAt),
		"serviceProvider": ref("Organization", trustID)}
	if sp.VisitNumber != "" {
		e["identifier"] = []any{map[string]any{"system": SystemVisitNumber, "value": sp.VisitNumber}}
	}
	if ext := dischargeMethod(sp); ext != nil {
		e["extension"] = ext
	}
	if ps := nm.participants(sp); ps != nil {
		e["participant"] = ps
	}
	if sp.TreatmentFunction != "" {
		name, _ := nhs.Lookup(nhs.TreatmentFunctions, sp.TreatmentFunction)
		e["serviceType"] = codeable(treatmentFunctionSystem, sp.TreatmentFunction, name)
	}
	if h := hospitalization(sp); h != nil {
		e["hospitalization"] = h
	}
	if locs := nm.locations(sp); locs != nil {
		e["location"] = locs
	}
	if sp.PathwayID != "" {
		e["episodeOfCare"] = []any{ref("EpisodeOfCare", sp.PathwayID)}
	}
	return served(e, latest(sp.UpdatedAt, sp.CreatedAt), sp.PatientID)
}

// attendanceEncounter is an A&E attendance as an Encounter of class
// EMER, with the ECDS items it holds (emergencyCare).
func attendanceEncounter(a *crs.EDAttendance) (*crs.Resource, error) {
	status := "in-progress"
	if a.Status == crs.EDDeparted {
		status = "finished"
	}
	e := Resource{"resourceType": "Encounter", "id": prefixAttendance + a.ID, "status": status, "class": class("EMER", "emergency"),
		"subject": ref("Patient", a.PatientID), "period": period(a.ArrivedAt, a.DepartedAt),
		"serviceProvider": ref("Organization", trustID)}
	emergencyCare(e, a)
	return served(e, latest(a.CreatedAt, a.ArrivedAt, a.TriagedAt, a.SeenAt, a.DepartedAt), a.PatientID)
}

// outpatientEncounter is an outpatient attendance (an appointment the
// patient arrived for) as an Encounter of class AMB, with its outcome
// and what its clinic says (outpatientCare).
func (nm *coreNames) outpatientEncounter(ap *crs.Appointment) (*crs.Resource, error) {
	status := "arrived"
	if ap.Status == crs.AppointmentAttended {
		status = "finished"
	}
	start := ap.CheckedInAt
	if start.IsZero() {
		start = ap.AttendedAt
	}
	e := Resource{"resourceType": "Encounter", "id": prefixOutpatient + ap.ID, "status": status, "class": class("AMB", "ambulatory"),
		"subject": ref("Patient", ap.PatientID), "period": period(start, ap.AttendedAt),
		"appointment": []any{ref("Appointment", ap.ID)}, "serviceProvider": ref("Organization", trustID)}
	if ap.ReferralID != "" {
		e["basedOn"] = []any{ref("ServiceRequest", prefixReferral+ap.ReferralID)}
	}
	if ap.PathwayID != "" {
		e["episodeOfCare"] = []any{ref("EpisodeOfCare", ap.PathwayID)}
	}
	outpatientCare(e, ap, nm, status == "finished")
	return served(e, latest(ap.BookedAt, ap.CheckedInAt, ap.AttendedAt, ap.OutcomedAt, ap.CancelledAt), ap.PatientID)
}

// attended reports whether an appointment is an outpatient attendance.
func attended(ap *crs.Appointment) bool {
	return ap.Status == crs.AppointmentAttended || ap.Status == crs.AppointmentCheckedIn
}

func readEncounter(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	switch {
	case strings.HasPrefix(id, prefixSpell):
		sp, err := s.Core.Inpatients.FindSpell(ctx, p.Actor, strings.TrimPrefix(id, prefixSpell))
		if err != nil {
			return nil, err
		}
		rs, err := spellEncounters(s, ctx, p.Actor, []*crs.Spell{sp})
		if err != nil {
			return nil, err
		}
		return rs[0], nil
	case strings.HasPrefix(id, prefixAttendance):
		a, err := s.Core.ED.FindAttendance(ctx, p.Actor, strings.TrimPrefix(id, prefixAttendance))
		if err != nil {
			return nil, err
		}
		return attendanceEncounter(a)
	default:
		ap, err := s.Core.Outpatients.FindAppointment(ctx, p.Actor, strings.TrimPrefix(id, prefixOutpatient))
		if err != nil {
			return nil, err
		}
		if !attended(ap) {
			return nil, crs.Errorf(crs.ENOTFOUND, "Encounter/%s: the patient has not arrived for the appointment (see Appointment/%s)", id, ap.ID)
		}
		nm, err := clinicNames(s, ctx, p.Actor, []*crs.Appointment{ap})
		if err != nil {
			return nil, err
		}
		return nm.outpatientEncounter(ap)
	}
}

// encountersOf lists a patient's spells, A&E attendances and outpatient
// attendances as Encounters.
func encountersOf(s *Server, ctx context.Context, p *Principal, patientID string) ([]*crs.Resource, error) {
	spells, err := s.Core.Inpatients.FindSpells(ctx, p.Actor, patientID)
	if err != nil {
		return nil, err
	}
	out, err := spellEncounters(s, ctx, p.Actor, spells)
	if err != nil {
		return nil, err
	}
	atts, err := s.Core.ED.FindAttendances(ctx, p.Actor, patientID)
	if err != nil {
		return nil, err
	}
	ae, err := mapAll(atts, attendanceEncounter, nil)
	if err != nil {
		return nil, err
	}
	appts, err := appointments(s, ctx, p, patientID)
	if err != nil {
		return nil, err
	}
	appts = slices.DeleteFunc(appts, func(ap *crs.Appointment) bool { return !attended(ap) })
	nm, err := clinicNames(s, ctx, p.Actor, appts)
	if err != nil {
		return nil, err
	}
	op, err := mapAll(appts, nm.outpatientEncounter, nil)
	return append(append(out, ae...), op...), err
}

// appointments lists the appointments of a patient's referrals.
func appointments(s *Server, ctx context.Context, p *Principal, patientID string) ([]*crs.Appointment, error) {
	refs, err := s.Core.Referrals.FindReferrals(ctx, p.Actor, patientID)
	if err != nil {
		return nil, err
	}
	var out []*crs.Appointment
	for _, r := range refs {
		appts, err := s.Core.Outpatients.FindAppointments(ctx, p.Actor, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, appts...)
	}
	return out, nil
}

// appointment is an outpatient appointment as an Appointment: when and
// for how long (its slot), the clinic (description), the patient, the
// clinic's consultant and room, the clinic's treatment function, whether
// it is a first appointment or a follow-up, and the trust that booked it.
func (nm *coreNames) appointment(ap *crs.Appointment) (*crs.Resource, error) {
	status := appointmentStatus[ap.Status]
	start, end := ap.Start.UTC().Format(time.RFC3339), ap.Start
	if !ap.End.IsZero() {
		end = ap.End
	}
	participants := []any{map[string]any{"actor": ref("Patient", ap.PatientID), "status": "accepted"}}
	r := Resource{"resourceType": "Appointment", "id": ap.ID, "status": status, "start": start, "end": end.UTC().Format(time.RFC3339),
		"created":   ap.BookedAt.UTC().Format(time.RFC3339),
		"extension": []any{map[string]any{"url": extBookingOrganization, "valueReference": ref("Organization", trustID)}}}
	if c := nm.clinics[ap.ClinicID]; c != nil {
		r["description"] = c.Name
		if c.ConsultantCode != "" {
			participants = append(participants, map[string]any{"type": []any{codeable(csParticipationType, "ATND", "attender")},
				"actor": nm.consultant(c.ConsultantCode), "status": "accepted"})
		}
		if c.LocationID != "" {
			participants = append(participants, map[string]any{"actor": nm.location(c.LocationID), "status": "accepted"})
		}
		if c.TreatmentFunction != "" {
			name, _ := nhs.Lookup(nhs.TreatmentFunctions, c.TreatmentFunction)
			r["serviceType"] = []any{codeable(treatmentFunctionSystem, c.TreatmentFunction, name)}
		}
	}
	r["participant"] = participants
	if ap.SlotID != "" {
		r["slot"] = []any{ref("Slot", prefixSlot+ap.SlotID)}
	}
	if ap.ReferralID != "" {
		r["basedOn"] = []any{ref("ServiceRequest", prefixReferral+ap.ReferralID)}
	}
	if ap.Kind != "" {
		t := map[string]any{"text": strings.ReplaceAll(ap.Kind, "_", " ")}
		switch ap.Kind {
		case crs.SlotNew:
			t["coding"] = []any{codingOf(csAppointmentReason, "ROUTINE", "Routine appointment - default if not valued")}
		case crs.SlotFollowUp:
			t["coding"] = []any{codingOf(csAppointmentReason, "FOLLOWUP", "A follow up visit from a previous appointment")}
		}
		r["appointmentType"] = t
	}
	if ap.Status == crs.AppointmentCancelled && ap.Reason != "" {
		r["cancelationReason"] = map[string]any{"text": "cancelled by the " + ap.CancelledBy + ": " + ap.Reason}
	}
	return served(r, latest(ap.BookedAt, ap.CheckedInAt, ap.AttendedAt, ap.OutcomedAt, ap.CancelledAt), ap.PatientID)
}

// appointmentsServed serves appointments as Appointments, the names of
// their clinics, consultants and rooms found first.
func appointmentsServed(s *Server, ctx context.Context, a crs.Actor, appts []*crs.Appointment) ([]*crs.Resource, error) {
	nm, err := clinicNames(s, ctx, a, appts)
	if err != nil {
		return nil, err
	}
	return mapAll(appts, nm.appointment, nil)
}

func readAppointment(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	ap, err := s.Core.Outpatients.FindAppointment(ctx, p.Actor, id)
	if err != nil {
		return nil, err
	}
	rs, err := appointmentsServed(s, ctx, p.Actor, []*crs.Appointment{ap})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

func appointmentsOf(s *Server, ctx context.Context, p *Principal, patientID string) ([]*crs.Resource, error) {
	appts, err := appointments(s, ctx, p, patientID)
	if err != nil {
		return nil, err
	}
	return appointmentsServed(s, ctx, p.Actor, appts)
}

// mapAll serves each record that keep (nil for all) keeps.
func mapAll[T any](xs []T, serve func(T) (*crs.Resource, error), keep func(T) bool) ([]*crs.Resource, error) {
	var out []*crs.Resource
	for _, x := range xs {
		if keep != nil && !keep(x) {
			continue
		}
		r, err := serve(x)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// referralResource is a referral as a ServiceRequest of category
// referral.
func referralResource(rf *crs.Referral) (*crs.Resource, error) {
	status := "active"
	if rf.Status == crs.ReferralClosed {
		status = "completed"
	}
	r := Resource{"resourceType": "ServiceRequest", "id": prefixReferral + rf.ID, "status": status, "intent": "order",
		"category": []any{codeable("http://snomed.info/sct", referralCategory, "Patient referral")},
		"priority": map[string]string{crs.PriorityRoutine: "routine", crs.PriorityUrgent: "urgent", crs.PriorityTwoWeekWait: "asap"}[rf.Priority],
		"subject":  ref("Patient", rf.PatientID), "authoredOn": rf.ReceivedOn.String()}
	var ids []any
	if rf.UBRN != "" {
		ids = append(ids, map[string]any{"system": SystemUBRN, "value": rf.UBRN})
	}
	if rf.PPI != "" {
		ids = append(ids, map[string]any{"system": SystemPPI, "value": rf.PPI})
	}
	if ids != nil {
		r["identifier"] = ids
	}
	switch {
	case rf.ReferrerOrg != "":
		r["requester"] = identifierRef("Organization", SystemODSCode, rf.ReferrerOrg, rf.ReferrerName)
	case rf.ReferrerCode != "":
		system := SystemConsultantCode
		if strings.HasPrefix(rf.ReferrerCode, "G") {
			system = SystemGMPNumber
		}
		r["requester"] = identifierRef("Practitioner", system, rf.ReferrerCode, rf.ReferrerName)
	case rf.ReferrerName != "":
		r["requester"] = map[string]any{"display": rf.ReferrerName}
	}
	referralServed(r, rf)
	if rf.ConsultantCode != "" {
		r["performer"] = []any{consultantRef(rf.ConsultantCode)}
	}
	if rf.Reason != "" {
		r["reasonCode"] = []any{map[string]any{"text": rf.Reason}}
	}
	return served(r, latest(rf.CreatedAt, rf.UpdatedAt), rf.PatientID)
}

func readReferral(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	rf, err := s.Core.Referrals.FindReferral(ctx, p.Actor, strings.TrimPrefix(id, prefixReferral))
	if err != nil {
		return nil, err
	}
	return referralResource(rf)
}

func referralsOf(s *Server, ctx context.Context, p *Principal, patientID string) ([]*crs.Resource, error) {
	refs, err := s.Core.Referrals.FindReferrals(ctx, p.Actor, patientID)
	if err != nil {
		return nil, err
	}
	return mapAll(refs, referralResource, nil)
}

// pathwayEpisode is an RTT pathway as an EpisodeOfCare, identified by
// its patient pathway identifier.
func pathwayEpisode(pw *crs.Pathway) (*crs.Resource, error) {
	status := clockStatus[pw.ClockState]
	r := Resource{"resourceType": "EpisodeOfCare", "id": pw.ID, "status": status,
		"identifier": []any{map[string]any{"system": SystemPPI, "value": pw.PPI, "assigner": map[string]any{"display": pw.PPIIssuer}}},
		"type":       []any{map[string]any{"text": "18-week referral to treatment pathway"}},
		"patient":    ref("Patient", pw.PatientID), "managingOrganization": ref("Organization", trustID)}
	if p := datePeriod(pw.ClockStart, pw.ClockStop); len(p) > 0 {
		r["period"] = p
	}
	if pw.ReferralID != "" {
		r["referralRequest"] = []any{ref("ServiceRequest", prefixReferral+pw.ReferralID)}
	}
	if pw.ConsultantCode != "" {
		r["careManager"] = consultantRef(pw.ConsultantCode)
	}
	return served(r, latest(pw.CreatedAt, pw.UpdatedAt), pw.PatientID)
}

func readEpisodeOfCare(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	pw, err := s.Core.Referrals.FindPathway(ctx, p.Actor, id)
	if err != nil {
		return nil, err
	}
	return pathwayEpisode(pw)
}

func episodesOf(s *Server, ctx context.Context, p *Principal, patientID string) ([]*crs.Resource, error) {
	refs, err := s.Core.Referrals.FindReferrals(ctx, p.Actor, patientID)
	if err != nil {
		return nil, err
	}
	var out []*crs.Resource
	for _, rf := range refs {
		if rf.PathwayID == "" {
			continue
		}
		r, err := readEpisodeOfCare(s, ctx, p, rf.PathwayID)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// patientSearch is the search of a type whose typed records are a
// patient's: it needs the patient (patient or subject) or _id, reads
// the patient's records and keeps those matching every parameter.
func patientSearch(of func(*Server, context.Context, *Principal, string) ([]*crs.Resource, error)) func(*Server, context.Context, *Principal, *search) ([]*crs.Resource, error) {
	return func(s *Server, ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error) {
		typ := q.query.Type
		m := coreMappings[typ]
		if err := checkParams(q, m); err != nil {
			return nil, err
		}
		var all []*crs.Resource
		patients := map[string]bool{}
		var rest [][]crs.ResourceCondition
		for _, g := range q.query.All {
			if g[0].Param == "patient" || g[0].Param == "subject" {
				for _, c := range g {
					id := strings.TrimPrefix(c.Code, "Patient/")
					patients[id] = true
				}
				continue
			}
			rest = append(rest, g)
		}
		for id := range patients {
			rs, err := of(s, ctx, p, id)
			if err != nil && crs.ErrorCode(err) != crs.ENOTFOUND {
				return nil, err
			}
			all = append(all, rs...)
		}
		for _, id := range q.query.IDs {
			if !m.owns(id) {
				continue
			}
			r, err := m.read(s, ctx, p, id)
			if crs.ErrorCode(err) == crs.ENOTFOUND {
				continue
			}
			if err != nil {
				return nil, err
			}
			all = append(all, r)
		}
		if len(patients) == 0 && len(q.query.IDs) == 0 {
			if m.external {
				return nil, nil // the resource store's only
			}
			return nil, invalid("required", "patient", "search %s of a patient (patient=Patient/[id]) or by _id: the PAS lists them patient by patient", typ)
		}
		return filterServed(all, rest, &q.query)
	}
}

// checkParams refuses a search the typed records cannot answer.
func checkParams(q *search, m *coreMapping) error {
	for _, g := range q.query.All {
		// The typed records are served as resources and kept where they
		// match a parameter of the type's own values; a type the resource
		// store also holds is searched there by it as well.
		ok := plainGroup(g)
		for _, name := range m.params {
			ok = ok || g[0].Param == name
		}
		if !ok {
			return invalid("not-supported", g[0].Param, "%s from the PAS is searched by %s, not %s", q.query.Type, strings.Join(m.params, ", "), g[0].Param)
		}
	}
	return nil
}

// plainGroup reports whether a group's conditions are each of a
// resource's own values, which filterServed matches: no chain or _has.
func plainGroup(g []crs.ResourceCondition) bool {
	for _, c := range g {
		if c.Target != nil || c.Has != nil {
			return false
		}
	}
	return true
}

// filterServed keeps the served resources that match every group and
// the rest of the search q (:not, :missing).
func filterServed(all []*crs.Resource, groups [][]crs.ResourceCondition, q *crs.ResourceQuery) ([]*crs.Resource, error) {
	rest := *q
	rest.All = groups
	var out []*crs.Resource
	for _, r := range all {
		res, err := Decode(r.Body)
		if err != nil {
			return nil, err
		}
		if matchesQuery(res, &rest, nil) {
			out = append(out, r)
		}
	}
	return out, nil
}

// bedOperationalStatus is a bed's status on the bed board as HL7's bed
// status (v2 table 0116), code and display: the display is the table's
// own, so that a receiving system checking codings against the table
// finds the words it expects. A bed out of use for a while (for cleaning
// or repair) is Housekeeping: the table's Contaminated would tell an
// infection control system what the bed board does not say. An open bed
// a patient is in is Occupied (occupiedStatus), a free one Unoccupied.
var bedOperationalStatus = map[crs.BedStatus][2]string{
	crs.BedAvailable: {"U", "Unoccupied"}, crs.BedClosed: {"C", "Closed"}, crs.BedOutOfUse: {"H", "Housekeeping"},
}

var occupiedStatus = [2]string{"O", "Occupied"}

// occupiedBeds are the beds of the trust a patient is in, as the bed
// board shows them (no patient's details read); none are read when ls
// holds no bed or the server keeps no spells.
func occupiedBeds(s *Server, ctx context.Context, p *Principal, ls []*crs.Location) (map[string]bool, error) {
	if s.Core.Inpatients == nil || !slices.ContainsFunc(ls, func(l *crs.Location) bool { return l.Kind == crs.LocationBed }) {
		return nil, nil
	}
	wards, err := s.Core.Inpatients.WardBeds(ctx, p.Actor)
	if err != nil {
		return nil, err
	}
	occupied := map[string]bool{}
	for _, w := range wards {
		for _, b := range w.Beds {
			if b.SpellID != "" {
				occupied[b.BedID] = true
			}
		}
	}
	return occupied, nil
}

// locationResource is a site, ward, bay, bed, clinic room or emergency
// department of the trust as a Location; occupied holds the beds a
// patient is in.
func locationResource(l *crs.Location, occupied map[string]bool) (*crs.Resource, error) {
	types := map[crs.LocationKind][2]string{crs.LocationSite: {"si", "Site"}, crs.LocationWard: {"wa", "Ward"}, crs.LocationBay: {"ro", "Room"},
		crs.LocationBed: {"bd", "Bed"}, crs.LocationClinicRoom: {"ro", "Room"}, crs.LocationED: {"wa", "Ward"}}
	status := "active"
	if !l.Active {
		status = "inactive"
	}
	pt := types[l.Kind]
	r := Resource{"resourceType": "Location", "id": l.ID, "status": status, "name": l.Name, "mode": "instance",
		"identifier":           []any{map[string]any{"system": SystemLocationCode, "value": l.Code}},
		"physicalType":         codeable("http://terminology.hl7.org/CodeSystem/location-physical-type", pt[0], pt[1]),
		"managingOrganization": ref("Organization", trustID)}
	r["description"] = string(l.Kind)
	if l.ParentID != "" {
		r["partOf"] = ref("Location", l.ParentID)
	}
	if st, ok := bedOperationalStatus[l.Status]; ok && l.Kind == crs.LocationBed {
		if l.Status == crs.BedAvailable && occupied[l.ID] {
			st = occupiedStatus
		}
		r["operationalStatus"] = map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": st[0], "display": st[1]}
	}
	return served(r, time.Time{}, "")
}

func readLocation(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	ls, err := s.Core.Orgs.FindLocationsByID(ctx, p.Actor, []string{id})
	if err != nil {
		return nil, err
	}
	l, ok := ls[id]
	if !ok {
		return nil, crs.Errorf(crs.ENOTFOUND, "Location/%s is not a location of the trust", id)
	}
	occupied, err := occupiedBeds(s, ctx, p, []*crs.Location{l})
	if err != nil {
		return nil, err
	}
	return locationResource(l, occupied)
}

func searchLocations(s *Server, ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error) {
	if err := checkParams(q, coreMappings["Location"]); err != nil {
		return nil, err
	}
	ls, err := s.Core.Orgs.FindLocations(ctx, p.Actor, "")
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, id := range q.query.IDs {
		ids[id] = true
	}
	occupied, err := occupiedBeds(s, ctx, p, ls)
	if err != nil {
		return nil, err
	}
	all, err := mapAll(ls, func(l *crs.Location) (*crs.Resource, error) { return locationResource(l, occupied) }, func(l *crs.Location) bool { return len(ids) == 0 || ids[l.ID] })
	if err != nil {
		return nil, err
	}
	return filterServed(all, q.query.All, &q.query)
}

// trustOrganization is the trust as an Organization.
func trustOrganization(o *crs.Organisation) (*crs.Resource, error) {
	return served(Resource{"resourceType": "Organization", "id": trustID, "active": true, "name": o.Name,
		"identifier": []any{map[string]any{"system": SystemODSCode, "value": o.ODSCode}},
		"type":       []any{organizationType("197", "NHS Trust")}}, time.Time{}, "")
}

// organizationType is Organization.type of an organisation the trust
// knows by its ODS role: the role, and HL7's Healthcare Provider, the
// code of the value set UK Core binds Organization.type to (extensible)
// that fits an NHS trust and a GP practice alike.
func organizationType(odsRole, display string) map[string]any {
	return map[string]any{"coding": []any{
		map[string]any{"system": "https://fhir.nhs.uk/CodeSystem/organisation-role", "code": odsRole, "display": display},
		map[string]any{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov", "display": "Healthcare Provider"},
	}}
}

// gpOrganization is a GP practice, known by its ODS code, as an
// Organization, with the name and postcode the trust knows it by (none
// when it is read by its code alone).
func gpOrganization(gp crs.GPPractice) (*crs.Resource, error) {
	r := Resource{"resourceType": "Organization", "id": prefixGP + gp.Code, "active": true,
		"identifier": []any{map[string]any{"system": SystemODSCode, "value": gp.Code}},
		"type":       []any{organizationType("76", "GP Practice")}}
	if gp.Name != "" {
		r["name"] = gp.Name
	}
	if gp.Postcode != "" {
		r["address"] = []any{map[string]any{"postalCode": gp.Postcode}}
	}
	return served(r, time.Time{}, "")
}

func readOrganization(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	if code, ok := strings.CutPrefix(id, prefixGP); ok {
		if !validODS(code) {
			return nil, crs.Errorf(crs.ENOTFOUND, "Organization/%s: %q is not an ODS code", id, code)
		}
		return gpOrganization(crs.GPPractice{Code: code})
	}
	o, err := s.Core.Orgs.FindOrganisation(ctx, p.Actor)
	if err != nil {
		return nil, err
	}
	if id != trustID {
		return nil, crs.Errorf(crs.ENOTFOUND, "Organization/%s is not this trust", id)
	}
	return trustOrganization(o)
}

func validODS(code string) bool {
	if len(code) < 3 || len(code) > 6 {
		return false
	}
	for _, c := range code {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func searchOrganizations(s *Server, ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error) {
	if err := checkParams(q, coreMappings["Organization"]); err != nil {
		return nil, err
	}
	o, err := s.Core.Orgs.FindOrganisation(ctx, p.Actor)
	if err != nil {
		return nil, err
	}
	trust, err := trustOrganization(o)
	if err != nil {
		return nil, err
	}
	all := []*crs.Resource{trust}
	byCode := len(q.query.IDs) > 0 || slices.ContainsFunc(q.query.All, func(g []crs.ResourceCondition) bool { return g[0].Param == "identifier" })
	if !byCode {
		// Sorted, or by a chain: every practice the trust knows, read
		// whole to be sorted and matched (unsorted, scanOrganizations
		// reads them a page at a time). By an ODS code or _id, the
		// practice the code names.
		for after, more := "", true; more; {
			var ps []crs.GPPractice
			var err error
			if ps, more, err = s.Core.Orgs.ListGPPractices(ctx, p.Actor, after, maxCount); err != nil {
				return nil, err
			}
			for _, gp := range ps {
				r, err := gpOrganization(gp)
				if err != nil {
					return nil, err
				}
				all = append(all, r)
				after = gp.Code
			}
		}
	}
	for _, g := range q.query.All {
		for _, c := range g {
			if c.Param == "identifier" && validODS(c.Code) && c.Code != o.ODSCode {
				gp, err := gpOrganization(crs.GPPractice{Code: c.Code})
				if err != nil {
					return nil, err
				}
				all = append(all, gp)
			}
		}
	}
	if len(q.query.IDs) > 0 {
		var kept []*crs.Resource
		for _, id := range q.query.IDs {
			if r, err := readOrganization(s, ctx, p, id); err == nil {
				kept = append(kept, r)
			}
		}
		all = kept
	}
	if len(q.query.All) == 0 && len(q.query.IDs) == 0 {
		return all, nil
	}
	return filterServed(all, q.query.All, &q.query)
}

// consultantPractitioner is a consultant, known by the consultant code
// the PAS records on spells, referrals and pathways, as a Practitioner.
func consultantPractitioner(code, name string) (*crs.Resource, error) {
	r := Resource{"resourceType": "Practitioner", "id": prefixConsultant + code, "active": true,
		"identifier": []any{map[string]any{"system": SystemConsultantCode, "value": code}}}
	if name != "" {
		r["name"] = []any{map[string]any{"text": name}}
	}
	return served(r, time.Time{}, "")
}

func readPractitioner(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	code := strings.TrimPrefix(id, prefixConsultant)
	if !crs.ValidConsultantCode(code) {
		return nil, crs.Errorf(crs.ENOTFOUND, "Practitioner/%s: %q is not a consultant code", id, code)
	}
	cs, err := clinicsOf(s, ctx, p)
	if err != nil {
		return nil, err
	}
	_, names := consultantsOf(cs)
	return consultantPractitioner(code, names[code])
}

func searchPractitioners(s *Server, ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error) {
	if err := checkParams(q, coreMappings["Practitioner"]); err != nil {
		return nil, err
	}
	// The consultants who hold the trust's clinics, and any other named
	// by consultant code (on spells, referrals and pathways).
	cs, err := clinicsOf(s, ctx, p)
	if err != nil {
		return nil, err
	}
	codes, names := consultantsOf(cs)
	for _, id := range q.query.IDs {
		if code, ok := strings.CutPrefix(id, prefixConsultant); ok && crs.ValidConsultantCode(code) {
			codes = append(codes, code)
		}
	}
	for _, g := range q.query.All {
		for _, c := range g {
			if c.Param == "identifier" && (c.System == nil || *c.System == SystemConsultantCode) && crs.ValidConsultantCode(c.Code) {
				codes = append(codes, c.Code)
			}
		}
	}
	slices.Sort(codes)
	all, err := mapAll(slices.Compact(codes), func(code string) (*crs.Resource, error) { return consultantPractitioner(code, names[code]) }, nil)
	if err != nil {
		return nil, err
	}
	return filterServed(all, q.query.All, &q.query)
}
