package fhir_test

import (
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatientSearchMiddleNameTitle searches the PMI by a middle name and
// by a title, which R4's name matches as every part of a HumanName (and
// given, every given name): starts with, :exact and :contains, each led
// by the PMI's index of that part.
func TestPatientSearchMiddleNameTitle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		ids := map[string]string{}
		for who, body := range map[string]string{
			"doctor": `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000131"}],"name":[{"prefix":["Dr"],"given":["Ann","Rosalind"],"family":"Middlecot"}],"birthDate":"1961-02-03","gender":"female"}`,
			"mister": `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000158"}],"name":[{"prefix":["Mr"],"given":["Rosco"],"family":"Drayton"}],"birthDate":"1962-03-04","gender":"male"}`,
		} {
			r := c.do("POST", "/fhir/Patient", body)
			if r.status != 201 {
				t.Fatalf("%s: %d %s", who, r.status, r.body)
			}
			ids[who] = "Patient/" + r.json(t)["id"].(string)
		}
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"name=rosalind", []string{"doctor"}},
			{"name=Rosal", []string{"doctor"}},
			{"given=Rosal", []string{"doctor"}},
			{"name:exact=Rosalind", []string{"doctor"}},
			{"name:exact=rosalind", nil},
			{"name:contains=SALI", []string{"doctor"}},
			{"name=ros", []string{"doctor", "mister"}},
			{"name=dr", []string{"doctor", "mister"}}, // the title Dr, the family name Drayton
			{"name:exact=Dr", []string{"doctor"}},
			{"name=mr", []string{"mister"}},
			{"name=mr&gender=female", nil},
			{"family=rosalind", nil},
			{"given=dr", nil},
		} {
			var want []string
			for _, w := range tc.want {
				want = append(want, ids[w])
			}
			got, _ := pageAll(t, c, "Patient?"+tc.query, 5)
			sameSet(t, tc.query, idsOf(t, tc.query, got), want)
		}
	})
}
