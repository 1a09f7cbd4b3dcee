package fhir_test

import (
	"cmp"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// pages follows a search's next links from its first page and returns
// the ids of every match in the order served, failing on a page that is
// not a searchset or an id served twice.
func pages(t *testing.T, c *client, first string, header ...string) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	for u, n := "/fhir/"+first, 0; u != ""; n++ {
		if n > 50 {
			t.Fatalf("%s: more than 50 pages", first)
		}
		r := c.do("GET", u, "", header...)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", u, r.status, r.body)
		}
		b := r.json(t)
		es, _ := b["entry"].([]any)
		for _, e := range es {
			if s, _ := e.(map[string]any)["search"].(map[string]any); s != nil && s["mode"] == "outcome" {
				continue // what a lenient search left out
			}
			res := e.(map[string]any)["resource"].(map[string]any)
			id := res["id"].(string)
			if seen[id] {
				t.Fatalf("%s: %s served twice (page %d, %s)", first, id, n, u)
			}
			seen[id] = true
			ids = append(ids, id)
		}
		u = ""
		for _, l := range b["link"].([]any) {
			if l := l.(map[string]any); l["relation"] == "next" {
				u = l["url"].(string)
				if !strings.Contains(u, "_sort=") && strings.Contains(first, "_sort=") {
					t.Errorf("%s: next link %s drops _sort", first, u)
				}
			}
		}
	}
	return ids
}

// matches reads the matches of a search's first page, as served.
func matches(t *testing.T, c *client, q string) []map[string]any {
	t.Helper()
	r := c.do("GET", "/fhir/"+q, "")
	if r.status != 200 {
		t.Fatalf("%s: %d %s", q, r.status, r.body)
	}
	var out []map[string]any
	es, _ := r.json(t)["entry"].([]any)
	for _, e := range es {
		out = append(out, e.(map[string]any)["resource"].(map[string]any))
	}
	return out
}

// everything reads every match of a search on one page, as served.
func everything(t *testing.T, c *client, q string) []map[string]any {
	t.Helper()
	return matches(t, c, q+"&_count=1000")
}

// sortKey is one key of an expected order: the value of a served
// resource ("" for none, sorted last) and whether it sorts descending.
type sortKey struct {
	value func(map[string]any) string
	desc  bool
}

// ordered returns the ids of rs in the order of the keys, then by id.
func ordered(rs []map[string]any, keys ...sortKey) []string {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b map[string]any) int {
		for _, k := range keys {
			va, vb := k.value(a), k.value(b)
			switch {
			case va == vb:
				continue
			case va == "":
				return 1
			case vb == "":
				return -1
			}
			c := strings.Compare(va, vb)
			if k.desc {
				c = -c
			}
			return c
		}
		return cmp.Compare(a["id"].(string), b["id"].(string))
	})
	return ids(rs)
}

func str(path ...string) func(map[string]any) string {
	return func(r map[string]any) string {
		var v any = r
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		s, _ := v.(string)
		return s
	}
}

// TestSortTypedCore sorts searches of the typed core with _sort:
// Patient (sorted by the database), Encounter and Appointment (a
// patient's records) ascending, descending and by two keys, followed
// page by page; an unknown key is refused naming it, or left out when
// the search asks to be lenient.
func TestSortTypedCore(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		ctx := context.Background()

		// Patients of two family names starting "Sortby", given names and
		// birth dates in no order, two sharing a birth date.
		gen := demo.NewGenerator(7)
		var ps []*crs.Patient
		for i, n := range []struct{ family, given, born string }{
			{"Sortbyb", "Qzcarol", "1970-05-01"}, {"Sortbya", "Qzalice", "1985-01-30"}, {"Sortbyb", "Qzbob", "1950-12-12"},
			{"Sortbya", "Dan", "1970-05-01"}, {"Sortbya", "Eve", "2001-07-04"}, {"Sortbyb", "Fay", "1966-03-15"},
			{"Sortbya", "Gus", "1991-11-11"},
		} {
			p := gen.Patient()
			p.FamilyName, p.GivenName, p.OtherNames, p.Title = n.family, n.given, "", ""
			p.BirthDate, _ = crs.ParseDate(n.born)
			p.Gender = []string{"1", "2"}[i%2]
			ps = append(ps, p)
		}
		if _, err := db.LoadPatients(ctx, f.trustA.System, ps, crs.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		sortby := everything(t, c, "Patient?family=sortby")
		if len(sortby) != len(ps) {
			t.Fatalf("Patient?family=sortby found %d, want %d", len(sortby), len(ps))
		}
		family := func(r map[string]any) string {
			return strings.ToLower(str("family")(r["name"].([]any)[0].(map[string]any)))
		}
		given := func(r map[string]any) string {
			return strings.ToLower(r["name"].([]any)[0].(map[string]any)["given"].([]any)[0].(string))
		}
		born := str("birthDate")

		// The patient with the most encounters and appointments.
		pats, err := db.LivePatientIDs(ctx, f.trustA.Org.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		var pid string
		most := 0
		for _, id := range pats {
			n := min(len(everything(t, c, "Encounter?patient=Patient/"+id)), len(everything(t, c, "Appointment?patient=Patient/"+id)))
			if n > most {
				pid, most = id, n
			}
		}
		if most < 3 {
			t.Fatalf("no patient of the journey has 3 encounters and 3 appointments (most %d)", most)
		}
		// Encounters other systems sent, kept in the resource store and
		// sorted with the PAS's: one before and two after all of them.
		for _, start := range []string{"1990-01-02T10:00:00Z", "2100-01-02T10:00:00Z", "2050-06-01T10:00:00Z"} {
			r := c.do("POST", "/fhir/Encounter", `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/`+pid+`"},"period":{"start":"`+start+`","end":"`+start+`"}}`)
			if r.status != 201 {
				t.Fatalf("create an Encounter: %d %s", r.status, r.body)
			}
		}
		encounters := everything(t, c, "Encounter?patient=Patient/"+pid)
		if stored := slices.DeleteFunc(ids(encounters), func(id string) bool { return strings.Contains("ip-ae-op-", id[:3]) }); len(stored) != 3 {
			t.Fatalf("Encounter?patient=Patient/%s found %v of the resource store, want the 3 created", pid, stored)
		}
		// Searched without a patient, the trust's records are read in the
		// order of their date, or, sorted by what no column gives, read
		// whole and sorted, the resource store's with the PAS's; a page
		// of such a sort starts within the first 10,000 matches.
		finished := everything(t, c, "Encounter?status=finished")
		trustAppointments := everything(t, c, "Appointment?")
		if r := c.do("GET", "/fhir/Encounter?status=finished&_sort=class&_offset=10000", ""); r.status != 400 || !strings.Contains(string(r.body), "10000") {
			t.Errorf("Encounter?status=finished&_sort=class&_offset=10000: %d %s, want 400 naming the limit", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Encounter?status=finished&_sort=-date&_offset=10000", ""); r.status != 200 {
			t.Errorf("Encounter?status=finished&_sort=-date&_offset=10000: %d %s, want 200", r.status, r.body)
		}
		appointments := everything(t, c, "Appointment?patient=Patient/"+pid)
		start := str("period", "start")
		// The trust's patients, and those of one gender, sorted with no
		// other criterion.
		trust := everything(t, c, "Patient?")
		female := slices.DeleteFunc(slices.Clone(trust), func(r map[string]any) bool { return r["gender"] != "female" })
		before1980 := slices.DeleteFunc(slices.Clone(trust), func(r map[string]any) bool { return born(r) >= "1980" })

		for _, tc := range []struct {
			name  string
			query string
			all   []map[string]any
			keys  []sortKey
		}{
			{"Patient birthdate", "Patient?family=sortby&_sort=birthdate", sortby, []sortKey{{born, false}}},
			{"Patient -birthdate", "Patient?family=sortby&_sort=-birthdate", sortby, []sortKey{{born, true}}},
			{"Patient family,-given", "Patient?family=sortby&_sort=family,-given", sortby, []sortKey{{family, false}, {given, true}}},
			{"Patient -family,birthdate", "Patient?family=sortby&_sort=-family,birthdate", sortby, []sortKey{{family, true}, {born, false}}},
			{"Patient given", "Patient?name=sortby&_sort=given", sortby, []sortKey{{given, false}}},
			{"Patient by a given name -birthdate", "Patient?name=qz&_sort=-birthdate",
				slices.DeleteFunc(slices.Clone(sortby), func(r map[string]any) bool { return !strings.HasPrefix(given(r), "qz") }), []sortKey{{born, true}}},
			{"Patient given alone family,given", "Patient?given=qz&_sort=family,given",
				slices.DeleteFunc(slices.Clone(sortby), func(r map[string]any) bool { return !strings.HasPrefix(given(r), "qz") }), []sortKey{{family, false}, {given, false}}},
			{"Patient by identifier -birthdate", "Patient?identifier=" + strings.Join([]string{ps[0].NHSNumber, ps[2].NHSNumber, ps[3].NHSNumber, ps[5].NHSNumber}, ",") + "&_sort=-birthdate",
				slices.DeleteFunc(slices.Clone(sortby), func(r map[string]any) bool {
					return !slices.ContainsFunc([]int{0, 2, 3, 5}, func(i int) bool { return nhsNumberOf(r) == ps[i].NHSNumber })
				}), []sortKey{{born, true}}},
			{"the trust's patients -birthdate", "Patient?_sort=-birthdate", trust, []sortKey{{born, true}}},
			{"the trust's patients -_id", "Patient?_sort=-_id", trust, []sortKey{{str("id"), true}}},
			{"the trust's women family,given", "Patient?gender=female&_sort=family,given", female, []sortKey{{family, false}, {given, false}}},
			{"the trust's patients born before 1980 -birthdate", "Patient?birthdate=lt1980&_sort=-birthdate", before1980, []sortKey{{born, true}}},
			{"the trust's patients with a family name, born before 1980 family,-birthdate", "Patient?family:missing=false&birthdate=lt1980&_sort=family,-birthdate", before1980, []sortKey{{family, false}, {born, true}}},
			{"Encounter date", "Encounter?patient=Patient/" + pid + "&_sort=date", encounters, []sortKey{{start, false}}},
			{"Encounter -date", "Encounter?patient=Patient/" + pid + "&_sort=-date", encounters, []sortKey{{start, true}}},
			{"Encounter status,-date", "Encounter?patient=Patient/" + pid + "&_sort=status,-date", encounters, []sortKey{{str("status"), false}, {start, true}}},
			{"Encounter -_id", "Encounter?patient=Patient/" + pid + "&_sort=-_id", encounters, []sortKey{{str("id"), true}}},
			{"Appointment date", "Appointment?patient=Patient/" + pid + "&_sort=date", appointments, []sortKey{{str("start"), false}}},
			{"Appointment -date", "Appointment?patient=Patient/" + pid + "&_sort=-date", appointments, []sortKey{{str("start"), true}}},
			{"Appointment -status,date", "Appointment?patient=Patient/" + pid + "&_sort=-status,date", appointments, []sortKey{{str("status"), true}, {str("start"), false}}},
			{"the trust's finished encounters -date", "Encounter?status=finished&_sort=-date", finished, []sortKey{{start, true}}},
			{"the trust's appointments date,-_id", "Appointment?_sort=date,-_id", trustAppointments, []sortKey{{str("start"), false}, {str("id"), true}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				want := ordered(tc.all, tc.keys...)
				if len(want) < 3 {
					t.Fatalf("%s: %d matches, want 3 or more to page", tc.query, len(want))
				}
				count := max(2, len(want)/5) // five pages or so
				got := pages(t, c, tc.query+"&_count="+strconv.Itoa(count))
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Errorf("%s, 2 a page (-want +got):\n%s", tc.query, diff)
				}
				if !slices.Equal(want, ordered(tc.all, slices.Concat(tc.keys, []sortKey{{str("id"), false}})...)) {
					t.Fatal("ordered is not stable by id")
				}
			})
		}

		t.Run("Patient total", func(t *testing.T) {
			// Counted when asked for, as the resource store counts.
			for q, want := range map[string]any{"_total=accurate&_count=2": json.Number("7"), "_summary=count": json.Number("7"), "_count=2": nil} {
				b := c.do("GET", "/fhir/Patient?family=sortby&_sort=-birthdate&"+q, "").json(t)
				if b["total"] != want {
					t.Errorf("Patient?family=sortby&_sort=-birthdate&%s: total %v, want %v", q, b["total"], want)
				}
			}
		})
		t.Run("unknown key", func(t *testing.T) {
			for _, q := range []string{"Encounter?patient=Patient/" + pid + "&_sort=date,nosuch", "Patient?family=sortby&_sort=telecom", "Appointment?patient=Patient/" + pid + "&_sort=-nosuch",
				"Observation?subject=Patient/" + pid + "&_sort=code-value-quantity", "Location?_sort=near"} {
				r := c.do("GET", "/fhir/"+q, "", "Prefer", "handling=strict")
				key := strings.TrimPrefix(q[strings.LastIndexAny(q, ",=")+1:], "-")
				if r.status != 400 || !strings.Contains(string(r.body), key) || !strings.Contains(string(r.body), "OperationOutcome") {
					t.Errorf("%s: %d %s, want 400 naming %s", q, r.status, r.body, key)
				}
				r = c.do("GET", "/fhir/"+q, "", "Prefer", "handling=lenient")
				if r.status != 200 {
					t.Errorf("%s, lenient: %d %s, want 200", q, r.status, r.body)
					continue
				}
				self := r.json(t)["link"].([]any)[0].(map[string]any)["url"].(string)
				u, _ := url.Parse(self)
				if strings.Contains(u.Query().Get("_sort"), key) {
					t.Errorf("%s, lenient: self link %s keeps %s", q, self, key)
				}
			}
			got := pages(t, c, "Patient?family=sortby&_sort=nosuch,-birthdate&_count=3", "Prefer", "handling=lenient")
			if diff := gocmp.Diff(ordered(sortby, sortKey{born, true}), got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("lenient _sort=nosuch,-birthdate (-want +got):\n%s", diff)
			}
		})
	})
}

// nhsNumberOf is a served Patient's NHS number.
func nhsNumberOf(r map[string]any) string {
	ids, _ := r["identifier"].([]any)
	for _, id := range ids {
		if id := id.(map[string]any); id["system"] == fhir.SystemNHSNumber {
			v, _ := id["value"].(string)
			return v
		}
	}
	return ""
}

// ids are the ids of served resources.
func ids(rs []map[string]any) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r["id"].(string)
	}
	return out
}
