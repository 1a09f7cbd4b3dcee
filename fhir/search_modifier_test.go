package fhir_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// foundAll follows a search's next links and lists every match as
// Type/id, sorted; it fails on an answer other than 200.
func foundAll(t *testing.T, c *client, path string) string {
	t.Helper()
	var ids []string
	for pages := 0; path != ""; pages++ {
		if pages > 100 {
			t.Fatalf("%s: more than 100 pages", path)
		}
		r := c.do("GET", path, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		if s := entryIDs(t, r); s != "" {
			ids = append(ids, strings.Split(s, ",")...)
		}
		path = ""
		links, _ := r.json(t)["link"].([]any)
		for _, l := range links {
			if m := l.(map[string]any); m["relation"] == "next" {
				path = m["url"].(string)
			}
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// refused checks that a search is answered 400 with an OperationOutcome
// whose diagnostics hold each of want.
func refused(t *testing.T, c *client, path string, want ...string) {
	t.Helper()
	refusedPreferring(t, c, path, "", want...)
}

// strictlyRefused is refused of a search that asks to be refused what it
// does not support (Prefer: handling=strict): a parameter not known, left
// out without it.
func strictlyRefused(t *testing.T, c *client, path string, want ...string) {
	t.Helper()
	refusedPreferring(t, c, path, "handling=strict", want...)
}

// refusedPreferring is refused with the request's Prefer header prefer
// ("" for none).
func refusedPreferring(t *testing.T, c *client, path, prefer string, want ...string) {
	t.Helper()
	r := c.do("GET", path, "", "Prefer", prefer)
	if r.status != 400 || !isOutcome(r) {
		t.Errorf("%s (Prefer %q): %d %.300s, want 400 with an OperationOutcome", path, prefer, r.status, r.body)
		return
	}
	for _, w := range want {
		if !strings.Contains(string(r.body), w) {
			t.Errorf("%s: the OperationOutcome %s does not say %q", path, r.body, w)
		}
	}
}

// total asks a search's _summary=count.
func total(t *testing.T, c *client, path string) string {
	t.Helper()
	return fmt.Sprint(c.do("GET", path+"&_summary=count", "").json(t)["total"])
}

const v2 = "http://terminology.hl7.org/CodeSystem/v2-0203"

// TestSearchIdentifierOfType searches identifiers by their type and
// value (identifier:of-type=system|code|value): in the resource store,
// the identifier with the value must have the type itself (another
// identifier of the resource having it is not enough), and in the PMI,
// the hospital number is typed MR and the NHS number is not.
func TestSearchIdentifierOfType(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		obs := func(ids string) string {
			return "Observation/" + create(t, c, "Observation", `{"resourceType":"Observation","status":"final","identifier":`+ids+`,"code":{"text":"x"}}`)
		}
		typed := func(code, value string) string {
			return `{"system":"https://lab.example/id","value":"` + value + `","type":{"coding":[{"system":"` + v2 + `","code":"` + code + `"}]}}`
		}
		accession := obs("[" + typed("ACSN", "A100") + "]")
		obs("[" + typed("FILL", "A100") + "]")                                                    // the value, of another type
		obs("[" + typed("ACSN", "A200") + `,{"system":"https://lab.example/id","value":"A100"}]`) // the type on another identifier
		second := obs("[" + typed("PLAC", "P1") + "," + typed("ACSN", "A300") + "]")
		for _, tc := range []struct{ q, want string }{
			{"identifier:of-type=" + v2 + "|ACSN|A100", accession},
			{"identifier:of-type=" + v2 + "|ACSN|A100&_count=1", accession},
			{"identifier:of-type=" + v2 + "|ACSN|A300", second},
			{"identifier:of-type=" + v2 + "|ACSN|A100," + v2 + "|ACSN|A300", accession + "," + second},
			{"identifier:of-type=" + v2 + "|PLAC|A300", ""},
			{"identifier:of-type=http://other.example/cs|ACSN|A100", ""},
		} {
			if got := foundAll(t, c, "/fhir/Observation?"+tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		// Locations other systems send are kept beside the trust's own.
		loc := func(ids string) string {
			return "Location/" + create(t, c, "Location", `{"resourceType":"Location","name":"Ward","identifier":`+ids+`}`)
		}
		ward := loc("[" + typed("FI", "W1") + "]")
		loc("[" + typed("PLAC", "W1") + "]")
		for _, tc := range []struct{ q, want string }{
			{"identifier:of-type=" + v2 + "|FI|W1", ward},
			{"identifier:of-type=" + v2 + "|FI|W2", ""},
		} {
			if got := foundAll(t, c, "/fhir/Location?"+tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		if n := total(t, c, "/fhir/Observation?identifier:of-type="+url.QueryEscape(v2+"|ACSN|A100")); n != "1" {
			t.Errorf("_summary=count of ACSN A100: %v, want 1", n)
		}
		refused(t, c, "/fhir/Observation?identifier:of-type=A100", "identifier:of-type", "system|code")
		// All three parts are needed: an empty one is refused, the
		// type's system too.
		for _, v := range []string{"|ACSN|A100", v2 + "||A100", v2 + "|ACSN|", "||A100"} {
			refused(t, c, "/fhir/Observation?identifier:of-type="+url.QueryEscape(v), "identifier:of-type", "system|code")
		}
		refused(t, c, "/fhir/Patient?identifier:of-type="+url.QueryEscape("|MR|12345"), "identifier:of-type", "system|code")
		refused(t, c, "/fhir/Observation?code:of-type="+v2+"|ACSN|A100", "code:of-type", "identifiers")

		// The PMI serves the hospital number typed MR, the NHS number
		// untyped (UK Core gives it no type).
		r := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","identifier":[{"system":"`+fhir.SystemNHSNumber+`","value":"9990000018"}],"name":[{"family":"Typed","given":["Ann"]}],"gender":"female","birthDate":"1970-01-01"}`)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		pid := r.json(t)["id"].(string)
		var mrn string
		for _, x := range r.json(t)["identifier"].([]any) {
			if id := x.(map[string]any); id["system"] == fhir.SystemHospitalNumber {
				mrn = id["value"].(string)
			}
		}
		if mrn == "" {
			t.Fatalf("the PMI gave the patient no hospital number: %s", r.body)
		}
		for _, tc := range []struct{ q, want string }{
			{"identifier:of-type=" + v2 + "|MR|" + mrn, "Patient/" + pid},
			{"identifier:of-type=" + v2 + "|MR|9990000018", ""},
			{"identifier:of-type=" + v2 + "|NH|" + mrn, ""},
		} {
			if got := foundAll(t, c, "/fhir/Patient?"+tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
	})
}

// TestSearchValueSetIn searches token parameters by the codes of a value
// set (:in) and by the codes outside it (:not-in): a trust's own value
// set (codes named, a system whole, another value set included, codes
// excluded), one of R4's or UK Core's, for the resource store's types and the
// PMI's patients; one that is not known or cannot be expanded is refused
// naming the parameter and the value set.
func TestSearchValueSetIn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		obs := func(status, system, code string) string {
			return "Observation/" + create(t, c, "Observation", `{"resourceType":"Observation","status":"`+status+`","code":{"coding":[{"system":"`+system+`","code":"`+code+`"}]}}`)
		}
		const loinc, sct = "http://loinc.org", "http://snomed.info/sct"
		systolic := obs("final", loinc, "8480-6")
		diastolic := obs("amended", loinc, "8462-4")
		pulse := obs("final", loinc, "8867-4")
		sameCode := obs("final", sct, "8480-6") // the code, of another system
		vs := func(url, compose string) {
			create(t, c, "ValueSet", `{"resourceType":"ValueSet","url":"`+url+`","status":"active","compose":`+compose+`}`)
		}
		vs("https://trust.example/ValueSet/bp", `{"include":[{"system":"`+loinc+`","concept":[{"code":"8480-6"},{"code":"8462-4"}]}]}`)
		vs("https://trust.example/ValueSet/snomed", `{"include":[{"system":"`+sct+`"}]}`)
		vs("https://trust.example/ValueSet/vitals", `{"include":[{"valueSet":["https://trust.example/ValueSet/bp"]},{"system":"`+loinc+`","concept":[{"code":"8867-4"}]}],
			"exclude":[{"system":"`+loinc+`","concept":[{"code":"8462-4"}]}]}`)
		vs("https://trust.example/ValueSet/filtered", `{"include":[{"system":"`+sct+`","filter":[{"property":"concept","op":"is-a","value":"404684003"}]}]}`)
		vs("https://trust.example/ValueSet/female", `{"include":[{"system":"http://hl7.org/fhir/administrative-gender","concept":[{"code":"female"}]}]}`)
		sorted := func(ids ...string) string { slices.Sort(ids); return strings.Join(ids, ",") }
		for _, tc := range []struct{ q, want string }{
			{"code:in=https://trust.example/ValueSet/bp", sorted(systolic, diastolic)},
			{"code:in=https://trust.example/ValueSet/bp&_count=1", sorted(systolic, diastolic)},
			{"code:not-in=https://trust.example/ValueSet/bp", sorted(pulse, sameCode)},
			{"code:in=https://trust.example/ValueSet/snomed", sameCode},
			{"code:in=https://trust.example/ValueSet/vitals", sorted(systolic, pulse)},
			{"code:in=https://trust.example/ValueSet/bp&status=final", systolic},
			// R4's: a detected issue's status, whose observation-status
			// codes are final, preliminary and entered-in-error.
			{"status:in=http://hl7.org/fhir/ValueSet/detectedissue-status", sorted(systolic, pulse, sameCode)},
			{"status:not-in=http://hl7.org/fhir/ValueSet/detectedissue-status", diastolic},
			// Several value sets are any of them.
			{"code:in=https://trust.example/ValueSet/snomed,https://trust.example/ValueSet/bp", sorted(systolic, diastolic, sameCode)},
			{"code:not-in=https://trust.example/ValueSet/snomed,https://trust.example/ValueSet/bp", pulse},
			{"code:in=https://trust.example/ValueSet/female,https://trust.example/ValueSet/snomed", sameCode},
		} {
			if got := foundAll(t, c, "/fhir/Observation?"+tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		// UK Core's: R4's condition categories whole, and UK Core's own.
		condition := func(system, code string) string {
			return "Condition/" + create(t, c, "Condition", `{"resourceType":"Condition","category":[{"coding":[{"system":"`+system+`","code":"`+code+`"}]}],"code":{"text":"asthma"},"subject":{"reference":"Patient/x"}}`)
		}
		problem := condition("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")
		comorbidity := condition("https://fhir.hl7.org.uk/CodeSystem/UKCore-ConditionCategory", "co-morbidity")
		snomed := condition(sct, "439401001")
		for _, tc := range []struct{ q, want string }{
			{"category:in=https://fhir.hl7.org.uk/ValueSet/UKCore-ConditionCategory", sorted(problem, comorbidity)},
			{"category:not-in=https://fhir.hl7.org.uk/ValueSet/UKCore-ConditionCategory", snomed},
		} {
			if got := foundAll(t, c, "/fhir/Condition?"+tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		refused(t, c, "/fhir/Observation?code:in=https://trust.example/ValueSet/none", "code:in", "https://trust.example/ValueSet/none", "not known")
		// A value set of the SNOMED CT concepts below one, and :below, need
		// the trust's release, which this server has none of.
		refused(t, c, "/fhir/Observation?code:in=https://trust.example/ValueSet/filtered", "code:in", "https://trust.example/ValueSet/filtered", "below 404684003", "no SNOMED CT release")
		refused(t, c, "/fhir/Observation?code:in=https://trust.example/ValueSet/bp,https://trust.example/ValueSet/none", "code:in", "https://trust.example/ValueSet/none", "not known")
		refused(t, c, "/fhir/Observation?code:in=https://trust.example/ValueSet/bp,", "code:in", "several")
		refused(t, c, "/fhir/Observation?code:below="+sct+"|404684003", "code:below", "no SNOMED CT release")

		// The PMI's patients, by a trust's value set and by R4's.
		reg := func(family, gender string) string {
			r := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"`+family+`","given":["Val"]}],"gender":"`+gender+`","birthDate":"1980-02-02"}`)
			if r.status != 201 {
				t.Fatalf("register: %d %s", r.status, r.body)
			}
			return "Patient/" + r.json(t)["id"].(string)
		}
		ann, bob := reg("Valueset", "female"), reg("Valueset", "male")
		for _, tc := range []struct{ q, want string }{
			{"family=valueset&gender:in=https://trust.example/ValueSet/female", ann},
			{"gender:in=https://trust.example/ValueSet/female", ann},
			{"family=valueset&gender:not-in=https://trust.example/ValueSet/female", bob},
			{"family=valueset&gender:in=http://hl7.org/fhir/ValueSet/administrative-gender", sorted(ann, bob)},
			{"family=valueset&gender:in=https://trust.example/ValueSet/female,https://trust.example/ValueSet/bp", ann},
		} {
			if got := foundAll(t, c, "/fhir/Patient?"+tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
	})
}

// TestSearchValueSetInByID: :in and :not-in name a value set by a
// relative reference (ValueSet/id) too, the trust's value set of that
// id, as they name one by its canonical url.
func TestSearchValueSetInByID(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		const sct = "http://snomed.info/sct"
		condition := func(code string) string {
			return "Condition/" + create(t, c, "Condition", `{"resourceType":"Condition","code":{"coding":[{"system":"`+sct+`","code":"`+code+`"}]},"subject":{"reference":"Patient/x"}}`)
		}
		asthma, diabetes, eczema := condition("195967001"), condition("44054006"), condition("43116000")
		chronic := create(t, c, "ValueSet", `{"resourceType":"ValueSet","url":"https://trust.example/ValueSet/chronic","status":"active",
			"compose":{"include":[{"system":"`+sct+`","concept":[{"code":"195967001"},{"code":"44054006"}]}]}}`)
		sorted := func(ids ...string) string { slices.Sort(ids); return strings.Join(ids, ",") }
		for _, tc := range []struct{ q, want string }{
			{"code:in=ValueSet/" + chronic, sorted(asthma, diabetes)},
			{"code:not-in=ValueSet/" + chronic, eczema},
			{"code:in=https://trust.example/ValueSet/chronic", sorted(asthma, diabetes)},
		} {
			if got := foundAll(t, c, "/fhir/Condition?"+tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		refused(t, c, "/fhir/Condition?code:in=ValueSet/none", "code:in", "ValueSet/none", "not known")
	})
}

// TestSearchContentAndText searches the words of a resource (_content)
// and of its narrative (_text): each word a part of some value, case
// ignored, not an element's name nor the narrative's markup; with other
// parameters, paged, and counted.
func TestSearchContentAndText(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		obs := func(code, narrative, note string) string {
			body := `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"` + code + `"}]}`
			if narrative != "" {
				body += `,"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>` + narrative + `</p></div>"}`
			}
			if note != "" {
				body += `,"note":[{"text":"` + note + `"}]`
			}
			return "Observation/" + create(t, c, "Observation", body+"}")
		}
		narrated := obs("8867-4", "Dizziness on standing", "")
		noted := obs("8867-4", "Pulse taken", "Reports DIZZINESS after meals")
		other := obs("8480-6", "", "dizziness, seen by Zoë")
		dizzy := obs("8867-4", "Dizzy spells", "felt dizzy") // a near miss: dizzy, not dizziness
		dizzyOf := func(*testing.T, *client) string { return strings.TrimPrefix(dizzy, "Observation/") }
		sorted := func(ids ...string) string { slices.Sort(ids); return strings.Join(ids, ",") }
		for _, tc := range []struct{ q, want string }{
			{"_content=dizziness", sorted(narrated, noted, other)},
			{"_content=Dizziness&_count=1", sorted(narrated, noted, other)},
			{"_content=dizziness+standing", narrated},
			{"_content=dizziness&_content=meals", noted},
			{"_content=dizziness&code=http://loinc.org|8867-4", sorted(narrated, noted)},
			{"_content=zoë", other},
			{"_content=ZOË", other},
			{"_content=status", ""},                                         // an element's name, not a value
			{"_content=8480", other},                                        // part of a code
			{"_content=" + strings.Split(other, "-")[4], ""},                // part of the id, which is not content
			{"_content=" + clock.Now().Format("2006") + "&code=8480-6", ""}, // the year of meta.lastUpdated, nor is that
			{"_text=dizziness", narrated},                                   // the others' is in a note
			{"_text=pulse", noted},
			{"_text=div", ""},   // the narrative's markup, not its text
			{"_text=meals", ""}, // a note, not the narrative
		} {
			if got := foundAll(t, c, "/fhir/Observation?"+tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		// A phrase in double quotes: its words together, in order, in one
		// value; beside words and other phrases.
		for _, tc := range []struct{ content, want string }{
			{`"dizziness after"`, noted},
			{`"DIZZINESS   after meals"`, noted},
			{`"after dizziness"`, ""},
			{`"dizziness standing"`, ""}, // both in one value, not together
			{`"dizziness seen"`, ""},     // a comma between
			{`"dizziness on standing"`, narrated},
			{`pulse "dizziness after"`, noted},
			{`"dizziness after" "dizziness on"`, ""},
			{`"dizziness"`, sorted(narrated, noted, other)},
		} {
			if got := foundAll(t, c, "/fhir/Observation?_content="+url.QueryEscape(tc.content)); got != tc.want {
				t.Errorf("_content=%s found %q, want %q", tc.content, got, tc.want)
			}
		}
		// AND (or none), OR, NOT and parentheses between words and phrases.
		for _, tc := range []struct{ q, want string }{
			{`_content=standing OR meals`, sorted(narrated, noted)},
			{`_content=standing or zoë`, sorted(narrated, other)},
			{`_content=dizziness AND meals`, noted},
			{`_content=dizziness and meals`, noted},
			{`_content=dizziness NOT meals`, sorted(narrated, other)},
			{`_content=dizziness AND NOT (meals OR zoë)`, narrated},
			{`_content=(standing OR "after meals") AND pulse`, noted},
			{`_content=(standing OR "after meals") pulse`, noted},
			{`_content=dizzy OR (8480 AND zoë)`, other + ",Observation/" + dizzyOf(t, c)},
			{`_content=NOT dizz`, ""},
			{`_content=not dizziness`, ""}, // "not" in lower case is a word
			{`_text=(pulse OR spells) AND NOT standing`, sorted(noted, "Observation/"+dizzyOf(t, c))},
		} {
			key, v, _ := strings.Cut(tc.q, "=")
			want := tc.want
			if strings.Contains(want, ",") {
				want = sorted(strings.Split(want, ",")...)
			}
			if got := foundAll(t, c, "/fhir/Observation?"+key+"="+url.QueryEscape(v)); got != want {
				t.Errorf("%s found %q, want %q", tc.q, got, want)
			}
		}
		for _, bad := range []struct{ v, says string }{
			{"(dizziness OR meals", "not closed"},
			{"dizziness OR", "ends where a word"},
			{"dizziness OR AND meals", "AND stands where"},
			{"dizziness)", "no opening parenthesis"},
			{"()", ") stands where"},
		} {
			refused(t, c, "/fhir/Observation?_content="+url.QueryEscape(bad.v), "_content", bad.says)
		}
		if got := foundAll(t, c, "/fhir/Observation?_text="+url.QueryEscape(`"on standing"`)); got != narrated {
			t.Errorf(`_text="on standing" found %q, want %q`, got, narrated)
		}
		refused(t, c, "/fhir/Observation?_content="+url.QueryEscape(`"dizziness after`), "_content", "not closed")
		refused(t, c, "/fhir/Observation?_content="+url.QueryEscape(`"" dizziness`), "_content", "no words")
		if n := total(t, c, "/fhir/Observation?_content=dizziness"); n != "3" {
			t.Errorf("_summary=count of _content=dizziness: %v, want 3", n)
		}
		if n := total(t, c, "/fhir/Observation?_content="); n != "4" {
			t.Errorf("_summary=count of _content= (no value, ignored): %v, want every Observation, 4", n)
		}
		// The patient index's and the PAS's records are searched by
		// their words too: as served, the narrative as it is served.
		id := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Wordsworth","given":["Dora"]}],"birthDate":"1950-04-07","gender":"female"}`)
		pid := "Patient/" + id
		for _, tc := range []struct{ q, want string }{
			{"/fhir/Patient?_content=wordsworth", pid},
			{"/fhir/Patient?_text=dora", pid},                        // the served narrative names her
			{"/fhir/Patient?_text=dora+NOT+wordsworth", ""},          // an expression
			{"/fhir/Patient?_content=dizziness", ""},                 // words of others' records
			{"/fhir/Patient?family=wordsworth&_text=1950-04-07", ""}, // the narrative writes 07-Apr-1950
			{"/fhir/Patient?family=wordsworth&_text=07-apr-1950", pid},
		} {
			if got := foundAll(t, c, tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		rf := referTo(t, f, db, clock, id)
		if got := foundAll(t, c, "/fhir/ServiceRequest?patient="+id+"&_content=general+surgery"); got != "ServiceRequest/ref-"+rf.ID {
			t.Errorf("the patient's referral by the words of its service: %q, want ServiceRequest/ref-%s", got, rf.ID)
		}
		if got := foundAll(t, c, "/fhir/ServiceRequest?patient="+id+"&_content=cardiology"); got != "" {
			t.Errorf("the patient's referrals by another service's words: %q, want none", got)
		}
	})
}

// TestSearchList searches the resources a List holds (_list=id), and a
// patient's functional lists ($current-problems and the like); a List
// the trust does not hold lists nothing.
func TestSearchList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		reg := func(family string) string {
			r := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"`+family+`","given":["Lis"]}],"gender":"female","birthDate":"1975-03-03"}`)
			if r.status != 201 {
				t.Fatalf("register: %d %s", r.status, r.body)
			}
			return r.json(t)["id"].(string)
		}
		p, q := reg("Listed"), reg("Unlisted")
		o := func(code string) string {
			return create(t, c, "Observation", fmt.Sprintf(observation, p, "2026-03-01T10:00:00Z", code))
		}
		o1, o2, o3, o4 := o("60"), o("61"), o("62"), o("63")
		cond := func(patient, status string) string {
			return create(t, c, "Condition", `{"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"`+status+`"}]},
				"code":{"text":"asthma"},"subject":{"reference":"Patient/`+patient+`"}}`)
		}
		active, resolved, others := cond(p, "active"), cond(p, "resolved"), cond(q, "active")
		list := create(t, c, "List", `{"resourceType":"List","status":"current","mode":"working","entry":[
			{"item":{"reference":"Observation/`+o1+`"}},{"item":{"reference":"Observation/`+o3+`"}},
			{"item":{"reference":"Observation/`+o2+`"},"deleted":true},{"item":{"reference":"Condition/`+resolved+`"}},
			{"item":{"reference":"Patient/`+p+`"}}]}`)
		empty := create(t, c, "List", `{"resourceType":"List","status":"current","mode":"working","entry":[{"item":{"reference":"Condition/`+active+`"}}]}`)
		O := func(ids ...string) string { return sortedRefs("Observation", ids...) }
		for _, tc := range []struct{ q, want string }{
			{"Observation?_list=" + list, O(o1, o3)},
			{"Observation?_list=" + list + "&_count=1", O(o1, o3)},
			{"Observation?_list=" + list + "&_id=" + o3 + "," + o4, O(o3)},
			{"Observation?_list=" + list + "&value-quantity=60", O(o1)},
			{"Observation?_list=" + empty, ""},
			{"Observation?_list=" + empty + "," + list, O(o1, o3)},
			{"Observation?_list=no-such-list", ""},
			{"Condition?_list=" + list, "Condition/" + resolved},
			{"Patient?_list=" + list, "Patient/" + p},
			{"Condition?_list=$current-problems&patient=" + p, "Condition/" + active},
			{"Condition?_list=$current-problems&subject=Patient/" + q, "Condition/" + others},
		} {
			if got := foundAll(t, c, "/fhir/"+tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		if n := total(t, c, "/fhir/Observation?_list="+list); n != "2" {
			t.Errorf("_summary=count of the List: %v, want 2", n)
		}
		refused(t, c, "/fhir/Condition?_list=$current-problems", "_list", "patient=")
		refused(t, c, "/fhir/Observation?_list=$current-problems&patient="+p, "_list", "Condition")
		refused(t, c, "/fhir/Condition?_list=$current-worries&patient="+p, "_list", "$current-worries", "not a functional list")
	})
}

// TestSearchFilterRefused checks that _filter, which R4 leaves optional,
// is refused with an OperationOutcome saying it is not supported when
// the client asks for strict handling, and otherwise left out, an
// outcome entry saying so.
func TestSearchFilterRefused(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		r := c.do("GET", "/fhir/Observation?_filter="+url.QueryEscape(`status eq final`), "", "Prefer", "handling=strict")
		if r.status != 400 || !isOutcome(r) || !strings.Contains(string(r.body), "_filter") || !strings.Contains(string(r.body), "not supported") || !strings.Contains(string(r.body), `"not-supported"`) {
			t.Errorf("_filter: %d %s, want 400 saying it is not supported", r.status, r.body)
		}
		for _, prefer := range []string{"handling=lenient", ""} {
			if r := c.do("GET", "/fhir/Observation?_filter=x", "", "Prefer", prefer); r.status != 200 || !strings.Contains(string(r.body), `"mode":"outcome"`) {
				t.Errorf("_filter, Prefer %q: %d %s, want 200 with an outcome entry", prefer, r.status, r.body)
			}
		}
	})
}

// TestCapabilityStatementListsWordsAndLists checks that the
// CapabilityStatement lists _content, _text and _list for the resource
// store's types, _list for the PMI's patients, and neither for a type the
// PAS keeps.
func TestCapabilityStatementListsWordsAndLists(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		var cs struct {
			Rest []struct {
				Resource []struct {
					Type        string
					SearchParam []struct{ Name, Type string }
				}
			}
		}
		if err := json.Unmarshal(f.a.do("GET", "/fhir/metadata", "").body, &cs); err != nil || len(cs.Rest) == 0 {
			t.Fatalf("metadata: %v", err)
		}
		listed := map[string]string{}
		for _, res := range cs.Rest[0].Resource {
			for _, p := range res.SearchParam {
				if strings.HasPrefix(p.Name, "_") && p.Name != "_id" && p.Name != "_lastUpdated" {
					listed[res.Type] += p.Name + ":" + p.Type + " "
				}
			}
		}
		for typ, want := range map[string]string{
			"Observation": "_content:string _list:special _profile:uri _security:token _source:uri _tag:token _text:string ",
			"Patient":     "_content:string _list:special _profile:uri _security:token _source:uri _tag:token _text:string ",
			"Encounter":   "_content:string _profile:uri _security:token _source:uri _tag:token _text:string ",
		} {
			if got := listed[typ]; got != want {
				t.Errorf("%s lists %q, want %q", typ, got, want)
			}
		}
	})
}

// TestCapabilityStatementDocumentsSearches checks that the
// CapabilityStatement documents what its parameters take beyond R4's
// word: _content's and _text's words and phrases, _list's Lists and
// functional lists, an identifier's :of-type (the PAS's types too), and
// that :in and :not-in take several value sets and _filter is refused.
func TestCapabilityStatementDocumentsSearches(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		var cs struct {
			Rest []struct {
				Documentation string
				Resource      []struct {
					Type        string
					SearchParam []struct{ Name, Type, Documentation string }
				}
			}
		}
		if err := json.Unmarshal(f.a.do("GET", "/fhir/metadata", "").body, &cs); err != nil || len(cs.Rest) == 0 {
			t.Fatalf("metadata: %v", err)
		}
		doc := map[string]string{}
		for _, res := range cs.Rest[0].Resource {
			for _, p := range res.SearchParam {
				doc[res.Type+"."+p.Name] = p.Documentation
			}
		}
		for param, want := range map[string]string{
			"Observation._content":   "double quotes",
			"Observation._text":      "narrative",
			"Observation._list":      "List",
			"Condition._list":        "$current-problems",
			"Observation.identifier": ":of-type",
			"Patient.identifier":     ":of-type",
			"Encounter.identifier":   ":of-type",
		} {
			if !strings.Contains(doc[param], want) {
				t.Errorf("%s documented %q, want it to say %s", param, doc[param], want)
			}
		}
		if doc["Observation.code"] != "" {
			t.Errorf("Observation.code documented %q, want R4's word alone", doc["Observation.code"])
		}
		for _, want := range []string{":not-in", "several separated by commas", "_filter"} {
			if !strings.Contains(cs.Rest[0].Documentation, want) {
				t.Errorf("rest.documentation %q does not say %s", cs.Rest[0].Documentation, want)
			}
		}
	})
}

// TestSearchNumberPrecision: a value written to more decimals than a
// float64 holds at its size (as Synthea writes its laboratory results)
// equals itself, in a quantity, a number and a composite's quantity;
// fewer decimals match what rounds to them, and a value with an exponent
// is to the place its last digit stands for (5.40e-3 to the fifth
// decimal place, 5.4e-3 to the fourth).
func TestSearchNumberPrecision(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		obs := func(code, value, unit string) string {
			return "Observation/" + create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"`+code+`"}]},`+
				`"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":`+value+`,"unit":"`+unit+`","system":"http://unitsofmeasure.org","code":"`+unit+`"}}`)
		}
		a := obs("2069-3", "106.82527045224225", "mmol/L")
		b := obs("2069-3", "106.8", "mmol/L")
		cc := obs("72514-3", "0.8716012769702384", "{score}")
		d := obs("2069-3", "100", "mmol/L")
		mg1, mg2, mg3 := obs("15074-8", "0.00539", "g"), obs("15074-8", "0.0054", "g"), obs("15074-8", "0.00541", "g")
		risk := "RiskAssessment/" + create(t, c, "RiskAssessment", `{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/p1"},"prediction":[{"probabilityDecimal":0.30060778538807643}]}`)
		sorted := func(ids ...string) string { slices.Sort(ids); return strings.Join(ids, ",") }
		for _, tc := range []struct{ q, want string }{
			{"Observation?value-quantity=106.82527045224225", a},
			{"Observation?value-quantity=eq106.82527045224225", a},
			{"Observation?value-quantity=ne106.82527045224225", sorted(b, cc, d, mg1, mg2, mg3)},
			{"Observation?value-quantity=106.8", sorted(a, b)},
			{"Observation?value-quantity=0.8716012769702384", cc},
			{"Observation?value-quantity=0.8716012769702384|http://unitsofmeasure.org|{score}", cc},
			{"Observation?code-value-quantity=http://loinc.org|2069-3$106.82527045224225", a},
			{"RiskAssessment?probability=0.30060778538807643", risk},
			{"Observation?value-quantity=5.40e-3|http://unitsofmeasure.org|g", mg2},
			{"Observation?value-quantity=5.4E-3", sorted(mg1, mg2, mg3)},
			{"Observation?value-quantity=5e-3", sorted(mg1, mg2, mg3)},
			{"Observation?value-quantity=1e2", sorted(a, b, d)},
			{"Observation?value-quantity=gt5.40e-3&code=15074-8", mg3},
		} {
			if got := foundAll(t, c, "/fhir/"+tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
	})
}

// TestTokenTextMatchesDisplay checks that :text on a token matches the
// text of a code as R4 has it: a CodeableConcept's text, a Coding's
// display (a code sent without text) and an Identifier's type's text.
func TestTokenTextMatchesDisplay(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		r := c.do("POST", "/fhir/Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},
			"code":{"coding":[{"system":"http://snomed.info/sct","code":"25064002","display":"Headache finding"}]},
			"identifier":[{"type":{"text":"Problem list number"},"value":"PL-7"}]}`)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		for _, tc := range []struct {
			q    string
			want int
		}{
			{"code:text=headache", 1}, {"code:text=HEADACHE%20fin", 1}, {"code:text=migraine", 0},
			{"identifier:text=problem%20list", 1}, {"identifier:text=lab", 0},
		} {
			if got := len(array(c.do("GET", "/fhir/Condition?"+tc.q, "").json(t)["entry"])); got != tc.want {
				t.Errorf("Condition?%s: %d, want %d", tc.q, got, tc.want)
			}
		}
	})
}
