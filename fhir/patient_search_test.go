package fhir_test

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatientSearchByAnyName searches the patient index as R4 searches a
// HumanName: name on any part, family and given on theirs, starting with
// the value but for case and accents, :exact and :contains, and phonetic
// on names that sound alike; the names the PMI holds and those kept
// beside the record.
func TestPatientSearchByAnyName(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		mk := func(body string) string {
			t.Helper()
			r := c.do("POST", "/fhir/Patient", body)
			if r.status != 201 {
				t.Fatalf("register: %d %s", r.status, r.body)
			}
			return r.json(t)["id"].(string)
		}
		peter := mk(`{"resourceType":"Patient","name":[{"use":"official","family":"Chalmers","given":["Peter","James"],"prefix":["Mr"]},{"use":"usual","given":["Jim"]},{"use":"maiden","family":"Windsor","given":["Peter"]}],"gender":"male","birthDate":"1974-12-25"}`)
		zoe := mk(`{"resourceType":"Patient","name":[{"family":"Smith","given":["Zoë"]}],"gender":"female","birthDate":"1980-01-02"}`)
		ids := func(q string) string {
			t.Helper()
			return strings.Join(c.searchIDs(t, "/fhir/Patient?"+q), ",")
		}
		for _, tc := range []struct{ q, want string }{
			{"name=peter", peter},
			{"name=PET", peter},
			{"name=chalm", peter},
			{"name=zoe", zoe},
			{"name=ZOË", zoe},
			{"name=eter", ""},
			{"name:exact=Peter", peter},
			{"name:exact=Pete", ""},
			{"name:contains=ete", peter},
			{"name:contains=mit", zoe},
			{"name:contains=alme", peter},
			{"given=peter", peter},
			{"given=zo", zoe},
			{"given=chalmers", ""},
			{"given:contains=oe", zoe},
			{"family=smith", zoe},
			{"family=zoe", ""},
			{"family:contains=almer", peter},
			{"family=chalmers&given=peter", peter},
			{"name=peter&gender=female", ""},
			{"given=peter&name=chalmers", peter},
			// Names the PMI does not hold, kept beside the record.
			{"given=jim", peter},
			{"name=JIM", peter},
			{"family=winds", peter},
			{"name:contains=indso", peter},
			{"family=windsor&given=peter", peter},
			{"phonetic=Chalmurs", peter},
			{"phonetic=Smyth", zoe},
			{"phonetic=Jones", ""},
		} {
			if got := ids(tc.q); got != tc.want {
				t.Errorf("Patient?%s = [%s], want [%s]", tc.q, got, tc.want)
			}
		}
	})
}
