package fhir_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestCoreChains: chains and reverse chains of the typed core's types
// are answered: Encounter?location.identifier finds the spells at that
// location, a chain of chains (location.partof.identifier) those at its
// beds, _has:Observation:encounter the encounters an observation of a
// code names; a chain that finds nothing matches nothing. _revinclude of
// encounters adds those a location's search would find.
func TestCoreChains(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		all := everything(t, c, "Encounter?")
		locations := everything(t, c, "Location?")
		code := map[string]string{} // Location/id: its code
		parent := map[string]string{}
		for _, l := range locations {
			id := "Location/" + l["id"].(string)
			code[id] = l["identifier"].([]any)[0].(map[string]any)["value"].(string)
			if p, ok := l["partOf"].(map[string]any); ok {
				parent[id] = p["reference"].(string)
			}
		}
		at := func(r map[string]any, keep func(loc string) bool) bool {
			ls, _ := r["location"].([]any)
			for _, l := range ls {
				// An A&E area is named, not referred to.
				if ref, ok := l.(map[string]any)["location"].(map[string]any)["reference"].(string); ok && keep(ref) {
					return true
				}
			}
			return false
		}
		want := func(keep func(string) bool) []string {
			var out []string
			for _, r := range all {
				if at(r, keep) {
					out = append(out, r["id"].(string))
				}
			}
			slices.Sort(out)
			return out
		}
		got := func(q string) []string {
			t.Helper()
			out := ids(everything(t, c, q))
			slices.Sort(out)
			return out
		}
		atWard := want(func(l string) bool { return code[l] == "WD1" })
		atBed := want(func(l string) bool { return code[parent[l]] == "WD1" && strings.HasPrefix(code[l], "B") })
		if len(atWard) == 0 || len(atBed) == 0 || len(atBed) == len(all) {
			t.Fatalf("the journey's encounters: %d in all, %d on WD1, %d in its beds; want some of each and not all", len(all), len(atWard), len(atBed))
		}
		for q, want := range map[string][]string{
			"Encounter?location.identifier=WD1":            atWard,
			"Encounter?location:Location.identifier=WD1":   atWard,
			"Encounter?location.partof.identifier=WD1":     atBed,
			"Encounter?location.identifier=NOWHERE":        nil,
			"Encounter?class=IMP&location.identifier=WD1":  atWard,
			"Encounter?class=EMER&location.identifier=WD1": nil,
		} {
			if g := got(q); !slices.Equal(g, want) {
				t.Errorf("%s: %v, want %v", q, g, want)
			}
		}

		// _revinclude of the PAS's records finds them as their search does.
		var included []string
		for _, e := range c.do("GET", "/fhir/Location?identifier=WD1&_revinclude=Encounter:location", "").json(t)["entry"].([]any) {
			if e := e.(map[string]any); e["search"].(map[string]any)["mode"] == "include" {
				included = append(included, e["resource"].(map[string]any)["id"].(string))
			}
		}
		slices.Sort(included)
		if !slices.Equal(included, atWard) {
			t.Errorf("Location?identifier=WD1&_revinclude=Encounter:location included %v, want %v", included, atWard)
		}

		// Observations naming two encounters, one of them by another code.
		e1, e2 := all[0], all[1]
		obsOf := map[string][]string{} // by encounter id
		for _, o := range []struct {
			enc  map[string]any
			code string
		}{{e1, "8867-4"}, {e1, "8867-4"}, {e2, "8310-5"}} {
			subject := o.enc["subject"].(map[string]any)["reference"].(string)
			body := `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"` + o.code + `"}]},` +
				`"subject":{"reference":"` + subject + `"},"encounter":{"reference":"Encounter/` + o.enc["id"].(string) + `"},"valueQuantity":{"value":70}}`
			r := c.do("POST", "/fhir/Observation", body)
			if r.status != 201 {
				t.Fatalf("create an Observation: %d %s", r.status, r.body)
			}
			obsOf[o.enc["id"].(string)] = append(obsOf[o.enc["id"].(string)], r.json(t)["id"].(string))
		}
		// A chain from the resource store into the PAS's encounters.
		class := func(e map[string]any) string { return e["class"].(map[string]any)["code"].(string) }
		var wantObs []string
		for _, e := range []map[string]any{e1, e2} {
			if class(e) == class(e1) {
				wantObs = append(wantObs, obsOf[e["id"].(string)]...)
			}
		}
		slices.Sort(wantObs)
		for _, q := range []string{"Observation?encounter.class=" + class(e1), "Observation?encounter:Encounter.class=" + class(e1) + "&code=8867-4,8310-5"} {
			if g := got(q); !slices.Equal(g, wantObs) {
				t.Errorf("%s: %v, want %v", q, g, wantObs)
			}
		}
		if g := got("Observation?encounter.class=NOCLASS"); len(g) != 0 {
			t.Errorf("Observation?encounter.class=NOCLASS: %v, want none", g)
		}
		// In a search of one patient's resources the chain searches that
		// patient's encounters: answered where the trust's would be too
		// many (the bound lowered to what the patient has).
		subject := e1["subject"].(map[string]any)["reference"].(string)
		var trustWide, patients int
		var wantPatient []string
		for _, e := range all {
			if class(e) == class(e1) {
				trustWide++
				if e["subject"].(map[string]any)["reference"] == subject {
					patients++
					wantPatient = append(wantPatient, obsOf[e["id"].(string)]...)
				}
			}
		}
		if patients == 0 || patients >= trustWide {
			t.Fatalf("%s has %d of the trust's %d encounters of class %s; want fewer than the trust", subject, patients, trustWide, class(e1))
		}
		slices.Sort(wantPatient)
		restore := fhir.SetMaxChainMatches(patients)
		if r := c.do("GET", "/fhir/Observation?encounter.class="+class(e1), ""); r.status != 400 || !strings.Contains(string(r.body), "too-costly") {
			t.Errorf("Observation?encounter.class=%s with the bound at %d of %d: %d %.200s, want 400 too-costly", class(e1), patients, trustWide, r.status, r.body)
		}
		for _, q := range []string{"Observation?patient=" + subject + "&encounter.class=" + class(e1), "Observation?subject=" + subject + "&encounter.class=" + class(e1),
			subject + "/Observation?encounter.class=" + class(e1)} {
			if g := got(q); !slices.Equal(g, wantPatient) {
				t.Errorf("%s: %v, want %v", q, g, wantPatient)
			}
		}
		restore()
		for q, want := range map[string][]string{
			"Encounter?_has:Observation:encounter:code=8867-4":                               {e1["id"].(string)},
			"Encounter?_has:Observation:encounter:code=8867-4,8310-5":                        ids([]map[string]any{e1, e2}),
			"Encounter?_has:Observation:encounter:code=1234-5":                               nil,
			"Encounter?_id=" + e2["id"].(string) + "&_has:Observation:encounter:code=8867-4": nil,
		} {
			slices.Sort(want)
			if g := got(q); !slices.Equal(g, want) {
				t.Errorf("%s: %v, want %v", q, g, want)
			}
		}
	})
}

// TestBulkExportTypedCore: a system export holds the PAS's records of
// each type as the type's search finds them (encounters, appointments,
// episodes, referrals, locations, practitioners, slots), a patient-level
// export those of the patients' compartments, a group's export its
// members' records.
func TestBulkExportTypedCore(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		types := []string{"Encounter", "Appointment", "EpisodeOfCare", "ServiceRequest", "Location", "Practitioner", "Slot"}
		want := map[string][]string{}
		for _, typ := range types {
			want[typ] = pages(t, c, typ+"?_count=500")
			slices.Sort(want[typ])
			if len(want[typ]) == 0 {
				t.Fatalf("the journey has no %s", typ)
			}
		}
		got, _ := exportRun(t, c, "/fhir/$export?_type="+strings.Join(types, ","))
		for _, typ := range types {
			if !slices.Equal(got[typ], want[typ]) {
				t.Errorf("system export of %s: %d, want the %d its search finds", typ, len(got[typ]), len(want[typ]))
			}
		}
		got, _ = exportRun(t, c, "/fhir/Patient/$export?_type=Encounter,Location")
		if !slices.Equal(got["Encounter"], want["Encounter"]) || len(got["Location"]) != 0 {
			t.Errorf("patient export: %d encounters, %d locations; want %d and none (a location is in no patient's compartment)", len(got["Encounter"]), len(got["Location"]), len(want["Encounter"]))
		}
		// A group of the patient with the most encounters.
		pid, most := "", 0
		byPatient := map[string]int{}
		for _, e := range matches(t, c, "Encounter?_count=1000") {
			ref := e["subject"].(map[string]any)["reference"].(string)
			if byPatient[ref]++; byPatient[ref] > most {
				pid, most = strings.TrimPrefix(ref, "Patient/"), byPatient[ref]
			}
		}
		group := create(t, c, "Group", `{"resourceType":"Group","type":"person","actual":true,"member":[{"entity":{"reference":"Patient/`+pid+`"}}]}`)
		got, _ = exportRun(t, c, "/fhir/Group/"+group+"/$export?_type=Encounter")
		mine := ids(everything(t, c, "Encounter?patient=Patient/"+pid))
		slices.Sort(mine)
		if !slices.Equal(got["Encounter"], mine) || len(mine) == len(want["Encounter"]) {
			t.Errorf("group export: %d encounters, want the member's %d (of %d in all)", len(got["Encounter"]), len(mine), len(want["Encounter"]))
		}
	})
}

// TestBulkExportTypedFilter: _typeFilter on the types the PAS serves
// exports the records each filter's search finds, as the search API
// finds them: several filters of a type their union, each record once;
// a group's export the members' records the filter finds.
func TestBulkExportTypedFilter(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		found := func(q string) []string {
			got := pages(t, c, q+"&_count=500")
			slices.Sort(got)
			return got
		}
		filter := func(fs ...string) string {
			var out []string
			for _, f := range fs {
				out = append(out, "_typeFilter="+url.QueryEscape(f))
			}
			return strings.Join(out, "&")
		}
		encounters := matches(t, c, "Encounter?_count=1000")
		classes := map[string]bool{}
		for _, e := range encounters {
			classes[e["class"].(map[string]any)["code"].(string)] = true
		}
		if len(classes) < 2 {
			t.Fatalf("the journey's encounters are of %d classes, want two or more", len(classes))
		}
		c1, c2 := encounters[0]["class"].(map[string]any)["code"].(string), ""
		for k := range classes {
			if k != c1 {
				c2 = k
			}
		}
		pid := strings.TrimPrefix(encounters[0]["subject"].(map[string]any)["reference"].(string), "Patient/")
		gender := c.do("GET", "/fhir/Patient/"+pid, "").json(t)["gender"].(string)
		other := map[string]string{"female": "male", "male": "female"}[gender]
		group := create(t, c, "Group", `{"resourceType":"Group","type":"person","actual":true,"member":[{"entity":{"reference":"Patient/`+pid+`"}}]}`)
		all := ids(encounters)
		for _, tc := range []struct {
			name, kickoff string
			want          map[string][]string
		}{
			{"a class of encounter", "/fhir/$export?_type=Encounter&" + filter("Encounter?class="+c1),
				map[string][]string{"Encounter": found("Encounter?class=" + c1)}},
			{"two classes, two filters", "/fhir/$export?_type=Encounter&" + filter("Encounter?class="+c1, "Encounter?class="+c2, "Encounter?class="+c1+","+c2),
				map[string][]string{"Encounter": found("Encounter?class=" + c1 + "," + c2)}},
			{"patients of a gender", "/fhir/Patient/$export?_type=Patient&" + filter("Patient?gender="+gender),
				map[string][]string{"Patient": found("Patient?gender=" + gender)}},
			{"the member's encounters of a class", "/fhir/Group/" + group + "/$export?_type=Encounter&" + filter("Encounter?class="+c1+","+c2),
				map[string][]string{"Encounter": found("Encounter?patient=Patient/" + pid + "&class=" + c1 + "," + c2)}},
			{"the member by gender", "/fhir/Group/" + group + "/$export?_type=Patient&" + filter("Patient?gender="+gender),
				map[string][]string{"Patient": {pid}}},
			{"the member not of the other gender", "/fhir/Group/" + group + "/$export?_type=Patient&" + filter("Patient?gender="+other),
				map[string][]string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, _ := exportRun(t, c, tc.kickoff)
				if len(got) != len(tc.want) {
					t.Errorf("exported %v, want %v", got, tc.want)
				}
				for typ, want := range tc.want {
					if len(want) == 0 {
						t.Fatalf("%s: the search finds no %s", tc.name, typ)
					}
					if !slices.Equal(got[typ], want) {
						t.Errorf("exported %d %s %v, want the %d the search finds %v", len(got[typ]), typ, got[typ], len(want), want)
					}
				}
			})
		}
		if n := len(found("Encounter?class=" + c1)); n == 0 || n == len(all) {
			t.Errorf("Encounter?class=%s finds %d of %d: the filter must choose some", c1, n, len(all))
		}
	})
}

// TestTypedRecordHistory: the history of a record of the PAS, which
// keeps no versions, is the record as it stands, its one version, the
// same as its read and its vread; _since after its change lists none.
func TestTypedRecordHistory(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		for _, typ := range []string{"Encounter", "Appointment", "EpisodeOfCare", "ServiceRequest", "Location"} {
			e := matches(t, c, typ+"?_count=1")[0]
			path := "/fhir/" + typ + "/" + e["id"].(string)
			read := c.do("GET", path, "").json(t)
			h := c.do("GET", path+"/_history", "")
			if h.status != 200 {
				t.Fatalf("%s/_history: %d %s", path, h.status, h.body)
			}
			es, _ := h.json(t)["entry"].([]any)
			if len(es) != 1 {
				t.Fatalf("%s/_history: %d entries, want 1", path, len(es))
			}
			got := es[0].(map[string]any)["resource"].(map[string]any)
			if got["id"] != read["id"] || got["meta"].(map[string]any)["versionId"] != read["meta"].(map[string]any)["versionId"] {
				t.Errorf("%s/_history = %v, want the record read (%v)", path, got["meta"], read["meta"])
			}
			v := read["meta"].(map[string]any)["versionId"].(string)
			if r := c.do("GET", path+"/_history/"+v, ""); r.status != 200 {
				t.Errorf("%s/_history/%s: %d %s", path, v, r.status, r.body)
			}
			// One whose change time the PAS keeps is not listed by a
			// _since after it; one whose time it does not keep is.
			want := 1
			if _, known := read["meta"].(map[string]any)["lastUpdated"]; known {
				want = 0
			}
			later := c.do("GET", path+"/_history?_since=2999-01-01", "").json(t)
			if es, _ := later["entry"].([]any); len(es) != want {
				t.Errorf("%s/_history?_since=2999-01-01: %d entries, want %d", path, len(es), want)
			}
		}
	})
}
