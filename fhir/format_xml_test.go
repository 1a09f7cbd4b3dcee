package fhir_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// decodeAny reads JSON with numbers as they are written.
func decodeAny(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

// sameDivs rewrites every narrative div of v as its elements, attributes
// and text, whitespace between elements left out: the fhir package drops
// the whitespace between a div's tags, which the reader keeps. It also
// leaves out an empty _name, what the fhir package leaves of a
// primitive's XML comments once they are taken out, and compares
// numbers by value: xml2json.js reads the package's JSON with
// JSON.parse, which writes the decimal 4.0 as 4 (the reader keeps 4.0,
// and the round trip below checks it exactly).
func sameDivs(t testing.TB, v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if strings.HasPrefix(k, "_") && onlyEmpty(x) {
				continue // where the fhir package held only the comments it was left
			}
			if s, ok := x.(string); ok && k == "div" {
				out[k] = divTokens(t, s)
				continue
			}
			out[k] = sameDivs(t, x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = sameDivs(t, x)
		}
		return out
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			t.Fatalf("number %s: %v", v, err)
		}
		return f
	}
	return v
}

// onlyEmpty reports whether v is an empty object or an array of empty
// objects and nulls.
func onlyEmpty(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return len(v) == 0
	case []any:
		for _, x := range v {
			if x != nil && !onlyEmpty(x) {
				return false
			}
		}
		return true
	}
	return false
}

func divTokens(t testing.TB, s string) []string {
	var out []string
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := "<" + tok.Name.Local
			for _, a := range tok.Attr {
				e += " " + a.Name.Space + ":" + a.Name.Local + "=" + a.Value
			}
			out = append(out, e)
		case xml.EndElement:
			out = append(out, "</"+tok.Name.Local)
		case xml.CharData:
			if strings.TrimSpace(string(tok)) != "" {
				out = append(out, string(tok))
			}
		}
	}
}

// TestXMLUKCoreExamples reads every UK Core XML example with the FHIR
// XML reader and checks that it gives the JSON the npm fhir package's
// conversion gives (blackbox/xml2json.js), and that it is written back
// to XML and read again unchanged.
func TestXMLUKCoreExamples(t *testing.T) {
	files, lines := ukcoreExamples(t)
	for i, file := range files {
		name := filepath.Base(file)
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fhir.XMLToJSON(src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := decodeAny(t, []byte(lines[i]))
		if m, _ := want.(map[string]any); m["error"] != nil {
			t.Errorf("%s: the fhir package did not convert it: %v", name, m["error"])
			continue
		}
		first := decodeAny(t, got)
		if diff := cmp.Diff(sameDivs(t, want), sameDivs(t, first)); diff != "" {
			t.Errorf("%s: read as JSON (-fhir package +ours):\n%s", name, diff)
			continue
		}
		x, err := fhir.JSONToXML(got)
		if err != nil {
			t.Errorf("%s: written as XML: %v", name, err)
			continue
		}
		again, err := fhir.XMLToJSON(x)
		if err != nil {
			t.Errorf("%s: written as XML and read again: %v\n%s", name, err, x)
			continue
		}
		if diff := cmp.Diff(first, decodeAny(t, again)); diff != "" {
			t.Errorf("%s: written as XML and read again (-first +again):\n%s", name, diff)
			continue
		}
		if x2, err := fhir.JSONToXML(again); err != nil || !bytes.Equal(x, x2) {
			t.Errorf("%s: written as XML twice differs: %v\n%s\n%s", name, err, x, x2)
		}
	}
}

// patientXML is a Patient in FHIR XML with what the format has beyond
// JSON's shape: a narrative, a primitive with an id and an extension, a
// repeated element given once, a choice element and an integer.
const patientXML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- a synthetic patient -->
<Patient xmlns="http://hl7.org/fhir" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <id value="xml-1"/>
  <text>
    <status value="generated"/>
    <div xmlns="http://www.w3.org/1999/xhtml"><p>Ann <b>Example</b> &amp; co</p><br/></div>
  </text>
  <identifier>
    <system value="https://fhir.nhs.uk/Id/nhs-number"/>
    <value value="9990000018"/>
  </identifier>
  <active value="true"/>
  <name id="n1">
    <use value="official"/>
    <family value="Example"/>
    <given value="Ann"/>
    <given>
      <extension url="http://example.org/fhir/StructureDefinition/nickname">
        <valueBoolean value="true"/>
      </extension>
    </given>
  </name>
  <gender value="female"/>
  <birthDate id="bd" value="1970-03-01">
    <extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime">
      <valueDateTime value="1970-03-01T04:30:00Z"/>
    </extension>
  </birthDate>
  <multipleBirthInteger value="2"/>
</Patient>`

// xmlRoot is the name and namespace of an XML document's root element.
func xmlRoot(t *testing.T, body []byte) xml.Name {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("not XML: %v: %s", err, body)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name
		}
	}
}

// TestXMLPatient writes a Patient with PUT in FHIR XML and reads it back
// in XML and in JSON: each element where R4 puts it, the primitive's id
// and extension as _birthDate, the repeated given as an array with a
// null where only an extension is, the integer a number.
func TestXMLPatient(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		r := c.do("PUT", "/fhir/Patient/xml-1", patientXML, "Content-Type", fhir.XMLContentType, "Accept", fhir.XMLContentType)
		if r.status != 201 || r.header.Get("Content-Type") != "application/fhir+xml; charset=utf-8" {
			t.Fatalf("PUT as XML: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		if got := xmlRoot(t, r.body); got != (xml.Name{Space: "http://hl7.org/fhir", Local: "Patient"}) {
			t.Errorf("PUT answered with root %v, want Patient in the FHIR namespace", got)
		}
		js := c.do("GET", "/fhir/Patient/xml-1", "")
		if js.status != 200 || js.header.Get("Content-Type") != "application/fhir+json; charset=utf-8" {
			t.Fatalf("GET as JSON: %d %s %s", js.status, js.header.Get("Content-Type"), js.body)
		}
		got := js.json(t)
		delete(got, "meta")
		want := decodeAny(t, []byte(`{"resourceType":"Patient","id":"xml-1",
			"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Ann <b>Example</b> &amp; co</p><br/></div>"},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
			"active":true,
			"name":[{"id":"n1","use":"official","family":"Example","given":["Ann",null],
				"_given":[null,{"extension":[{"url":"http://example.org/fhir/StructureDefinition/nickname","valueBoolean":true}]}]}],
			"gender":"female","birthDate":"1970-03-01",
			"_birthDate":{"id":"bd","extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-03-01T04:30:00Z"}]},
			"multipleBirthInteger":2}`))
		if diff := cmp.Diff(want, any(got)); diff != "" {
			t.Errorf("read as JSON (-want +got):\n%s", diff)
		}
		for _, h := range [][]string{{"Accept", "application/fhir+xml"}, {"Accept", "application/xml"}, {"Accept", "application/fhir+json;q=0.5, application/fhir+xml"}} {
			x := c.do("GET", "/fhir/Patient/xml-1", "", h...)
			if want := strings.Replace(h[1], "application/fhir+json;q=0.5, ", "", 1) + "; charset=utf-8"; x.status != 200 || x.header.Get("Content-Type") != want {
				t.Fatalf("GET %v: %d %s %s", h, x.status, x.header.Get("Content-Type"), x.body)
			}
			back, err := fhir.XMLToJSON(x.body)
			if err != nil {
				t.Fatalf("GET %v: the XML served does not read: %v\n%s", h, err, x.body)
			}
			if diff := cmp.Diff(decodeAny(t, js.body), decodeAny(t, back)); diff != "" {
				t.Errorf("GET %v: XML read back (-JSON +XML):\n%s", h, diff)
			}
			// Elements in the order of the definitions: text before
			// identifier, name before gender, birthDate before
			// multipleBirth; the primitive's id, value and extension.
			s := string(x.body)
			for _, seq := range [][]string{{"<id ", "<meta>", "<text>", "<identifier>", "<active ", "<name id=\"n1\">", "<gender ", "<birthDate ", "<multipleBirthInteger "},
				{`<given value="Ann"/><given><extension url=`}, {`<birthDate id="bd" value="1970-03-01"><extension`}, {`<div xmlns="http://www.w3.org/1999/xhtml"><p>Ann <b>Example</b> &amp; co</p><br/></div>`}} {
				at := 0
				for _, part := range seq {
					i := strings.Index(s[at:], part)
					if i < 0 {
						t.Fatalf("GET %v: %q not found after %q in\n%s", h, part, s[:at], s)
					}
					at += i + len(part)
				}
			}
		}
	})
}

// TestXMLDecimal: a decimal sent in XML is kept as written, in JSON and
// in XML.
func TestXMLDecimal(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		obs := `<Observation xmlns="http://hl7.org/fhir"><status value="final"/><code><text value="potassium"/></code>
			<subject><reference value="Patient/p1"/></subject><valueQuantity><value value="4.50"/><unit value="mmol/L"/></valueQuantity></Observation>`
		r := c.do("POST", "/fhir/Observation", obs, "Content-Type", "application/fhir+xml")
		if r.status != 201 {
			t.Fatalf("POST as XML: %d %s", r.status, r.body)
		}
		if !strings.Contains(string(r.body), `"value":4.50`) {
			t.Errorf("the decimal is not kept as sent in JSON: %s", r.body)
		}
		id := r.json(t)["id"].(string)
		x := c.do("GET", "/fhir/Observation/"+id+"?_format=xml", "")
		if !strings.Contains(string(x.body), `<valueQuantity><value value="4.50"/><unit value="mmol/L"/></valueQuantity>`) {
			t.Errorf("the decimal is not kept as sent in XML: %s", x.body)
		}
	})
}

// TestXMLBundleAndOutcome: a search Bundle, an OperationOutcome of an
// error and the CapabilityStatement, asked for in XML, are FHIR XML with
// the right root in the FHIR namespace; a bulk export's files stay
// ndjson.
func TestXMLBundleAndOutcome(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		if r := c.do("PUT", "/fhir/Patient/xml-1", patientXML, "Content-Type", fhir.XMLContentType); r.status != 201 {
			t.Fatalf("PUT: %d %s", r.status, r.body)
		}
		for _, tc := range []struct {
			path, accept string
			status       int
			root         string
		}{
			{"/fhir/Patient?_format=xml", "", 200, "Bundle"},
			{"/fhir/Patient?family=Example", "application/fhir+xml", 200, "Bundle"},
			{"/fhir/Patient/xml-1/_history?_format=application/fhir%2Bxml", "", 200, "Bundle"},
			{"/fhir/Patient/nobody", "application/fhir+xml", 404, "OperationOutcome"},
			{"/fhir/Patient?birthdate=notadate", "application/fhir+xml", 400, "OperationOutcome"},
			{"/fhir/NotAType", "application/fhir+xml", 404, "OperationOutcome"},
			{"/fhir/metadata", "application/fhir+xml", 200, "CapabilityStatement"},
		} {
			r := c.do("GET", tc.path, "", "Accept", tc.accept)
			if r.status != tc.status || r.header.Get("Content-Type") != "application/fhir+xml; charset=utf-8" {
				t.Errorf("GET %s: %d %s %s, want %d FHIR XML", tc.path, r.status, r.header.Get("Content-Type"), r.body, tc.status)
				continue
			}
			if got := xmlRoot(t, r.body); got != (xml.Name{Space: "http://hl7.org/fhir", Local: tc.root}) {
				t.Errorf("GET %s: root %v, want %s in the FHIR namespace", tc.path, got, tc.root)
			}
			if _, err := fhir.XMLToJSON(r.body); err != nil {
				t.Errorf("GET %s: the XML served does not read: %v\n%s", tc.path, err, r.body)
			}
		}
		r := c.do("GET", "/fhir/Patient?_format=xml", "")
		if !strings.Contains(string(r.body), `<resource><Patient><id value="xml-1"/>`) {
			t.Errorf("the search Bundle does not hold the Patient in a resource element: %s", r.body)
		}
		m := c.do("GET", "/fhir/metadata", "")
		var cs struct{ Format []string }
		if err := json.Unmarshal(m.body, &cs); err != nil || !slices.Contains(cs.Format, "xml") || !slices.Contains(cs.Format, "json") {
			t.Errorf("CapabilityStatement.format %v, want json and xml (%v)", cs.Format, err)
		}
	})
}

// TestSearchFormFormat: _format and _pretty sent in the form of a POST
// _search mean what they mean in a GET's query: _format=xml answers
// FHIR XML, a format this server does not serve answers 406, as the
// GET does; a search of the system or of a compartment the same.
func TestSearchFormFormat(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		if r := c.do("PUT", "/fhir/Patient/xml-1", patientXML, "Content-Type", fhir.XMLContentType); r.status != 201 {
			t.Fatalf("PUT: %d %s", r.status, r.body)
		}
		form := func(path, body string) response {
			return c.do("POST", path, body, "Content-Type", "application/x-www-form-urlencoded")
		}
		for _, tc := range []struct{ path, body string }{
			{"/fhir/Patient/_search", "_id=xml-1&_format=xml"},
			{"/fhir/Patient/_search", "_format=" + url.QueryEscape("application/fhir+xml")},
			{"/fhir/_search", "_type=Patient&_format=xml"},
			{"/fhir/Patient/xml-1/_search", "_type=Patient&_format=xml"},
			{"/fhir?_type=Patient&_format=xml", ""}, // a GET: the system's search was answered 500
		} {
			r := form(tc.path, tc.body)
			if tc.body == "" {
				r = c.do("GET", tc.path, "")
			}
			if r.status != 200 || r.header.Get("Content-Type") != "application/fhir+xml; charset=utf-8" {
				t.Errorf("POST %s %s: %d %s %s, want 200 FHIR XML", tc.path, tc.body, r.status, r.header.Get("Content-Type"), r.body)
				continue
			}
			if got := xmlRoot(t, r.body); got != (xml.Name{Space: "http://hl7.org/fhir", Local: "Bundle"}) {
				t.Errorf("POST %s %s: root %v, want a Bundle in the FHIR namespace", tc.path, tc.body, got)
			}
		}
		for _, tc := range []struct{ path, body string }{
			{"/fhir/Patient?_format=text/html", ""},
			{"/fhir/Patient/_search", "_format=text/html"},
			{"/fhir/Patient/_search", "_format=" + url.QueryEscape("application/fhir+json; fhirVersion=3.0")},
			{"/fhir/_search", "_type=Patient&_format=text/html"},
		} {
			r := form(tc.path, tc.body)
			if tc.body == "" {
				r = c.do("GET", tc.path, "")
			}
			if r.status != 406 || !isOutcome(r) {
				t.Errorf("%s %s: %d %s, want 406 with an OperationOutcome", tc.path, tc.body, r.status, r.body)
			}
		}
		// _pretty in the form too; and JSON, as asked, in the form.
		if r := form("/fhir/Patient/_search", "_id=xml-1&_pretty=true"); r.status != 200 || !strings.Contains(string(r.body), "\n  \"") {
			t.Errorf("POST _search _pretty=true: %d %.200s, want indented JSON", r.status, r.body)
		}
		if r := form("/fhir/Patient/_search", "_id=xml-1&_format=json"); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), fhir.ContentType) || len(r.json(t)["entry"].([]any)) != 1 {
			t.Errorf("POST _search _format=json: %d %s %.200s, want the Patient in FHIR JSON", r.status, r.header.Get("Content-Type"), r.body)
		}
	})
}

// TestXMLTransaction posts a transaction Bundle in FHIR XML to the base:
// it commits, its urn:uuid reference resolved, and the response Bundle
// is XML.
func TestXMLTransaction(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		bundle := `<Bundle xmlns="http://hl7.org/fhir"><type value="transaction"/>
  <entry><fullUrl value="urn:uuid:00000000-0000-4000-8000-0000000000a1"/>
    <resource><Patient><name><family value="Transact"/><given value="Tess"/></name></Patient></resource>
    <request><method value="POST"/><url value="Patient"/></request></entry>
  <entry><fullUrl value="urn:uuid:00000000-0000-4000-8000-0000000000a2"/>
    <resource><Observation><status value="final"/><code><text value="weight"/></code>
      <subject><reference value="urn:uuid:00000000-0000-4000-8000-0000000000a1"/></subject>
      <valueQuantity><value value="70.10"/><unit value="kg"/></valueQuantity></Observation></resource>
    <request><method value="POST"/><url value="Observation"/></request></entry>
</Bundle>`
		r := c.do("POST", "/fhir", bundle, "Content-Type", "application/fhir+xml", "Accept", "application/fhir+xml")
		if r.status != 200 || xmlRoot(t, r.body).Local != "Bundle" || !strings.Contains(string(r.body), `<type value="transaction-response"/>`) {
			t.Fatalf("transaction in XML: %d %s", r.status, r.body)
		}
		s := c.do("GET", "/fhir/Observation?subject.family=Transact", "").json(t)
		entries, _ := s["entry"].([]any)
		if len(entries) != 1 {
			t.Fatalf("the Observation of the transaction, searched by its patient: %d entries, want 1: %v", len(entries), s)
		}
		obs := entries[0].(map[string]any)["resource"].(map[string]any)
		if v := obs["valueQuantity"].(map[string]any)["value"]; v != json.Number("70.10") {
			t.Errorf("valueQuantity.value %v, want 70.10", v)
		}
	})
}

// TestXMLRefused: a body that is not well-formed XML, an element R4 does
// not define, a value of the wrong kind and a malformed FHIRPath Patch
// in XML are refused with an OperationOutcome naming the element and
// the line, in the format asked for.
func TestXMLRefused(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		for _, tc := range []struct {
			name, method, body string
			status             int
			expression, says   string
		}{
			{"malformed", "PUT", "<Patient xmlns=\"http://hl7.org/fhir\">\n<id value=\"x1\">\n</Patient>", 400, "", "line 3"},
			{"unknown element", "PUT", "<Patient xmlns=\"http://hl7.org/fhir\">\n<id value=\"x1\"/>\n<name><family value=\"A\"/>\n<nickname value=\"B\"/></name>\n</Patient>", 400, "Patient.name[0].nickname", "line 4"},
			{"not a boolean", "PUT", "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"x1\"/><active value=\"yes\"/></Patient>", 400, "Patient.active", "boolean"},
			{"not FHIR's namespace", "PUT", "<Patient><id value=\"x1\"/></Patient>", 400, "Patient", "namespace"},
			{"repeated once too often", "PUT", "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"x1\"/><birthDate value=\"1970-01-01\"/><birthDate value=\"1971-01-01\"/></Patient>", 400, "Patient.birthDate", "at most once"},
			{"a value as text", "PUT", "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"x1\"/><gender>female</gender></Patient>", 400, "Patient.gender", "value attributes"},
			{"patch", "PATCH", "<Parameters xmlns=\"http://hl7.org/fhir\"><parameter><name value=\"op\"/></parameter></Parameters>", 400, "Parameters.parameter[0]", "operation"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, accept := range []string{"application/fhir+json", "application/fhir+xml"} {
					r := c.do(tc.method, "/fhir/Patient/x1", tc.body, "Content-Type", "application/fhir+xml", "Accept", accept)
					body := r.body
					if accept == "application/fhir+xml" {
						if xmlRoot(t, r.body) != (xml.Name{Space: "http://hl7.org/fhir", Local: "OperationOutcome"}) {
							t.Fatalf("Accept %s: %d %s, want an OperationOutcome in XML", accept, r.status, r.body)
						}
						var err error
						if body, err = fhir.XMLToJSON(r.body); err != nil {
							t.Fatal(err)
						}
					}
					var o struct {
						ResourceType string
						Issue        []struct {
							Diagnostics string
							Expression  []string
						}
					}
					if err := json.Unmarshal(body, &o); err != nil || r.status != tc.status || o.ResourceType != "OperationOutcome" || len(o.Issue) == 0 {
						t.Fatalf("Accept %s: %d %s, want %d OperationOutcome", accept, r.status, r.body, tc.status)
					}
					is := o.Issue[0]
					if !strings.Contains(is.Diagnostics, tc.says) || tc.expression != "" && !slices.Contains(is.Expression, tc.expression) {
						t.Errorf("Accept %s: issue %q at %v, want one saying %q at %q", accept, is.Diagnostics, is.Expression, tc.says, tc.expression)
					}
				}
			})
		}
	})
}

// TestXMLNestedResources: a resource inside a resource (contained,
// Bundle.entry.resource, Parameters.parameter.resource, a batch
// response's outcome) is written in an element named by its type and
// read back the same.
func TestXMLNestedResources(t *testing.T) {
	for _, js := range []string{
		`{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"412","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"conflict","diagnostics":"a"}]}}}]}`,
		`{"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"fullUrl":"http://x/fhir/Patient/a","resource":{"resourceType":"Patient","id":"a","contained":[{"resourceType":"Organization","id":"o","name":"Org"}],"managingOrganization":{"reference":"#o"}},"search":{"mode":"match","score":0.50}}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"return","resource":{"resourceType":"Patient","id":"p","active":false}},{"name":"count","valueInteger":-3},{"name":"part","part":[{"name":"d","valueDecimal":1.0e3}]}]}`,
	} {
		x, err := fhir.JSONToXML([]byte(js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		if strings.Contains(js, `"outcome"`) && !strings.Contains(string(x), `<outcome><OperationOutcome>`) {
			t.Errorf("the outcome is not in an element named by its type: %s", x)
		}
		back, err := fhir.XMLToJSON(x)
		if err != nil {
			t.Fatalf("%s: %v\n%s", js, err, x)
		}
		if diff := cmp.Diff(decodeAny(t, []byte(js)), decodeAny(t, back)); diff != "" {
			t.Errorf("written as XML and read back (-want +got):\n%s\n%s", diff, x)
		}
	}
	if _, err := fhir.XMLToJSON([]byte(`<Bundle xmlns="http://hl7.org/fhir"><type value="batch-response"/><entry><response><status value="200"/><outcome><Patient/></outcome></response></entry></Bundle>`)); err == nil || !strings.Contains(err.Error(), "of type OperationOutcome, not Patient") {
		t.Errorf("an outcome holding a Patient: %v, want refused", err)
	}
}
