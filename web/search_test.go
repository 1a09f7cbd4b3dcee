package web

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

var nextLink = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)

// TestSearchPages checks that a search matching more than a page says how
// many matched and pages through them, keeping the search in the links,
// and that the fragment search-as-you-type swaps in shows the best few
// with a link to every match.
func TestSearchPages(t *testing.T) {
	e := newEnv(t)
	for i := range 54 {
		e.register(e.a, "Jones", fmt.Sprintf("Given%02d", i), crs.NewDate(1950+i, 1, 1), "", "")
	}
	e.register(e.a, "Johns", "Anne", crs.NewDate(1960, 5, 5), "", "")
	c := e.login(e.a, crs.RoleClerk)

	typed := c.get("/patients?q=jonse&partial=1")
	wantBody(t, "as you type", typed, "10 of 55 patients shown", `<a href="/patients?q=jonse">Show all 55 patients</a>`)
	if strings.Contains(typed.body, "Johns") || strings.Contains(typed.body, `rel="next"`) || strings.Count(typed.body, `<a href="/patients/`) != 10 {
		t.Errorf("as you type: want the first 10 Joneses and no pages:\n%s", typed.body)
	}
	for _, path := range []string{"/patients?q=jonse", "/patients?q=jonse&page=1"} {
		r := c.get(path)
		wantStatus(t, path, r, 200)
		wantBody(t, path, r, "50 of 55 patients shown", `rel="next"`)
		if strings.Contains(r.body, "Johns") {
			t.Errorf("%s: Johns on the first page, before every Jones", path)
		}
		m := nextLink.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("%s: no next page link", path)
		}
		next := html.UnescapeString(m[1])
		if next != "/patients?page=2&q=jonse" {
			t.Errorf("%s: next page link %q, want /patients?page=2&q=jonse", path, next)
		}
		r = c.get(next)
		wantStatus(t, next, r, 200)
		wantBody(t, next, r, "Patients 51 to 55 of 55 shown", "JOHNS, Anne", `rel="prev"`)
		if strings.Contains(r.body, `rel="next"`) {
			t.Errorf("%s: a next link on the last page", next)
		}
	}

	t.Run("advanced fields are kept in the links", func(t *testing.T) {
		r := c.get("/patients?family=jones&gender=1")
		m := nextLink.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("no next page link\n%s", excerpt(r.body))
		}
		if got := html.UnescapeString(m[1]); got != "/patients?family=jones&gender=1&page=2" {
			t.Errorf("next page link %q, want the family and gender kept", got)
		}
	})
	t.Run("one page says how many, with no links", func(t *testing.T) {
		r := c.get("/patients?q=johns+anne+05%2F05%2F1960")
		wantBody(t, "one match", r, "1 patient found")
		if strings.Contains(r.body, `rel="next"`) || strings.Contains(r.body, `rel="prev"`) {
			t.Error("page links on a single page of results")
		}
	})
}

// TestSearchHint checks that the example hospital number beside the search
// box is one the trust itself would allocate.
func TestSearchHint(t *testing.T) {
	e := newEnv(t)
	for _, tr := range []*storetest.Trust{e.a, e.b} {
		r := e.login(tr, crs.RoleClerk).get("/patients")
		want := tr.Org.MRNPrefix + "0000001"
		wantBody(t, tr.Org.ODSCode, r, "999 000 0018, "+want+",")
	}
}

func TestWeeksDays(t *testing.T) {
	for days, want := range map[int]string{
		0: "0 weeks 0 days", 1: "0 weeks 1 day", 7: "1 week 0 days", 8: "1 week 1 day",
		190: "27 weeks 1 day", 126: "18 weeks 0 days", 127: "18 weeks 1 day", 15: "2 weeks 1 day",
	} {
		if got := weeksDays(days); got != want {
			t.Errorf("weeksDays(%d) = %q, want %q", days, got, want)
		}
	}
}
