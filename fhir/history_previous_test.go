package fhir_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestHistoryPreviousLinks: a page of history after the first has a
// previous link, and the pages read back through them are the pages read
// forward, in the resource store's history, the patient index's and the
// trust's (the two together); a version written meanwhile does not shift
// them, and heads the history before the first page read; the first page
// has none, and _before with _after is refused.
func TestHistoryPreviousLinks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Paging","given":["Pam"]}],"birthDate":"1970-01-02","gender":"female"}`)
		for i := 0; i < 3; i++ {
			clock.Advance(time.Minute)
			create(t, c, "Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"Pulse"},"subject":{"reference":"Patient/%s"},"valueQuantity":{"value":%d}}`, pid, 60+i))
			clock.Advance(time.Minute)
			r := c.do("PUT", "/fhir/Patient/"+pid, fmt.Sprintf(`{"resourceType":"Patient","id":"%s","name":[{"family":"Paging","given":["Pam"]}],"birthDate":"1970-01-02","gender":"female","telecom":[{"system":"phone","value":"0700000000%d"}]}`, pid, i))
			if r.status != 200 {
				t.Fatalf("PUT Patient: %d %s", r.status, r.body)
			}
		}
		keys := func(page map[string]any) string {
			var out []string
			es, _ := page["entry"].([]any)
			for _, e := range es {
				res := e.(map[string]any)["resource"].(map[string]any)
				out = append(out, fmt.Sprint(res["resourceType"], "/", res["id"], "/", res["meta"].(map[string]any)["versionId"]))
			}
			return strings.Join(out, " ")
		}
		for _, path := range []string{"/fhir/Observation/_history", "/fhir/Patient/_history", "/fhir/_history"} {
			first := c.do("GET", path+"?_count=2", "").json(t)
			if linkOf(first, "previous") != "" {
				t.Errorf("%s: the first page links a previous one", path)
			}
			pages := []map[string]any{first}
			for next := linkOf(first, "next"); next != ""; next = linkOf(pages[len(pages)-1], "next") {
				pages = append(pages, c.do("GET", next, "").json(t))
				if len(pages) > 10 {
					t.Fatalf("%s: more than 10 pages", path)
				}
			}
			if len(pages) < 2 {
				t.Fatalf("%s: %d page, want several", path, len(pages))
			}
			// A version written now heads the history, before the first
			// page read.
			clock.Advance(time.Minute)
			create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"Pulse"},"subject":{"reference":"Patient/`+pid+`"},"valueQuantity":{"value":70}}`)
			if path == "/fhir/Patient/_history" {
				c.do("PUT", "/fhir/Patient/"+pid, `{"resourceType":"Patient","id":"`+pid+`","name":[{"family":"Paging","given":["Pam"]}],"birthDate":"1970-01-02","gender":"female"}`)
			}
			back := previousPages(t, c, pages[len(pages)-1])
			if len(back) != len(pages) {
				t.Fatalf("%s: %d pages back, want %d (the %d read, and the new version's)", path, len(back), len(pages), len(pages)-1)
			}
			for i := 0; i < len(pages)-1; i++ {
				if got, want := keys(back[i]), keys(pages[len(pages)-2-i]); got != want {
					t.Errorf("%s: page %d read back %q, want %q", path, len(pages)-1-i, got, want)
				}
			}
			newest := keys(back[len(back)-1])
			if newest == "" || strings.Contains(keys(first), newest) || linkOf(back[len(back)-1], "previous") != "" || linkOf(back[len(back)-1], "next") == "" {
				t.Errorf("%s: the page before the first read %q, want the new version alone, with a next link and no previous", path, newest)
			}
		}
		if r := c.do("GET", "/fhir/_history?_before=a&_after=b", ""); r.status != 400 || !isOutcome(r) {
			t.Errorf("_before with _after: %d, want 400", r.status)
		}
	})
}
