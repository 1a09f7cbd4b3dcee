package fhir_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// referralBody is a ServiceRequest of category referral for patient, with
// what the PAS keeps of it; edit changes it before it is written.
func referralBody(t *testing.T, patient, authoredOn string, edit func(m map[string]any)) string {
	t.Helper()
	m := map[string]any{"resourceType": "ServiceRequest", "status": "active", "intent": "order",
		"category":   []any{map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "3457005"}}}},
		"priority":   "urgent",
		"subject":    map[string]any{"reference": "Patient/" + patient},
		"authoredOn": authoredOn,
		"performerType": map[string]any{"coding": []any{
			map[string]any{"system": "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-TreatmentFunctionCode", "code": "101"},
			map[string]any{"system": "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-MainSpecialtyCode", "code": "101"}}},
		"performer":  []any{map[string]any{"identifier": map[string]any{"system": "https://opencrs.org/Id/consultant-code", "value": "C7654321"}}},
		"requester":  map[string]any{"identifier": map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y01234"}, "display": "Riverside Surgery"},
		"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/UBRN", "value": "000123456789"}},
		"reasonCode": []any{map[string]any{"text": "haematuria"}},
		"extension": []any{map[string]any{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-SourceOfServiceRequest",
			"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-SourceOfReferralForOutpatients", "code": "03"}}}}},
	}
	if edit != nil {
		edit(m)
	}
	return string(mustJSON(t, m))
}

// TestReferralWrites: a ServiceRequest of category referral POSTed is
// recorded by the PAS's command (its fields the form's, a consultant-led
// one opening its RTT pathway with the clock from authoredOn); what the
// PAS's rules refuse, or it does not keep, is refused naming the element;
// a referral is not kept in the resource store (nor sent in a Bundle);
// PUT or PATCH of its status with the closure extension closes it (the
// RTT status stopping the clock), and nothing else of it changes; an
// order (another category) is the resource store's as before.
func TestReferralWrites(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		clerk := f.trustA.Actor(crs.RoleClerk)
		refs := store.NewReferralService(db)
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Referred","given":["Rhys"]}],"birthDate":"1960-02-03","gender":"male"}`)
		today := crs.LocalDate(clock.Now())
		received := crs.Date{Time: today.AddDate(0, 0, -3)}

		r := c.do("POST", "/fhir/ServiceRequest", referralBody(t, pid, received.String(), nil))
		if r.status != 201 || !strings.Contains(r.header.Get("Location"), "/ServiceRequest/ref-") {
			t.Fatalf("POST a referral: %d %s", r.status, r.body)
		}
		served := r.json(t)
		id := served["id"].(string)
		rf, err := refs.FindReferral(t.Context(), clerk, strings.TrimPrefix(id, "ref-"))
		if err != nil {
			t.Fatal(err)
		}
		want := crs.Referral{PatientID: pid, Source: "03", ReferrerName: "Riverside Surgery", ReferrerOrg: "Y01234", ReceivedOn: received,
			Priority: crs.PriorityUrgent, Specialty: "101", TreatmentFunction: "101", ConsultantCode: "C7654321", ConsultantLed: true,
			UBRN: "000123456789", PPI: "000123456789", Reason: "haematuria", Status: crs.ReferralOpen, Worklist: crs.WorklistToBook}
		got := *rf
		got.ID, got.OrgID, got.PathwayID, got.CreatedAt, got.UpdatedAt = "", "", "", want.CreatedAt, want.UpdatedAt
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("the PAS's referral:\n got %+v\nwant %+v", got, want)
		}
		pw, err := refs.FindPathway(t.Context(), clerk, rf.PathwayID)
		if err != nil || pw.ClockState != crs.ClockRunning || !pw.ClockStart.Equal(received.Time) {
			t.Fatalf("the referral's pathway: %+v, %v; want its clock running from %s", pw, err, received)
		}
		for _, s := range []string{`"3457005"`, `"urgent"`, `"code":"03","display":"CONSULTANT not initiated following a referral from a GENERAL MEDICAL PRACTITIONER","system":"https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-SourceOfReferralForOutpatients"`,
			`patient-pathway-identifier","value":"000123456789"`, `"valueBoolean":true`, `"code":"101","display":"Urology","system":"https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-MainSpecialtyCode"`, `"haematuria"`} {
			if !strings.Contains(string(r.body), s) {
				t.Errorf("the referral served lacks %s: %s", s, r.body)
			}
		}
		if ids := c.searchIDs(t, "/fhir/EpisodeOfCare?patient="+pid); len(ids) != 1 || ids[0] != rf.PathwayID {
			t.Errorf("the patient's pathways: %v, want [%s]", ids, rf.PathwayID)
		}
		if ids := c.searchIDs(t, "/fhir/ServiceRequest?identifier=https://fhir.nhs.uk/Id/patient-pathway-identifier|000123456789&patient="+pid); len(ids) != 1 || ids[0] != id {
			t.Errorf("the referral by its PPI: %v, want [%s]", ids, id)
		}

		// Not consultant-led, referred by a GP in SNOMED CT: no pathway;
		// the referrer a consultant by reference.
		r = c.do("POST", "/fhir/ServiceRequest", referralBody(t, pid, received.String(), func(m map[string]any) {
			delete(m, "identifier")
			m["requester"] = map[string]any{"reference": "Practitioner/cons-C2222222", "display": "Dr Rae Ferrer"}
			m["extension"] = []any{map[string]any{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-SourceOfServiceRequest",
				"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "108161000000109"}}}},
				map[string]any{"url": "https://opencrs.org/fhir/StructureDefinition/consultant-led", "valueBoolean": false}}
		}))
		if r.status != 201 {
			t.Fatalf("POST a referral not consultant-led: %d %s", r.status, r.body)
		}
		if rf2, err := refs.FindReferral(t.Context(), clerk, strings.TrimPrefix(r.json(t)["id"].(string), "ref-")); err != nil || rf2.PathwayID != "" || rf2.ConsultantLed || rf2.Source != "03" || rf2.ReferrerCode != "C2222222" || rf2.ReferrerName != "Dr Rae Ferrer" {
			t.Errorf("a referral not consultant-led: %+v, %v", rf2, err)
		}

		before, err := refs.FindReferrals(t.Context(), clerk, pid)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct {
			body   string
			status int
			says   string
		}{
			{referralBody(t, pid, received.String(), func(m map[string]any) { delete(m, "extension") }), 422, "ServiceRequest.extension"},
			{referralBody(t, pid, received.String(), func(m map[string]any) {
				m["performerType"] = map[string]any{"coding": []any{map[string]any{"system": "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-TreatmentFunctionCode", "code": "999"}}}
			}), 422, "ServiceRequest.performerType"},
			{referralBody(t, pid, today.AddDate(0, 0, 2).Format("2006-01-02"), nil), 422, "ServiceRequest.authoredOn"},
			{referralBody(t, pid, received.String(), func(m map[string]any) { m["note"] = []any{map[string]any{"text": "call first"}} }), 422, "ServiceRequest.note"},
			{referralBody(t, pid, received.String(), func(m map[string]any) { m["priority"] = "stat" }), 422, "ServiceRequest.priority"},
			{referralBody(t, pid, received.String(), func(m map[string]any) { delete(m, "subject") }), 400, "ServiceRequest.subject"},
			{referralBody(t, pid, received.String(), func(m map[string]any) { m["status"] = "draft" }), 422, "ServiceRequest.status"},
			{referralBody(t, pid, received.String(), nil), 409, "000123456789"}, // the UBRN again
			{referralBody(t, "no-such-patient", received.String(), nil), 404, ""},
		} {
			r := c.do("POST", "/fhir/ServiceRequest", bad.body)
			if r.status != bad.status || !isOutcome(r) || !strings.Contains(string(r.body), bad.says) {
				t.Errorf("a bad referral: %d %.400s, want %d naming %q", r.status, r.body, bad.status, bad.says)
			}
		}
		// Not as a resource of the store, by itself or in a transaction.
		tx := fmt.Sprintf(`{"resourceType":"Bundle","type":"transaction","entry":[{"resource":%s,"request":{"method":"PUT","url":"ServiceRequest/stored-referral"}}]}`,
			referralBody(t, pid, received.String(), func(m map[string]any) { delete(m, "identifier"); m["id"] = "stored-referral" }))
		if r := c.do("POST", "/fhir", tx); r.status != 422 || !strings.Contains(string(r.body), "Bundle.entry[0].resource.category") {
			t.Errorf("a referral put into the resource store in a transaction: %d %.400s, want 422 naming its category", r.status, r.body)
		}
		if r := c.do("PUT", "/fhir/ServiceRequest/stored-referral", referralBody(t, pid, received.String(), func(m map[string]any) { m["id"] = "stored-referral" })); r.status != 422 || !strings.Contains(string(r.body), "ServiceRequest.category") {
			t.Errorf("a referral put into the resource store: %d %.400s, want 422", r.status, r.body)
		}
		if after, _ := refs.FindReferrals(t.Context(), clerk, pid); len(after) != len(before) {
			t.Errorf("referrals after the refusals: %d, want %d", len(after), len(before))
		}
		// An order is the resource store's.
		order := create(t, c, "ServiceRequest", `{"resourceType":"ServiceRequest","status":"active","intent":"order","subject":{"reference":"Patient/`+pid+`"},
			"category":[{"coding":[{"system":"http://snomed.info/sct","code":"108252007"}]}],"code":{"text":"Full blood count"}}`)
		if strings.HasPrefix(order, "ref-") {
			t.Errorf("an order was recorded as a referral: %s", order)
		}

		// In a batch, a referral is recorded as by itself, beside an
		// order of the resource store's and a refusal.
		batch := fmt.Sprintf(`{"resourceType":"Bundle","type":"batch","entry":[
			{"request":{"method":"POST","url":"ServiceRequest"},"resource":%s},
			{"request":{"method":"POST","url":"ServiceRequest"},"resource":%s},
			{"request":{"method":"POST","url":"ServiceRequest"},"resource":{"resourceType":"ServiceRequest","status":"active","intent":"order","subject":{"reference":"Patient/%s"},"code":{"text":"Chest X-ray"}}}]}`,
			referralBody(t, pid, received.String(), func(m map[string]any) {
				m["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/UBRN", "value": "000987654321"}}
			}),
			referralBody(t, pid, received.String(), func(m map[string]any) { delete(m, "extension"); delete(m, "identifier") }), pid)
		r = c.do("POST", "/fhir", batch)
		var answers []string
		for _, e := range array(r.json(t)["entry"]) {
			resp := e.(map[string]any)["response"].(map[string]any)
			answers = append(answers, fmt.Sprint(resp["status"], " ", resp["location"], resp["outcome"]))
		}
		if r.status != 200 || len(answers) != 3 || !strings.HasPrefix(answers[0], "201 ") || !strings.Contains(answers[0], "/ServiceRequest/ref-") ||
			!strings.HasPrefix(answers[1], "422") || !strings.Contains(answers[1], "ServiceRequest.extension") || !strings.HasPrefix(answers[2], "201") || strings.Contains(answers[2], "ref-") {
			t.Errorf("a batch of referrals and an order: %d %q; want the referral 201 (ServiceRequest/ref-), the one without a source 422, the order 201", r.status, answers)
		}
		if ids := c.searchIDs(t, "/fhir/ServiceRequest?identifier=https://fhir.nhs.uk/Id/UBRN|000987654321&patient="+pid); len(ids) != 1 {
			t.Errorf("the referral the batch recorded, by its UBRN: %v", ids)
		}

		// A referral sent again with its UBRN, conditionally: the one
		// recorded answers, and none is recorded twice.
		ubrn := func(u string) string { return "identifier=https://fhir.nhs.uk/Id/UBRN|" + u }
		if r := c.do("POST", "/fhir/ServiceRequest", referralBody(t, pid, received.String(), nil), "If-None-Exist", ubrn("000123456789")); r.status != 200 || r.json(t)["id"] != id {
			t.Errorf("a referral sent again by its UBRN: %d %.300s, want 200 with %s", r.status, r.body, id)
		}
		var again string
		for i, want := range []int{201, 200} {
			r := c.do("POST", "/fhir/ServiceRequest", referralBody(t, pid, received.String(), func(m map[string]any) { delete(m, "identifier") }), "If-None-Exist", ubrn("000555555555"))
			if r.status != want || (i == 1 && r.json(t)["id"] != again) {
				t.Errorf("conditional create %d of a new UBRN: %d %.300s, want %d", i+1, r.status, r.body, want)
			}
			if i == 0 {
				again, _ = r.json(t)["id"].(string)
			}
		}
		if rf, err := refs.FindReferralByUBRN(t.Context(), clerk, "000555555555"); err != nil || "ref-"+rf.ID != again {
			t.Errorf("the referral of UBRN 000555555555: %+v, %v; want %s", rf, err, again)
		}
		if r := c.do("POST", "/fhir/ServiceRequest", referralBody(t, pid, received.String(), nil), "If-None-Exist", "subject=Patient/"+pid); r.status != 400 || !strings.Contains(string(r.body), "If-None-Exist") {
			t.Errorf("a conditional create of a referral by its subject: %d %.300s, want 400", r.status, r.body)
		}

		// Closing: the closure says why, and nothing else changes.
		put := func(change func(m map[string]any), header ...string) response {
			m := c.do("GET", "/fhir/ServiceRequest/"+id, "").json(t)
			change(m)
			return c.do("PUT", "/fhir/ServiceRequest/"+id, string(mustJSON(t, m)), header...)
		}
		if r := put(func(m map[string]any) { m["status"] = "completed" }); r.status != 422 || !strings.Contains(string(r.body), "referral-closed-reason") {
			t.Errorf("closed without a reason: %d %.400s, want 422", r.status, r.body)
		}
		if r := put(func(m map[string]any) { m["priority"] = "routine" }); r.status != 422 || !strings.Contains(string(r.body), "ServiceRequest.priority") {
			t.Errorf("the priority changed: %d %.400s, want 422 naming it", r.status, r.body)
		}
		if r := put(func(m map[string]any) { m["status"] = "completed" }, "If-Match", `W/"7"`); r.status != 412 {
			t.Errorf("If-Match of another version: %d %.300s, want 412", r.status, r.body)
		}
		if r := put(func(m map[string]any) {}); r.status != 200 {
			t.Errorf("PUT unchanged: %d %.300s, want 200", r.status, r.body)
		}
		patch := `[{"op":"replace","path":"/status","value":"revoked"},
			{"op":"add","path":"/extension/-","value":{"url":"https://opencrs.org/fhir/StructureDefinition/referral-closed-reason","valueString":"no treatment needed"}},
			{"op":"add","path":"/extension/-","value":{"url":"https://opencrs.org/fhir/StructureDefinition/referral-closed-rtt-status","valueCoding":{"system":"https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-ReferralToTreatmentPeriodStatus","code":"34"}}}]`
		r = c.do("PATCH", "/fhir/ServiceRequest/"+id, patch, "Content-Type", "application/json-patch+json")
		if r.status != 200 || r.json(t)["status"] != "completed" || !strings.Contains(string(r.body), "no treatment needed") {
			t.Fatalf("PATCH closing the referral: %d %s", r.status, r.body)
		}
		if rf, _ := refs.FindReferral(t.Context(), clerk, rf.ID); rf.Status != crs.ReferralClosed || rf.ClosedReason != "no treatment needed" || !rf.ClosedOn.Equal(today.Time) {
			t.Errorf("the PAS's closed referral: %+v", rf)
		}
		if pw, _ := refs.FindPathway(t.Context(), clerk, rf.PathwayID); pw.ClockState != crs.ClockStopped || !pw.ClockStop.Equal(today.Time) {
			t.Errorf("the pathway after a closure with 34: %+v, want its clock stopped today", pw)
		}
		if r := put(func(m map[string]any) { m["status"] = "active" }); r.status != 422 || !strings.Contains(string(r.body), "ServiceRequest.status") {
			t.Errorf("a closed referral opened again: %d %.300s, want 422", r.status, r.body)
		}
		if r := c.do("DELETE", "/fhir/ServiceRequest/"+id, ""); r.status != 405 {
			t.Errorf("DELETE a referral: %d %.300s, want 405", r.status, r.body)
		}
	})
}
