package fhir_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// startRefsets starts a server whose trust has loaded the sample SNOMED
// CT release (its reference set of allergic reactions, 19999999103)
// with UK Core's reference set of document types (record composition
// types, 1127551000000109) listing two of its concepts.
func startRefsets(t *testing.T, db *store.DB, clock *crs.FixedClock) *client {
	t.Helper()
	f := start(t, db, clock, nil)
	terms := store.NewTerminologyService(db)
	f.server.Terminology = terms
	tr := storetest.NewTrust(t, db, "RRA")
	concepts, err := demo.SNOMEDSample()
	if err != nil {
		t.Fatal(err)
	}
	const documents = "1127551000000109"
	concepts = append(concepts,
		nhs.Concept{ID: documents, Term: "Record composition type simple reference set", FSN: "Record composition type simple reference set (foundation metadata concept)"},
		nhs.Concept{ID: "373942005", Term: "Discharge summary", FSN: "Discharge summary (record artifact)", Refsets: []string{documents}},
		nhs.Concept{ID: "371531000", Term: "Report of clinical encounter", FSN: "Report of clinical encounter (record artifact)", Refsets: []string{documents}})
	if _, err := terms.LoadSNOMED(context.Background(), tr.System, concepts); err != nil {
		t.Fatal(err)
	}
	f.server.Auth.(bearerAuth)["rra"] = &fhir.Principal{Actor: tr.Actor(crs.RoleInterface), Scopes: mustScopes(t, "system/*.*")}
	return &client{t, f.base, "rra"}
}

// TestSNOMEDRefsets answers from the simple reference sets of the trust's
// SNOMED CT release: a trust's value sets by memberOf (^), alone, OR'd
// with the hierarchy, and MINUS other concepts, and by the filter
// concept in; SNOMED CT's own value sets by url (?fhir_vs=refset/R and
// isa/C); UK Core's document types from the reference set loaded;
// each expanded, validated against and searched with :in and :not-in.
// A constraint of another form is refused naming its filter, and a
// reference set the release lacks is refused saying so.
func TestSNOMEDRefsets(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := startRefsets(t, db, clock)
		const sct = "http://snomed.info/sct"
		const vsBase = "http://example.org/fhir/ValueSet/"
		for name, filter := range map[string]string{
			"member-of":      `"property":"constraint","op":"=","value":"memberOf 19999999103"`,
			"caret":          `"property":"constraint","op":"=","value":"^ 19999999103 |Demo allergic reaction simple reference set|"`,
			"or":             `"property":"constraint","op":"=","value":"^19999999103 OR << 73211009 |Diabetes mellitus|"`,
			"minus":          `"property":"constraint","op":"=","value":"(^19999999103) MINUS (39579001 OR << 126485001)"`,
			"below-minus":    `"property":"constraint","op":"=","value":"DescendantOrSelfOf 73211009 MINUS 44054006"`,
			"minus-refset":   `"property":"constraint","op":"=","value":"<< 404684003 MINUS ^ 19999999103"`,
			"nested":         `"property":"constraint","op":"=","value":"(<<73211009|Diabetes mellitus (disorder)| MINUS 46635009) OR 195967001 |Asthma|"`,
			"concept-in":     `"property":"concept","op":"in","value":"19999999103"`,
			"concept-in-hat": `"property":"concept","op":"in","value":"^19999999103"`,
			"refinement":     `"property":"constraint","op":"=","value":"<< 404684003 : 363698007 = 39057004"`,
			"and":            `"property":"constraint","op":"=","value":"^ 19999999103 AND << 404684003"`,
			"unbracketed":    `"property":"constraint","op":"=","value":"<< 73211009 OR 195967001 MINUS 44054006"`,
			"ancestors":      `"property":"constraint","op":"=","value":">> 44054006"`,
			"no-refset":      `"property":"constraint","op":"=","value":"memberOf 1127581000000103 OR 195967001"`,
			"in-no-refset":   `"property":"concept","op":"in","value":"1127581000000103"`,
		} {
			if r := c.do("POST", "/fhir/ValueSet", `{"resourceType":"ValueSet","url":"`+vsBase+name+`","status":"active",
				"compose":{"include":[{"system":"`+sct+`","filter":[{`+filter+`}]}]}}`); r.status != 201 {
				t.Fatalf("create %s: %d %s", name, r.status, r.body)
			}
		}
		expand := func(vsURL, filter string) []string {
			r := c.do("GET", "/fhir/ValueSet/$expand?url="+url.QueryEscape(vsURL)+"&filter="+url.QueryEscape(filter), "")
			if r.status != 200 {
				t.Fatalf("expand %s: %d %s", vsURL, r.status, r.body)
			}
			if !strings.Contains(string(r.body), `"contains"`) {
				return nil
			}
			got, _, _ := expandedCodes(t, r.json(t))
			var codes []string
			for _, g := range got {
				codes = append(codes, strings.Split(g, "|")[1])
			}
			slices.Sort(codes)
			return codes
		}
		reactions := []string{"126485001", "271807003", "39579001", "41291007", "418290006", "56018004"}
		diabetes := []string{"44054006", "46635009", "73211009"}
		for _, tc := range []struct {
			url, filter string
			want        []string
		}{
			{vsBase + "member-of", "", reactions},
			{vsBase + "caret", "", reactions},
			{vsBase + "or", "", slices.Sorted(slices.Values(slices.Concat(reactions, diabetes)))},
			{vsBase + "minus", "", []string{"271807003", "41291007", "418290006", "56018004"}},
			{vsBase + "below-minus", "", []string{"46635009", "73211009"}},
			{vsBase + "nested", "", []string{"195967001", "44054006", "73211009"}},
			{vsBase + "concept-in", "", reactions},
			{vsBase + "concept-in-hat", "", reactions},
			{vsBase + "member-of", "itch", []string{"418290006"}},
			{sct + "?fhir_vs=refset/19999999103", "", reactions},
			{sct + "?fhir_vs=isa/73211009", "", diabetes},
			{sct + "?fhir_vs=refset", "", []string{"1127551000000109", "19999999103"}},
			{"https://fhir.hl7.org.uk/ValueSet/UKCore-DocumentType", "", []string{"371531000", "373942005"}},
		} {
			if diff := cmp.Diff(tc.want, expand(tc.url, tc.filter)); diff != "" {
				t.Errorf("expand %s filter %q (-want +got):\n%s", tc.url, tc.filter, diff)
			}
		}
		// The clinical findings but the reactions listed, filtered.
		if diff := cmp.Diff([]string{"267036007"}, expand(vsBase+"minus-refset", "dyspnoea")); diff != "" {
			t.Errorf("clinical findings but reactions, filtered by dyspnoea (-want +got):\n%s", diff)
		}
		if got := expand(vsBase+"minus-refset", "anaphylaxis"); len(got) != 0 {
			t.Errorf("clinical findings but reactions, filtered by anaphylaxis: %v, want none", got)
		}
		if r := c.do("GET", "/fhir/ValueSet/$expand?url="+url.QueryEscape("https://fhir.hl7.org.uk/ValueSet/UKCore-DocumentType"), ""); !strings.Contains(string(r.body), `"display":"Discharge summary"`) {
			t.Errorf("UK Core's document types without the terms of the release: %s", r.body)
		}

		validate := func(vsURL, code string) bool { return inValueSet(t, c, vsURL, code) }
		for _, tc := range []struct {
			vs, code string
			want     bool
		}{
			{vsBase + "member-of", "39579001", true},
			{vsBase + "member-of", "195967001", false},
			{vsBase + "or", "46635009", true},
			{vsBase + "minus", "39579001", false},
			{vsBase + "minus", "126485001", false},
			{vsBase + "minus", "41291007", true},
			{vsBase + "nested", "46635009", false},
			{vsBase + "nested", "195967001", true},
			{vsBase + "minus-refset", "267036007", true},
			{vsBase + "minus-refset", "39579001", false},
			{vsBase + "concept-in", "56018004", true},
			{sct + "?fhir_vs=refset/19999999103", "56018004", true},
			{sct + "?fhir_vs=refset/19999999103", "44054006", false},
			{sct + "?fhir_vs=isa/73211009", "44054006", true},
			{sct + "?fhir_vs", "44054006", true},
			{sct + "?fhir_vs=refset", "19999999103", true},
			{sct + "?fhir_vs=refset", "56018004", false},
			{"https://fhir.hl7.org.uk/ValueSet/UKCore-DocumentType", "373942005", true},
			{"https://fhir.hl7.org.uk/ValueSet/UKCore-DocumentType", "195967001", false},
		} {
			if got := validate(tc.vs, tc.code); got != tc.want {
				t.Errorf("%s in %s: %v, want %v", tc.code, tc.vs, got, tc.want)
			}
		}

		search := snomedConditions(t, c, "39579001", "126485001", "195967001", "44054006", "19999999103")
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"code:in=" + url.QueryEscape(sct+"?fhir_vs=refset/19999999103"), []string{"126485001", "39579001"}},
			{"code:not-in=" + url.QueryEscape(sct+"?fhir_vs=refset/19999999103"), []string{"195967001", "19999999103", "44054006"}},
			{"code:in=" + url.QueryEscape(sct+"?fhir_vs=refset"), []string{"19999999103"}},
			{"code:in=" + url.QueryEscape(vsBase+"minus"), nil},
			{"code:in=" + url.QueryEscape(vsBase+"or"), []string{"126485001", "39579001", "44054006"}},
			{"code:in=" + url.QueryEscape(vsBase+"nested"), []string{"195967001", "44054006"}},
			{"code:in=" + url.QueryEscape(sct+"?fhir_vs=isa/73211009"), []string{"44054006"}},
		} {
			if diff := cmp.Diff(tc.want, search(tc.query)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
		}

		for _, tc := range []struct {
			name, path string
			status     int
			want       string
		}{
			{"a refinement", "/fhir/ValueSet/$expand?url=" + url.QueryEscape(vsBase+"refinement"), 422, "the filter constraint ="},
			{"AND", "/fhir/ValueSet/$expand?url=" + url.QueryEscape(vsBase+"and"), 422, "the filter constraint ="},
			{"OR and MINUS without brackets", "/fhir/ValueSet/$expand?url=" + url.QueryEscape(vsBase+"unbracketed"), 422, "MINUS after OR without brackets"},
			{"ancestors", "/fhir/ValueSet/$expand?url=" + url.QueryEscape(vsBase+"ancestors"), 422, "the filter constraint ="},
			{"a reference set the release lacks", "/fhir/ValueSet/$expand?url=" + url.QueryEscape(vsBase+"no-refset"), 422, "has no reference set 1127581000000103"},
			{"concept in one the release lacks", "/fhir/ValueSet/$expand?url=" + url.QueryEscape(vsBase+"in-no-refset"), 422, "has no reference set 1127581000000103"},
			{"UK Core's by one the release lacks", "/fhir/ValueSet/$expand?url=" + url.QueryEscape("https://fhir.hl7.org.uk/ValueSet/UKCore-AllergyManifestation"), 422, "has no reference set 1127581000000103"},
			{"validated against one the release lacks", "/fhir/ValueSet/$validate-code?url=" + url.QueryEscape(vsBase+"no-refset") + "&system=" + url.QueryEscape(sct) + "&code=195967001", 422, "has no reference set 1127581000000103"},
			{"searched by one the release lacks", "/fhir/Condition?code:in=" + url.QueryEscape(sct+"?fhir_vs=refset/1127581000000103"), 400, "has no reference set 1127581000000103"},
			{"SNOMED CT's value set of another kind", "/fhir/ValueSet/$expand?url=" + url.QueryEscape(sct+"?fhir_vs=refsets"), 404, "?fhir_vs=refset (its reference sets)"},
			{"SNOMED CT's whole", "/fhir/ValueSet/$expand?url=" + url.QueryEscape(sct+"?fhir_vs"), 422, "give a filter"},
		} {
			r := c.do("GET", tc.path, "")
			if r.status != tc.status || !strings.Contains(string(r.body), tc.want) || !strings.Contains(string(r.body), "OperationOutcome") {
				t.Errorf("%s: %d %s, want %d saying %q", tc.name, r.status, r.body, tc.status, tc.want)
			}
		}
	})
}

// inValueSet says whether $validate-code finds a SNOMED CT code in the
// value set at url.
func inValueSet(t *testing.T, c *client, vsURL, code string) bool {
	t.Helper()
	return validCode(t, c, vsURL, "http://snomed.info/sct", code)
}

// snomedConditions records a Condition coded with each SNOMED CT code,
// and returns a search of Conditions answering the codes of those it
// finds, in order.
func snomedConditions(t *testing.T, c *client, codes ...string) func(query string) []string {
	t.Helper()
	codings := make([]string, len(codes))
	for i, code := range codes {
		codings[i] = "http://snomed.info/sct|" + code
	}
	return codedConditions(t, c, codings...)
}
