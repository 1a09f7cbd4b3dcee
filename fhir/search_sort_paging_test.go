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

// TestSortedPagingStable checks that the pages of a sorted search of the
// resource store follow each other by a place in the search's order, not
// by an offset: every match is answered once, in order (no value last,
// equal values by id), back and forth, and a resource written or moved
// between two pages neither repeats nor skips one of those left.
func TestSortedPagingStable(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		pid := annWithPulses(t, c)
		obs := func(date string, value float64) string {
			eff := ""
			if date != "" {
				eff = fmt.Sprintf(`,"effectiveDateTime":%q`, date)
			}
			return create(t, c, "Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},"subject":{"reference":"Patient/%s"}%s,"valueQuantity":{"value":%g,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}}`, pid, eff, value))
		}
		type made struct {
			id, date string
			value    float64
		}
		var all []made
		for i, d := range []string{"2026-03-05", "2026-01-10", "", "2026-02-20", "2026-03-05", "2026-04-01", "", "2026-01-02"} {
			v := float64(5 + i%3)
			all = append(all, made{obs(d, v), d, v})
		}
		// The order wanted: by date down, those with none last, equal
		// dates (and no dates) by id.
		want := slices.Clone(all)
		slices.SortFunc(want, func(a, b made) int {
			switch {
			case a.date == "" && b.date != "":
				return 1
			case a.date != "" && b.date == "":
				return -1
			case a.date != b.date:
				return strings.Compare(b.date, a.date)
			}
			return strings.Compare(a.id, b.id)
		})
		var wantIDs []string
		for _, m := range want {
			wantIDs = append(wantIDs, m.id)
		}
		search := "/fhir/Observation?subject=Patient/" + pid + "&code=2339-0&_sort=-date&_count=3"
		pages := func(from string) ([][]string, map[string]any) {
			var got [][]string
			var last map[string]any
			for u := from; u != ""; u = nextLink(last) {
				r := c.do("GET", u, "")
				if r.status != 200 {
					t.Fatalf("%s: %d %s", u, r.status, r.body)
				}
				last = r.json(t)
				got = append(got, entryIDsOf(last))
				if len(got) > 10 {
					t.Fatalf("%s: more than 10 pages", from)
				}
			}
			return got, last
		}
		forward, last := pages(search)
		if got := slices.Concat(forward...); !slices.Equal(got, wantIDs) {
			t.Fatalf("pages of %s: %v, want %v", search, forward, wantIDs)
		}
		for _, p := range forward {
			if len(p) > 3 {
				t.Fatalf("a page of more than _count: %v", forward)
			}
		}
		if strings.Contains(nextLinkOfPage(t, c, search), "_offset") {
			t.Errorf("the next link of a sorted page is by offset: %s", nextLinkOfPage(t, c, search))
		}
		// Back from the last page, through its previous links.
		var back [][]string
		for _, page := range previousPages(t, c, last) {
			back = append(back, entryIDsOf(page))
		}
		slices.Reverse(back)
		if got := slices.Concat(append(back, forward[len(forward)-1])...); !slices.Equal(got, wantIDs) {
			t.Errorf("back from the last page: %v then %v, want %v", back, forward[len(forward)-1], wantIDs)
		}

		// Between the first page and the second, a newest result arrives
		// and one of the second page's is moved before the first page:
		// the pages after the first answer the rest of the first
		// answer, each once.
		first := c.do("GET", search, "").json(t)
		obs("2026-06-30", 9)
		moved := wantIDs[4]
		if r := c.do("PUT", "/fhir/Observation/"+moved, fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},"subject":{"reference":"Patient/%s"},"effectiveDateTime":"2026-07-01"}`, moved, pid)); r.status != 200 {
			t.Fatalf("PUT %s: %d %s", moved, r.status, r.body)
		}
		rest, _ := pages(nextLink(first))
		var wantRest []string
		for _, id := range wantIDs[3:] {
			if id != moved {
				wantRest = append(wantRest, id)
			}
		}
		if got := slices.Concat(rest...); !slices.Equal(got, wantRest) {
			t.Errorf("the pages after the first, written between: %v, want %v", rest, wantRest)
		}

		// Sorted up by a number, with _id to break ties the other way.
		up := "/fhir/Observation?subject=Patient/" + pid + "&code=2339-0&_sort=value-quantity,-_id&_count=2"
		got, _ := pages(up)
		var values []string
		byID := map[string]float64{}
		for _, m := range all {
			byID[m.id] = m.value
		}
		flat := slices.Concat(got...)
		for i, id := range flat {
			values = append(values, fmt.Sprint(byID[id]))
			if i > 0 {
				a, b := flat[i-1], id
				_, aok := byID[a]
				_, bok := byID[b]
				if aok && bok && (byID[a] > byID[b] || byID[a] == byID[b] && a < b) {
					t.Errorf("%s: %s (%v) before %s (%v)", up, a, byID[a], b, byID[b])
				}
			}
		}
		if len(flat) != len(all)+1 {
			t.Errorf("%s: %d matches over its pages, want %d: %v", up, len(flat), len(all)+1, got)
		}

		// A cursor of another search, or of none, is refused.
		next, _ := url.Parse(nextLinkOfPage(t, c, search))
		sortCursor := next.Query().Get("_cursor")
		for _, path := range []string{
			search + "&_cursor=" + wantIDs[0],
			search + "&_cursor=sort:not-base64!",
			"/fhir/Observation?code=2339-0&_count=3&_cursor=" + url.QueryEscape(sortCursor),
			"/fhir/Observation?code=2339-0&_sort=-date,_id&_count=3&_cursor=" + url.QueryEscape(sortCursor),
		} {
			if r := c.do("GET", path, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %.300s, want 400", path, r.status, r.body)
			}
		}
	})
}

// nextLinkOfPage is the next link of the first page of a search.
func nextLinkOfPage(t *testing.T, c *client, path string) string {
	t.Helper()
	return nextLink(c.do("GET", path, "").json(t))
}
