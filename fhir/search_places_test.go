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

// TestSearchLocationHierarchy: a reference to a location searched with
// :below finds those to it or to any location part of it, with :above
// those to it or to any it is part of (Location.partOf, the trust's
// sites, wards, bays and beds), of the resource store's types and of the
// trust's locations alike; a parameter that refers to no Location, or a
// value that names no location, is refused; one the trust does not hold
// finds nothing.
func TestSearchLocationHierarchy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		parent := map[string]string{}
		var all []string
		for _, l := range everything(t, c, "Location?") {
			id := l["id"].(string)
			all = append(all, id)
			if p, ok := l["partOf"].(map[string]any); ok {
				parent[id] = strings.TrimPrefix(p["reference"].(string), "Location/")
			}
		}
		// ancestors is a location and those it is part of.
		ancestors := func(id string) []string {
			out := []string{id}
			for p := parent[id]; p != ""; p = parent[p] {
				out = append(out, p)
			}
			return out
		}
		under := func(id, top string) bool { return slices.Contains(ancestors(id), top) }
		// A location with a location part of a location part of it.
		var top, leaf string
		for _, id := range all {
			if a := ancestors(id); len(a) >= 3 {
				leaf, top = id, a[len(a)-2]
				break
			}
		}
		if top == "" {
			t.Fatalf("no location two levels below another among %d", len(all))
		}
		pid := annWithPulses(t, c)
		at := map[string]string{} // Procedure id: its location
		for _, id := range all {
			proc := create(t, c, "Procedure", fmt.Sprintf(`{"resourceType":"Procedure","status":"completed","code":{"text":"Dressing"},"subject":{"reference":"Patient/%s"},"location":{"reference":"Location/%s"}}`, pid, id))
			at[proc] = id
		}
		create(t, c, "Procedure", fmt.Sprintf(`{"resourceType":"Procedure","status":"completed","code":{"text":"Dressing"},"subject":{"reference":"Patient/%s"}}`, pid))
		procedures := func(keep func(loc string) bool) []string {
			var out []string
			for p, l := range at {
				if keep(l) {
					out = append(out, p)
				}
			}
			slices.Sort(out)
			return out
		}
		found := func(q string) []string {
			t.Helper()
			out := ids(everything(t, c, q))
			slices.Sort(out)
			return out
		}
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"Procedure?location:below=Location/" + top, procedures(func(l string) bool { return under(l, top) })},
			{"Procedure?location:below=" + top + "&status=completed", procedures(func(l string) bool { return under(l, top) })},
			{"Procedure?location:below=Location/" + leaf, procedures(func(l string) bool { return l == leaf })},
			{"Procedure?location:above=Location/" + leaf, procedures(func(l string) bool { return slices.Contains(ancestors(leaf), l) })},
			{"Procedure?location:below=Location/" + leaf + ",Location/" + top, procedures(func(l string) bool { return under(l, top) })},
			{"Procedure?location:below=Location/no-such-place", nil},
		} {
			if got := found(tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %d found %v, want %d %v", tc.q, len(got), got, len(tc.want), tc.want)
			}
		}
		if n := len(found("Procedure?location:below=Location/" + top)); n < 3 || n == len(at) {
			t.Errorf("location:below=%s found %d of %d procedures: the hierarchy is not tested", top, n, len(at))
		}
		// The trust's locations: those part of the location, at any depth.
		var below []string
		for _, id := range all {
			if id != top && under(id, top) {
				below = append(below, id)
			}
		}
		slices.Sort(below)
		if got := found("Location?partof:below=Location/" + top); !slices.Equal(got, below) {
			t.Errorf("Location?partof:below=%s: %v, want %v", top, got, below)
		}
		// Locations other systems sent, part of each other and of one of
		// the trust's.
		loc := func(partOf string) string {
			part := ""
			if partOf != "" {
				part = `,"partOf":{"reference":"Location/` + partOf + `"}`
			}
			return create(t, c, "Location", `{"resourceType":"Location","name":"Sent"`+part+`}`)
		}
		a := loc("")
		b := loc(a)
		cc := loc(b)
		d := loc(top)
		doneAt := map[string]string{}
		for _, l := range []string{a, b, cc, d} {
			doneAt[l] = create(t, c, "Procedure", fmt.Sprintf(`{"resourceType":"Procedure","status":"completed","code":{"text":"Dressing"},"subject":{"reference":"Patient/%s"},"location":{"reference":"Location/%s"}}`, pid, l))
		}
		sortedOf := func(ls ...string) []string {
			var out []string
			for _, l := range ls {
				out = append(out, doneAt[l])
			}
			slices.Sort(out)
			return out
		}
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"Procedure?location:below=Location/" + a, sortedOf(a, b, cc)},
			{"Procedure?location:below=Location/" + b, sortedOf(b, cc)},
			{"Procedure?location:above=Location/" + cc, sortedOf(a, b, cc)},
			{"Procedure?location:above=Location/" + d + "&location:below=Location/" + d, sortedOf(d)},
		} {
			if got := found(tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("%s: found %v, want %v", tc.q, got, tc.want)
			}
		}
		if got := found("Procedure?location:below=Location/" + top); !slices.Contains(got, doneAt[d]) {
			t.Errorf("location:below=%s: a Location sent part of it is not below it", top)
		}
		for _, path := range []string{
			"/fhir/Observation?performer:below=Location/" + top,
			"/fhir/Procedure?location:below=Patient/" + pid,
			"/fhir/Observation?subject:below=" + top, // a subject may be a patient, a group, a device or a location
		} {
			if r := c.do("GET", path, "", "Prefer", "handling=strict"); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %.300s, want 400", path, r.status, r.body)
			}
		}
		r := c.do("POST", "/fhir/Procedure", `{"resourceType":"Procedure","status":"completed","subject":{"reference":"Patient/`+pid+`"}}`,
			"If-None-Exist", "location:below="+url.QueryEscape("Location/"+top))
		if r.status != 400 || !strings.Contains(string(r.body), "location:below") {
			t.Errorf("If-None-Exist with location:below: %d %.300s, want 400", r.status, r.body)
		}
	})
}
