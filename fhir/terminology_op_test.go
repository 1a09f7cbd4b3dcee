package fhir_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// wardsValueSet is a trust's own value set: codes of its own system
// named one by one with their displays, one of them excluded.
const wardsValueSet = `{"resourceType":"ValueSet","url":"http://example.org/fhir/ValueSet/wards","version":"2","status":"active",
	"compose":{"include":[{"system":"http://example.org/fhir/CodeSystem/wards","concept":[
		{"code":"W1","display":"Ward one medical"},{"code":"W2","display":"Ward two surgical"},
		{"code":"W3","display":"Ward three medical"},{"code":"W9","display":"Closed ward"}]}],
	"exclude":[{"system":"http://example.org/fhir/CodeSystem/wards","concept":[{"code":"W9"}]}]}}`

// storeValueSets stores the trust's value sets the tests use: its wards
// (wardsValueSet), whose id it returns, and its problems, the whole of
// SNOMED CT.
func storeValueSets(t *testing.T, c *client) string {
	t.Helper()
	r := c.do("POST", "/fhir/ValueSet", wardsValueSet)
	if r.status != 201 {
		t.Fatalf("create the value set: %d %s", r.status, r.body)
	}
	wardsID := r.json(t)["id"].(string)
	if r := c.do("POST", "/fhir/ValueSet", `{"resourceType":"ValueSet","url":"http://example.org/fhir/ValueSet/problems","status":"active",
		"compose":{"include":[{"system":"http://snomed.info/sct"}]}}`); r.status != 201 {
		t.Fatalf("create the SNOMED CT value set: %d %s", r.status, r.body)
	}
	return wardsID
}

// expandedCodes returns the system|code|display of each entry of an
// expansion, and its total and offset.
func expandedCodes(t *testing.T, vs map[string]any) (codes []string, total, offset string) {
	t.Helper()
	exp, _ := vs["expansion"].(map[string]any)
	if exp == nil {
		t.Fatalf("no expansion: %v", vs)
	}
	for _, k := range []string{"identifier", "timestamp"} {
		if exp[k] == nil {
			t.Errorf("the expansion has no %s: %v", k, exp)
		}
	}
	for _, c := range exp["contains"].([]any) {
		m := c.(map[string]any)
		d, _ := m["display"].(string)
		codes = append(codes, fmt.Sprint(m["system"], "|", m["code"], "|", d))
	}
	return codes, fmt.Sprint(exp["total"]), fmt.Sprint(exp["offset"])
}

// TestValueSetExpand expands R4's, UK Core's and the trust's own value
// sets, by url and by id, with filter, count and offset; a value set
// that takes SNOMED CT whole only with a filter, from the trust's
// release; and refuses what it cannot, naming the parameter.
func TestValueSetExpand(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		_, c := startSNOMED(t, db, clock)
		wardsID := storeValueSets(t, c)
		gender := "http://hl7.org/fhir/administrative-gender|"
		wards := "http://example.org/fhir/CodeSystem/wards|"
		for _, tc := range []struct {
			name, method, path, body string
			want                     []string
			total, offset            string
		}{
			{"R4 value set", "GET", "/fhir/ValueSet/$expand?url=" + url.QueryEscape("http://hl7.org/fhir/ValueSet/administrative-gender"), "",
				[]string{gender + "male|Male", gender + "female|Female", gender + "other|Other", gender + "unknown|Unknown"}, "4", "0"},
			{"UK Core value set", "GET", "/fhir/ValueSet/$expand?url=" + url.QueryEscape("https://fhir.hl7.org.uk/ValueSet/UKCore-AddressKeyType"), "",
				[]string{"https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType|PAF|Postcode Address File", "https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType|UPRN|Unique Property Reference Number"}, "2", "0"},
			{"the trust's by url", "GET", "/fhir/ValueSet/$expand?url=" + url.QueryEscape("http://example.org/fhir/ValueSet/wards"), "",
				[]string{wards + "W1|Ward one medical", wards + "W2|Ward two surgical", wards + "W3|Ward three medical"}, "3", "0"},
			{"by version", "GET", "/fhir/ValueSet/$expand?valueSetVersion=2&url=" + url.QueryEscape("http://example.org/fhir/ValueSet/wards"), "",
				[]string{wards + "W1|Ward one medical", wards + "W2|Ward two surgical", wards + "W3|Ward three medical"}, "3", "0"},
			{"by id, filtered", "GET", "/fhir/ValueSet/" + wardsID + "/$expand?filter=MED+war", "",
				[]string{wards + "W1|Ward one medical", wards + "W3|Ward three medical"}, "2", "0"},
			{"count and offset", "GET", "/fhir/ValueSet/" + wardsID + "/$expand?count=1&offset=1", "",
				[]string{wards + "W2|Ward two surgical"}, "3", "1"},
			{"POST of Parameters", "POST", "/fhir/ValueSet/$expand", `{"resourceType":"Parameters","parameter":[
				{"name":"url","valueUri":"http://example.org/fhir/ValueSet/wards"},{"name":"filter","valueString":"surg"},{"name":"count","valueInteger":5}]}`,
				[]string{wards + "W2|Ward two surgical"}, "1", "0"},
			{"SNOMED CT with a filter", "GET", "/fhir/ValueSet/$expand?filter=bronch+asth&url=" + url.QueryEscape("http://example.org/fhir/ValueSet/problems"), "",
				[]string{"http://snomed.info/sct|195967001|Asthma"}, "1", "0"},
		} {
			r := c.do(tc.method, tc.path, tc.body)
			if r.status != 200 {
				t.Errorf("%s: status %d: %s", tc.name, r.status, r.body)
				continue
			}
			got, total, offset := expandedCodes(t, r.json(t))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: codes (-want +got):\n%s", tc.name, diff)
			}
			if total != tc.total || offset != tc.offset {
				t.Errorf("%s: total %s offset %s, want %s %s", tc.name, total, offset, tc.total, tc.offset)
			}
			// The expansion is made at the trust's time.
			if at, _ := r.json(t)["expansion"].(map[string]any)["timestamp"].(string); at != clock.Now().UTC().Format("2006-01-02T15:04:05.000Z") {
				t.Errorf("%s: the expansion's timestamp %q is not the clock's %s", tc.name, at, clock.Now().UTC())
			}
		}
		for _, tc := range []struct {
			name, path string
			status     int
			expression string
		}{
			{"SNOMED CT whole without a filter", "/fhir/ValueSet/$expand?url=" + url.QueryEscape("http://example.org/fhir/ValueSet/problems"), 422, "filter"},
			{"an unknown value set", "/fhir/ValueSet/$expand?url=" + url.QueryEscape("http://example.org/fhir/ValueSet/none"), 404, "url"},
			{"no value set", "/fhir/ValueSet/$expand", 400, "url"},
			{"a count that is no number", "/fhir/ValueSet/" + wardsID + "/$expand?count=many", 400, "count"},
			{"an unknown id", "/fhir/ValueSet/nosuch/$expand", 404, ""},
		} {
			wantOutcome(t, c, tc.name, tc.path, tc.status, tc.expression)
		}
	})
}

// parameterValues returns the values of a Parameters by name, as text;
// a parameter with parts gives the value of its part named value.
func parameterValues(t *testing.T, params map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, x := range params["parameter"].([]any) {
		m := x.(map[string]any)
		name := m["name"].(string)
		if parts, ok := m["part"].([]any); ok {
			for _, p := range parts {
				pm := p.(map[string]any)
				if pm["name"] == "value" {
					for k, v := range pm {
						if strings.HasPrefix(k, "value") {
							out[name] = append(out[name], fmt.Sprint(v))
						}
					}
				}
			}
			continue
		}
		for k, v := range m {
			if strings.HasPrefix(k, "value") {
				out[name] = append(out[name], fmt.Sprint(v))
			}
		}
	}
	return out
}

// TestCodeSystemLookup looks up a concept of the trust's SNOMED CT
// release, a code of a CodeSystem the trust stores and one of R4's; an
// unknown code is 404 and an unknown system 400.
func TestCodeSystemLookup(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		_, c := startSNOMED(t, db, clock)
		if r := c.do("POST", "/fhir/CodeSystem", `{"resourceType":"CodeSystem","url":"http://example.org/fhir/CodeSystem/wards","status":"active","content":"complete",
			"concept":[{"code":"W1","display":"Ward one medical","concept":[{"code":"W1A","display":"Ward one side room","designation":[{"value":"Side room 1"}]}]}]}`); r.status != 201 {
			t.Fatalf("create the code system: %d %s", r.status, r.body)
		}
		for _, tc := range []struct {
			name, method, path, body string
			display                  []string
			designation              string
			properties               []string // inactive's value, then any parents' and children's
		}{
			{"SNOMED CT", "GET", "/fhir/CodeSystem/$lookup?system=http://snomed.info/sct&code=195967001", "", []string{"Asthma"}, "Bronchial asthma", []string{"false", "64572001"}},
			{"SNOMED CT as a coding", "POST", "/fhir/CodeSystem/$lookup", `{"resourceType":"Parameters","parameter":[{"name":"coding","valueCoding":{"system":"http://snomed.info/sct","code":"195967001"}}]}`, []string{"Asthma"}, "Asthma (disorder)", []string{"false", "64572001"}},
			{"SNOMED CT's children", "GET", "/fhir/CodeSystem/$lookup?system=http://snomed.info/sct&code=73211009&property=child&property=parent", "", []string{"Diabetes mellitus"}, "", []string{"64572001", "44054006", "46635009"}},
			{"the trust's code system", "GET", "/fhir/CodeSystem/$lookup?system=http://example.org/fhir/CodeSystem/wards&code=W1A", "", []string{"Ward one side room"}, "Side room 1", []string{"false", "W1"}},
			{"the trust's code system's children", "GET", "/fhir/CodeSystem/$lookup?system=http://example.org/fhir/CodeSystem/wards&code=W1&property=child", "", []string{"Ward one medical"}, "", []string{"W1A"}},
			{"R4's", "GET", "/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=female", "", []string{"Female"}, "", []string{"false"}},
		} {
			r := c.do(tc.method, tc.path, tc.body)
			if r.status != 200 {
				t.Errorf("%s: status %d: %s", tc.name, r.status, r.body)
				continue
			}
			got := parameterValues(t, r.json(t))
			if diff := cmp.Diff(tc.display, got["display"]); diff != "" {
				t.Errorf("%s: display (-want +got):\n%s", tc.name, diff)
			}
			if tc.designation != "" && !slices.Contains(got["designation"], tc.designation) {
				t.Errorf("%s: designations %v, want %q among them", tc.name, got["designation"], tc.designation)
			}
			if diff := cmp.Diff(tc.properties, got["property"]); diff != "" {
				t.Errorf("%s: properties (-want +got):\n%s", tc.name, diff)
			}
		}
		for _, tc := range []struct {
			name, path string
			status     int
			expression string
		}{
			{"a concept not in the release", "/fhir/CodeSystem/$lookup?system=http://snomed.info/sct&code=10509002", 404, "code"},
			{"a code not in R4's system", "/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=neuter", 404, "code"},
			{"an unknown system", "/fhir/CodeSystem/$lookup?system=http://example.org/none&code=1", 400, "system"},
			{"no code", "/fhir/CodeSystem/$lookup?system=http://snomed.info/sct", 400, "code"},
			{"no system", "/fhir/CodeSystem/$lookup?code=1", 400, "system"},
		} {
			wantOutcome(t, c, tc.name, tc.path, tc.status, tc.expression)
		}
	})
}

// TestValidateCode checks codes against value sets (R4's, the trust's,
// one taking SNOMED CT whole) and code systems: true with the code's
// display, false with a message for a code outside, true with a
// message for a wrong display, and 400 naming the parameter for what
// cannot be asked.
func TestValidateCode(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		_, c := startSNOMED(t, db, clock)
		wardsID := storeValueSets(t, c)
		gender := url.QueryEscape("http://hl7.org/fhir/ValueSet/administrative-gender")
		problems := url.QueryEscape("http://example.org/fhir/ValueSet/problems")
		for _, tc := range []struct {
			name, method, path, body string
			result, display          string
			message                  bool
		}{
			{"R4 value set, in", "GET", "/fhir/ValueSet/$validate-code?url=" + gender + "&system=http://hl7.org/fhir/administrative-gender&code=female", "", "true", "Female", false},
			{"R4 value set, out", "GET", "/fhir/ValueSet/$validate-code?url=" + gender + "&system=http://hl7.org/fhir/administrative-gender&code=neuter", "", "false", "", true},
			{"another system", "GET", "/fhir/ValueSet/$validate-code?url=" + gender + "&system=http://example.org/x&code=female", "", "false", "", true},
			{"the trust's, by id", "GET", "/fhir/ValueSet/" + wardsID + "/$validate-code?system=http://example.org/fhir/CodeSystem/wards&code=W2", "", "true", "Ward two surgical", false},
			{"excluded", "GET", "/fhir/ValueSet/" + wardsID + "/$validate-code?system=http://example.org/fhir/CodeSystem/wards&code=W9", "", "false", "", true},
			{"wrong display, a warning", "GET", "/fhir/ValueSet/" + wardsID + "/$validate-code?system=http://example.org/fhir/CodeSystem/wards&code=W2&display=Ward+one", "", "true", "Ward two surgical", true},
			{"SNOMED CT whole", "GET", "/fhir/ValueSet/$validate-code?url=" + problems + "&system=http://snomed.info/sct&code=195967001&display=bronchial+asthma", "", "true", "Asthma", false},
			{"SNOMED CT, not in the release", "GET", "/fhir/ValueSet/$validate-code?url=" + problems + "&system=http://snomed.info/sct&code=10509002", "", "false", "", true},
			{"a codeableConcept", "POST", "/fhir/ValueSet/$validate-code", `{"resourceType":"Parameters","parameter":[{"name":"url","valueUri":"http://example.org/fhir/ValueSet/problems"},
				{"name":"codeableConcept","valueCodeableConcept":{"coding":[{"system":"http://example.org/x","code":"1"},{"system":"http://snomed.info/sct","code":"195967001"}]}}]}`, "true", "Asthma", false},
			{"code system, in", "GET", "/fhir/CodeSystem/$validate-code?url=http://snomed.info/sct&code=195967001", "", "true", "Asthma", false},
			{"code system, a coding", "POST", "/fhir/CodeSystem/$validate-code", `{"resourceType":"Parameters","parameter":[{"name":"coding","valueCoding":{"system":"http://hl7.org/fhir/administrative-gender","code":"male"}}]}`, "true", "", false},
			{"code system, out", "GET", "/fhir/CodeSystem/$validate-code?url=http://hl7.org/fhir/administrative-gender&code=neuter", "", "false", "", true},
		} {
			r := c.do(tc.method, tc.path, tc.body)
			if r.status != 200 {
				t.Errorf("%s: status %d: %s", tc.name, r.status, r.body)
				continue
			}
			got := parameterValues(t, r.json(t))
			if fmt.Sprint(got["result"]) != "["+tc.result+"]" {
				t.Errorf("%s: result %v, want %s: %s", tc.name, got["result"], tc.result, r.body)
			}
			if tc.display != "" && fmt.Sprint(got["display"]) != "["+tc.display+"]" {
				t.Errorf("%s: display %v, want %s", tc.name, got["display"], tc.display)
			}
			if tc.message != (len(got["message"]) == 1) {
				t.Errorf("%s: message %v, want one: %v", tc.name, got["message"], tc.message)
			}
		}
		for _, tc := range []struct {
			name, path string
			status     int
			expression string
		}{
			{"no code", "/fhir/ValueSet/$validate-code?url=" + gender + "&system=http://hl7.org/fhir/administrative-gender", 400, "code"},
			{"no system", "/fhir/ValueSet/$validate-code?url=" + gender + "&code=male", 400, "system"},
			{"no value set", "/fhir/ValueSet/$validate-code?system=http://hl7.org/fhir/administrative-gender&code=male", 400, "url"},
			{"an unknown code system", "/fhir/CodeSystem/$validate-code?url=http://example.org/none&code=1", 400, "url"},
		} {
			wantOutcome(t, c, tc.name, tc.path, tc.status, tc.expression)
		}
		meta := string(c.do("GET", "/fhir/metadata", "").body)
		for _, def := range []string{"ValueSet-expand", "ValueSet-validate-code", "CodeSystem-lookup", "CodeSystem-validate-code"} {
			if !strings.Contains(meta, `"http://hl7.org/fhir/OperationDefinition/`+def+`"`) {
				t.Errorf("the CapabilityStatement does not list %s", def)
			}
		}
	})
}

// wantOutcome GETs path and wants the status, with an OperationOutcome
// naming expression when one is given.
func wantOutcome(t *testing.T, c *client, name, path string, status int, expression string) {
	t.Helper()
	r := c.do("GET", path, "")
	if r.status != status {
		t.Errorf("%s: status %d, want %d: %s", name, r.status, status, r.body)
		return
	}
	if expression != "" && !strings.Contains(string(r.body), `"expression":["`+expression+`"]`) {
		t.Errorf("%s: the outcome does not name %s: %s", name, expression, r.body)
	}
}

// TestTerminologyDisplays asks R4's and UK Core's value sets and code
// systems what their codes are called: $expand lists each code's
// display (its other names with includeDesignations, the active ones
// with activeOnly), $lookup answers the display, the system's name and
// version and the properties asked for, and $validate-code answers a
// wrong display as a warning with the answer true.
func TestTerminologyDisplays(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		_, c := startSNOMED(t, db, clock)
		if r := c.do("POST", "/fhir/CodeSystem", `{"resourceType":"CodeSystem","url":"http://example.org/fhir/CodeSystem/beds","status":"active","content":"complete",
			"concept":[{"code":"B1","display":"Bed one"},{"code":"B2","display":"Bed two","property":[{"code":"inactive","valueBoolean":true}]}]}`); r.status != 201 {
			t.Fatalf("create the code system: %d %s", r.status, r.body)
		}
		if r := c.do("POST", "/fhir/ValueSet", `{"resourceType":"ValueSet","url":"http://example.org/fhir/ValueSet/beds","status":"active",
			"compose":{"include":[{"system":"http://example.org/fhir/CodeSystem/beds"}]}}`); r.status != 201 {
			t.Fatalf("create the value set: %d %s", r.status, r.body)
		}
		animal := "http://hl7.org/fhir/animal-genderstatus|"
		keys := "https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType|"
		for _, tc := range []struct {
			name, path string
			want       []string
		}{
			{"R4, with designations", "/fhir/ValueSet/$expand?includeDesignations=true&url=" + url.QueryEscape("http://hl7.org/fhir/ValueSet/animal-genderstatus"),
				[]string{animal + "neutered|Neutered|gesteriliseerd", animal + "intact|Intact|intact", animal + "unknown|Unknown|onbekend"}},
			{"R4, without designations", "/fhir/ValueSet/$expand?url=" + url.QueryEscape("http://hl7.org/fhir/ValueSet/animal-genderstatus"),
				[]string{animal + "neutered|Neutered|", animal + "intact|Intact|", animal + "unknown|Unknown|"}},
			{"UK Core", "/fhir/ValueSet/$expand?url=" + url.QueryEscape("https://fhir.hl7.org.uk/ValueSet/UKCore-AddressKeyType"),
				[]string{keys + "PAF|Postcode Address File|", keys + "UPRN|Unique Property Reference Number|"}},
			{"an inactive code marked", "/fhir/ValueSet/$expand?url=" + url.QueryEscape("http://example.org/fhir/ValueSet/beds"),
				[]string{"http://example.org/fhir/CodeSystem/beds|B1|Bed one|", "http://example.org/fhir/CodeSystem/beds|B2|Bed two|inactive"}},
			{"activeOnly", "/fhir/ValueSet/$expand?activeOnly=true&url=" + url.QueryEscape("http://example.org/fhir/ValueSet/beds"),
				[]string{"http://example.org/fhir/CodeSystem/beds|B1|Bed one|"}},
		} {
			r := c.do("GET", tc.path, "")
			if r.status != 200 {
				t.Errorf("%s: status %d: %s", tc.name, r.status, r.body)
				continue
			}
			var got []string
			exp, _ := r.json(t)["expansion"].(map[string]any)
			for _, x := range exp["contains"].([]any) {
				m := x.(map[string]any)
				var more []string
				for _, d := range array(m["designation"]) {
					more = append(more, fmt.Sprint(d.(map[string]any)["value"]))
				}
				if m["inactive"] == true {
					more = append(more, "inactive")
				}
				got = append(got, fmt.Sprint(m["system"], "|", m["code"], "|", m["display"], "|", strings.Join(more, ",")))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: codes (-want +got):\n%s", tc.name, diff)
			}
		}

		for _, tc := range []struct {
			name, path string
			want       map[string][]string
		}{
			{"R4", "/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=male",
				map[string][]string{"name": {"AdministrativeGender"}, "version": {"4.0.1"}, "display": {"Male"}, "property": {"false"}}},
			{"R4 with designations", "/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/animal-genderstatus&code=neutered",
				map[string][]string{"name": {"Gender status"}, "version": {"4.0.1"}, "display": {"Neutered"}, "designation": {"gesteriliseerd"}, "property": {"false"}}},
			{"only the properties asked for", "/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/animal-genderstatus&code=neutered&property=designation",
				map[string][]string{"name": {"Gender status"}, "display": {"Neutered"}, "designation": {"gesteriliseerd"}}},
			{"UK Core", "/fhir/CodeSystem/$lookup?system=https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType&code=UPRN&property=version&property=display",
				map[string][]string{"name": {"UK Core Address Key Type"}, "version": {"2.1.0"}, "display": {"Unique Property Reference Number"}}},
			{"UK Core, inactive", "/fhir/CodeSystem/$lookup?system=https://fhir.hl7.org.uk/CodeSystem/UKCore-MedicationRequestCategory&code=primarycare&property=inactive",
				map[string][]string{"name": {"UK Core Medication Request Category"}, "display": {"Primary Care"}, "property": {"true"}}},
		} {
			r := c.do("GET", tc.path, "")
			if r.status != 200 {
				t.Errorf("%s: status %d: %s", tc.name, r.status, r.body)
				continue
			}
			if diff := cmp.Diff(tc.want, parameterValues(t, r.json(t))); diff != "" {
				t.Errorf("%s: parameters (-want +got):\n%s", tc.name, diff)
			}
		}

		gender := url.QueryEscape("http://hl7.org/fhir/ValueSet/administrative-gender")
		ukKeys := url.QueryEscape("https://fhir.hl7.org.uk/ValueSet/UKCore-AddressKeyType")
		for _, tc := range []struct {
			name, path       string
			display, message string
		}{
			{"R4, right display", "/fhir/ValueSet/$validate-code?url=" + gender + "&system=http://hl7.org/fhir/administrative-gender&code=male&display=male", "Male", ""},
			{"R4, wrong display", "/fhir/ValueSet/$validate-code?url=" + gender + "&system=http://hl7.org/fhir/administrative-gender&code=male&display=Female", "Male",
				`the display "Female" is not a name of http://hl7.org/fhir/administrative-gender|male, which is "Male"`},
			{"UK Core, wrong display", "/fhir/ValueSet/$validate-code?url=" + ukKeys + "&system=https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType&code=PAF&display=Postcode", "Postcode Address File",
				`the display "Postcode" is not a name of https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType|PAF, which is "Postcode Address File"`},
			{"R4 code system, a designation", "/fhir/CodeSystem/$validate-code?url=http://hl7.org/fhir/animal-genderstatus&code=neutered&display=gesteriliseerd", "Neutered", ""},
			{"UK Core code system, wrong display", "/fhir/CodeSystem/$validate-code?url=https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType&code=UPRN&display=Unique", "Unique Property Reference Number",
				`the display "Unique" is not a name of https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType|UPRN, which is "Unique Property Reference Number"`},
		} {
			r := c.do("GET", tc.path, "")
			if r.status != 200 {
				t.Errorf("%s: status %d: %s", tc.name, r.status, r.body)
				continue
			}
			want := map[string][]string{"result": {"true"}, "display": {tc.display}}
			if tc.message != "" {
				want["message"] = []string{tc.message}
			}
			if diff := cmp.Diff(want, parameterValues(t, r.json(t))); diff != "" {
				t.Errorf("%s: parameters (-want +got):\n%s", tc.name, diff)
			}
		}
	})
}

// array is a JSON value as a list: itself when it is one, else none.
func array(v any) []any {
	a, _ := v.([]any)
	return a
}
