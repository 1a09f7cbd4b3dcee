package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
)

// withObservations switches the observation pages on, with the service
// cmd/crs wires.
func (e *env) withObservations() *env {
	e.server.Observations = &fhir.ObservationService{Store: e.db, Resources: store.NewResourceService(e.db)}
	return e
}

// vitals is a complete set of observations as the form sends it.
func vitals(rr, spo2, air, sys, pulse, acvpu, temp string) url.Values {
	return url.Values{"taken_at": {"2026-03-02T08:45"}, "respiration_rate": {rr}, "spo2": {spo2}, "air_or_oxygen": {air},
		"systolic": {sys}, "diastolic": {"70"}, "pulse": {pulse}, "consciousness": {acvpu}, "temperature": {temp}}
}

func TestObservationsPage(t *testing.T) {
	e := newEnv(t).withObservations()
	st := e.setUp(e.a)
	l := e.listPatient(t, "Vitals", "9990000069")
	sp := e.admitted(t, st, l)
	e.relate(l.patient.ID, crs.RoleNurse, crs.RoleDoctor)
	page := "/patients/" + l.patient.ID + "/observations"
	nurse := e.login(e.a, crs.RoleNurse)
	wantBody(t, "record page", nurse.get("/patients/"+l.patient.ID), `href="`+page+`"`)
	wantBody(t, "empty page", nurse.get(page), "No NEWS2 score yet", "Record observations", "scored on scale 1")

	t.Run("bad input beside each field", func(t *testing.T) {
		r := nurse.post(page, url.Values{"taken_at": {"yesterday"}, "respiration_rate": {"fast"}, "spo2": {"140"}, "temperature": {"3x"}})
		wantField(t, "time", r, "taken_at", "Time taken must be a real date")
		wantField(t, "words", r, "respiration_rate", "Respiration rate must be a whole number")
		wantField(t, "decimal", r, "temperature", "Temperature must be a number of degrees Celsius")
		r = nurse.post(page, url.Values{"taken_at": {"2026-03-02T08:45"}, "spo2": {"140"}, "systolic": {"90"}, "diastolic": {"95"}, "temperature": {"52"}})
		wantField(t, "SpO2 out of range", r, "spo2", "SpO2 must be between 50 and 100 %; 140 was entered")
		wantField(t, "diastolic above systolic", r, "diastolic", "Diastolic blood pressure (95) must be lower than systolic (90)")
		wantField(t, "temperature out of range", r, "temperature", "Temperature must be between 25.0 and 45.0 °C")
		wantField(t, "nothing", nurse.post(page, url.Values{"taken_at": {"2026-03-02T08:45"}}), "respiration_rate", "Enter at least one observation")
	})

	t.Run("a clerk neither sees nor records", func(t *testing.T) {
		clerk := e.login(e.a, crs.RoleClerk)
		if strings.Contains(clerk.get("/patients/"+l.patient.ID).body, page) {
			t.Errorf("the clerk is offered the observations")
		}
		wantStatus(t, "clerk reads", clerk.get(page), http.StatusForbidden)
		wantStatus(t, "clerk records", clerk.post(page, vitals("16", "97", "air", "120", "70", "A", "37.0")), http.StatusForbidden)
		wantStatus(t, "clerk reads the board", clerk.get("/wards/"+st.ward.ID+"/clinical"), http.StatusForbidden)
	})

	t.Run("score, chart and board", func(t *testing.T) {
		// 22 (2), 95 (1), air, 105 (1), 95 (1), alert, 38.4 (1): 6, medium.
		r := nurse.post(page, vitals("22", "95", "air", "105", "95", "A", "38.4"))
		wantStatus(t, "record", r, http.StatusSeeOther)
		sets, _ := e.server.Observations.VitalSigns(t.Context(), e.a.Actor(crs.RoleNurse), l.patient.ID, e.clock.Now().Add(-time.Hour), 1)
		if len(sets) != 1 || sets[0].SpellID != sp.ID {
			t.Errorf("the set is not in the patient's stay: %+v", sets)
		}
		// Over /fhir its Observations refer to the stay as the Encounter
		// the API serves for the spell.
		get := e.fhirAPI(t)
		for _, x := range get("Observation?patient=" + l.patient.ID)["entry"].([]any) {
			ref := x.(map[string]any)["resource"].(map[string]any)["encounter"].(map[string]any)["reference"].(string)
			if enc := get(ref); enc["resourceType"] != "Encounter" || enc["id"] != "ip-"+sp.ID {
				t.Errorf("an Observation's encounter %s reads %v, want the spell's Encounter", ref, enc)
			}
		}
		r = nurse.get(page)
		wantBody(t, "after saving", r, "Observations recorded. NEWS2 6: medium clinical risk, urgent response", `id="news2-latest"`,
			"news2-score--medium", `id="news2-chart"`, "<svg", "NEWS2 6 at 02-Mar-2026 08:45: medium clinical risk", "observe hourly")
		board := nurse.get("/wards/" + st.ward.ID + "/clinical")
		wantBody(t, "board", board, "VITALS", `class="news2-total">6<`, "Urgent: NEWS2 5-6", "(hourly)")
		wantBody(t, "bed board links to it", nurse.get("/beds"), `href="/wards/`+st.ward.ID+`/clinical"`)
	})

	t.Run("scale 2 and entered in error", func(t *testing.T) {
		doctor := e.login(e.a, crs.RoleDoctor)
		doctor.get(page)
		wantField(t, "no reason", doctor.post(page+"/scale", url.Values{"scale": {"2"}}), "scale_reason", "Enter the clinical reason")
		wantStatus(t, "scale 2", doctor.post(page+"/scale", url.Values{"scale": {"2"}, "reason": {"COPD, CO2 retainer"}}), http.StatusSeeOther)
		wantBody(t, "on scale 2", doctor.get(page), "scale 2", "COPD, CO2 retainer")
		sets, err := e.server.Observations.VitalSigns(t.Context(), e.a.Actor(crs.RoleNurse), l.patient.ID, e.clock.Now().Add(-24*time.Hour), 10)
		if err != nil || len(sets) != 1 {
			t.Fatalf("sets = %d, %v", len(sets), err)
		}
		set := page + "/" + sets[0].ID + "/error"
		wantField(t, "in error without reason", doctor.post(set, nil), "error_reason-"+sets[0].ID, "Enter why the observations were entered in error")
		wantStatus(t, "in error", doctor.post(set, url.Values{"reason": {"Wrong patient"}}), http.StatusSeeOther)
		wantBody(t, "after in error", doctor.get(page), "Entered in error", "Wrong patient", "No NEWS2 score yet")
		wantBody(t, "board without it", doctor.get("/wards/"+st.ward.ID+"/clinical"), "No observations")
	})
}
