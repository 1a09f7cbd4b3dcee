package fhir_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// narrativeOf is a served resource's text: its status and div.
func narrativeOf(r map[string]any) (status, div string) {
	text, _ := r["text"].(map[string]any)
	status, _ = text["status"].(string)
	div, _ = text["div"].(string)
	return status, div
}

// checkXHTML checks a div keeps to R4's narrative (txt-1, txt-2): XHTML
// the PAS's narratives write (div, p, table, tr, th, td), no attribute
// but the div's namespace, and some words; it returns the words.
func checkXHTML(t *testing.T, div string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(div))
	var words strings.Builder
	for depth := 0; ; {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("the div is not XML: %v: %s", err, div)
			return ""
		}
		switch e := tok.(type) {
		case xml.StartElement:
			ok := map[string]bool{"p": true, "table": true, "tr": true, "th": true, "td": true}[e.Name.Local]
			if depth == 0 {
				ok = e.Name.Local == "div" && len(e.Attr) == 1 && e.Attr[0].Name.Local == "xmlns" && e.Attr[0].Value == "http://www.w3.org/1999/xhtml"
			} else {
				ok = ok && len(e.Attr) == 0
			}
			if !ok || e.Name.Space != "http://www.w3.org/1999/xhtml" {
				t.Errorf("<%s %v> is not of a generated narrative: %s", e.Name.Local, e.Attr, div)
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			words.Write(e)
		}
	}
	if strings.TrimSpace(words.String()) == "" {
		t.Errorf("the narrative says nothing: %s", div)
	}
	return words.String()
}

// row is a row of a narrative's table of facts, as written.
func row(label, value string) string { return "<tr><th>" + label + "</th><td>" + value + "</td></tr>" }

// TestNarrativeOfPAS reads each type the API serves from the PAS's
// records: each has a generated narrative in XHTML, in the elements
// R4's narrative allows, saying the facts a ward clerk or a clinician
// looks for, as the resource holds them.
func TestNarrativeOfPAS(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	shown := func(v any) string {
		at, err := time.Parse(time.RFC3339, fmt.Sprint(v))
		if err != nil {
			t.Fatalf("%v is not a time: %v", v, err)
		}
		return at.In(london).Format("02-Jan-2006 15:04")
	}
	str := func(r map[string]any, path ...string) string {
		var v any = r
		for _, k := range path {
			if a, ok := v.([]any); ok && len(a) > 0 {
				v = a[0]
			}
			m, _ := v.(map[string]any)
			v = m[k]
		}
		s, _ := v.(string)
		return s
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		zoe := create(t, c, "Patient", ukPatient)
		// One of each kind, as the seeded journey has them.
		found := map[string]map[string]any{}
		pats, err := db.LivePatientIDs(t.Context(), f.trustA.Org.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, pid := range pats {
			for _, typ := range []string{"Encounter", "EpisodeOfCare", "Appointment", "ServiceRequest"} {
				for _, r := range matches(t, c, typ+"?patient=Patient/"+pid) {
					key := typ
					if cl, ok := r["class"].(map[string]any); ok {
						key += " " + cl["code"].(string)
					}
					if found[key] == nil {
						found[key] = r
					}
				}
			}
		}
		for _, q := range []string{"Location?name=Location%20WD1", "Organization?_id=trust", "Schedule", "Slot", "PractitionerRole", "AuditEvent?patient=" + zoe} {
			if ms := matches(t, c, q); len(ms) > 0 {
				found[strings.SplitN(q, "?", 2)[0]] = ms[0]
			}
		}
		read := func(ref string) map[string]any {
			r := c.do("GET", "/fhir/"+ref, "")
			if r.status != 200 {
				t.Fatalf("read %s: %d %s", ref, r.status, r.body)
			}
			return r.json(t)
		}
		found["Patient"] = read("Patient/" + zoe)
		mrn := ""
		for _, x := range found["Patient"]["identifier"].([]any) {
			if id := x.(map[string]any); id["system"] == "https://opencrs.org/Id/hospital-number" {
				mrn = id["value"].(string)
			}
		}
		found["Practitioner"] = read("Practitioner/cons-C1000001")
		found["Organization gp"] = read("Organization/gp-Y01234")
		for _, tc := range []struct {
			kind string
			want func(r map[string]any) []string
		}{
			{"Patient", func(map[string]any) []string {
				return []string{row("Name", "ZOË, Ann Marie (Mrs)"), row("NHS number", "999 000 0018 (Number present and verified)"),
					row("Hospital number", mrn), row("Date of birth", "01-May-1970"), row("Gender", "Female"),
					row("Address", "1 High Street, London, E1 6AN"), row("GP practice", "High Street Surgery (Y01234)")}
			}},
			{"Encounter IMP", func(r map[string]any) []string {
				return []string{row("Encounter", "Inpatient encounter"), row("Status", strings.ReplaceAll(str(r, "status"), "-", " ")),
					row("From", shown(str(r, "period", "start"))), row("Consultant", str(r, "participant", "individual", "display")+" ("+str(r, "participant", "individual", "identifier", "value")+")"),
					row("Treatment function", str(r, "serviceType", "coding", "display")),
					row("Admission method", str(r, "hospitalization", "extension", "valueCodeableConcept", "coding", "display"))}
			}},
			{"Encounter EMER", func(r map[string]any) []string {
				return []string{row("Encounter", "Emergency"), row("From", shown(str(r, "period", "start")))}
			}},
			{"Encounter AMB", func(r map[string]any) []string {
				return []string{row("Encounter", "Ambulatory"), row("Status", str(r, "status"))}
			}},
			{"EpisodeOfCare", func(r map[string]any) []string {
				return []string{row("Episode", "18-week referral to treatment pathway"), row("Pathway (PPI)", str(r, "identifier", "value"))}
			}},
			{"Appointment", func(r map[string]any) []string {
				return []string{row("Status", str(r, "status")), row("Start", shown(str(r, "start"))), row("Booked", shown(str(r, "created")))}
			}},
			{"ServiceRequest", func(r map[string]any) []string {
				return []string{row("Request", "Patient referral"), row("Priority", str(r, "priority"))}
			}},
			{"Location", func(r map[string]any) []string {
				return []string{row("Location", "Location WD1"), row("Code", "WD1"), row("Kind", "Ward")}
			}},
			{"Organization", func(r map[string]any) []string {
				return []string{row("Organisation", str(r, "name")), row("ODS code", "RFA"), row("Kind", "NHS Trust")}
			}},
			{"Organization gp", func(r map[string]any) []string {
				return []string{row("ODS code", "Y01234"), row("Kind", "GP Practice")}
			}},
			{"Practitioner", func(r map[string]any) []string { return []string{row("Consultant code", "C1000001")} }},
			{"PractitionerRole", func(r map[string]any) []string {
				return []string{row("Role", "Consultant"), row("Consultant code", str(r, "identifier", "value"))}
			}},
			{"Schedule", func(r map[string]any) []string {
				return []string{row("Clinic", str(r, "comment")), row("Clinic code", str(r, "identifier", "value"))}
			}},
			{"Slot", func(r map[string]any) []string {
				return []string{row("Status", str(r, "status")), row("Start", shown(str(r, "start"))), row("End", shown(str(r, "end")))}
			}},
			{"AuditEvent", func(r map[string]any) []string {
				return []string{row("Recorded", shown(str(r, "recorded"))), row("Patient", "Patient/"+zoe)}
			}},
		} {
			t.Run(tc.kind, func(t *testing.T) {
				r := found[tc.kind]
				if r == nil {
					t.Fatalf("no %s served", tc.kind)
				}
				status, div := narrativeOf(r)
				if status != "generated" || !strings.HasPrefix(div, `<div xmlns="http://www.w3.org/1999/xhtml">`) {
					t.Fatalf("%s/%v text = %v, want a generated narrative", r["resourceType"], r["id"], r["text"])
				}
				checkXHTML(t, div)
				for _, want := range tc.want(r) {
					if !strings.Contains(div, want) {
						t.Errorf("%s/%v narrative %s lacks %s", r["resourceType"], r["id"], div, want)
					}
				}
			})
		}
		// In XML the div is XHTML, not a string.
		x := c.do("GET", "/fhir/Patient/"+zoe+"?_format=xml", "")
		if want := `<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><table><tr><th>Name</th><td>ZOË, Ann Marie (Mrs)</td></tr>`; x.status != 200 || !bytes.Contains(x.body, []byte(want)) {
			t.Errorf("Patient in XML: %d %s, want it to hold %s", x.status, x.body, want)
		}
	})
}

// TestNarrativeEscaped registers patients whose names hold markup: the
// narrative says them as text, in JSON and in XML, never as markup.
func TestNarrativeEscaped(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		for _, tc := range []struct{ name, family, given, want string }{
			{"a tag", `<b>Smith</b>`, "Ann", `<td>&lt;B&gt;SMITH&lt;/B&gt;, Ann</td>`},
			{"an ampersand and quotes", `O'Neil & "Sons"`, `<script>x</script>`, `<td>O&#39;NEIL &amp; &#34;SONS&#34;, &lt;script&gt;x&lt;/script&gt;</td>`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				name, _ := json.Marshal(map[string]any{"use": "official", "family": tc.family, "given": []string{tc.given}})
				id := create(t, f.a, "Patient", `{"resourceType":"Patient","gender":"female","birthDate":"1980-02-03","name":[`+string(name)+`]}`)
				_, div := narrativeOf(f.a.do("GET", "/fhir/Patient/"+id, "").json(t))
				if !strings.Contains(div, tc.want) {
					t.Errorf("narrative %s, want it to hold %s", div, tc.want)
				}
				words := checkXHTML(t, div)
				if want := strings.ToUpper(tc.family) + ", " + tc.given; !strings.Contains(words, want) {
					t.Errorf("the narrative reads %q, want it to say %q", words, want)
				}
				x := f.a.do("GET", "/fhir/Patient/"+id+"?_format=xml", "")
				var got struct {
					Text struct {
						Div struct {
							Inner string   `xml:",innerxml"`
							Words []string `xml:"table>tr>td"`
						} `xml:"div"`
					} `xml:"text"`
				}
				if err := xml.Unmarshal(x.body, &got); err != nil || len(got.Text.Div.Words) == 0 || got.Text.Div.Words[0] != strings.ToUpper(tc.family)+", "+tc.given {
					t.Errorf("in XML the name reads %q (%v), want %q: %s", got.Text.Div.Words, err, strings.ToUpper(tc.family)+", "+tc.given, x.body)
				}
				if strings.Contains(got.Text.Div.Inner, "<script") || strings.Contains(got.Text.Div.Inner, "<b>") {
					t.Errorf("markup of the name came out as markup in XML: %s", got.Text.Div.Inner)
				}
			})
		}
	})
}

// TestNarrativeSubsetted asks for the PAS's resources and the resource
// store's with _summary and _elements, on a read and a search: text is
// kept by _summary=text and by _elements naming it, left out by
// _summary=data, by _summary=true (a narrative is not a summary element)
// and by _elements not naming it, alike for both.
func TestNarrativeSubsetted(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pid := create(t, c, "Patient", ukPatient)
		oid := create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"Pulse"},"subject":{"reference":"Patient/`+pid+`"},
			"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Pulse 72</p></div>"},"valueQuantity":{"value":72,"unit":"/min"}}`)
		type asked struct {
			params string
			has    []string // elements besides resourceType, id, meta and text
		}
		for _, tc := range []struct {
			name         string
			text         bool
			exact        bool // the resource has no other elements
			patient, obs asked
		}{
			{"_summary=text", true, true, asked{"_summary=text", nil}, asked{"_summary=text", []string{"code", "status"}}},
			{"_summary=data", false, false, asked{"_summary=data", []string{"address", "gender", "name"}}, asked{"_summary=data", []string{"code", "status", "valueQuantity"}}},
			{"_summary=true", false, false, asked{"_summary=true", []string{"gender", "name"}}, asked{"_summary=true", []string{"code", "status", "valueQuantity"}}},
			// _elements keeps the elements every resource of the type has
			// (an Observation's code) beside those asked for.
			{"_elements without text", false, true, asked{"_elements=gender", []string{"gender"}}, asked{"_elements=status", []string{"code", "status"}}},
			{"_elements naming text", true, true, asked{"_elements=text,gender", []string{"gender"}}, asked{"_elements=status,text", []string{"code", "status"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, q := range []struct {
					how, path string
					extra     []string
				}{
					{"read Patient", "Patient/" + pid + "?" + tc.patient.params, tc.patient.has},
					{"search Patient", "Patient?_id=" + pid + "&" + tc.patient.params, tc.patient.has},
					{"read Observation", "Observation/" + oid + "?" + tc.obs.params, tc.obs.has},
					{"search Observation", "Observation?_id=" + oid + "&" + tc.obs.params, tc.obs.has},
				} {
					var r map[string]any
					if strings.Contains(q.path, "?_id=") {
						ms := matches(t, c, q.path)
						if len(ms) != 1 {
							t.Fatalf("%s: %d matches", q.path, len(ms))
						}
						r = ms[0]
					} else {
						got := c.do("GET", "/fhir/"+q.path, "")
						if got.status != 200 {
							t.Fatalf("%s: %d %s", q.path, got.status, got.body)
						}
						r = got.json(t)
					}
					if _, has := r["text"]; has != tc.text {
						t.Errorf("%s %s: text %v, want it there: %v", q.how, q.path, r["text"], tc.text)
					}
					for _, el := range q.extra {
						if r[el] == nil {
							t.Errorf("%s %s lacks %s: %v", q.how, q.path, el, r)
						}
					}
					if tc.exact {
						for el := range r {
							switch {
							case el == "resourceType" || el == "id" || el == "meta" || el == "text" || slices.Contains(q.extra, el):
							default:
								t.Errorf("%s %s has %s, not asked for", q.how, q.path, el)
							}
						}
					}
				}
			})
		}
	})
}

// TestNarrativePutBack reads a patient, changes a field and puts the
// resource back with the narrative it read (as a system that edits what
// it shows does), and with its own words in it: each is accepted as
// before, the narrative neither refused nor kept, and the one served
// says the record as it now stands.
func TestNarrativePutBack(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		id := create(t, c, "Patient", ukPatient)
		for i, tc := range []struct {
			name, family string
			div          string // "" to send the narrative as read
		}{
			{"as read", "Zoë-Smith", ""},
			{"the system's own words", "Zoë-Jones", `<div xmlns="http://www.w3.org/1999/xhtml"><p>Seen by the system</p></div>`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				pat := c.do("GET", "/fhir/Patient/"+id, "").json(t)
				if _, div := narrativeOf(pat); div == "" {
					t.Fatalf("read without a narrative: %v", pat)
				}
				pat["name"].([]any)[0].(map[string]any)["family"] = tc.family
				if tc.div != "" {
					pat["text"] = map[string]any{"status": "additional", "div": tc.div}
				}
				body, _ := json.Marshal(pat)
				r := c.do("PUT", "/fhir/Patient/"+id, string(body), "If-Match", fmt.Sprintf(`W/"%d"`, i+1))
				if r.status != 200 {
					t.Fatalf("put back: %d %s", r.status, r.body)
				}
				for _, got := range []map[string]any{r.json(t), c.do("GET", "/fhir/Patient/"+id, "").json(t)} {
					status, div := narrativeOf(got)
					if want := row("Name", strings.ToUpper(tc.family)+", Ann Marie (Mrs)"); status != "generated" || !strings.Contains(div, want) || strings.Contains(div, "Seen by") {
						t.Errorf("narrative after the update %s %s, want generated with %s", status, div, want)
					}
				}
				// What is kept beside the record has no narrative of its own.
				kept, err := store.NewResourceService(db).ReadResource(t.Context(), f.trustA.Actor(crs.RoleInterface), "Patient", id, 0)
				if err != nil {
					t.Fatalf("read what is kept beside the record: %v", err)
				}
				var top map[string]any
				if err := json.Unmarshal(kept.Body, &top); err != nil || top["text"] != nil {
					t.Errorf("the narrative sent was kept beside the record: %s", kept.Body)
				}
			})
		}
	})
}

// TestNarrativeOneMapping reads a patient and their encounters by read,
// search, $everything, history and bulk export: each carries the
// narrative a read does.
func TestNarrativeOneMapping(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		pats, err := db.LivePatientIDs(t.Context(), f.trustA.Org.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		var pid string
		var encs []map[string]any
		for _, p := range pats {
			if encs = matches(t, c, "Encounter?patient=Patient/"+p); len(encs) > 0 {
				pid = p
				break
			}
		}
		if pid == "" {
			t.Fatal("no patient with an encounter")
		}
		want := map[string]string{} // Type/id: the narrative a read serves
		for _, ref := range []string{"Patient/" + pid, "Encounter/" + encs[0]["id"].(string)} {
			_, div := narrativeOf(c.do("GET", "/fhir/"+ref, "").json(t))
			if div == "" {
				t.Fatalf("%s read without a narrative", ref)
			}
			want[ref] = div
		}
		check := func(how string, rs []map[string]any) {
			t.Helper()
			seen := 0
			for _, r := range rs {
				ref := fmt.Sprint(r["resourceType"], "/", r["id"])
				if w, ok := want[ref]; ok {
					seen++
					if _, div := narrativeOf(r); div != w {
						t.Errorf("%s: %s narrative %s, a read's %s", how, ref, div, w)
					}
				}
			}
			if seen != len(want) {
				t.Errorf("%s found %d of %v", how, seen, want)
			}
		}
		check("search", append(matches(t, c, "Patient?_id="+pid), matches(t, c, "Encounter?patient=Patient/"+pid)...))
		check("$everything", matches(t, c, "Patient/"+pid+"/$everything"))
		check("history", append(matches(t, c, "Patient/"+pid+"/_history"), matches(t, c, "Encounter/"+encs[0]["id"].(string)+"/_history")...))
		_, m := exportRun(t, c, "/fhir/Patient/$export?_type=Patient,Encounter")
		var exported []map[string]any
		for _, o := range m["output"].([]any) {
			file := c.do("GET", o.(map[string]any)["url"].(string), "")
			sc := bufio.NewScanner(bytes.NewReader(file.body))
			sc.Buffer(nil, 1<<24)
			for sc.Scan() {
				var r map[string]any
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					t.Fatal(err)
				}
				exported = append(exported, r)
			}
		}
		check("bulk export", exported)
	})
}
