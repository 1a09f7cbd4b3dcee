package fhir_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSearchComposite checks composite parameters: a value matches when
// one element holds every component's value, the Observation itself for
// code-value-*, one of its components for component-code-value-*, either
// for combo-code-value-*. A blood pressure whose diastolic is below 90
// is not a systolic below 90.
func TestSearchComposite(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		p := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Composite"}]}`)
		obs := func(code, rest string) string {
			return create(t, c, "Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"%s"}]},
				"subject":{"reference":"Patient/%s"},"effectiveDateTime":"2026-03-01T10:00:00Z"%s}`, code, p, rest))
		}
		q := func(v float64, unit string) string {
			return fmt.Sprintf(`{"value":%g,"system":"http://unitsofmeasure.org","code":"%s"}`, v, unit)
		}
		bp := func(sys, dia float64) string {
			return `,"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":` + q(sys, "mm[Hg]") + `},
				{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":` + q(dia, "mm[Hg]") + `}]`
		}
		pulse := obs("8867-4", `,"valueQuantity":`+q(72, "/min"))
		fast := obs("8867-4", `,"valueQuantity":`+q(110, "/min"))
		bp1 := obs("85354-9", bp(130, 80))
		bp2 := obs("85354-9", bp(150, 95))
		smoker := obs("72166-2", `,"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"77176002"}]}`)
		culture := obs("600-7", `,"valueString":"Positive: Staphylococcus aureus"`)
		O := func(ids ...string) string { return sortedRefs("Observation", ids...) }
		// found follows the next links, collecting every match.
		found := func(query string) string {
			t.Helper()
			return foundAll(t, c, "/fhir/Observation?"+query)
		}
		for _, tc := range []struct{ q, want string }{
			{"code-value-quantity=http://loinc.org|8867-4$gt100", O(fast)},
			{"code-value-quantity=8867-4$72", O(pulse)},
			{"code-value-quantity=8867-4$72|http://unitsofmeasure.org|/min", O(pulse)},
			{"code-value-quantity=8867-4$72|http://unitsofmeasure.org|mm[Hg]", ""},
			{"code-value-quantity=8480-6$130", ""}, // the systolic is a component's, not the Observation's
			{"component-code-value-quantity=http://loinc.org|8480-6$gt140", O(bp2)},
			{"component-code-value-quantity=8480-6$lt90", ""}, // bp1's 80 is its diastolic
			{"component-code-value-quantity=8462-4$lt90", O(bp1)},
			{"component-code-value-quantity=8480-6$gt100&_count=1", O(bp1, bp2)},
			{"component-code-value-quantity=8480-6$ge130&component-code-value-quantity=8462-4$lt90", O(bp1)},
			{"combo-code-value-quantity=8480-6$gt140", O(bp2)},
			{"combo-code-value-quantity=8867-4$gt100", O(fast)},
			{"combo-code-value-quantity=8867-4$gt60&_count=1", O(pulse, fast)},
			{"code-value-concept=72166-2$http://snomed.info/sct|77176002", O(smoker)},
			{"code-value-concept=72166-2$http://snomed.info/sct|8517006", ""},
			{"code-value-string=http://loinc.org|600-7$positive", O(culture)},
			{"code-value-string=600-7$negative", ""},
			{"code-value-quantity=" + url.QueryEscape("8867-4$gt100") + "&_count=5", O(fast)},
		} {
			if got := found(tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}

		// The count is of the matches an element holds: bp2's diastolic
		// (95) is below 140 but its systolic (150) is not.
		r := c.do("GET", "/fhir/Observation?component-code-value-quantity=8480-6$lt140&_summary=count", "")
		if total := fmt.Sprint(r.json(t)["total"]); r.status != 200 || total != "1" {
			t.Errorf("count: %d, total %v, want 1: %s", r.status, r.json(t)["total"], r.body)
		}

		for _, bad := range []struct{ method, path, body string }{
			{"GET", "/fhir/Observation?code-value-quantity=8867-4", ""},
			{"GET", "/fhir/Observation?code-value-quantity=8867-4$72$1", ""},
			{"GET", "/fhir/Observation?code-value-quantity=8867-4$72,8867-4$110", ""},
			{"GET", "/fhir/Observation?code-value-quantity:missing=true", ""},
			{"GET", "/fhir/Observation?code-value-quantity=8867-4$many", ""},
			{"GET", "/fhir/Patient?_has:Observation:patient:code-value-quantity=8867-4$72", ""},
			{"DELETE", "/fhir/Observation?code-value-quantity=8867-4$72", ""},
		} {
			if r := c.do(bad.method, bad.path, bad.body); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s %s: %d %s, want 400 with an OperationOutcome", bad.method, bad.path, r.status, r.body)
			}
		}
		if got := found("code-value-quantity=8867-4$72"); got != O(pulse) {
			t.Errorf("after the refused conditional delete: %q, want %q", got, O(pulse))
		}

		// The CapabilityStatement names the composites it searches.
		meta := string(c.do("GET", "/fhir/metadata", "").body)
		for _, name := range []string{`"component-code-value-quantity"`, `"code-value-concept"`} {
			if !strings.Contains(meta, name) {
				t.Errorf("the CapabilityStatement does not name %s", name)
			}
		}
		if strings.Contains(meta, `"chromosome-variant-coordinate"`) {
			t.Error("the CapabilityStatement names a composite whose components are not searchable")
		}
	})
}

// sortedRefs is the references Type/id of the ids, sorted and joined
// by commas, as a search's matches are compared.
func sortedRefs(typ string, ids ...string) string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, typ+"/"+id)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}
