package fhir_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestTerminologyCapabilities: metadata?mode=terminology answers a
// TerminologyCapabilities naming the code systems the server holds, each
// of them answered by $lookup, and SNOMED CT with subsumption; without
// the mode it is the CapabilityStatement still.
func TestTerminologyCapabilities(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		if got := f.a.do("GET", "/fhir/metadata", "").json(t)["resourceType"]; got != "CapabilityStatement" {
			t.Fatalf("metadata: %v, want the CapabilityStatement", got)
		}
		tc := f.a.do("GET", "/fhir/metadata?mode=terminology", "").json(t)
		if tc["resourceType"] != "TerminologyCapabilities" || tc["kind"] != "instance" {
			t.Fatalf("metadata?mode=terminology: %v %v", tc["resourceType"], tc["kind"])
		}
		if err := fhir.Validate(fhir.Resource(tc)); err != nil {
			t.Errorf("TerminologyCapabilities breaks R4: %v", err)
		}
		systems := map[string]map[string]any{}
		for _, x := range tc["codeSystem"].([]any) {
			c := x.(map[string]any)
			systems[c["uri"].(string)] = c
		}
		if len(systems) < 100 {
			t.Errorf("%d code systems, want R4's, UK Core's and OpenCRS's", len(systems))
		}
		if tr, _ := tc["translation"].(map[string]any); tr == nil || tr["needsMap"] != false {
			t.Errorf("translation %v, want needsMap false ($translate reads every map from the code's system)", tc["translation"])
		}
		if sct := systems["http://snomed.info/sct"]; sct == nil || sct["subsumption"] != true {
			t.Errorf("SNOMED CT: %v, want it listed with subsumption", sct)
		}
		for _, tc := range []struct{ system, code, display, version string }{
			{"https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland", "21", "Emergency Admission", "1.0.1"},
			{"http://hl7.org/fhir/administrative-gender", "female", "Female", ""},
			{fhir.ReviewTagSystem, "carried", "", ""},
		} {
			c := systems[tc.system]
			if c == nil {
				t.Errorf("%s not listed", tc.system)
				continue
			}
			if tc.version != "" && !strings.Contains(string(mustJSON(t, c["version"])), `"code":"`+tc.version+`"`) {
				t.Errorf("%s version %v, want %s", tc.system, c["version"], tc.version)
			}
			r := f.a.do("GET", "/fhir/CodeSystem/$lookup?system="+url.QueryEscape(tc.system)+"&code="+tc.code, "")
			if r.status != 200 || !strings.Contains(string(r.body), tc.display) {
				t.Errorf("$lookup of %s|%s, a system listed: %d %s", tc.system, tc.code, r.status, r.body)
			}
		}
	})
}
