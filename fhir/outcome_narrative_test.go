package fhir_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestOutcomeNarrative: an OperationOutcome says its issues in a
// generated narrative (a DomainResource should have one), in the XHTML
// namespace, each issue's words escaped so that what a client sent
// cannot become markup.
func TestOutcomeNarrative(t *testing.T) {
	for _, tc := range []struct {
		name   string
		issues []fhir.Issue
		want   string
	}{
		{"one issue", []fhir.Issue{{Severity: "error", Code: "not-found", Diagnostics: "Patient/x is not known"}},
			`<div xmlns="http://www.w3.org/1999/xhtml"><p>error: Patient/x is not known</p></div>`},
		{"where", []fhir.Issue{{Severity: "error", Code: "structure", Diagnostics: "bogus is not an element", Expression: "Patient.bogus"}},
			`<div xmlns="http://www.w3.org/1999/xhtml"><p>error: bogus is not an element (Patient.bogus)</p></div>`},
		{"markup escaped", []fhir.Issue{{Severity: "error", Code: "invalid", Diagnostics: `<script>&"x"`}},
			`<div xmlns="http://www.w3.org/1999/xhtml"><p>error: &lt;script&gt;&amp;&#34;x&#34;</p></div>`},
		{"no words: the code", []fhir.Issue{{Severity: "warning", Code: "processing"}, {Severity: "information", Code: "informational", Diagnostics: "ok"}},
			`<div xmlns="http://www.w3.org/1999/xhtml"><p>warning: processing</p><p>information: ok</p></div>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got struct {
				Text  struct{ Status, Div string }
				Issue []map[string]any
			}
			b := (&fhir.Outcome{Status: 400, Issues: tc.issues}).JSON()
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			if got.Text.Status != "generated" || got.Text.Div != tc.want {
				t.Errorf("text = %+v, want generated %s", got.Text, tc.want)
			}
			if len(got.Issue) != len(tc.issues) {
				t.Errorf("%d issues, want %d", len(got.Issue), len(tc.issues))
			}
		})
	}
	// As answered, in JSON and in XML, on each engine.
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		r := f.a.do("GET", "/fhir/Patient/no-such-patient", "")
		text, _ := r.json(t)["text"].(map[string]any)
		if div, _ := text["div"].(string); r.status != 404 || text["status"] != "generated" || !strings.HasPrefix(div, `<div xmlns="http://www.w3.org/1999/xhtml"><p>error: `) {
			t.Errorf("404 answered %d with text %v", r.status, text)
		}
		x := f.a.do("GET", "/fhir/Patient/no-such-patient?_format=xml", "")
		if want := `<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>error: `; x.status != 404 || !strings.Contains(string(x.body), want) {
			t.Errorf("404 in XML answered %d %s, want it to hold %s", x.status, x.body, want)
		}
	})
}
