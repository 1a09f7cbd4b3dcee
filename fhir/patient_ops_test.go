package fhir_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPMIPatientOperations drives the operations of the resource store
// on a Patient the patient index serves: PATCH and conditional update
// change demographics through the PMI, conditional delete is refused,
// $everything, chains, reverse chains, AuditEvent and $export see the
// PMI's patient, and the CapabilityStatement says so.
func TestPMIPatientOperations(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pmi := store.NewPatientService(db)
		actor := f.trustA.Actor(crs.RoleClerk)
		zoe := create(t, c, "Patient", ukPatient)
		bob := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Smith","given":["Bob"]}],"gender":"male","birthDate":"1985-11-20"}`)
		o1 := create(t, c, "Observation", fmt.Sprintf(observation, zoe, "2024-03-01T10:00:00Z", "72"))
		o2 := create(t, c, "Observation", fmt.Sprintf(observation, bob, "2024-03-02T10:00:00Z", "60"))

		// PATCH goes through the demographics change of the PMI.
		patch := `[{"op":"replace","path":"/gender","value":"other"},{"op":"add","path":"/name/0/given/-","value":"Jo"}]`
		r := c.do("PATCH", "/fhir/Patient/"+zoe, patch, "Content-Type", "application/json-patch+json", "If-Match", `W/"1"`)
		if r.status != 200 || r.header.Get("ETag") != `W/"2"` {
			t.Fatalf("patch: %d %s %s", r.status, r.header.Get("ETag"), r.body)
		}
		if p, err := pmi.FindPatient(t.Context(), actor, zoe); err != nil || p.Gender != "other" && p.Gender != "9" && p.Gender != "I" || !strings.Contains(p.OtherNames, "Jo") || p.Version != 2 {
			t.Errorf("after patch the PMI holds %+v (%v)", p, err)
		}
		if r := c.do("GET", "/fhir/Patient/"+zoe, ""); !strings.Contains(string(r.body), `"maritalStatus":{"text":"Married"}`) {
			t.Errorf("patch lost what is kept beside the record: %s", r.body)
		}
		if r := c.do("PATCH", "/fhir/Patient/"+zoe, patch, "Content-Type", "application/json-patch+json", "If-Match", `W/"1"`); r.status != 412 || !isOutcome(r) {
			t.Errorf("stale patch: %d %s", r.status, r.body)
		}
		if r := c.do("PATCH", "/fhir/Patient/"+zoe, `[{"op":"replace","path":"/birthDate","value":"not a date"}]`, "Content-Type", "application/json-patch+json"); r.status < 400 || r.status >= 500 || !isOutcome(r) {
			t.Errorf("patch to a bad birth date: %d %s", r.status, r.body)
		}
		if r := c.do("PATCH", "/fhir/Patient/nope", patch, "Content-Type", "application/json-patch+json"); r.status != 404 || !isOutcome(r) {
			t.Errorf("patch of no patient: %d %s", r.status, r.body)
		}

		// Conditional update finds the patient by identifier in the PMI.
		upd := strings.Replace(ukPatient, `"Zoë"`, `"Zoë-Smith"`, 1)
		r = c.do("PUT", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", upd)
		if r.status != 200 || r.json(t)["id"] != zoe {
			t.Fatalf("conditional update: %d %s", r.status, r.body)
		}
		if p, _ := pmi.FindPatient(t.Context(), actor, zoe); p.FamilyName != "Zoë-Smith" || p.Version != 3 {
			t.Errorf("after conditional update the PMI holds %s version %d", p.FamilyName, p.Version)
		}
		r = c.do("PUT", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026",
			`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"New","given":["Ann"]}],"gender":"female","birthDate":"2000-01-01"}`)
		if r.status != 201 {
			t.Fatalf("conditional update of no one: %d %s, want a registration", r.status, r.body)
		}
		if _, err := pmi.FindPatientByIdentifier(t.Context(), actor, "nhs", "9990000026"); err != nil {
			t.Errorf("the conditional update registered no one: %v", err)
		}
		// The registration, made in error, is deleted by its identifier.
		if r := c.do("DELETE", "/fhir/Patient?identifier=9990000026", ""); r.status != 204 {
			t.Errorf("conditional delete of a patient registered in error: %d %s, want 204", r.status, r.body)
		}
		if _, err := pmi.FindPatientByIdentifier(t.Context(), actor, "nhs", "9990000026"); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("the conditional delete left the patient: %v", err)
		}

		// $everything: the PMI's patient and what refers to them, and
		// the GP practice the patient's record names, included.
		r = c.do("GET", "/fhir/Patient/"+zoe+"/$everything", "")
		if got := entryIDs(t, r); got != "Patient/"+zoe+",Observation/"+o1+",Organization/gp-Y01234" {
			t.Errorf("$everything = %s", got)
		}

		// Chains into Patient are found through the PMI; reverse chains
		// name the PMI's patients.
		for _, tc := range []struct{ q, want string }{
			{"Observation?subject:Patient.identifier=9990000018", "Observation/" + o1},
			{"Observation?subject.family=smith", "Observation/" + o1 + ",Observation/" + o2}, // Zoë-Smith's and Smith's
			{"Observation?subject:Patient.identifier=9990000034", ""},
			// No index leads these: the trust's patients are read.
			{"Observation?subject:Patient.gender=male", "Observation/" + o2},
			{"Observation?patient.birthdate=gt1980&patient.gender=male", "Observation/" + o2},
			{"Observation?patient.birthdate=lt1900", ""},
			{"Patient?_has:Observation:subject:value-quantity=lt65", "Patient/" + bob},
			{"Patient?_has:Observation:subject:code=8867-4&gender=male", "Patient/" + bob},
			{"Patient?_has:Observation:subject:code=0000-0", ""},
		} {
			r := c.do("GET", "/fhir/"+tc.q, "")
			if got := entryIDs(t, r); r.status != 200 || got != tc.want {
				t.Errorf("%s: %d [%s], want [%s]", tc.q, r.status, got, tc.want)
			}
		}

		// AuditEvent shows the reads of the PMI's patient.
		if err := db.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		r = c.do("GET", "/fhir/AuditEvent?patient=Patient/"+zoe, "")
		if r.status != 200 || !strings.Contains(string(r.body), "Patient/"+zoe) {
			t.Errorf("AuditEvent of the PMI's patient: %d %s", r.status, r.body)
		}

		// $export: Patient comes from the PMI, whole.
		got, _ := exportRun(t, c, "/fhir/$export?_type=Patient")
		if len(got["Patient"]) != 2 {
			t.Errorf("export of Patient = %v, want the two patients of the PMI (a third deleted)", got)
		}
		group := create(t, c, "Group", `{"resourceType":"Group","type":"person","actual":true,"member":[{"entity":{"reference":"Patient/`+bob+`"}}]}`)
		got, _ = exportRun(t, c, "/fhir/Group/"+group+"/$export?_type=Patient,Observation")
		if strings.Join(got["Patient"], ",") != bob || strings.Join(got["Observation"], ",") != o2 {
			t.Errorf("group export = %v", got)
		}

		// The CapabilityStatement lists what Patient supports.
		cs := string(c.do("GET", "/fhir/metadata", "").body)
		i := strings.Index(cs, `"type":"Patient"`)
		end := strings.Index(cs[i+1:], `{"type":`)
		if i < 0 || end < 0 {
			t.Fatalf("CapabilityStatement without Patient: %s", cs)
		}
		patient := cs[i : i+1+end]
		for _, want := range []string{`{"code":"patch"}`, `{"code":"delete"}`, `"updateCreate":true`, `"conditionalUpdate":true`, `"conditionalDelete":"single"`, `"name":"everything"`, `"name":"export"`} {
			if !strings.Contains(patient, want) {
				t.Errorf("CapabilityStatement's Patient lacks %s: %s", want, patient)
			}
		}
	})
}

// entryIDs lists a Bundle's entries as Type/id.
func entryIDs(t *testing.T, r response) string {
	t.Helper()
	var out []string
	es, _ := r.json(t)["entry"].([]any)
	for _, e := range es {
		res := e.(map[string]any)["resource"].(map[string]any)
		out = append(out, res["resourceType"].(string)+"/"+res["id"].(string))
	}
	return strings.Join(out, ",")
}

// TestPatientReverseChainReadsEveryMatch: a reverse chain on the PMI's
// Patient reads every resource its search finds, page after page, so
// that a patient referred to only by the last of them is found (it was
// read from the first page alone, and the rest dropped unsaid), alone or
// with the PMI's own parameters; one that finds more than the most it
// reads is refused (400, too costly), never answered from some.
func TestPatientReverseChainReadsEveryMatch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		restore := fhir.SetHasPage(2, 6)
		defer restore()
		c := startPAS(t, db, clock).a
		zoe := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Grey","given":["Zoe"]}],"gender":"female","birthDate":"1970-01-01"}`)
		bob := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://example.org/mrn","value":"b1"}],"name":[{"family":"Smith","given":["Bob"]}],"gender":"male","birthDate":"1985-11-20"}`)
		for range 4 {
			create(t, c, "Observation", fmt.Sprintf(observation, zoe, "2024-03-01T10:00:00Z", "72"))
		}
		create(t, c, "Observation", fmt.Sprintf(observation, bob, "2024-03-02T10:00:00Z", "60"))
		for _, tc := range []struct{ q, want string }{
			{"Patient?_has:Observation:subject:code=8867-4&_sort=family", "Patient/" + zoe + ",Patient/" + bob},
			{"Patient?_has:Observation:subject:code=8867-4&identifier=https://example.org/mrn|b1", "Patient/" + bob},
			{"Patient?_has:Observation:subject:code=8867-4&gender=male", "Patient/" + bob},
		} {
			r := c.do("GET", "/fhir/"+tc.q, "")
			if got := entryIDs(t, r); r.status != 200 || got != tc.want {
				t.Errorf("%s: %d [%s], want [%s]", tc.q, r.status, got, tc.want)
			}
		}
		create(t, c, "Observation", fmt.Sprintf(observation, bob, "2024-03-03T10:00:00Z", "61"))
		if r := c.do("GET", "/fhir/Patient?_has:Observation:subject:code=8867-4", ""); r.status != 400 || !isOutcome(r) || !strings.Contains(string(r.body), "too-costly") {
			t.Errorf("a reverse chain finding more than the most read: %d %s, want 400 too-costly", r.status, r.body)
		}
	})
}
