package fhir_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// ukCore is the UK Core 2.6.1 profiles, value sets and code systems of
// ../shared/reference/ukcore (or of CRS_SHARED), for checking served
// resources.
type ukCore struct {
	profiles map[string]*fhir.Profile
	codes    map[string]map[string]bool // value set url: codes
}

const ukCoreDir = "../../shared/reference/ukcore"

func loadUKCore(t *testing.T) *ukCore {
	t.Helper()
	dir := ukCoreDir
	if s := os.Getenv("CRS_SHARED"); s != "" {
		dir = filepath.Join(s, "reference", "ukcore")
	}
	files, _ := filepath.Glob(dir + "/structuredefinitions/*.xml")
	if len(files) == 0 {
		t.Skip(dir + " is absent (set CRS_SHARED to the shared directory)")
	}
	u := &ukCore{profiles: map[string]*fhir.Profile{}, codes: map[string]map[string]bool{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := fhir.ParseProfile(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		u.profiles[p.URL] = p
	}
	type concept struct {
		Code struct {
			Value string `xml:"value,attr"`
		} `xml:"code"`
		Concept []concept `xml:"concept"`
	}
	systems := map[string][]string{}
	var flatten func(cs []concept, out *[]string)
	flatten = func(cs []concept, out *[]string) {
		for _, c := range cs {
			*out = append(*out, c.Code.Value)
			flatten(c.Concept, out)
		}
	}
	css, _ := filepath.Glob(dir + "/codesystems/*.xml")
	for _, f := range css {
		b, _ := os.ReadFile(f)
		var cs struct {
			URL struct {
				Value string `xml:"value,attr"`
			} `xml:"url"`
			Concept []concept `xml:"concept"`
		}
		if xml.Unmarshal(b, &cs) == nil {
			var codes []string
			flatten(cs.Concept, &codes)
			systems[cs.URL.Value] = codes
		}
	}
	vss, _ := filepath.Glob(dir + "/valuesets/*.xml")
	for _, f := range vss {
		b, _ := os.ReadFile(f)
		var vs struct {
			URL struct {
				Value string `xml:"value,attr"`
			} `xml:"url"`
			Include []struct {
				System struct {
					Value string `xml:"value,attr"`
				} `xml:"system"`
				Concept []concept  `xml:"concept"`
				Filter  []struct{} `xml:"filter"`
			} `xml:"compose>include"`
		}
		if xml.Unmarshal(b, &vs) != nil {
			continue
		}
		codes, whole := map[string]bool{}, true
		for _, inc := range vs.Include {
			switch {
			case len(inc.Filter) > 0:
				whole = false
			case len(inc.Concept) > 0:
				var cs []string
				flatten(inc.Concept, &cs)
				for _, c := range cs {
					codes[c] = true
				}
			case systems[inc.System.Value] != nil:
				for _, c := range systems[inc.System.Value] {
					codes[c] = true
				}
			default:
				whole = false
			}
		}
		if whole {
			u.codes[vs.URL.Value] = codes
		}
	}
	return u
}

func (u *ukCore) Profile(url string) *fhir.Profile { return u.profiles[url] }
func (u *ukCore) Codes(vs string) (map[string]bool, bool) {
	c, ok := u.codes[vs]
	return c, ok
}

// r4Codes are the codes of the R4 required bindings of the elements the
// typed core fills that UK Core leaves as R4 has them.
var r4Codes = map[string][]string{
	"Patient.gender":          {"male", "female", "other", "unknown"},
	"Encounter.status":        {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled", "entered-in-error", "unknown"},
	"EpisodeOfCare.status":    {"planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"},
	"Appointment.status":      {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow", "entered-in-error", "checked-in", "waitlist"},
	"ServiceRequest.status":   {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
	"ServiceRequest.intent":   {"proposal", "plan", "directive", "order", "original-order", "reflex-order", "filler-order", "instance-order", "option"},
	"ServiceRequest.priority": {"routine", "urgent", "asap", "stat"},
	"Location.status":         {"active", "suspended", "inactive"},
	"Location.mode":           {"instance", "kind"},
}

// conforms checks a served resource against its UK Core profile (named
// in meta.profile), the R4 codes of its statuses, and the R4
// definitions.
func (u *ukCore) conforms(t *testing.T, r map[string]any) {
	t.Helper()
	typ, _ := r["resourceType"].(string)
	meta, _ := r["meta"].(map[string]any)
	profiles, _ := meta["profile"].([]any)
	want := "https://fhir.hl7.org.uk/StructureDefinition/UKCore-" + typ
	if len(profiles) == 0 || profiles[0] != want {
		t.Errorf("%s/%v: meta.profile %v, want %s", typ, r["id"], profiles, want)
		return
	}
	p := u.profiles[want]
	if p == nil {
		t.Fatalf("no profile %s", want)
	}
	for _, is := range p.Check(r, u) {
		t.Errorf("%s/%v does not conform to %s: %s: %s", typ, r["id"], want, is.Expression, is.Diagnostics)
	}
	for path, codes := range r4Codes {
		el, ok := strings.CutPrefix(path, typ+".")
		if !ok || r[el] == nil {
			continue
		}
		found := false
		for _, c := range codes {
			found = found || r[el] == c
		}
		if !found {
			t.Errorf("%s/%v: %s %v is not a code of its R4 required binding", typ, r["id"], path, r[el])
		}
	}
	if err := fhir.Validate(fhir.Resource(r)); err != nil {
		t.Errorf("%s/%v breaks the R4 definitions: %v", typ, r["id"], err)
	}
}

// TestProfileCheck checks the profile checker finds what breaks UK Core
// Patient: a second NHS number, an NHS number without a value, a
// verification status outside its required value set.
func TestProfileCheck(t *testing.T) {
	u := loadUKCore(t)
	p := u.Profile("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient")
	nhsNo := func(value, status string) map[string]any {
		id := map[string]any{"system": fhir.SystemNHSNumber}
		if value != "" {
			id["value"] = value
		}
		if status != "" {
			id["extension"] = []any{map[string]any{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
				"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland", "code": status}}}}}
		}
		return id
	}
	for _, tc := range []struct {
		name string
		ids  []any
		want string // "" for none
	}{
		{"one verified", []any{nhsNo("9990000018", "01")}, ""},
		{"two NHS numbers", []any{nhsNo("9990000018", ""), nhsNo("9990000026", "")}, "at most 1"},
		{"no value", []any{nhsNo("", "")}, "at least 1"},
		{"status not in the value set", []any{nhsNo("9990000018", "99")}, `"99" is not a code`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			issues := p.Check(map[string]any{"resourceType": "Patient", "identifier": tc.ids}, u)
			var got []string
			for _, is := range issues {
				got = append(got, is.Expression+": "+is.Diagnostics)
			}
			if tc.want == "" && len(got) > 0 || tc.want != "" && !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("issues %q, want one saying %q", got, tc.want)
			}
		})
	}
}

// journey makes trust A's wards, beds and clinic room and seeds a
// patient journey for patients registered through the API.
func journey(t *testing.T, db *store.DB, f *fixture) {
	t.Helper()
	journeyOf(t, db, f.trustA, 3)
}

// journeyOf seeds a trust as journey does, its patients made by the
// generator of seed.
func journeyOf(t *testing.T, db *store.DB, tr *storetest.Trust, seed int64) {
	t.Helper()
	ctx := context.Background()
	orgs := store.NewOrganisationService(db)
	admin := tr.Actor(crs.RoleAdmin)
	loc := func(parent string, kind crs.LocationKind, code string) *crs.Location {
		l := &crs.Location{ParentID: parent, Kind: kind, Code: code, Name: "Location " + code}
		if err := orgs.CreateLocation(ctx, admin, l); err != nil {
			t.Fatalf("location %s: %v", code, err)
		}
		return l
	}
	site := loc("", crs.LocationSite, "MAIN")
	ward := loc(site.ID, crs.LocationWard, "WD1")
	for i := 1; i <= 4; i++ {
		loc(ward.ID, crs.LocationBed, fmt.Sprintf("B%02d", i))
	}
	gen := demo.NewGenerator(seed)
	ps := make([]*crs.Patient, 12)
	for i := range ps {
		ps[i] = gen.Patient()
	}
	if _, err := db.LoadPatients(ctx, tr.System, ps, crs.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedJourney(ctx, storetest.Journey(db), tr.System, demo.JourneyOptions{Referrals: 30, EDPatients: 4, Occupancy: 1, Workers: 1}); err != nil {
		t.Fatalf("seed journey: %v", err)
	}
}

// TestTypedCore reads and searches the typed core as UK Core resources,
// checks each against its profile, refuses writes to it, and keeps
// each trust's records to itself.
func TestTypedCore(t *testing.T) {
	u := loadUKCore(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		pats, err := db.LivePatientIDs(context.Background(), f.trustA.Org.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		entries := func(q string) []map[string]any {
			t.Helper()
			return matches(t, c, q)
		}
		seen := map[string]map[string]any{} // by type and class or kind: one of each
		for i, pid := range pats {
			read := c.do("GET", "/fhir/Patient/"+pid, "").json(t)
			u.conforms(t, read)
			if i == 0 {
				// A patient of the bulk load has one event for the whole
				// load: its history is its record as it stands.
				h := c.do("GET", "/fhir/Patient/"+pid+"/_history", "")
				es, _ := h.json(t)["entry"].([]any)
				if h.status != 200 || len(es) != 1 {
					t.Fatalf("history of a loaded patient: %d, %d entries: %s", h.status, len(es), h.body)
				}
				got := es[0].(map[string]any)["resource"].(map[string]any)
				if got["id"] != pid || got["meta"].(map[string]any)["versionId"] != read["meta"].(map[string]any)["versionId"] {
					t.Errorf("history of a loaded patient = %v, want the record read (%v)", got["meta"], read["meta"])
				}
			}
			for _, typ := range []string{"Encounter", "EpisodeOfCare", "Appointment", "ServiceRequest"} {
				for _, r := range entries(typ + "?patient=Patient/" + pid) {
					key := typ
					if cl, ok := r["class"].(map[string]any); ok {
						key += " " + cl["code"].(string)
					}
					if seen[key] == nil {
						seen[key] = r
						u.conforms(t, r)
					}
					if sub, _ := r["subject"].(map[string]any); sub != nil && sub["reference"] != "Patient/"+pid {
						t.Errorf("%s/%v of Patient/%s has subject %v", typ, r["id"], pid, sub)
					}
				}
			}
		}
		for _, k := range []string{"Encounter IMP", "Encounter EMER", "Encounter AMB", "EpisodeOfCare", "Appointment", "ServiceRequest"} {
			r := seen[k]
			if r == nil {
				t.Errorf("no %s found for the seeded patients", k)
				continue
			}
			typ, id := r["resourceType"].(string), r["id"].(string)
			got := c.do("GET", "/fhir/"+typ+"/"+id, "")
			if got.status != 200 || got.json(t)["id"] != id {
				t.Errorf("read %s/%s: %d %s", typ, id, got.status, got.body)
			}
			// Writes are refused: the PAS records them. An appointment's,
			// a referral's and an inpatient spell's status move on
			// through its commands (TestAppointmentWrites,
			// TestReferralWrites, TestSpellWrites): put back as read,
			// they are unchanged.
			written := typ == "Appointment" || typ == "ServiceRequest" || strings.HasPrefix(id, "ip-")
			if r := c.do("PUT", "/fhir/"+typ+"/"+id, string(got.body)); written && (r.status != 200 || string(r.body) != string(got.body)) {
				t.Errorf("update %s/%s as read: %d %s, want 200 and no change", typ, id, r.status, r.body)
			} else if !written && (r.status != 405 || !isOutcome(r) || !strings.Contains(string(r.body), "PAS")) {
				t.Errorf("update %s/%s: %d %s, want 405 saying to use the PAS", typ, id, r.status, r.body)
			}
			if r := c.do("DELETE", "/fhir/"+typ+"/"+id, ""); r.status != 405 {
				t.Errorf("delete %s/%s: %d", typ, id, r.status)
			}
			// Tenancy: trust B reaches none of them.
			if r := f.b.do("GET", "/fhir/"+typ+"/"+id, ""); r.status != 404 {
				t.Errorf("trust B read %s/%s: %d %s", typ, id, r.status, r.body)
			}
		}
		if r := seen["EpisodeOfCare"]; r != nil && !strings.Contains(fmt.Sprint(r["identifier"]), fhir.SystemPPI) {
			t.Errorf("EpisodeOfCare without its PPI: %v", r["identifier"])
		}
		if r := seen["ServiceRequest"]; r != nil && !strings.Contains(fmt.Sprint(r["category"]), "3457005") {
			t.Errorf("ServiceRequest not of category referral: %v", r["category"])
		}
		// Search narrows a patient's records by status and class.
		if enc := seen["Encounter IMP"]; enc != nil {
			pid := strings.TrimPrefix(enc["subject"].(map[string]any)["reference"].(string), "Patient/")
			for _, r := range entries("Encounter?patient=" + pid + "&class=IMP&status=" + enc["status"].(string)) {
				if r["class"].(map[string]any)["code"] != "IMP" || r["status"] != enc["status"] {
					t.Errorf("Encounter?class=IMP&status=%v found %v %v", enc["status"], r["class"], r["status"])
				}
			}
			if n := len(entries("Encounter?patient=" + pid + "&date=lt1900")); n != 0 {
				t.Errorf("Encounter?date=lt1900 found %d", n)
			}
		}
		// Locations, the trust, a GP practice and a consultant.
		wards := entries("Location?name=Location%20WD1")
		if len(wards) != 1 {
			t.Fatalf("Location?name=Location WD1: %d", len(wards))
		}
		for _, q := range []string{"Location/" + wards[0]["id"].(string), "Organization/trust", "Organization/gp-Y01234", "Practitioner/cons-C1000001"} {
			r := c.do("GET", "/fhir/"+q, "")
			if r.status != 200 {
				t.Errorf("%s: %d %s", q, r.status, r.body)
				continue
			}
			u.conforms(t, r.json(t))
		}
		if beds := entries("Location?partof=Location/" + wards[0]["id"].(string)); len(beds) != 4 {
			t.Errorf("beds of the ward: %d, want 4", len(beds))
		}
		if r := f.b.do("GET", "/fhir/Location/"+wards[0]["id"].(string), ""); r.status != 404 {
			t.Errorf("trust B read trust A's ward: %d", r.status)
		}
		if r := c.do("POST", "/fhir/EpisodeOfCare", `{"resourceType":"EpisodeOfCare","status":"active","patient":{"reference":"Patient/`+pats[0]+`"}}`); r.status != 405 || !isOutcome(r) {
			t.Errorf("create EpisodeOfCare: %d %s", r.status, r.body)
		}
		// Without a patient, the trust's appointments are searched.
		for _, r := range entries("Appointment?status=booked") {
			if r["status"] != "booked" {
				t.Errorf("Appointment?status=booked found %v %v", r["id"], r["status"])
			}
		}
		// An encounter of care elsewhere (as Synthea sends) goes to the
		// resource store, and is found beside the PAS's.
		ext := c.do("POST", "/fhir/Encounter", `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/`+pats[0]+`"}}`)
		if ext.status != 201 {
			t.Fatalf("create an external encounter: %d %s", ext.status, ext.body)
		}
		extID := ext.json(t)["id"].(string)
		found := false
		for _, r := range entries("Encounter?patient=Patient/" + pats[0]) {
			found = found || r["id"] == extID
		}
		if !found {
			t.Errorf("the external encounter is not found beside the PAS's")
		}
		// Paged one by one, the PAS's encounters and the resource store's
		// come each once.
		for _, pid := range pats[:4] {
			all := entries("Encounter?patient=Patient/" + pid)
			var paged []string
			for next := f.base + "/fhir/Encounter?_count=1&patient=Patient/" + pid; next != ""; {
				page := c.do("GET", next, "").json(t)
				es, _ := page["entry"].([]any)
				for _, e := range es {
					paged = append(paged, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
				}
				next = ""
				for _, l := range page["link"].([]any) {
					if l.(map[string]any)["relation"] == "next" {
						next = l.(map[string]any)["url"].(string)
					}
				}
			}
			var want []string
			for _, r := range all {
				want = append(want, r["id"].(string))
			}
			if strings.Join(paged, ",") != strings.Join(want, ",") {
				t.Errorf("Patient/%s's encounters paged %v, want %v", pid, paged, want)
			}
		}
	})
}

// TestCapabilityStatementTyped checks the CapabilityStatement says what
// is served from the typed core and how.
func TestCapabilityStatementTyped(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		cs := f.a.do("GET", "/fhir/metadata", "").json(t)
		byType := map[string]map[string]any{}
		for _, r := range cs["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
			m := r.(map[string]any)
			byType[m["type"].(string)] = m
		}
		codes := func(typ string) string {
			var out []string
			for _, i := range byType[typ]["interaction"].([]any) {
				out = append(out, i.(map[string]any)["code"].(string))
			}
			return strings.Join(out, ",")
		}
		params := func(typ string) string {
			var out []string
			for _, p := range byType[typ]["searchParam"].([]any) {
				out = append(out, p.(map[string]any)["name"].(string))
			}
			return strings.Join(out, ",")
		}
		for _, tc := range []struct{ typ, codes, params string }{
			// Every R4 parameter with elements to match, and deceased, whose
			// value is derived.
			{"Patient", "read,vread,update,patch,delete,history-instance,history-type,create,search-type", "_content,_id,_lastUpdated,_list,_profile,_security,_source,_tag,_text,active,address,address-city,address-country,address-postalcode,address-state,address-use,birthdate,death-date,deceased,email,family,gender,general-practitioner,given,identifier,language,link,name,organization,phone,phonetic,telecom"},
			{"EpisodeOfCare", "read,vread,history-instance,search-type", "_content,_id,_lastUpdated,_profile,_security,_source,_tag,_text,care-manager,condition,date,identifier,incoming-referral,organization,patient,status,type"},
			{"Appointment", "read,vread,update,patch,history-instance,create,search-type", "_content,_id,_lastUpdated,_profile,_security,_source,_tag,_text,actor,appointment-type,based-on,date,identifier,location,part-status,patient,practitioner,reason-code,reason-reference,service-category,service-type,slot,specialty,status,supporting-info"},
			// The trust's locations, and those other systems send (Synthea's
			// hospitals), searched by every parameter.
			{"Location", "read,vread,update,patch,delete,history-instance,create,search-type", "_content,_id,_lastUpdated,_profile,_security,_source,_tag,_text,address,address-city,address-country,address-postalcode,address-state,address-use,endpoint,identifier,name,operational-status,organization,partof,status,type"},
		} {
			if got := codes(tc.typ); got != tc.codes {
				t.Errorf("%s interactions %s, want %s", tc.typ, got, tc.codes)
			}
			if got := params(tc.typ); got != tc.params {
				t.Errorf("%s search parameters %s, want %s", tc.typ, got, tc.params)
			}
			if byType[tc.typ]["profile"] != "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"+tc.typ {
				t.Errorf("%s profile %v", tc.typ, byType[tc.typ]["profile"])
			}
		}
		if doc, _ := byType["Encounter"]["documentation"].(string); !strings.Contains(doc, "ip-*") || !strings.Contains(codes("Encounter"), "create") {
			t.Errorf("Encounter: %s; %s", codes("Encounter"), doc)
		}
	})
}
