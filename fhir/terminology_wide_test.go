package fhir_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// sctid makes the n'th made-up SNOMED CT identifier of a synthetic
// release: digits of n after 9 and before the partition 10, with the
// check digit that makes it valid.
func sctid(n int) string {
	prefix := "9" + strconv.Itoa(1000000+n) + "10"
	for d := '0'; d <= '9'; d++ {
		if nhs.CheckSCTID(prefix+string(d)) == nil {
			return prefix + string(d)
		}
	}
	panic("no check digit for " + prefix)
}

// wideRelease is a synthetic SNOMED CT release with a concept, wide,
// that has more concepts below it than a search once matched (a child,
// each with children: 1,640 in all), a narrow one beside it with two
// below it, and a simple reference set listing one concept of each.
// It returns the release and the ids of wide, of a concept deep below
// it, of narrow and its two, and of the reference set.
func wideRelease() ([]nhs.Concept, map[string]string) {
	ids := map[string]string{"root": sctid(0), "wide": sctid(1), "narrow": sctid(2), "narrow-a": sctid(3), "narrow-b": sctid(4), "refset": sctid(5)}
	concept := func(id, term string, parents ...string) nhs.Concept {
		return nhs.Concept{ID: id, Term: term, FSN: term + " (disorder)", Parents: parents}
	}
	out := []nhs.Concept{
		concept(ids["root"], "Synthetic root"),
		concept(ids["wide"], "Wide disorder", ids["root"]),
		concept(ids["narrow"], "Narrow disorder", ids["root"]),
		concept(ids["narrow-a"], "Narrow disorder a", ids["narrow"]),
		concept(ids["narrow-b"], "Narrow disorder b", ids["narrow"], ids["wide"]),
		{ID: ids["refset"], Term: "Synthetic simple reference set", FSN: "Synthetic simple reference set (foundation metadata concept)"},
	}
	n := 10
	for i := 0; i < 40; i++ {
		child := sctid(n)
		n++
		out = append(out, concept(child, "Wide disorder kind "+strconv.Itoa(i), ids["wide"]))
		for j := 0; j < 40; j++ {
			out = append(out, concept(sctid(n), "Wide disorder kind "+strconv.Itoa(i)+" sub "+strconv.Itoa(j), child))
			n++
		}
	}
	ids["deep"] = out[len(out)-1].ID
	out[len(out)-1].Refsets = []string{ids["refset"]}
	out[3].Refsets = []string{ids["refset"]}
	return out, ids
}

// TestSNOMEDWideHierarchy searches by the concepts below one that has
// more than a thousand below it, which the store matches against the
// trust's release in its SQL, not listed: :below, :in a value set of
// its hierarchy (is-a, descendent-of, an expression constraint with
// MINUS), :not-in one, the whole of SNOMED CT less the concepts below
// one, and SNOMED CT's value set of its reference sets (?fhir_vs=refset)
// in $expand, $validate-code and :in. Below a concept the release
// lacks is none; a reference set it lacks is refused.
func TestSNOMEDWideHierarchy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		terms := store.NewTerminologyService(db)
		f.server.Terminology = terms
		tr := storetest.NewTrust(t, db, "RWD")
		release, ids := wideRelease()
		if _, err := terms.LoadSNOMED(context.Background(), tr.System, release); err != nil {
			t.Fatal(err)
		}
		f.server.Auth.(bearerAuth)["rwd"] = &fhir.Principal{Actor: tr.Actor(crs.RoleInterface), Scopes: mustScopes(t, "system/*.*")}
		c := &client{t, f.base, "rwd"}
		const sct = "http://snomed.info/sct"
		const vs = "http://example.org/fhir/ValueSet/"
		filter := func(property, op, value string) string {
			return `{"include":[{"system":"` + sct + `","filter":[{"property":"` + property + `","op":"` + op + `","value":"` + value + `"}]}]}`
		}
		postValueSet(t, c, vs+"wide", filter("concept", "is-a", ids["wide"]))
		postValueSet(t, c, vs+"below-wide", filter("concept", "descendent-of", ids["wide"]))
		postValueSet(t, c, vs+"wide-but-deep", filter("constraint", "=", "<< "+ids["wide"]+" MINUS "+ids["deep"]))
		postValueSet(t, c, vs+"all-but-wide", `{"include":[{"system":"`+sct+`"}],"exclude":[{"system":"`+sct+`","filter":[{"property":"concept","op":"is-a","value":"`+ids["wide"]+`"}]}]}`)
		postValueSet(t, c, vs+"all-but-refset", `{"include":[{"system":"`+sct+`"}],"exclude":[{"system":"`+sct+`","filter":[{"property":"concept","op":"in","value":"`+ids["refset"]+`"}]},
			{"system":"`+sct+`","concept":[{"code":"`+ids["narrow-a"]+`"}]}]}`)

		search := snomedConditions(t, c, ids["wide"], ids["deep"], ids["narrow"], ids["narrow-a"], ids["narrow-b"], ids["refset"])
		sorted := func(names ...string) []string {
			var out []string
			for _, n := range names {
				out = append(out, ids[n])
			}
			slices.Sort(out)
			return out
		}
		in := func(modifier, vsURL string) string { return "code:" + modifier + "=" + url.QueryEscape(vsURL) }
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"code:below=" + url.QueryEscape(sct+"|"+ids["wide"]), sorted("wide", "deep", "narrow-b")},
			{"code:below=" + url.QueryEscape(sct+"|"+ids["root"]), sorted("wide", "deep", "narrow", "narrow-a", "narrow-b")},
			{"code:below=" + url.QueryEscape(sct+"|"+ids["narrow"]), sorted("narrow", "narrow-a", "narrow-b")},
			{in("in", vs+"wide"), sorted("wide", "deep", "narrow-b")},
			{in("in", vs+"below-wide"), sorted("deep", "narrow-b")},
			{in("in", vs+"wide-but-deep"), sorted("wide", "narrow-b")},
			{in("not-in", vs+"wide"), sorted("narrow", "narrow-a", "refset")},
			{in("in", vs+"all-but-wide"), sorted("narrow", "narrow-a", "refset")},
			{in("not-in", vs+"all-but-wide"), sorted("wide", "deep", "narrow-b")},
			{in("in", vs+"all-but-refset"), sorted("wide", "narrow", "narrow-b", "refset")},
			{in("in", sct+"?fhir_vs=refset"), sorted("refset")},
			{in("in", sct+"?fhir_vs=refset/"+ids["refset"]), sorted("deep", "narrow-a")},
		} {
			if diff := cmp.Diff(tc.want, search(tc.query)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
		}

		if diff := cmp.Diff([]string{sct + "|" + ids["refset"] + "|Synthetic simple reference set"}, expandCodes(t, c, sct+"?fhir_vs=refset", "")); diff != "" {
			t.Errorf("expand SNOMED CT's reference sets (-want +got):\n%s", diff)
		}
		for _, tc := range []struct {
			vs, code string
			want     bool
		}{
			{sct + "?fhir_vs=refset", ids["refset"], true},
			{sct + "?fhir_vs=refset", ids["deep"], false},
			{vs + "all-but-wide", ids["narrow"], true},
			{vs + "all-but-wide", ids["deep"], false},
		} {
			if got := inValueSet(t, c, tc.vs, tc.code); got != tc.want {
				t.Errorf("%s in %s: %v, want %v", tc.code, tc.vs, got, tc.want)
			}
		}

		// Below a concept the release lacks is none; a reference set it
		// lacks cannot be read, and is refused.
		lacking := sctid(99999)
		if r := c.do("GET", "/fhir/Condition?code:below="+url.QueryEscape(sct+"|"+lacking), ""); r.status != 200 || !strings.Contains(string(r.body), `"total":0`) {
			t.Errorf("below a concept the release lacks: %d %s, want 200 and none", r.status, r.body)
		}
		q := "code:in=" + url.QueryEscape(sct+"?fhir_vs=refset/"+lacking)
		if r := c.do("GET", "/fhir/Condition?"+q, ""); r.status != 400 || !strings.Contains(string(r.body), lacking) || !strings.Contains(string(r.body), "OperationOutcome") {
			t.Errorf("%s: %d %s, want 400 naming the reference set the release lacks", q, r.status, r.body)
		}
	})
}

// TestStoredFilterSearchCap refuses a search :in a value set that
// selects more codes of a CodeSystem the trust stores by a filter of its
// hierarchy than a search matches one by one, naming the filter and the
// bound, and serves one within it; $expand lists them all.
func TestStoredFilterSearchCap(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		_, c := startSNOMED(t, db, clock)
		const system = "http://example.org/fhir/CodeSystem/wards"
		var beds []string
		for i := 0; i < 1200; i++ {
			beds = append(beds, `{"code":"B`+strconv.Itoa(i)+`"}`)
		}
		if r := c.do("POST", "/fhir/CodeSystem", `{"resourceType":"CodeSystem","url":"`+system+`","status":"active","content":"complete",
			"concept":[{"code":"H","concept":[{"code":"W","concept":[`+strings.Join(beds, ",")+`]}]},{"code":"C"}]}`); r.status != 201 {
			t.Fatalf("create the code system: %d %s", r.status, r.body)
		}
		const vs = "http://example.org/fhir/ValueSet/"
		postValueSet(t, c, vs+"all-beds", `{"include":[{"system":"`+system+`","filter":[{"property":"concept","op":"is-a","value":"W"}]}]}`)
		postValueSet(t, c, vs+"not-hospital", `{"include":[{"system":"`+system+`","filter":[{"property":"concept","op":"is-not-a","value":"H"}]}]}`)
		search := codedConditions(t, c, system+"|C", system+"|B7")
		if diff := cmp.Diff([]string{"C"}, search("code:in="+url.QueryEscape(vs+"not-hospital"))); diff != "" {
			t.Errorf("in not-hospital (-want +got):\n%s", diff)
		}
		r := c.do("GET", "/fhir/Condition?code:in="+url.QueryEscape(vs+"all-beds"), "")
		if r.status != 400 || !strings.Contains(string(r.body), `concept is-a \"W\"`) || !strings.Contains(string(r.body), "at most 1000") {
			t.Errorf("in all-beds: %d %s, want 400 naming the filter and the bound", r.status, r.body)
		}
		if got := expandCodes(t, c, vs+"all-beds", ""); len(got) != 1201 {
			t.Errorf("expand all-beds: %d codes, want 1201", len(got))
		}
	})
}
