package fhir_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSearchReferenceIdentifier checks the :identifier modifier: a
// reference parameter matched by the identifier of a logical reference
// (a result sent with the patient's NHS number and no reference), as a
// token, through a parameter that shares another's rows too.
func TestSearchReferenceIdentifier(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		p := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Logical"}]}`)
		obs := func(subject string) string {
			return create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":`+subject+`}`)
		}
		byNHS := obs(`{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}}`)
		both := obs(`{"reference":"Patient/` + p + `","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}}`)
		byRef := obs(`{"reference":"Patient/` + p + `"}`)
		O := func(ids ...string) string { return sortedRefs("Observation", ids...) }
		for _, tc := range []struct{ q, want string }{
			{"subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", O(byNHS)},
			{"subject:identifier=9990000018", O(byNHS)},
			{"subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018,https://fhir.nhs.uk/Id/nhs-number|9990000026", O(byNHS, both)},
			{"patient:identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026", O(both)},
			{"subject:identifier=https://example.org/other|9990000018", ""},
			{"subject=Patient/" + p, O(both, byRef)},
			{"subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018&code=8867-4", O(byNHS)},
		} {
			r := c.do("GET", "/fhir/Observation?"+tc.q, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %s", tc.q, r.status, r.body)
			}
			ids := strings.Split(entryIDs(t, r), ",")
			slices.Sort(ids)
			if got := strings.Join(ids, ","); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		if r := c.do("GET", "/fhir/Observation?subject:identifier:missing=true", ""); r.status != 400 || !isOutcome(r) {
			t.Errorf("a second modifier: %d %s, want 400 with an OperationOutcome", r.status, r.body)
		}
	})
}
