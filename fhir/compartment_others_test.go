package fhir_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestCompartmentsOfR4 searches within the Encounter, Practitioner,
// RelatedPerson and Device compartments of the resource store: a type's
// records any of R4's parameters refers to the compartment's resource by,
// narrowed by the search's own parameters, never those of another
// resource or of another trust; the compartment's own resource must be
// there and readable.
func TestCompartmentsOfR4(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		enc := create(t, c, "Encounter", `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/p1"}}`)
		enc2 := create(t, c, "Encounter", `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/p1"}}`)
		dr := create(t, c, "Practitioner", `{"resourceType":"Practitioner","name":[{"family":"Kaur"}]}`)
		dr2 := create(t, c, "Practitioner", `{"resourceType":"Practitioner","name":[{"family":"Moss"}]}`)
		mum := create(t, c, "RelatedPerson", `{"resourceType":"RelatedPerson","patient":{"reference":"Patient/p1"}}`)
		pump := create(t, c, "Device", `{"resourceType":"Device","status":"active"}`)
		obs := func(extra, value string) string {
			return create(t, c, "Observation", `{"resourceType":"Observation","status":"final",
 "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},`+extra+`
 "valueQuantity":{"value":`+value+`,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`)
		}
		atEnc := obs(`"encounter":{"reference":"Encounter/`+enc+`"},`, "60")
		atEnc61 := obs(`"encounter":{"reference":"Encounter/`+enc+`"},"performer":[{"reference":"Practitioner/`+dr+`"}],`, "61")
		atEnc2 := obs(`"encounter":{"reference":"Encounter/`+enc2+`"},`, "62")
		byDr2 := obs(`"performer":[{"reference":"Practitioner/`+dr2+`"}],`, "63")
		byMum := obs(`"performer":[{"reference":"RelatedPerson/`+mum+`"}],`, "64")
		fromPump := obs(`"device":{"reference":"Device/`+pump+`"},`, "65")
		cond := create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Asthma"},"subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/`+enc+`"},"asserter":{"reference":"Practitioner/`+dr+`"}}`)
		// Another trust's practitioner and a record of theirs by the same id's reference.
		drB := create(t, f.b, "Practitioner", `{"resourceType":"Practitioner","name":[{"family":"Other"}]}`)
		create(t, f.b, "Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"x"},"performer":[{"reference":"Practitioner/%s"}]}`, dr))
		O := func(ids ...string) string { return sortedRefs("Observation", ids...) }
		for _, tc := range []struct{ path, want string }{
			{"Encounter/" + enc + "/Observation", O(atEnc, atEnc61)},
			{"Encounter/" + enc + "/Observation?value-quantity=61", O(atEnc61)},
			{"Encounter/" + enc + "/Observation?_count=1", O(atEnc, atEnc61)},
			{"Encounter/" + enc2 + "/Observation", O(atEnc2)},
			{"Encounter/" + enc + "/Condition", sortedRefs("Condition", cond)},
			{"Encounter/" + enc + "/Encounter", sortedRefs("Encounter", enc)},
			{"Encounter/" + enc + "/Encounter?_id=" + enc2, ""},
			{"Practitioner/" + dr + "/Observation", O(atEnc61)},
			{"Practitioner/" + dr + "/Condition", sortedRefs("Condition", cond)},
			{"Practitioner/" + dr2 + "/Observation", O(byDr2)},
			{"Practitioner/" + dr + "/Practitioner", sortedRefs("Practitioner", dr)},
			{"RelatedPerson/" + mum + "/Observation", O(byMum)},
			{"RelatedPerson/" + mum + "/RelatedPerson", sortedRefs("RelatedPerson", mum)},
			{"Device/" + pump + "/Observation", O(fromPump)},
		} {
			if got := foundAll(t, c, "/fhir/"+tc.path); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.path, got, tc.want)
			}
		}
		// The links name the compartment.
		r := c.do("GET", "/fhir/Encounter/"+enc+"/Observation?_count=1", "")
		if !strings.Contains(string(r.body), "/fhir/Encounter/"+enc+"/Observation?") {
			t.Errorf("the links of Encounter/%s/Observation do not name the compartment: %s", enc, r.body)
		}
		// POST _search takes its parameters in the form body.
		r = c.do("POST", "/fhir/Encounter/"+enc+"/Observation/_search", url.Values{"value-quantity": {"60"}}.Encode(),
			"Content-Type", "application/x-www-form-urlencoded")
		if r.status != 200 || entryIDs(t, r) != "Observation/"+atEnc {
			t.Errorf("POST Encounter/%s/Observation/_search: %d %s, want Observation %s alone", enc, r.status, r.body, atEnc)
		}
		// The compartment's resource: another trust's, or none, is not found;
		// one the token may not read is forbidden.
		for _, path := range []string{"Practitioner/" + drB + "/Observation", "Encounter/no-such/Observation", "Device/no-such/*"} {
			if r := c.do("GET", "/fhir/"+path, ""); r.status != 404 || !isOutcome(r) {
				t.Errorf("GET %s: %d %.300s, want 404", path, r.status, r.body)
			}
		}
		readObs, _ := fhir.ParseScopes("system/Observation.read")
		f.server.Auth.(bearerAuth)["a-obs"] = &fhir.Principal{Actor: f.trustA.Actor(crs.RoleInterface), Scopes: readObs}
		if r := (&client{t, f.base, "a-obs"}).do("GET", "/fhir/Practitioner/"+dr+"/Observation", ""); r.status != 403 || !isOutcome(r) {
			t.Errorf("Practitioner/%s/Observation with Observation's scope alone: %d %.300s, want 403", dr, r.status, r.body)
		}
		// The CapabilityStatement names every compartment answered.
		cs := c.do("GET", "/fhir/metadata", "").json(t)
		var listed []string
		for _, u := range cs["rest"].([]any)[0].(map[string]any)["compartment"].([]any) {
			listed = append(listed, u.(string))
		}
		for _, name := range []string{"patient", "encounter", "relatedPerson", "practitioner", "device"} {
			if !slices.Contains(listed, "http://hl7.org/fhir/CompartmentDefinition/"+name) {
				t.Errorf("the CapabilityStatement's compartments %v do not name %s's", listed, name)
			}
		}
		// What it cannot answer is named.
		refused(t, c, "/fhir/Device/"+pump+"/Condition", "Condition is not in the Device compartment")
		strictlyRefused(t, c, "/fhir/Encounter/"+enc+"/Observation?no-such-param=1", "no-such-param")
		for path, want := range map[string]string{
			"Organization/x/Observation": "Organization is not a compartment",
			"Encounter/" + enc + "/Foo":  "Foo is not an R4 resource type",
		} {
			if r := c.do("GET", "/fhir/"+path, ""); r.status != 404 || !isOutcome(r) || !strings.Contains(string(r.body), want) {
				t.Errorf("GET %s: %d %.300s, want 404 saying %q", path, r.status, r.body, want)
			}
		}
	})
}

// TestCompartmentAllTypes: GET [compartment]/[id]/* answers every type
// of the compartment the token may read, paged type by type with
// _cursor as a search of the system is; _type narrows the types, and
// only the parameters of every resource are taken.
func TestCompartmentAllTypes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		dr := create(t, c, "Practitioner", `{"resourceType":"Practitioner","name":[{"family":"Kaur"}]}`)
		other := create(t, c, "Practitioner", `{"resourceType":"Practitioner","name":[{"family":"Moss"}]}`)
		var want []string
		for i := range 3 {
			want = append(want, "Observation/"+create(t, c, "Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"o%d"},"performer":[{"reference":"Practitioner/%s"}]}`, i, dr)))
		}
		want = append(want, "Condition/"+create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Asthma"},"subject":{"reference":"Patient/p1"},"asserter":{"reference":"Practitioner/`+dr+`"}}`))
		want = append(want, "Practitioner/"+dr)
		create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"theirs"},"performer":[{"reference":"Practitioner/`+other+`"}]}`)
		// Page by two: the types in order, each type's matches by id.
		var got []string
		next := "/fhir/Practitioner/" + dr + "/*?_count=2"
		for pages := 0; next != ""; pages++ {
			if pages > 10 {
				t.Fatalf("more than 10 pages")
			}
			m, _, n, _ := systemPage(t, c, "GET", next, "")
			if len(m) > 2 {
				t.Errorf("%s: %d matches on a page of 2", next, len(m))
			}
			if n != "" && !strings.Contains(n, "/fhir/Practitioner/"+dr+"/*?") {
				t.Errorf("next link %s does not name the compartment", n)
			}
			got, next = append(got, m...), n
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("Practitioner/%s/* paged by 2: %v, want %v", dr, got, want)
		}
		m, _, _, _ := systemPage(t, c, "GET", "/fhir/Practitioner/"+dr+"/*?_type=Condition,Practitioner", "")
		if w := []string{want[0], "Practitioner/" + dr}; !slices.Equal(m, w) {
			t.Errorf("_type=Condition,Practitioner: %v, want %v", m, w)
		}
		m, _, _, _ = systemPage(t, c, "GET", "/fhir/Practitioner/"+dr+"/*?_id="+dr, "")
		if w := []string{"Practitioner/" + dr}; !slices.Equal(m, w) {
			t.Errorf("_id=%s: %v, want %v", dr, m, w)
		}
		// By POST to the compartment's _search, its parameters in the body.
		m, _, _, _ = systemPage(t, c, "POST", "/fhir/Practitioner/"+dr+"/_search", "_type=Condition,Practitioner")
		if w := []string{want[0], "Practitioner/" + dr}; !slices.Equal(m, w) {
			t.Errorf("POST _search _type=Condition,Practitioner: %v, want %v", m, w)
		}
		refused(t, c, "/fhir/Practitioner/"+dr+"/*?code=x", "only the parameters of every resource")
		refused(t, c, "/fhir/Practitioner/"+dr+"/*?_type=Slot", "Slot is not in the Practitioner compartment")
		// A patient's: the types by their patient parameter; the patient
		// is not in it (R4 puts there the patients that link to them).
		p9 := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Tester"}]}`)
		obs := create(t, c, "Observation", fmt.Sprintf(observation, p9, "2026-03-01", "70"))
		m, _, _, _ = systemPage(t, c, "GET", "/fhir/Patient/"+p9+"/*?_type=Observation,Patient,Condition", "")
		if w := []string{"Observation/" + obs}; !slices.Equal(m, w) {
			t.Errorf("Patient/%s/*: %v, want %v", p9, m, w)
		}
	})
}
