package fhir_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSortedScanInOrder checks the sorted searches of the trust's
// encounters and appointments by date that name no patient, read in the
// order of the records' starts: each page is the page reading every
// match gives (ascending and descending, records starting in the same
// second in the same table and across tables, with status, class and
// date filters, by a further key, at offsets that end pages within and
// across tables, counted when asked), paging through every match
// serves each once in order, a page past the 10,000th match is
// answered, and a first page reads about what it shows, not the trust;
// so are the trust's slots by start.
func TestSortedScanInOrder(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		loadCore(t, db, f.trustA, 1800, 6)
		c := f.a
		get := func(q string) map[string]any {
			t.Helper()
			r := c.do("GET", "/fhir/"+q, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %s", q, r.status, r.body)
			}
			return r.json(t)
		}
		entryIDs := func(b map[string]any) []string {
			var out []string
			es, _ := b["entry"].([]any)
			for _, e := range es {
				out = append(out, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
			}
			return out
		}
		for _, q := range []string{
			"Encounter?_sort=date&_count=25",
			"Encounter?_sort=-date&_count=25&_offset=40",
			"Encounter?status=finished&_sort=-date&_count=10&_offset=300",
			"Encounter?class=EMER&_sort=date&_count=7&_offset=50",
			"Encounter?class=IMP,EMER&_sort=-date&_count=30&_offset=100&_total=accurate",
			"Encounter?_sort=-date,-class&_count=40&_offset=1000",
			"Encounter?date=lt2025-02-01&_sort=-date&_count=20&_offset=5&_total=accurate",
			"Encounter?status=in-progress&_sort=date",
			"Encounter?_sort=date&_count=10&_offset=6355",
			"Appointment?_sort=date&_count=30&_offset=9950",
			"Appointment?status=fulfilled&_sort=-date&_count=15&_offset=2000",
			"Appointment?date=ge2025-01-20&_sort=date&_count=20&_total=accurate",
			"Appointment?_sort=date&_summary=count",
		} {
			t.Run(q, func(t *testing.T) {
				got := get(q)
				restore := fhir.ReadEveryMatch()
				want := get(q)
				restore()
				if g, w := entryIDs(got), entryIDs(want); !slices.Equal(g, w) {
					t.Errorf("page %v,\nreading every match %v", g, w)
				}
				if g, w := nextLink(got), nextLink(want); g != w {
					t.Errorf("next link %q, reading every match %q", g, w)
				}
				if g, w := fmt.Sprint(got["total"]), fmt.Sprint(want["total"]); strings.Contains(q, "_total=") || strings.Contains(q, "_summary=count") {
					if g != w {
						t.Errorf("total %s, reading every match %s", g, w)
					}
				} else if got["total"] != nil && (nextLink(got) != "" || strings.Contains(q, "_offset=") || g != fmt.Sprint(len(entryIDs(got)))) {
					// Only a first page that holds every match says how
					// many there are, unasked.
					t.Errorf("total %s, not asked for", g)
				}
			})
		}

		// Every finished encounter, page by page, each once and in order.
		all := following(t, c, "/fhir/Encounter?status=finished&_count=1000")
		want := ordered(all, sortKey{value: str("period", "start")})
		if got := pages(t, c, "Encounter?status=finished&_sort=date&_count=500"); !slices.Equal(got, want) {
			t.Errorf("Encounter?status=finished&_sort=date paged: %d in another order than the %d sorted", len(got), len(want))
		}

		// A page past the 10,000th match, which reading every match
		// refuses.
		appts := ordered(following(t, c, "/fhir/Appointment?_count=1000"), sortKey{value: str("start")})
		const far = "Appointment?_sort=date&_offset=10500&_count=10"
		if got := entryIDs(get(far)); len(appts) < 10510 || !slices.Equal(got, appts[10500:10510]) {
			t.Errorf("%s: %v, want the 10,501st to 10,510th of %d", far, got, len(appts))
		}
		restore := fhir.ReadEveryMatch()
		if r := c.do("GET", "/fhir/"+far, ""); r.status != 400 {
			t.Errorf("%s reading every match: %d, want 400", far, r.status)
		}
		restore()

		// The trust's slots by start, read in that order either way: the
		// pages of every slot sorted, one past the 10,000th.
		slots := following(t, c, "/fhir/Slot?_count=1000")
		for _, tc := range []struct {
			query         string
			desc          bool
			keep          func(r map[string]any) bool
			offset, count int
		}{
			{"Slot?_sort=start&_count=20&_offset=100", false, nil, 100, 20},
			{"Slot?start=ge2025-02-01&_sort=start&_count=15&_offset=7", false, func(r map[string]any) bool { return str("start")(r) >= "2025-02-01" }, 7, 15},
			{"Slot?status=busy&_sort=start&_count=10&_offset=10300", false, func(r map[string]any) bool { return r["status"] == "busy" }, 10300, 10},
			{"Slot?_sort=-start&_count=12&_offset=50", true, nil, 50, 12},
			{"Slot?start=lt2025-02-01&_sort=-start&_count=9&_offset=3", true, func(r map[string]any) bool { return str("start")(r) < "2025-02-01" }, 3, 9},
			{"Slot?status=busy&_sort=-start&_count=10&_offset=10300", true, func(r map[string]any) bool { return r["status"] == "busy" }, 10300, 10},
		} {
			of := slots
			if tc.keep != nil {
				of = slices.DeleteFunc(slices.Clone(slots), func(r map[string]any) bool { return !tc.keep(r) })
			}
			all := ordered(of, sortKey{str("start"), tc.desc})
			want := all[min(tc.offset, len(all)):min(tc.offset+tc.count, len(all))]
			if got := entryIDs(get(tc.query)); len(got) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s: %v,\nwant %v", tc.query, got, want)
			}
		}

		// The latest slots read about what they show.
		read := 0
		outpatients := f.server.Core.Outpatients
		f.server.Core.Outpatients = slotCounter{outpatients, &read}
		get("Slot?_sort=-start&_count=10")
		f.server.Core.Outpatients = outpatients
		t.Logf("Slot?_sort=-start&_count=10 read %d of the trust's %d slots", read, len(slots))
		if read > 100 {
			t.Errorf("Slot?_sort=-start&_count=10 read %d slots, want at most 100", read)
		}

		// A first page reads about what it shows.
		const first = "Encounter?status=finished&_sort=-date&_count=10"
		n := 0
		restore = fhir.CountRead("Encounter", &n)
		get(first)
		restore()
		if n > 100 {
			t.Errorf("%s read %d records, want at most 100", first, n)
		}
		every := 0
		restoreAll := fhir.ReadEveryMatch()
		restore = fhir.CountRead("Encounter", &every)
		get(first)
		restore()
		restoreAll()
		t.Logf("%s read %d records, and %d reading every match", first, n, every)
		if every < 4000 {
			t.Errorf("%s reading every match read %d records, want the trust's", first, every)
		}
	})
}

// slotCounter is the outpatient service with a count of the slots its
// lists of slots return.
type slotCounter struct {
	crs.OutpatientService
	n *int
}

func (c slotCounter) FindSlots(ctx context.Context, a crs.Actor, q crs.SlotQuery) ([]*crs.Slot, error) {
	sls, err := c.OutpatientService.FindSlots(ctx, a, q)
	*c.n += len(sls)
	return sls, err
}

// TestSortedPatientsByBirth checks the sorted searches of the PMI's
// patients by birth date that no index leads, read in the order of the
// patients' birth dates: each page is the page of every match sorted
// (ascending and descending, patients born on the same day, with a
// range of birth dates and a gender, at offsets, one past the 10,000th
// match), counted when asked.
func TestSortedPatientsByBirth(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		ctx := context.Background()
		gen := demo.NewGenerator(5)
		ps := make([]*crs.Patient, 10200)
		for i := range ps {
			ps[i] = gen.Patient()
			// Three born each day, every third day from 1930.
			ps[i].BirthDate = crs.NewDate(1930, 1, 1+i/3*3)
		}
		if _, err := db.LoadPatients(ctx, f.trustA.System, ps, crs.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		// Every patient as the PMI lists them, by birth date then id.
		var trust []*crs.Patient
		for after := ""; ; {
			page, next, err := store.NewPatientService(db).ScanPatients(ctx, f.trustA.Actor(crs.RoleAdmin), crs.PatientScan{After: after, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			trust = append(trust, page...)
			if after = next; after == "" {
				break
			}
		}
		slices.SortStableFunc(trust, func(a, b *crs.Patient) int { return a.BirthDate.Compare(b.BirthDate.Time) })
		keep := func(desc bool, keep func(p *crs.Patient) bool) []string {
			var ids []string
			for _, p := range trust {
				if keep(p) {
					ids = append(ids, p.ID)
				}
			}
			if desc {
				// Latest first, those born on a day still by id.
				var out []string
				for i := len(trust) - 1; i >= 0; {
					j := i
					for j >= 0 && trust[j].BirthDate.Equal(trust[i].BirthDate.Time) {
						j--
					}
					for _, p := range trust[j+1 : i+1] {
						if keep(p) {
							out = append(out, p.ID)
						}
					}
					i = j
				}
				return out
			}
			return ids
		}
		before1940 := func(p *crs.Patient) bool { return p.BirthDate.Year() < 1940 }
		femaleSince1950 := func(p *crs.Patient) bool { return p.BirthDate.Year() >= 1950 && p.Gender == "2" }
		every := func(p *crs.Patient) bool { return true }
		for _, tc := range []struct {
			query  string
			want   []string
			offset int
		}{
			{"Patient?birthdate=lt1940&_sort=-birthdate&_count=10", keep(true, before1940), 0},
			{"Patient?birthdate=lt1940&_sort=birthdate&_count=10&_offset=200", keep(false, before1940), 200},
			{"Patient?birthdate=ge1950&gender=female&_sort=-birthdate&_count=15&_offset=30&_total=accurate", keep(true, femaleSince1950), 30},
			{"Patient?birthdate=ge1950&gender=female&_sort=birthdate&_count=50&_offset=600", keep(false, femaleSince1950), 600},
			{"Patient?birthdate=ge1900&_sort=birthdate&_count=9&_offset=10050", keep(false, every), 10050},
			{"Patient?birthdate=ge1900&_sort=-birthdate&_count=9&_offset=10100", keep(true, every), 10100},
		} {
			t.Run(tc.query, func(t *testing.T) { sortedPage(t, c, tc.query, tc.want, tc.offset) })
		}
	})
}

// sortedPage checks the page a sorted search answers: the matches of all
// (every match in order) from offset on, and their number as the total
// when the search asks for it.
func sortedPage(t *testing.T, c *client, query string, all []string, offset int) {
	t.Helper()
	r := c.do("GET", "/fhir/"+query, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	b := r.json(t)
	var got []string
	es, _ := b["entry"].([]any)
	for _, e := range es {
		got = append(got, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
	}
	want := all[min(offset, len(all)):min(offset+len(got), len(all))]
	if len(got) == 0 && offset < len(all) || !slices.Equal(got, want) {
		t.Errorf("page %v,\nwant %v", got, want)
	}
	if strings.Contains(query, "_total") && fmt.Sprint(b["total"]) != fmt.Sprint(len(all)) {
		t.Errorf("total %v, want %d", b["total"], len(all))
	}
}

// following reads the resources of a searchset's pages, following its
// next links from path.
func following(t *testing.T, c *client, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for u := path; u != ""; {
		r := c.do("GET", u, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", u, r.status, r.body)
		}
		b := r.json(t)
		es, _ := b["entry"].([]any)
		for _, e := range es {
			out = append(out, e.(map[string]any)["resource"].(map[string]any))
		}
		u = nextLink(b)
	}
	return out
}
