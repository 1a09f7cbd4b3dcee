package fhir_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSearchSharedRows checks the parameters whose values are other
// parameters' index rows: Observation's patient is read from the subject
// rows that refer to a Patient, combo-code from the code and
// component-code rows, combo-value-quantity from value-quantity and
// component-value-quantity. Each finds exactly what it should, before and
// after an update and a delete, and the index holds no rows of its own
// for them.
func TestSearchSharedRows(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		p1 := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Sharedone"}]}`)
		p2 := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Sharedtwo"}]}`)
		g1 := create(t, c, "Group", `{"resourceType":"Group","type":"person","actual":true}`)
		obs := func(subject, code, value, components string) string {
			return fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"%s"}]},
				"subject":{"reference":"%s"},"effectiveDateTime":"2026-03-01T10:00:00Z"%s%s}`, code, subject, value, components)
		}
		const bp = `,"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":130,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
			{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]`
		const pulse = `,"valueQuantity":{"value":72,"system":"http://unitsofmeasure.org","code":"/min"}`
		o1 := create(t, c, "Observation", obs("Patient/"+p1, "8867-4", pulse, ""))
		o2 := create(t, c, "Observation", obs("Group/"+g1, "8867-4", "",
			`,"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]`))
		o3 := create(t, c, "Observation", obs("Patient/"+p2, "85354-9", "", bp))

		found := func(q string) string {
			t.Helper()
			r := c.do("GET", "/fhir/"+q, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %s", q, r.status, r.body)
			}
			ids := strings.Split(entryIDs(t, r), ",")
			slices.Sort(ids)
			return strings.Join(ids, ",")
		}
		set := func(refs ...string) string {
			slices.Sort(refs)
			return strings.Join(refs, ",")
		}
		O := func(id string) string { return "Observation/" + id }
		check := func(when string, cases []struct{ q, want string }) {
			t.Helper()
			for _, tc := range cases {
				if got := found(tc.q); got != tc.want {
					t.Errorf("%s: %s found %q, want %q", when, tc.q, got, tc.want)
				}
			}
		}
		check("created", []struct{ q, want string }{
			{"Observation?patient=Patient/" + p1, set(O(o1))},
			{"Observation?patient=" + p2, set(O(o3))},
			{"Observation?patient:Patient=" + p1, set(O(o1))},
			{"Observation?subject=Patient/" + p1, set(O(o1))},
			{"Observation?subject=Group/" + g1, set(O(o2))},
			{"Observation?subject:Group=" + g1, set(O(o2))},
			{"Observation?patient=Patient/" + p1 + "," + p2, set(O(o1), O(o3))},
			{"Observation?patient:missing=true", set(O(o2))},
			{"Observation?patient:missing=false", set(O(o1), O(o3))},
			{"Observation?subject:missing=true", ""},
			{"Observation?patient.family=sharedone", set(O(o1))},
			{"Observation?code=http://loinc.org|8867-4&_include=Observation:patient", set(O(o1), O(o2), "Patient/"+p1)},
			{"Patient?_id=" + p1 + "&_revinclude=Observation:patient", set("Patient/"+p1, O(o1))},
			{"Group?_id=" + g1 + "&_revinclude=Observation:patient", set("Group/" + g1)},
			{"Group?_id=" + g1 + "&_revinclude=Observation:subject", set("Group/"+g1, O(o2))},
			{"Patient?_has:Observation:patient:code=8867-4", set("Patient/" + p1)},
			{"Observation?combo-code=http://loinc.org|8480-6", set(O(o2), O(o3))},
			{"Observation?combo-code=8867-4", set(O(o1), O(o2))},
			{"Observation?combo-code=8462-4,8867-4", set(O(o1), O(o2), O(o3))},
			{"Observation?combo-code:not=8480-6", set(O(o1))},
			{"Observation?combo-code=8480-6&patient=" + p2, set(O(o3))},
			{"Observation?code=8480-6", ""},
			{"Observation?component-code=8480-6", set(O(o2), O(o3))},
			{"Observation?combo-value-quantity=gt100", set(O(o2), O(o3))},
			{"Observation?combo-value-quantity=72", set(O(o1))},
			{"Observation?combo-value-quantity=80|http://unitsofmeasure.org|mm[Hg]", set(O(o3))},
			{"Observation?value-quantity=gt100", ""},
			{"Observation?combo-value-quantity:missing=true", ""},
			{"Observation?_sort=combo-code&_count=10&combo-code=8480-6,8867-4", set(O(o1), O(o2), O(o3))},
		})
		for _, q := range []string{"Observation?patient=Group/" + g1, "Observation?patient:Group=" + g1, "Observation?code-value-quantity=http://loinc.org|8867-4"} {
			if r := c.do("GET", "/fhir/"+q, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %s, want 400 with an OperationOutcome", q, r.status, r.body)
			}
		}

		// The index holds subject, code and value-quantity rows once:
		// none of patient, combo-code or combo-value-quantity.
		rows, err := db.Reader().QueryContext(context.Background(), `SELECT DISTINCT param FROM fhir_index WHERE type = 'Observation' ORDER BY param`)
		if err != nil {
			t.Fatal(err)
		}
		var params []string
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			params = append(params, p)
		}
		rows.Close()
		for _, p := range []string{"patient", "combo-code", "combo-value-quantity"} {
			if slices.Contains(params, p) {
				t.Errorf("the index holds %s rows: %v", p, params)
			}
		}

		// o1 moves to p2 and becomes a systolic reading; o3 is deleted.
		if r := c.do("PUT", "/fhir/Observation/"+o1, strings.Replace(obs("Patient/"+p2, "8480-6", `,"valueQuantity":{"value":140,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}`, ""),
			`{"resourceType":"Observation",`, `{"resourceType":"Observation","id":"`+o1+`",`, 1)); r.status != 200 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		if r := c.do("DELETE", "/fhir/Observation/"+o3, ""); r.status/100 != 2 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		check("after an update and a delete", []struct{ q, want string }{
			{"Observation?patient=" + p1, ""},
			{"Observation?patient=Patient/" + p2, set(O(o1))},
			{"Observation?subject=Patient/" + p2, set(O(o1))},
			{"Observation?patient:missing=true", set(O(o2))},
			{"Observation?combo-code=8480-6", set(O(o1), O(o2))},
			{"Observation?combo-code=8867-4", set(O(o2))},
			{"Observation?combo-code=8462-4", ""},
			{"Observation?combo-value-quantity=gt100", set(O(o1), O(o2))},
			{"Observation?combo-value-quantity=80", ""},
			{"Patient?_has:Observation:patient:combo-code=8480-6", set("Patient/" + p2)},
		})
	})
}
