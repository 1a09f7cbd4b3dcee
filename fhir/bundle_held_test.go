package fhir_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestTransactionPASCreates: a transaction creates the PAS's referrals
// and admissions through its commands, in its one command: a Patient,
// its referral and its admission sent together (the referral before the
// Patient in the Bundle) are recorded, the urn:uuid references to them
// resolved, the resource store's Observations naming them by their
// served ids; a conditional create by UBRN finds the referral recorded;
// one entry failing (a bed already taken, a priority the PAS does not
// keep) undoes the patient and the referral with it.
func TestTransactionPASCreates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		h := startHeld(t, db, clock)
		c, clerk, ip, refs, op, slots, ward, bed := h.f.a, h.clerk, h.ip, h.refs, h.op, h.slots, h.ward, h.beds[0]
		received := crs.LocalDate(clock.Now()).AddDate(0, 0, -2).Format("2006-01-02")
		referral := func(subject, ubrn string, edit func(m map[string]any)) string {
			return referralBody(t, "X", received, func(m map[string]any) {
				m["subject"] = map[string]any{"reference": subject}
				m["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/UBRN", "value": ubrn}}
				if edit != nil {
					edit(m)
				}
			})
		}
		admission := func(subject string) string {
			return admissionBody(t, subject, clock.Now().Add(-time.Hour).Truncate(time.Second), []string{bed.ID}, nil)
		}
		patient := func(nhs, family string) string {
			return `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"` + family + `","given":["Ann"]}],"birthDate":"1961-04-05","gender":"female"}`
		}
		observation := func(ref string) string {
			return `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"urn:uuid:p"},` + ref + `,"valueQuantity":{"value":88,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`
		}
		entry := func(fullURL, resource, url, ifNoneExist string) string {
			req := `"method":"POST","url":"` + url + `"`
			if ifNoneExist != "" {
				req += `,"ifNoneExist":"` + ifNoneExist + `"`
			}
			full := ""
			if fullURL != "" {
				full = `"fullUrl":"` + fullURL + `",`
			}
			return `{` + full + `"resource":` + resource + `,"request":{` + req + `}}`
		}
		transaction := func(entries ...string) response {
			return c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
		}
		locations := func(r response) []string {
			var out []string
			entries, _ := r.json(t)["entry"].([]any)
			for _, e := range entries {
				resp := e.(map[string]any)["response"].(map[string]any)
				loc, _ := resp["location"].(string)
				out = append(out, strings.Fields(resp["status"].(string))[0]+" "+loc)
			}
			return out
		}

		r := transaction(
			entry("urn:uuid:r", referral("urn:uuid:p", "000111222333", nil), "ServiceRequest", "identifier=https://fhir.nhs.uk/Id/UBRN|000111222333"),
			entry("urn:uuid:p", patient("9990000018", "Together"), "Patient", ""),
			entry("urn:uuid:e", admission("urn:uuid:p"), "Encounter", ""),
			entry("", observation(`"basedOn":[{"reference":"urn:uuid:r"}],"encounter":{"reference":"urn:uuid:e"}`), "Observation", ""))
		if r.status != 200 {
			t.Fatalf("a transaction of a referral, its patient, an admission and an Observation: %d %.600s", r.status, r.body)
		}
		locs := locations(r)
		if len(locs) != 4 || !strings.HasPrefix(locs[0], "201 ServiceRequest/ref-") || !strings.HasPrefix(locs[1], "201 Patient/") ||
			!strings.HasPrefix(locs[2], "201 Encounter/ip-") || !strings.HasPrefix(locs[3], "201 Observation/") {
			t.Fatalf("the transaction's answers: %q", locs)
		}
		id := func(loc string) string { return strings.Split(loc, "/")[1] }
		referralID, pid, spellID := id(locs[0]), id(locs[1]), id(locs[2])
		rf, err := refs.FindReferral(t.Context(), clerk, strings.TrimPrefix(referralID, "ref-"))
		if err != nil || rf.PatientID != pid || rf.UBRN != "000111222333" || rf.PathwayID == "" || rf.Worklist != crs.WorklistToBook {
			t.Fatalf("the referral the transaction recorded: %+v, %v; want the patient's, on the to-book worklist with its pathway", rf, err)
		}
		sp, err := ip.FindSpell(t.Context(), clerk, strings.TrimPrefix(spellID, "ip-"))
		if err != nil || sp.PatientID != pid || sp.BedID != bed.ID || sp.WardID != ward.ID {
			t.Fatalf("the spell the transaction admitted: %+v, %v; want the patient in %s", sp, err, bed.ID)
		}
		obs := c.do("GET", "/fhir/Observation/"+id(locs[3]), "")
		if !strings.Contains(string(obs.body), `"ServiceRequest/`+referralID+`"`) || !strings.Contains(string(obs.body), `"Encounter/`+spellID+`"`) {
			t.Errorf("the Observation names the referral and the admission by their served ids: %s", obs.body)
		}
		if got := c.do("GET", "/fhir/ServiceRequest/"+referralID, ""); got.status != 200 || !strings.Contains(string(got.body), `"Patient/`+pid+`"`) {
			t.Errorf("the referral served: %d %.300s", got.status, got.body)
		}

		// The same UBRN again: the referral recorded is the answer.
		r = transaction(
			entry("urn:uuid:p", patient("9990000026", "Again"), "Patient", ""),
			entry("urn:uuid:r", referral("urn:uuid:p", "000111222333", nil), "ServiceRequest", "identifier=https://fhir.nhs.uk/Id/UBRN|000111222333"),
			entry("", observation(`"basedOn":[{"reference":"urn:uuid:r"}]`), "Observation", ""))
		if locs := locations(r); r.status != 200 || len(locs) != 3 || locs[1] != "200 ServiceRequest/"+referralID+"/_history/1" {
			t.Errorf("a conditional create of the UBRN recorded: %d %q, want the referral %s found (200)", r.status, locs, referralID)
		}
		if all, _ := refs.FindReferrals(t.Context(), clerk, pid); len(all) != 1 {
			t.Errorf("the first patient's referrals: %d, want 1", len(all))
		}

		// A Patient found by its NHS number (a conditional create) is the
		// one its referral names.
		r = transaction(
			entry("urn:uuid:p", patient("9990000018", "Together"), "Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018"),
			entry("", referral("urn:uuid:p", "000999888777", nil), "ServiceRequest", ""))
		if locs := locations(r); r.status != 200 || len(locs) != 2 || locs[0] != "200 Patient/"+pid+"/_history/1" || !strings.HasPrefix(locs[1], "201 ServiceRequest/ref-") {
			t.Errorf("a referral of a patient found by NHS number: %d %q", r.status, locs)
		} else if got, err := refs.FindReferral(t.Context(), clerk, strings.TrimPrefix(id(locs[1]), "ref-")); err != nil || got.PatientID != pid {
			t.Errorf("the referral of the patient found: %+v, %v; want Patient/%s's", got, err, pid)
		}

		// One entry failing undoes the others: the bed is taken.
		nhsUndone := "9990000034"
		r = transaction(
			entry("urn:uuid:p", patient(nhsUndone, "Undone"), "Patient", ""),
			entry("urn:uuid:r", referral("urn:uuid:p", "000444555666", nil), "ServiceRequest", ""),
			entry("urn:uuid:e", admission("urn:uuid:p"), "Encounter", ""))
		if r.status != 409 || !isOutcome(r) || !strings.Contains(string(r.body), "entry 2") {
			t.Errorf("an admission to a bed taken: %d %.400s, want 409 naming entry 2", r.status, r.body)
		}
		// And a referral the PAS refuses.
		r = transaction(
			entry("urn:uuid:p", patient(nhsUndone, "Undone"), "Patient", ""),
			entry("urn:uuid:r", referral("urn:uuid:p", "000444555666", func(m map[string]any) { m["priority"] = "stat" }), "ServiceRequest", ""))
		if r.status != 422 || !isOutcome(r) || !strings.Contains(string(r.body), "ServiceRequest.priority") || !strings.Contains(string(r.body), "entry 1") {
			t.Errorf("a referral of a priority the PAS does not keep: %d %.400s, want 422 naming entry 1's priority", r.status, r.body)
		}
		if ids := c.searchIDs(t, "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|"+nhsUndone); len(ids) != 0 {
			t.Errorf("the patient of the transactions that failed was kept: %v", ids)
		}
		if got, err := refs.FindReferralByUBRN(t.Context(), clerk, "000444555666"); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("the referral of a transaction that failed was kept: %+v, %v", got, err)
		}
		if got := fmt.Sprint(c.searchIDs(t, "/fhir/Encounter?patient="+pid+"&class=IMP")); got != "["+spellID+"]" {
			t.Errorf("the first patient's admissions: %s, want [%s]", got, spellID)
		}

		// A patient, their referral and its first appointment, the booking
		// sent first: the referral is recorded before it is booked.
		general := func(m map[string]any) {
			m["performerType"] = map[string]any{"coding": []any{map[string]any{"system": "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-TreatmentFunctionCode", "code": "100"}}}
			m["performer"] = []any{map[string]any{"identifier": map[string]any{"system": "https://opencrs.org/Id/consultant-code", "value": "C1234567"}}}
		}
		r = transaction(
			entry("", `{"resourceType":"Appointment","status":"booked","slot":[{"reference":"Slot/slot-`+slots[0].ID+`"}],"basedOn":[{"reference":"urn:uuid:r"}],"participant":[{"actor":{"reference":"urn:uuid:p"},"status":"accepted"}]}`, "Appointment", ""),
			entry("urn:uuid:p", patient("9990000042", "Booked"), "Patient", ""),
			entry("urn:uuid:r", referral("urn:uuid:p", "000777888999", general), "ServiceRequest", ""))
		locs = locations(r)
		if r.status != 200 || len(locs) != 3 || !strings.HasPrefix(locs[0], "201 Appointment/") || !strings.HasPrefix(locs[2], "201 ServiceRequest/ref-") {
			t.Fatalf("a transaction of a booking, its patient and their referral: %d %q %.400s", r.status, locs, r.body)
		}
		ap, err := op.FindAppointment(t.Context(), clerk, id(locs[0]))
		if err != nil || ap.ReferralID != strings.TrimPrefix(id(locs[2]), "ref-") || ap.PatientID != id(locs[1]) || ap.SlotID != slots[0].ID || ap.Status != crs.AppointmentBooked {
			t.Errorf("the appointment the transaction booked: %+v, %v", ap, err)
		}
		if got := c.do("GET", "/fhir/Slot/slot-"+slots[0].ID, "").json(t)["status"]; got != "busy" {
			t.Errorf("the slot the transaction booked: %v, want busy", got)
		}
	})
}

// TestTransactionPASChanges: a transaction changes the PAS's records by
// their commands, in its one command and in its order: an appointment
// cancelled (PUT) and its referral then closed (PATCH), which the
// closure alone refuses while the appointment is booked, and a patient
// moved and discharged (one PATCH, one command); a change refused (that
// closure without the cancellation, a version not the record's) undoes
// the discharge beside it.
func TestTransactionPASChanges(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		h := startHeld(t, db, clock)
		f, c, clerk, ip, refs, op, slots, bed1, bed2 := h.f, h.f.a, h.clerk, h.ip, h.refs, h.op, h.slots, h.beds[0], h.beds[1]
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Changed","given":["Cai"]}],"birthDate":"1958-02-03","gender":"male"}`)
		rf := referTo(t, f, db, clock, pid)
		admitted := clock.Now().Add(-2 * time.Hour).Truncate(time.Second)
		spell := create(t, c, "Encounter", admissionBody(t, "Patient/"+pid, admitted, []string{bed1.ID}, nil))
		booked := c.do("POST", "/fhir/Appointment", `{"resourceType":"Appointment","status":"booked","slot":[{"reference":"Slot/slot-`+slots[0].ID+`"}],"basedOn":[{"reference":"ServiceRequest/ref-`+rf.ID+`"}],"participant":[{"actor":{"reference":"Patient/`+pid+`"},"status":"accepted"}]}`)
		if booked.status != 201 {
			t.Fatalf("book: %d %s", booked.status, booked.body)
		}
		cancelled := booked.json(t)
		apID := cancelled["id"].(string)
		cancelled["status"] = "cancelled"
		cancelled["cancelationReason"] = map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason", "code": "pat"}}, "text": "feels better"}
		patch := func(url, ifMatch string, ops string) string {
			req := `"method":"PATCH","url":"` + url + `"`
			if ifMatch != "" {
				req += `,"ifMatch":` + string(mustJSON(t, ifMatch))
			}
			return `{"request":{` + req + `},"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"` + base64.StdEncoding.EncodeToString([]byte(ops)) + `"}}`
		}
		close := func(status string) string {
			return patch("ServiceRequest/ref-"+rf.ID, "", `[{"op":"replace","path":"/status","value":"revoked"},
				{"op":"add","path":"/extension/-","value":{"url":"https://opencrs.org/fhir/StructureDefinition/referral-closed-reason","valueString":"no treatment needed"}},
				{"op":"add","path":"/extension/-","value":{"url":"https://opencrs.org/fhir/StructureDefinition/referral-closed-rtt-status","valueCoding":{"system":"https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-ReferralToTreatmentPeriodStatus","code":"`+status+`"}}}]`)
		}
		moveAndDischarge := func(ifMatch string) string {
			return patch("Encounter/"+spell, ifMatch, `[{"op":"add","path":"/location/-","value":{"location":{"reference":"Location/`+bed2.ID+`"},"period":{"start":"`+admitted.Add(time.Hour).Format(time.RFC3339)+`"}}},
				{"op":"replace","path":"/status","value":"finished"},{"op":"add","path":"/period/end","value":"`+admitted.Add(90*time.Minute).Format(time.RFC3339)+`"},
				{"op":"add","path":"/extension","value":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland","code":"1"}]}}]},
				{"op":"add","path":"/hospitalization/dischargeDisposition","value":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland","code":"19"}]}}]`)
		}
		transaction := func(entries ...string) response {
			return c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
		}
		open := func(when string) {
			t.Helper()
			sp, err := ip.FindSpell(t.Context(), clerk, strings.TrimPrefix(spell, "ip-"))
			if err != nil || sp.Status == crs.SpellDischarged || sp.BedID != bed1.ID {
				t.Errorf("%s: the spell %+v, %v; want it open in bed 1", when, sp, err)
			}
		}

		// Refused, with the discharge beside it undone.
		if r := transaction(moveAndDischarge(""), close("34")); r.status != 409 || !isOutcome(r) || !strings.Contains(string(r.body), "entry 1") {
			t.Errorf("a closure of a referral still booked: %d %.400s, want 409 naming entry 1", r.status, r.body)
		}
		open("after a transaction refused")
		if r := transaction(moveAndDischarge(`W/"9"`)); r.status != 412 || !strings.Contains(string(r.body), "entry 0") {
			t.Errorf("a change of a version not the record's: %d %.400s, want 412 naming entry 0", r.status, r.body)
		}
		open("after a version not the record's")

		// The cancellation, the closure after it, the move and discharge.
		r := transaction(
			`{"request":{"method":"PUT","url":"Appointment/`+apID+`","ifMatch":"W/\"1\""},"resource":`+string(mustJSON(t, cancelled))+`}`,
			close("34"),
			moveAndDischarge(""))
		if r.status != 200 {
			t.Fatalf("a transaction cancelling, closing and discharging: %d %.600s", r.status, r.body)
		}
		var statuses []string
		for _, e := range r.json(t)["entry"].([]any) {
			resp := e.(map[string]any)["response"].(map[string]any)
			statuses = append(statuses, strings.Fields(resp["status"].(string))[0]+" "+resp["location"].(string))
		}
		if len(statuses) != 3 || !strings.HasPrefix(statuses[0], "200 Appointment/"+apID+"/_history/") ||
			!strings.HasPrefix(statuses[1], "200 ServiceRequest/ref-"+rf.ID+"/_history/") || !strings.HasPrefix(statuses[2], "200 Encounter/"+spell+"/_history/") {
			t.Errorf("the transaction's answers: %q", statuses)
		}
		if ap, err := op.FindAppointment(t.Context(), clerk, apID); err != nil || ap.Status != crs.AppointmentCancelled {
			t.Errorf("the appointment: %+v, %v; want cancelled", ap, err)
		}
		if got, err := refs.FindReferral(t.Context(), clerk, rf.ID); err != nil || got.Status != crs.ReferralClosed || got.ClosedReason != "no treatment needed" {
			t.Errorf("the referral: %+v, %v; want closed", got, err)
		}
		sp, err := ip.FindSpell(t.Context(), clerk, strings.TrimPrefix(spell, "ip-"))
		if err != nil || sp.Status != crs.SpellDischarged || sp.BedID != bed2.ID || !sp.DischargedAt.Equal(admitted.Add(90*time.Minute)) {
			t.Errorf("the spell: %+v, %v; want discharged from bed 2", sp, err)
		}
	})
}

// heldFixture is a trust whose PAS the API writes, with a clinic's free
// slots and a ward of two beds.
type heldFixture struct {
	f     *fixture
	clerk crs.Actor
	ip    *store.InpatientService
	refs  *store.ReferralService
	op    *store.OutpatientService
	slots []*crs.Slot
	ward  *crs.Location
	beds  [2]*crs.Location
}

func startHeld(t *testing.T, db *store.DB, clock *crs.FixedClock) *heldFixture {
	t.Helper()
	f := startPAS(t, db, clock)
	admin := f.trustA.Actor(crs.RoleAdmin)
	orgs := store.NewOrganisationService(db)
	h := &heldFixture{f: f, clerk: f.trustA.Actor(crs.RoleClerk), ip: store.NewInpatientService(db), refs: store.NewReferralService(db)}
	var room *crs.Location
	h.op, room, h.slots = outpatientClinic(t, f, db, clock)
	h.ward = addLocation(t, orgs, admin, &crs.Location{ParentID: room.ParentID, Kind: crs.LocationWard, Code: "WDA", Name: "Ward A"})
	for i := range h.beds {
		code := fmt.Sprintf("A%d", i+1)
		h.beds[i] = addLocation(t, orgs, admin, &crs.Location{ParentID: h.ward.ID, Kind: crs.LocationBed, Code: code, Name: "Ward A bed " + code[1:]})
	}
	return h
}

// TestBatchPASPatch: a PATCH of one of the PAS's records in a batch is
// made as the PATCH by itself is (a JSON Patch in a Binary, a FHIRPath
// Patch in a Parameters), through its command; one that fails leaves
// the others.
func TestBatchPASPatch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		h := startHeld(t, db, clock)
		c := h.f.a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Patched","given":["Pat"]}],"birthDate":"1962-02-03","gender":"female"}`)
		rf := referTo(t, h.f, db, clock, pid)
		r := c.do("POST", "/fhir/Appointment", `{"resourceType":"Appointment","status":"booked","slot":[{"reference":"Slot/slot-`+h.slots[0].ID+`"}],"basedOn":[{"reference":"ServiceRequest/ref-`+rf.ID+`"}],"participant":[{"actor":{"reference":"Patient/`+pid+`"},"status":"accepted"}]}`)
		if r.status != 201 {
			t.Fatalf("book: %d %s", r.status, r.body)
		}
		apID := r.json(t)["id"].(string)
		arrived := base64.StdEncoding.EncodeToString([]byte(`[{"op":"replace","path":"/status","value":"arrived"}]`))
		r = c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[
			{"request":{"method":"PATCH","url":"Appointment/`+apID+`"},"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"`+arrived+`"}},
			{"request":{"method":"PATCH","url":"ServiceRequest/ref-`+rf.ID+`"},"resource":{"resourceType":"Parameters","parameter":[{"name":"operation","part":[
				{"name":"type","valueCode":"replace"},{"name":"path","valueString":"ServiceRequest.status"},{"name":"value","valueCode":"revoked"}]}]}}]}`)
		if r.status != 200 {
			t.Fatalf("a batch of patches: %d %.400s", r.status, r.body)
		}
		var statuses []string
		for _, e := range r.json(t)["entry"].([]any) {
			statuses = append(statuses, e.(map[string]any)["response"].(map[string]any)["status"].(string))
		}
		if len(statuses) != 2 || !strings.HasPrefix(statuses[0], "200") || !strings.HasPrefix(statuses[1], "422") {
			t.Errorf("a batch of an arrival and a closure without its reason: %q, want 200 then 422", statuses)
		}
		if ap, err := h.op.FindAppointment(t.Context(), h.clerk, apID); err != nil || ap.Status != crs.AppointmentCheckedIn {
			t.Errorf("the appointment the batch patched: %+v, %v; want checked in", ap, err)
		}
		if got, err := h.refs.FindReferral(t.Context(), h.clerk, rf.ID); err != nil || got.Status != crs.ReferralOpen {
			t.Errorf("the referral whose closure was refused: %+v, %v; want open", got, err)
		}
	})
}
