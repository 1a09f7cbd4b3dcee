package fhir

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// What an A&E attendance and an outpatient attendance say beyond their
// status and times, in the elements UK Core Encounter and R4 give them:
// the Emergency Care Data Set items an emergency department records, and
// the clinic an outpatient attended.

// Urls and code systems of the elements an attendance's Encounter
// carries.
const (
	// extModeOfArrival is R4's extension for how the patient came to the
	// department. UK Core's Encounter Transport extension, which once
	// held it, is retired in UK Core 2.6.1 and is not on its Encounter.
	extModeOfArrival = "http://hl7.org/fhir/StructureDefinition/encounter-modeOfArrival"
	// extDischargeStatus is UK Core's EMERGENCY CARE DISCHARGE STATUS.
	extDischargeStatus = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EmergencyCareDischargeStatus"
	// extOutcomeOfAttendance is UK Core's OUTCOME OF ATTENDANCE of an
	// outpatient attendance.
	extOutcomeOfAttendance = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-OutcomeOfAttendance"
	csOutcomeOfAttendance  = "https://fhir.hl7.org.uk/CodeSystem/UKCore-OutcomeOfAttendanceEngland"

	// extDecisionToAdmit is when a clinician decided to admit the
	// patient from the department (ECDS DECISION TO ADMIT DATE and TIME,
	// from which a 12-hour trolley wait is counted), and
	// extAdmitSpecialty the treatment function they were to be admitted
	// under; extAdmittedTo is the inpatient stay (an Encounter) the
	// attendance ended in. R4's Encounter and UK Core's have no element
	// for them: they are OpenCRS's own (definitions.go).
	extDecisionToAdmit = "https://opencrs.org/fhir/StructureDefinition/decision-to-admit"
	extAdmitSpecialty  = "https://opencrs.org/fhir/StructureDefinition/decision-to-admit-specialty"
	extAdmittedTo      = "https://opencrs.org/fhir/StructureDefinition/admitted-to"

	csUCUM                = "http://unitsofmeasure.org"
	locationEDDepartment  = "E04" // Emergency Care Department or Minor Injuries Department
	locationOutpatient    = "E01" // Out-Patient Clinic
	participantSeenBy     = "PPRF"
	participantConsultant = "ATND"
)

// participantTypes are the v3 ParticipationTypes of the clinicians an
// attendance names: the one who saw the patient in the department is its
// primary performer; the consultant whose clinic it is, responsible for
// the patient's care there though a registrar may see them, its
// attender (as UK Core's own example has a consultant).
var participantTypes = map[string]string{participantSeenBy: "primary performer", participantConsultant: "attender"}

// ecdsConcept is a SNOMED CT concept of an ECDS list as a
// CodeableConcept, with the words the list gives it (none where the list
// has no words but the code).
func ecdsConcept(list []nhs.Code, code string) map[string]any {
	return map[string]any{"coding": []any{ecdsCoding(list, code)}}
}

func ecdsCoding(list []nhs.Code, code string) map[string]any {
	c := map[string]any{"system": nhs.SNOMEDSystem, "code": code}
	if d, ok := nhs.Lookup(list, code); ok && d != code {
		c["display"] = d
	}
	return c
}

// participant is a clinician of an attendance, of one of
// participantTypes.
func participant(typ string, who map[string]any, from time.Time) map[string]any {
	p := map[string]any{"type": []any{codeable(csParticipationType, typ, participantTypes[typ])}, "individual": who}
	if !from.IsZero() {
		p["period"] = period(from, time.Time{})
	}
	return p
}

// encounterLocation is where an attendance is, of an ACTIVITY LOCATION
// TYPE CODE (UK Core's Encounter location types); finished says the
// patient has left it.
func encounterLocation(where map[string]any, typ string, finished bool) map[string]any {
	status := "active"
	if finished {
		status = "completed"
	}
	return map[string]any{"location": where, "status": status,
		"physicalType": ukCoreCode(csEncounterLocation, typ, nil)}
}

// emergencyCare adds to an A&E attendance's Encounter e the ECDS items
// the attendance holds: how the patient arrived, the attendance category,
// the chief complaint with the complaint in their words, the acuity from
// the triage category, when each step of the attendance came, the area
// of the department they are in, the clinician who saw them, how long
// they were in the department and how the attendance ended: the decision
// to admit (its time and specialty) and the inpatient stay the patient
// was admitted to in OpenCRS's extensions, which R4's Encounter and UK
// Core's have no element for.
func emergencyCare(e Resource, a *crs.EDAttendance) {
	var exts []any
	if a.ArrivalMode != "" {
		exts = append(exts, map[string]any{"url": extModeOfArrival, "valueCoding": ecdsCoding(nhs.ArrivalModes, a.ArrivalMode)})
	}
	if a.DischargeStatus != "" {
		exts = append(exts, map[string]any{"url": extDischargeStatus, "valueCodeableConcept": ecdsConcept(nhs.EDDischargeStatuses, a.DischargeStatus)})
	}
	if !a.DecisionToAdmitAt.IsZero() {
		exts = append(exts, map[string]any{"url": extDecisionToAdmit, "valueDateTime": a.DecisionToAdmitAt.UTC().Format(time.RFC3339)})
		if a.AdmitSpecialty != "" {
			name, _ := nhs.Lookup(nhs.TreatmentFunctions, a.AdmitSpecialty)
			c := map[string]any{"system": treatmentFunctionSystem, "code": a.AdmitSpecialty}
			if name != "" {
				c["display"] = name
			}
			exts = append(exts, map[string]any{"url": extAdmitSpecialty, "valueCoding": c})
		}
	}
	if a.SpellID != "" {
		exts = append(exts, map[string]any{"url": extAdmittedTo, "valueReference": map[string]any{"reference": "Encounter/" + prefixSpell + a.SpellID}})
	}
	if exts != nil {
		e["extension"] = exts
	}
	if d, ok := nhs.Lookup(nhs.EDAttendanceCategories, a.AttendanceCategory); ok {
		// UK Core prefers a SNOMED CT encounter type, which has no concept
		// for the ECDS category: it is said in words.
		e["type"] = []any{map[string]any{"text": d}}
	}
	if h := attendanceSteps(a); h != nil {
		e["statusHistory"] = h
	}
	if a.Acuity != "" || a.TriageCategory > 0 {
		p := map[string]any{}
		if a.Acuity != "" {
			p = ecdsConcept(nhs.EDAcuities, a.Acuity)
		}
		if a.TriageCategory > 0 {
			p["text"] = "Triage category " + strconv.Itoa(a.TriageCategory)
		}
		e["priority"] = p
	}
	if a.ChiefComplaint != "" || a.Complaint != "" {
		reason := map[string]any{}
		if a.ChiefComplaint != "" {
			reason = ecdsConcept(nhs.EDChiefComplaints, a.ChiefComplaint)
		}
		if a.Complaint != "" {
			reason["text"] = a.Complaint
		}
		e["reasonCode"] = []any{reason}
	}
	if a.SeenBy != "" {
		e["participant"] = []any{participant(participantSeenBy, map[string]any{"display": a.SeenBy}, a.SeenAt)}
	}
	if a.Location != "" {
		// The area is a name the department gives it (RESUS, MAJ-4), not
		// a location of the trust's the API serves: named, not referred
		// to.
		e["location"] = []any{encounterLocation(map[string]any{"display": a.Location}, locationEDDepartment, a.Status == crs.EDDeparted)}
	}
	if a.Status == crs.EDDeparted && !a.DepartedAt.Before(a.ArrivedAt) {
		e["length"] = map[string]any{"value": int(a.DepartedAt.Sub(a.ArrivedAt) / time.Minute), "unit": "min", "system": csUCUM, "code": "min"}
	}
	if a.DischargeDestination != "" {
		// UK Core prefers the inpatient DISCHARGE DESTINATION CODE here;
		// ECDS records the destination in SNOMED CT, which a preferred
		// binding takes, and no table maps one to the other.
		e["hospitalization"] = map[string]any{"dischargeDisposition": ecdsConcept(nhs.EDDischargeDestinations, a.DischargeDestination)}
	}
}

// attendanceSteps is the history of an attendance's steps: arrived
// until triaged, triaged until seen, in progress from when a clinician
// saw the patient until they left. The Encounter's status counts the
// whole stay in the department as in progress, as the tracking board
// and a search by status know it; the history says when each step came.
func attendanceSteps(a *crs.EDAttendance) []any {
	var out []any
	step := func(status string, from time.Time, next ...time.Time) {
		if from.IsZero() {
			return
		}
		var to time.Time
		for _, t := range next {
			if !t.IsZero() {
				to = t
				break
			}
		}
		out = append(out, map[string]any{"status": status, "period": period(from, to)})
	}
	step("arrived", a.ArrivedAt, a.TriagedAt, a.SeenAt, a.DepartedAt)
	step("triaged", a.TriagedAt, a.SeenAt, a.DepartedAt)
	step("in-progress", a.SeenAt, a.DepartedAt)
	return out
}

// clinicMemo keeps, for the rest of one request, the trust's clinics,
// their consultants' names and the rooms read so far, so that the
// outpatient appointments and attendances and the inpatient stays a
// request serves (a read, a patient's, the batches of a search across
// the trust, or one at a time for an _include or a list of _id) read
// them once, not once each.
type clinicMemo struct {
	mu          sync.Mutex
	orgID       string
	clinics     map[string]*crs.Clinic // nil until read
	consultants map[string]string
	rooms       map[string]*crs.Location // nil for a room read and not found
}

type clinicMemoKey struct{}

// mayServeClinics reports whether a request may serve outpatient
// appointments or attendances more than once, and so wants a
// clinicMemo: one of Encounter or Appointment, one at the base (a
// Bundle, a search or history of the system), an operation
// ($everything) or a search (its _include, _revinclude), by GET or by
// POST _search, whose parameters are in its body. A read of
// another type (GET Patient/[id], the busiest) goes without: without a
// memo each read of an appointment's clinics is its own.
func mayServeClinics(r *http.Request) bool {
	switch t := r.PathValue("type"); {
	case t == "" || t == "Encounter" || t == "Appointment":
		return true
	default:
		return r.URL.RawQuery != "" || strings.Contains(r.URL.Path, "$") || strings.HasSuffix(r.URL.Path, "/_search")
	}
}

// withClinicMemo is ctx with an empty clinicMemo for a request.
func withClinicMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, clinicMemoKey{}, &clinicMemo{})
}

// memoOf is the request's clinicMemo, or one of its own for a caller
// the request gave none (mayServeClinics).
func memoOf(ctx context.Context) *clinicMemo {
	if memo, _ := ctx.Value(clinicMemoKey{}).(*clinicMemo); memo != nil {
		return memo
	}
	return &clinicMemo{}
}

// loadClinics reads the trust's clinics and their consultants' names
// into m unless it holds them already; m.mu is held.
func (m *clinicMemo) loadClinics(s *Server, ctx context.Context, a crs.Actor) error {
	if m.clinics != nil && m.orgID == a.OrgID {
		return nil
	}
	cs, err := s.Core.Outpatients.FindClinics(ctx, a)
	if err != nil {
		return err
	}
	m.orgID, m.clinics, m.rooms = a.OrgID, map[string]*crs.Clinic{}, map[string]*crs.Location{}
	for _, c := range cs {
		m.clinics[c.ID] = c
	}
	_, m.consultants = consultantsOf(cs)
	return nil
}

// clinicNames finds the clinics of appointments, their consultants'
// names and their rooms: the trust's clinics and the rooms not read
// before in the request, none when there are no appointments.
func clinicNames(s *Server, ctx context.Context, a crs.Actor, appts []*crs.Appointment) (*coreNames, error) {
	nm := &coreNames{}
	if len(appts) == 0 {
		return nm, nil
	}
	memo := memoOf(ctx)
	memo.mu.Lock()
	defer memo.mu.Unlock()
	if err := memo.loadClinics(s, ctx, a); err != nil {
		return nil, err
	}
	nm.clinics, nm.consultants, nm.places = memo.clinics, memo.consultants, map[string]*crs.Location{}
	var missing []string
	for _, ap := range appts {
		c := memo.clinics[ap.ClinicID]
		if c == nil || c.LocationID == "" {
			continue
		}
		if l, ok := memo.rooms[c.LocationID]; ok {
			nm.places[c.LocationID] = l
		} else {
			missing = append(missing, c.LocationID)
		}
	}
	if len(missing) > 0 {
		found, err := s.Core.Orgs.FindLocationsByID(ctx, a, missing)
		if err != nil {
			return nil, err
		}
		for _, id := range missing {
			memo.rooms[id], nm.places[id] = found[id], found[id]
		}
	}
	return nm, nil
}

// outpatientCare adds to an outpatient attendance's Encounter e the
// outcome of the attendance (UK Core's OUTCOME OF ATTENDANCE, once the
// clinic recorded it) and what its clinic says, of the clinics nm
// names: the consultant whose clinic it is, its treatment function and
// the room it is held in; finished says the patient has left.
func outpatientCare(e Resource, ap *crs.Appointment, nm *coreNames, finished bool) {
	if ap.Outcome != nil {
		if code := crs.AttendanceOutcome(ap.Outcome.NextStep); code != "" {
			e["extension"] = []any{map[string]any{"url": extOutcomeOfAttendance, "valueCodeableConcept": ukCoreCode(csOutcomeOfAttendance, code, nil)}}
		}
	}
	c := nm.clinics[ap.ClinicID]
	if c == nil {
		return
	}
	if c.ConsultantCode != "" {
		e["participant"] = []any{participant(participantConsultant, nm.consultant(c.ConsultantCode), time.Time{})}
	}
	if c.TreatmentFunction != "" {
		name, _ := nhs.Lookup(nhs.TreatmentFunctions, c.TreatmentFunction)
		e["serviceType"] = codeable(treatmentFunctionSystem, c.TreatmentFunction, name)
	}
	if c.LocationID != "" {
		e["location"] = []any{encounterLocation(nm.location(c.LocationID), locationOutpatient, finished)}
	}
}

// arrivalRows write what an A&E attendance's narrative says of the
// patient's arrival and initial assessment: how they came, the
// attendance category, the chief complaint, the acuity with the triage
// category, and when they were triaged.
func arrivalRows(d *xhtmlDiv, r Resource) {
	for _, x := range array(r["extension"]) {
		if ext, _ := x.(map[string]any); ext["url"] == extModeOfArrival {
			c, _ := ext["valueCoding"].(map[string]any)
			d.row("Arrival", firstNonEmpty(text(c["display"]), text(c["code"])))
		}
	}
	d.row("Attendance", conceptsText(r["type"]))
	for _, x := range array(r["reasonCode"]) {
		d.row("Chief complaint", codingDisplay(x))
	}
	if p, _ := r["priority"].(map[string]any); p != nil {
		acuity, category := codingDisplay(p), text(p["text"])
		if acuity != "" && category != "" {
			category = " (" + strings.ToLower(category) + ")"
		}
		d.row("Acuity", acuity+category)
	}
	for _, x := range array(r["statusHistory"]) {
		if h, _ := x.(map[string]any); h["status"] == "triaged" {
			p, _ := h["period"].(map[string]any)
			d.row("Triaged", shownTime(p["start"]))
		}
	}
}

// departureRows write how an attendance ended: how long an A&E
// attendance lasted and its discharge status (its destination is the
// stay's discharge destination row); an outpatient attendance's outcome.
func departureRows(d *xhtmlDiv, r Resource) {
	if l, _ := r["length"].(map[string]any); l != nil {
		if m, ok := numberOf(l["value"]); ok {
			d.row("Time in department", hoursMinutes(int(m)))
		}
	}
	if at := extensionValue(r, extDecisionToAdmit, "valueDateTime"); at != nil {
		admit := shownTime(at)
		if c, _ := extensionValue(r, extAdmitSpecialty, "valueCoding").(map[string]any); c != nil {
			admit += ", " + firstNonEmpty(text(c["display"]), text(c["code"]))
		}
		d.row("Decision to admit", admit)
	}
	if ref, _ := extensionValue(r, extAdmittedTo, "valueReference").(map[string]any); ref != nil {
		d.row("Admitted to", text(ref["reference"]))
	}
	d.row("Discharge status", extensionText(r, extDischargeStatus))
	d.row("Outcome", extensionText(r, extOutcomeOfAttendance))
}

// hoursMinutes writes a number of minutes as a board shows a wait
// (3 h 25 min).
func hoursMinutes(m int) string {
	if m < 60 {
		return strconv.Itoa(m) + " min"
	}
	return strconv.Itoa(m/60) + " h " + strconv.Itoa(m%60) + " min"
}

// codingDisplay is the display of a CodeableConcept's first coding, or
// its code where it has none.
func codingDisplay(v any) string {
	c, _ := v.(map[string]any)
	for _, x := range array(c["coding"]) {
		cd, _ := x.(map[string]any)
		return firstNonEmpty(text(cd["display"]), text(cd["code"]))
	}
	return ""
}

// placeLabel is what the narrative calls a location of an attendance by
// its type, "" for a ward or bed of a stay.
func placeLabel(l map[string]any) string {
	switch {
	case hasCode(l["physicalType"], csEncounterLocation, locationEDDepartment):
		return "Area in department"
	case hasCode(l["physicalType"], csEncounterLocation, locationOutpatient):
		return "Clinic room"
	}
	return ""
}

// participantRow is the label and words of a clinician of an encounter:
// the consultant, or the clinician who saw the patient in the department
// and when.
func participantRow(p map[string]any) (string, string) {
	who := referenceText(p["individual"])
	var typ string
	for _, x := range array(p["type"]) {
		typ = codingCode(x, csParticipationType)
	}
	if typ != participantSeenBy {
		return "Consultant", who
	}
	per, _ := p["period"].(map[string]any)
	if at := shownTime(per["start"]); at != "" {
		who += ", " + at
	}
	return "Seen by", who
}
