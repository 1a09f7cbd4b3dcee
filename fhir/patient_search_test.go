package fhir_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
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

// TestPatientSearchFamilyParts: the parts of a family name of several,
// spaced or hyphenated, are searched independently (as R4 asks of a
// search by family name), by the patient index and by the resource
// store, with a date of birth or without; :exact takes the whole name,
// and a sort by name takes it whole too.
func TestPatientSearchFamilyParts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		mk := func(typ, body string) string {
			t.Helper()
			r := c.do("POST", "/fhir/"+typ, body)
			if r.status != 201 {
				t.Fatalf("create %s: %d %s", typ, r.status, r.body)
			}
			return r.json(t)["id"].(string)
		}
		maria := mk("Patient", `{"resourceType":"Patient","name":[{"family":"Carreno Quinones","given":["Maria"]}],"gender":"female","birthDate":"1981-03-03"}`)
		ann := mk("Patient", `{"resourceType":"Patient","name":[{"family":"Smythe-Jones","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"}`)
		jones := mk("Patient", `{"resourceType":"Patient","name":[{"family":"Jones","given":["Bob"]}],"gender":"male","birthDate":"1960-07-08"}`)
		ids := func(q string) string {
			t.Helper()
			got := c.searchIDs(t, "/fhir/Patient?"+q)
			slices.Sort(got)
			return strings.Join(got, ",")
		}
		both := []string{ann, jones}
		slices.Sort(both)
		for _, tc := range []struct{ q, want string }{
			{"family=quinones", maria},
			{"family=QUIN", maria},
			{"family=carreno", maria},
			{"family=carreno%20quinones", maria},
			{"family=quinones&given=maria", maria},
			{"family=quinones&birthdate=1981-03-03", maria},
			{"name=quinones", maria},
			{"family=jones", strings.Join(both, ",")},
			{"family=jones&given=ann", ann},
			{"family=jones&birthdate=1970-05-01", ann},
			{"name=jones&gender=female", ann},
			{"family:exact=Quinones", ""},
			{"family:exact=Smythe-Jones", ann},
			{"family=nones", ""},
		} {
			if got := ids(tc.q); got != tc.want {
				t.Errorf("Patient?%s = [%s], want [%s]", tc.q, got, tc.want)
			}
		}
		// The resource store's names: a RelatedPerson's.
		smythe := mk("RelatedPerson", `{"resourceType":"RelatedPerson","patient":{"reference":"Patient/`+ann+`"},"name":[{"family":"Smythe-Jones","given":["Tom"]}]}`)
		kemp := mk("RelatedPerson", `{"resourceType":"RelatedPerson","patient":{"reference":"Patient/`+ann+`"},"name":[{"family":"Kemp","given":["Liz"]}]}`)
		for _, tc := range []struct{ q, want string }{
			{"name=jones", smythe},
			{"name=smythe", smythe},
			{"name:exact=Jones", ""},
			{"name=jones&_sort=name", smythe},
			{"_sort=name", kemp + "," + smythe}, // Kemp before Smythe-Jones: not sorted under Jones
		} {
			if got := strings.Join(c.searchIDs(t, "/fhir/RelatedPerson?"+tc.q), ","); got != tc.want {
				t.Errorf("RelatedPerson?%s = [%s], want [%s]", tc.q, got, tc.want)
			}
		}
	})
}

// TestPatientSearchFindsEveryCandidate: a Patient search the patient
// index leads answers every patient it finds, page after page, when they
// are more than the 200 it read (it answered those 200 as if they were
// all, total 200), and those found by an identifier kept beside their
// record; one finding more than a search reads is refused (400, too
// costly), never answered from some.
func TestPatientSearchFindsEveryCandidate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := startPAS(t, db, clock).a
		const many = 230
		var entries []string
		for i := range many {
			entries = append(entries, fmt.Sprintf(`{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","name":[{"family":"Manyfold","given":["Ann%c%c"]}],"birthDate":"1970-01-01"}}`, 'a'+i/26, 'a'+i%26))
		}
		if r := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`); r.status != 200 {
			t.Fatalf("register %d patients: %d %.300s", many, r.status, r.body)
		}
		for _, q := range []string{"family=manyfold", "name=manyf", "family=Manyfold&birthdate=1970-01-01"} {
			if r := c.do("GET", "/fhir/Patient?_summary=count&"+q, ""); fmt.Sprint(r.json(t)["total"]) != fmt.Sprint(many) {
				t.Errorf("%s: total %v, want %d", q, r.json(t)["total"], many)
			}
			found := strings.Split(foundAll(t, c, "/fhir/Patient?_count=100&"+q), ",")
			if slices.Sort(found); len(slices.Compact(found)) != many {
				t.Errorf("%s: %d patients paged through, want %d", q, len(found), many)
			}
		}
		// Patients found by another system's identifier kept beside
		// their record are read whole too.
		for range 3 {
			create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://example.org/ward-list","value":"kept-1"}],"name":[{"family":"Kept","given":["Ann"]}],"birthDate":"1971-01-01"}`)
		}
		restore := fhir.SetPMICandidates(3)
		if got := len(c.searchIDs(t, "/fhir/Patient?identifier=https://example.org/ward-list|kept-1")); got != 3 {
			t.Errorf("by a kept identifier: %d patients, want 3", got)
		}
		create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://example.org/ward-list","value":"kept-1"}],"name":[{"family":"Kept","given":["Bea"]}],"birthDate":"1971-01-01"}`)
		if r := c.do("GET", "/fhir/Patient?identifier=https://example.org/ward-list|kept-1", ""); r.status != 400 || !strings.Contains(string(r.body), "too-costly") {
			t.Errorf("a kept identifier held by more than a search reads: %d %.300s, want 400 too-costly", r.status, r.body)
		}
		restore()
		restore = fhir.SetPMICandidates(100)
		defer restore()
		if r := c.do("GET", "/fhir/Patient?family=manyfold", ""); r.status != 400 || !isOutcome(r) || !strings.Contains(string(r.body), "too-costly") {
			t.Errorf("a search finding more than a search reads: %d %.300s, want 400 too-costly", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Patient?family=manyfold&given=annah", ""); r.status != 200 || len(entryIDs(t, r)) == 0 {
			t.Errorf("narrowed by a given name: %d %.300s, want the patient", r.status, r.body)
		}
	})
}
