package fhir_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// lastNObservation is an Observation of a patient in a category, coded
// with each of codings (system|code), at effective (a JSON member).
func lastNObservation(patient, category string, codings []string, effective string) string {
	var cs []string
	for _, c := range codings {
		system, code, _ := strings.Cut(c, "|")
		cs = append(cs, fmt.Sprintf(`{"system":%q,"code":%q}`, system, code))
	}
	return fmt.Sprintf(`{"resourceType":"Observation","status":"final",
 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":%q}]}],
 "code":{"coding":[%s]},"subject":{"reference":"Patient/%s"},%s,"valueQuantity":{"value":1}}`, category, strings.Join(cs, ","), patient, effective)
}

// TestObservationLastN: Observation/$lastn answers, of the Observations
// a search with its parameters matches, the most recent max of each
// code (each coding a code, an Observation answered once), ordered by
// code and newest first by effective time; category, date and code
// narrow what is ranked; another patient's are never answered; a large
// answer is paged; without a patient, or with a bad max, it is refused
// with an OperationOutcome naming the parameter.
func TestObservationLastN(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		p1 := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Lastn","given":["Ann"]}]}`)
		p2 := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Other","given":["Bob"]}]}`)
		const (
			hr   = "http://loinc.org|8867-4"
			rr   = "http://loinc.org|9279-1"
			temp = "http://loinc.org|8310-5"
			glu  = "http://loinc.org|2339-0"
			sct  = "http://snomed.info/sct|276885007"
		)
		at := func(day int) string { return fmt.Sprintf(`"effectiveDateTime":"2024-03-%02dT09:00:00Z"`, day) }
		vital := func(p, code string, effective string) string {
			return create(t, c, "Observation", lastNObservation(p, "vital-signs", []string{code}, effective))
		}
		// Written out of time order, so that ids do not order them.
		hr2 := vital(p1, hr, at(2))
		hr3 := vital(p1, hr, at(3))
		hr1 := vital(p1, hr, at(1))
		rr1 := vital(p1, rr, `"effectivePeriod":{"start":"2024-03-05T08:00:00Z","end":"2024-03-06T08:00:00Z"}`)
		rr2 := vital(p1, rr, at(4)) // earlier than rr1's period
		temp1 := vital(p1, temp, at(1))
		temp2 := create(t, c, "Observation", lastNObservation(p1, "vital-signs", []string{temp, sct}, at(6)))
		glu2 := create(t, c, "Observation", lastNObservation(p1, "laboratory", []string{glu}, at(8)))
		glu1 := create(t, c, "Observation", lastNObservation(p1, "laboratory", []string{glu}, at(7)))
		other := vital(p2, hr, at(20))

		lastn := func(t *testing.T, q string) []string {
			t.Helper()
			r := c.do("GET", "/fhir/Observation/$lastn?"+q, "")
			m := r.json(t)
			if r.status != 200 || m["type"] != "searchset" {
				t.Fatalf("$lastn?%s: %d %s", q, r.status, r.body)
			}
			return c.searchIDs(t, "/fhir/Observation/$lastn?"+q)
		}
		for _, tc := range []struct {
			name, q string
			want    []string
		}{
			{"max=1", "patient=" + p1, []string{glu2, temp2, hr3, rr1}},
			{"max=2", "patient=" + p1 + "&max=2", []string{glu2, glu1, temp2, temp1, hr3, hr2, rr1, rr2}},
			{"max above the group", "patient=" + p1 + "&max=5", []string{glu2, glu1, temp2, temp1, hr3, hr2, hr1, rr1, rr2}},
			{"subject", "subject=Patient/" + p1 + "&max=1", []string{glu2, temp2, hr3, rr1}},
			{"patient by identifier", "patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018&code=" + rr, []string{rr1}},
			{"category", "patient=" + p1 + "&category=vital-signs&max=2", []string{temp2, temp1, hr3, hr2, rr1, rr2}},
			{"category laboratory", "patient=" + p1 + "&category=laboratory", []string{glu2}},
			{"code", "patient=" + p1 + "&code=" + hr + "&max=2", []string{hr3, hr2}},
			{"codes", "patient=" + p1 + "&code=" + hr + "," + rr, []string{hr3, rr1}},
			{"date", "patient=" + p1 + "&code=" + hr + "&date=lt2024-03-03", []string{hr2}},
			{"date range", "patient=" + p1 + "&date=ge2024-03-02&date=lt2024-03-05&max=3", []string{hr3, hr2, rr2}},
			{"the second coding", "patient=" + p1 + "&code=" + sct + "&max=3", []string{temp2}},
			{"another patient", "patient=" + p2 + "&max=3", []string{other}},
			{"no match", "patient=" + p1 + "&code=http://loinc.org|0000-0", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if diff := cmp.Diff(tc.want, lastn(t, tc.q)); diff != "" {
					t.Errorf("$lastn?%s (-want +got):\n%s", tc.q, diff)
				}
			})
		}

		t.Run("POST", func(t *testing.T) {
			want := []string{temp2, temp1, hr3, hr2, rr1, rr2}
			ids := func(r response) []string {
				t.Helper()
				if r.status != 200 {
					t.Fatalf("POST $lastn: %d %s", r.status, r.body)
				}
				var out []string
				es, _ := r.json(t)["entry"].([]any)
				for _, e := range es {
					out = append(out, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
				}
				return out
			}
			form := c.do("POST", "/fhir/Observation/$lastn", "patient="+p1+"&category=vital-signs&max=2", "Content-Type", "application/x-www-form-urlencoded")
			if diff := cmp.Diff(want, ids(form)); diff != "" {
				t.Errorf("a POSTed form (-want +got):\n%s", diff)
			}
			params := c.do("POST", "/fhir/Observation/$lastn?category=vital-signs", `{"resourceType":"Parameters","parameter":[
				{"name":"patient","valueString":"`+p1+`"},{"name":"max","valueInteger":2}]}`)
			if diff := cmp.Diff(want, ids(params)); diff != "" {
				t.Errorf("a POSTed Parameters (-want +got):\n%s", diff)
			}
			bad := c.do("POST", "/fhir/Observation/$lastn", `{"resourceType":"Parameters","parameter":[{"name":"patient","valueReference":{"reference":"Patient/`+p1+`"}}]}`)
			if bad.status != 400 || !isOutcome(bad) || !strings.Contains(string(bad.body), "Parameters.parameter[0]") {
				t.Errorf("a parameter of a complex type: %d %s, want 400 naming Parameters.parameter[0]", bad.status, bad.body)
			}
		})

		t.Run("paged", func(t *testing.T) {
			want := []string{glu2, glu1, temp2, temp1, hr3, hr2, rr1, rr2}
			var got []string
			next, pages := "/fhir/Observation/$lastn?patient="+p1+"&max=2&_count=3", 0
			for next != "" && pages < 10 {
				r := c.do("GET", next, "")
				if r.status != 200 {
					t.Fatalf("%s: %d %s", next, r.status, r.body)
				}
				m := r.json(t)
				es, _ := m["entry"].([]any)
				if len(es) > 3 {
					t.Fatalf("page of %d entries, want at most 3", len(es))
				}
				for _, e := range es {
					got = append(got, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
				}
				next = ""
				for _, l := range m["link"].([]any) {
					if l := l.(map[string]any); l["relation"] == "next" {
						next = l["url"].(string)
					}
				}
				pages++
			}
			if diff := cmp.Diff(want, got); diff != "" || pages != 3 {
				t.Errorf("paged by 3 over %d pages (-want +got):\n%s", pages, diff)
			}
			r := c.do("GET", "/fhir/Observation/$lastn?patient="+p1+"&max=2&_summary=count", "")
			if total := r.json(t)["total"]; fmt.Sprint(total) != "8" {
				t.Errorf("_summary=count total %v, want 8: %s", total, r.body)
			}
		})

		// Pages resume after the last one's place in the answer's order,
		// so an Observation written between two pages, of a code the
		// first page answered, neither repeats nor skips one; a next link
		// of _offset, as earlier answers gave, is still followed.
		t.Run("paged while written", func(t *testing.T) {
			p3 := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}],"name":[{"family":"Paged","given":["Cy"]}]}`)
			glu1 := create(t, c, "Observation", lastNObservation(p3, "laboratory", []string{glu}, at(1)))
			glu2 := create(t, c, "Observation", lastNObservation(p3, "laboratory", []string{glu}, at(2)))
			temp1 := vital(p3, temp, at(3))
			temp2 := vital(p3, temp, at(4))
			hr1 := vital(p3, hr, at(5))
			hr2 := vital(p3, hr, at(6))
			rr1 := vital(p3, rr, at(7))
			// page reads a page (a searchset is read as history is).
			page := func(url string) (ids []string, next string) {
				t.Helper()
				rs, next := historyPage(t, c, url)
				for _, r := range rs {
					ids = append(ids, r["id"].(string))
				}
				return ids, next
			}
			first := "/fhir/Observation/$lastn?patient=" + p3 + "&max=3&_count=3"
			got, next := page(first)
			if !strings.Contains(next, "_cursor=") || strings.Contains(next, "_offset=") {
				t.Errorf("next link %s, want a _cursor and no _offset", next)
			}
			// The newest of the first page's first code, written now: an
			// offset would answer temp2 again.
			create(t, c, "Observation", lastNObservation(p3, "laboratory", []string{glu}, at(9)))
			for pages := 1; next != "" && pages < 10; pages++ {
				var ids []string
				ids, next = page(next)
				got = append(got, ids...)
			}
			want := []string{glu2, glu1, temp2, temp1, hr2, hr1, rr1}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("paged by 3 with glucose written after the first page (-want +got):\n%s", diff)
			}
			// Now three of glucose: the three after them are temperature's
			// and the newest heart rate.
			ids, next := page(first + "&_offset=3")
			if diff := cmp.Diff([]string{temp2, temp1, hr2}, ids); diff != "" || !strings.Contains(next, "_cursor=") {
				t.Errorf("_offset=3 (-want +got):\n%s\nnext %s, want a _cursor", diff, next)
			}
			if ids, _ := page(next); len(ids) == 0 || ids[0] != hr1 {
				t.Errorf("after _offset=3, the next link answered %v, want from %s", ids, hr1)
			}
		})

		t.Run("refused", func(t *testing.T) {
			for _, tc := range []struct{ q, expr string }{
				{"category=vital-signs", "patient"},
				{"code=" + hr + "&max=2", "patient"},
				{"patient:missing=false", "patient"},
				{"patient=" + p1 + "&max=0", "max"},
				{"patient=" + p1 + "&max=two", "max"},
				{"patient=" + p1 + "&max=1&max=2", "max"},
				{"patient=" + p1 + "&_sort=date", "_sort"},
				{"patient=" + p1 + "&colour=red", "colour"},
				{"patient=" + p1 + "&_cursor=nonsense", "_cursor"},
				{"patient=" + p1 + "&_cursor=WyJhIl0", "_cursor"},
			} {
				r := c.do("GET", "/fhir/Observation/$lastn?"+tc.q, "", "Prefer", "handling=strict")
				if r.status != 400 || !isOutcome(r) || !strings.Contains(string(r.body), `"expression":["`+tc.expr+`"]`) {
					t.Errorf("$lastn?%s: %d %s, want 400 naming %s", tc.q, r.status, r.body, tc.expr)
				}
			}
			// Without Prefer: handling=strict an unknown parameter is left
			// out, an outcome entry naming it.
			if r := c.do("GET", "/fhir/Observation/$lastn?patient="+p1+"&colour=red", ""); r.status != 200 || !strings.Contains(string(r.body), `"mode":"outcome"`) || !strings.Contains(string(r.body), `"expression":["colour"]`) {
				t.Errorf("$lastn with colour=red: %d %s, want 200 with an outcome entry naming colour", r.status, r.body)
			}
			// Checked as a search of Observation: a token that may read
			// only patients may not.
			patientsOnly := &client{t, f.base, "a-patient-read"}
			if r := patientsOnly.do("GET", "/fhir/Observation/$lastn?patient="+p1, ""); r.status != 403 || !isOutcome(r) {
				t.Errorf("$lastn with Patient.read only: %d %s, want 403", r.status, r.body)
			}
			// Another trust sees none of them.
			if got := f.b.searchIDs(t, "/fhir/Observation/$lastn?patient="+p1); len(got) != 0 {
				t.Errorf("$lastn of trust A's patient by trust B = %v, want none", got)
			}
		})

		t.Run("capability", func(t *testing.T) {
			body := string(c.do("GET", "/fhir/metadata", "").body)
			if !strings.Contains(body, `{"name":"lastn","definition":"http://hl7.org/fhir/OperationDefinition/Observation-lastn"}`) {
				t.Errorf("the CapabilityStatement does not list $lastn for Observation")
			}
		})
	})
}
