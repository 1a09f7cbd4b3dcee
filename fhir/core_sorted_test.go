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

// TestSortedScanInOrder checks the sorted searches of the trust's
// encounters and appointments by date that name no patient, read in the
// order of the records' starts: each page is the page reading every
// match gives (ascending and descending, records starting in the same
// second in the same table and across tables, with status, class and
// date filters, by a further key, at offsets that end pages within and
// across tables, counted when asked), paging through every match
// serves each once in order, a page past the 10,000th match is
// answered, and a first page reads about what it shows, not the trust.
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
				} else if got["total"] != nil {
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
