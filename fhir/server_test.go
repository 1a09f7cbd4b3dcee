package fhir_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// bearerAuth is an Authenticator of fixed bearer tokens, each standing
// for a principal: the REST tests' own; TestSMART drives the real one.
type bearerAuth map[string]*fhir.Principal

func (b bearerAuth) Authenticate(r *http.Request) (*fhir.Principal, error) {
	if p, ok := b[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; ok {
		return p, nil
	}
	return nil, crs.Errorf(crs.EUNAUTHORIZED, "no valid bearer token")
}

// client drives the API over HTTP as a system with a token.
type client struct {
	t     *testing.T
	base  string
	token string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(r.body))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("response %d is not JSON: %v: %s", r.status, err, r.body)
	}
	return m
}

// searchIDs runs a search that must answer 200 and returns the ids of
// the resources of its page, in its order.
func (c *client) searchIDs(t *testing.T, path string) []string {
	t.Helper()
	r := c.do("GET", path, "")
	if r.status != 200 {
		t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	var out []string
	es, _ := r.json(t)["entry"].([]any)
	for _, e := range es {
		out = append(out, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
	}
	return out
}

func (c *client) do(method, path, body string, header ...string) response {
	c.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = c.base + path
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", fhir.ContentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

// fixture is a running API over a real database with two trusts.
type fixture struct {
	db     *store.DB
	clock  *crs.FixedClock
	base   string
	a, b   *client // full access to trust A and trust B
	server *fhir.Server
	trustA *storetest.Trust // the trust of client a
	trustB *storetest.Trust // the trust of client b
}

func start(t *testing.T, db *store.DB, clock *crs.FixedClock, auth fhir.Authenticator) *fixture {
	ta := storetest.NewTrust(t, db, "RFA")
	tb := storetest.NewTrust(t, db, "RFB")
	all, _ := fhir.ParseScopes("system/*.*")
	tokens := bearerAuth{
		"a": {Actor: ta.Actor(crs.RoleInterface), Scopes: all},
		"b": {Actor: tb.Actor(crs.RoleInterface), Scopes: all},
	}
	readPatients, _ := fhir.ParseScopes("system/Patient.read")
	tokens["a-patient-read"] = &fhir.Principal{Actor: ta.Actor(crs.RoleInterface), Scopes: readPatients}
	if auth == nil {
		auth = tokens
	}
	s := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Auth: auth, Exports: store.NewExportService(db), Audit: store.NewAuditService(db)}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close)
	return &fixture{db: db, clock: clock, base: srv.URL, server: s, trustA: ta, trustB: tb,
		a: &client{t, srv.URL, "a"}, b: &client{t, srv.URL, "b"}}
}

const observation = `{"resourceType":"Observation","status":"final",
 "code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},
 "subject":{"reference":"Patient/%s"},"effectiveDateTime":"%s","valueQuantity":{"value":%s,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`

func TestRESTCore(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a

		// Create, read, vread.
		pat := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Zoë","given":["Ann"]}],"birthDate":"1970-05-01","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-05-01T10:30:00+01:00"}]}}`)
		if pat.status != 201 || !strings.HasPrefix(pat.header.Get("Content-Type"), fhir.ContentType) {
			t.Fatalf("create patient: %d %s", pat.status, pat.body)
		}
		pid := pat.json(t)["id"].(string)
		if loc := pat.header.Get("Location"); loc != f.base+"/fhir/Patient/"+pid+"/_history/1" {
			t.Errorf("Location = %q", loc)
		}
		got := c.do("GET", "/fhir/Patient/"+pid, "")
		if got.status != 200 || got.header.Get("ETag") != `W/"1"` || !bytes.Contains(got.body, []byte(`"_birthDate"`)) {
			t.Errorf("read: %d %s %s", got.status, got.header.Get("ETag"), got.body)
		}
		obs := c.do("POST", "/fhir/Observation", fmt.Sprintf(observation, pid, "2024-03-01T10:00:00Z", "72.50"))
		if obs.status != 201 {
			t.Fatalf("create observation: %d %s", obs.status, obs.body)
		}
		if !bytes.Contains(obs.body, []byte(`"value":72.50`)) {
			t.Errorf("decimal not kept: %s", obs.body)
		}
		oid := obs.json(t)["id"].(string)

		// Update with If-Match: the right version, then a stale one.
		upd := fmt.Sprintf(`{"resourceType":"Observation","id":"%s","status":"amended","code":{"text":"HR"},"subject":{"reference":"Patient/%s"},"effectiveDateTime":"2024-03-01T10:00:00Z","valueQuantity":{"value":80}}`, oid, pid)
		clock.Advance(time.Minute)
		if r := c.do("PUT", "/fhir/Observation/"+oid, upd, "If-Match", `W/"1"`); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
			t.Errorf("update: %d %s %s", r.status, r.header.Get("ETag"), r.body)
		}
		r := c.do("PUT", "/fhir/Observation/"+oid, upd, "If-Match", `W/"1"`)
		if r.status != 412 || !isOutcome(r) {
			t.Errorf("stale If-Match: %d %s, want 412 OperationOutcome", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Observation/"+oid+"/_history/1", ""); r.status != 200 || !bytes.Contains(r.body, []byte(`"final"`)) {
			t.Errorf("vread 1: %d %s", r.status, r.body)
		}
		// An element unknown to R4 is refused, naming its path.
		r = c.do("POST", "/fhir/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"colour":"red"}`)
		if r.status != 400 || !strings.Contains(string(r.body), `"expression":["Observation.colour"]`) {
			t.Errorf("unknown element: %d %s", r.status, r.body)
		}

		// Delete, then read answers 410 and history keeps every version.
		clock.Advance(time.Minute)
		if r := c.do("DELETE", "/fhir/Observation/"+oid, ""); r.status != 204 {
			t.Errorf("delete: %d %s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Observation/"+oid, ""); r.status != 410 || !isOutcome(r) {
			t.Errorf("read deleted: %d %s", r.status, r.body)
		}
		h := c.do("GET", "/fhir/Observation/"+oid+"/_history", "").json(t)
		entries := h["entry"].([]any)
		var methods []string
		for _, e := range entries {
			methods = append(methods, e.(map[string]any)["request"].(map[string]any)["method"].(string))
		}
		if strings.Join(methods, ",") != "DELETE,PUT,POST" {
			t.Errorf("history methods = %v, want newest first DELETE,PUT,POST", methods)
		}
		h = c.do("GET", "/fhir/Observation/_history?_since="+url.QueryEscape(storetest.Epoch.Add(90*time.Second).Format(time.RFC3339)), "").json(t)
		if n := len(h["entry"].([]any)); n != 1 {
			t.Errorf("type history _since: %d entries, want 1", n)
		}

		// Errors are OperationOutcomes.
		for _, tc := range []struct {
			method, path string
			status       int
		}{
			{"GET", "/fhir/Observation/nope", 404},
			{"GET", "/fhir/Nonsense/1", 404},
			{"GET", "/fhir/Observation?colour=red", 400},
			{"GET", "/fhir/Observation?date=yesterday", 400},
		} {
			if r := c.do(tc.method, tc.path, "", "Prefer", "handling=strict"); r.status != tc.status || !isOutcome(r) {
				t.Errorf("%s %s: %d %s, want %d OperationOutcome", tc.method, tc.path, r.status, r.body, tc.status)
			}
		}
		// An operation the base does not answer is named as one.
		if r := c.do("GET", "/fhir/$reindex", ""); r.status != 404 || !strings.Contains(string(r.body), "operation $reindex is not supported") {
			t.Errorf("GET /fhir/$reindex: %d %s, want 404 naming the operation", r.status, r.body)
		}
		// Tenancy: trust B sees nothing of trust A.
		if r := f.b.do("GET", "/fhir/Patient/"+pid, ""); r.status != 404 {
			t.Errorf("trust B read trust A's patient: %d", r.status)
		}
		if r := f.b.do("GET", "/fhir/Patient?_summary=count", "").json(t); fmt.Sprint(r["total"]) != "0" {
			t.Errorf("trust B counts %v patients", r["total"])
		}
		// Scopes: a Patient.read token reads patients only.
		ro := &client{t, f.base, "a-patient-read"}
		if r := ro.do("GET", "/fhir/Patient/"+pid, ""); r.status != 200 {
			t.Errorf("Patient.read token reading a patient: %d", r.status)
		}
		if r := ro.do("GET", "/fhir/Observation?code=8867-4", ""); r.status != 403 || !isOutcome(r) {
			t.Errorf("Patient.read token searching observations: %d %s", r.status, r.body)
		}
		if r := ro.do("POST", "/fhir/Patient", `{"resourceType":"Patient"}`); r.status != 403 {
			t.Errorf("Patient.read token creating a patient: %d", r.status)
		}
		if r := (&client{t, f.base, ""}).do("GET", "/fhir/Patient/"+pid, ""); r.status != 401 {
			t.Errorf("no token: %d", r.status)
		}
		if r := c.do("GET", "/fhir/metadata", "").json(t); r["resourceType"] != "CapabilityStatement" {
			t.Errorf("metadata: %v", r["resourceType"])
		}
	})
}

// create posts a resource of typ and answers its id.
func create(t *testing.T, c *client, typ, body string) string {
	t.Helper()
	r := c.do("POST", "/fhir/"+typ, body)
	if r.status != 201 {
		t.Fatalf("create %s: %d %s", typ, r.status, r.body)
	}
	return r.json(t)["id"].(string)
}

func isOutcome(r response) bool {
	var o struct {
		ResourceType string
		Issue        []struct{ Severity, Code string }
	}
	return json.Unmarshal(r.body, &o) == nil && o.ResourceType == "OperationOutcome" && len(o.Issue) > 0 && o.Issue[0].Severity != "" && o.Issue[0].Code != ""
}

func TestSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		mk := func(body string) string {
			t.Helper()
			r := c.do("POST", "/fhir/"+strings.Split(strings.Split(body, `"resourceType":"`)[1], `"`)[0], body)
			if r.status != 201 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			return r.json(t)["id"].(string)
		}
		p1 := mk(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Zoë","given":["Ann"]}],"birthDate":"1970-05-01"}`)
		p2 := mk(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Smith","given":["Bob"]}],"birthDate":"1985-11-20"}`)
		o1 := mk(fmt.Sprintf(observation, p1, "2024-03-01T10:00:00Z", "72"))
		o2 := mk(fmt.Sprintf(observation, p1, "2024-03-31T23:30:00", "90.5"))
		o3 := mk(fmt.Sprintf(observation, p2, "2024-04-02", "60"))

		ids := func(q string) string {
			t.Helper()
			r := c.do("GET", "/fhir/"+q, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %s", q, r.status, r.body)
			}
			var out []string
			for _, e := range r.json(t)["entry"].([]any) {
				res := e.(map[string]any)["resource"].(map[string]any)
				out = append(out, res["id"].(string))
			}
			return strings.Join(out, ",")
		}
		idsOr := func(q string) string {
			t.Helper()
			r := c.do("GET", "/fhir/"+q, "").json(t)
			if r["entry"] == nil {
				return ""
			}
			return ids(q)
		}
		j := func(s ...string) string { return strings.Join(s, ",") }
		tests := []struct{ q, want string }{
			{"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018", p1},
			{"Patient?identifier=9990000026", p2},
			{"Patient?identifier=http://other|9990000026", ""},
			{"Patient?name=zoe", p1},
			{"Patient?family:exact=Zoë", p1},
			{"Patient?family:exact=zoë", ""},
			{"Patient?name:contains=mit", p2},
			{"Patient?name:contains=m_th", ""},
			{"Patient?name=%25", ""},
			{"Patient?birthdate=1970", p1},
			{"Patient?birthdate=lt1980-01-01", p1},
			{"Patient?birthdate=ge1985-11-20", p2},
			{"Patient?birthdate=sa1970-05-01", p2},
			{"Patient?birthdate=eb1985", p1},
			{"Patient?birthdate=ne1970-05-01", p2},
			{"Patient?_id=" + p2, p2},
			{"Observation?code=http://loinc.org|8867-4&subject=Patient/" + p1, j(o1, o2)},
			{"Observation?patient=" + p2, o3},
			{"Observation?value-quantity=gt70", j(o1, o2)},
			{"Observation?value-quantity=90.5", o2},
			{"Observation?value-quantity=le60", o3},
			// 23:30 on 31 March 2024 in London (BST) is 22:30 UTC, still March.
			{"Observation?date=2024-03", j(o1, o2)},
			{"Observation?date=2024-04-02", o3},
			{"Patient?birthdate=ap1985-11-20", p2},
			{"Observation?date=gt2024-03-01T10:00:00Z", j(o2, o3)},
			{"Observation?_lastUpdated=ge2026-01-01", j(o1, o2, o3)},
			{"Observation?_lastUpdated=lt2026-01-01", ""},
			{"Observation?code:not=8867-4", ""},
			{"Observation?value-quantity:missing=true", ""},
			{"Patient?_sort=-birthdate", j(p2, p1)},
			{"Patient?_sort=family", j(p2, p1)},
		}
		for _, tc := range tests {
			if got := idsOr(tc.q); got != tc.want {
				t.Errorf("%s = [%s], want [%s]", tc.q, got, tc.want)
			}
		}
		// POST _search.
		r := c.do("POST", "/fhir/Patient/_search", "family=Smith", "Content-Type", "application/x-www-form-urlencoded")
		if r.status != 200 || !strings.Contains(string(r.body), p2) || strings.Contains(string(r.body), p1) {
			t.Errorf("POST _search: %d %s", r.status, r.body)
		}
		// _summary=count.
		if r := c.do("GET", "/fhir/Observation?_summary=count", "").json(t); fmt.Sprint(r["total"]) != "3" {
			t.Errorf("_summary=count total = %v", r["total"])
		}
		// _include and _revinclude.
		inc := c.do("GET", "/fhir/Observation?_id="+o3+"&_include=Observation:subject", "").json(t)
		if es := inc["entry"].([]any); len(es) != 2 || es[1].(map[string]any)["search"].(map[string]any)["mode"] != "include" {
			t.Errorf("_include: %v", es)
		}
		rev := c.do("GET", "/fhir/Patient?_id="+p1+"&_revinclude=Observation:subject", "").json(t)
		if es := rev["entry"].([]any); len(es) != 3 {
			t.Errorf("_revinclude: %d entries, want 3", len(es))
		}
		// Paging: next links stay true while resources are added.
		var seen []string
		next := f.base + "/fhir/Observation?_count=2"
		added := false
		for next != "" {
			page := c.do("GET", next, "").json(t)
			for _, e := range page["entry"].([]any) {
				seen = append(seen, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
			}
			if !added {
				mk(fmt.Sprintf(observation, p2, "2024-05-01", "61"))
				added = true
			}
			next = ""
			for _, l := range page["link"].([]any) {
				if l.(map[string]any)["relation"] == "next" {
					next = l.(map[string]any)["url"].(string)
				}
			}
		}
		if len(seen) != 4 || seen[0] != o1 || seen[1] != o2 || seen[2] != o3 {
			t.Errorf("paged %v, want o1 o2 o3 then the new one", seen)
		}
	})
}

// TestConditionalCreateConcurrent posts one conditional create many
// times at once: exactly one resource is created.
func TestConditionalCreateConcurrent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		body := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}]}`
		postConcurrently(t, f, body, "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000034")
	})
}

// postConcurrently posts one conditional create of a Patient many times
// at once and checks exactly one is created and one is found.
func postConcurrently(t *testing.T, f *fixture, body, criteria string) {
	const n = 12
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			statuses[i] = f.a.do("POST", "/fhir/Patient", body, "If-None-Exist", criteria).status
		}(i)
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case 201:
			created++
		case 200:
		default:
			t.Errorf("status %d", s)
		}
	}
	total := f.a.do("GET", "/fhir/Patient?"+criteria+"&_summary=count", "").json(t)["total"]
	if created != 1 || fmt.Sprint(total) != "1" {
		t.Errorf("created %d times, %v found; want 1", created, total)
	}
}

// startPAS is start with the server as crs serve runs it: Patient from
// the patient index and the typed core served read only.
// addLocation adds a location to the trust's estate, as its
// administrator does.
func addLocation(t *testing.T, orgs *store.OrganisationService, admin crs.Actor, l *crs.Location) *crs.Location {
	t.Helper()
	if err := orgs.CreateLocation(t.Context(), admin, l); err != nil {
		t.Fatal(err)
	}
	return l
}

// addClinic adds the trust's Monday general surgery clinic, held in
// room: 20-minute new-patient slots from 09:00 to 12:00.
func addClinic(t *testing.T, op *store.OutpatientService, admin crs.Actor, room *crs.Location) *crs.Clinic {
	t.Helper()
	c := &crs.Clinic{Code: "GS-MON", Name: "General surgery Monday", ConsultantCode: "C1234567", ConsultantName: "Ms Cara Surgeon",
		TreatmentFunction: "100", LocationID: room.ID,
		Sessions: []crs.ClinicSession{{Weekday: time.Monday, Start: "09:00", End: "12:00", SlotMinutes: 20, SlotType: crs.SlotNew}}}
	if err := op.CreateClinic(t.Context(), admin, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// outpatientClinic adds a site and a clinic room of trust A, and the
// Monday clinic of addClinic held in it with its slots for the next two
// weeks; it returns the outpatient service, the room and the clinic's
// free slots from now (up to 100).
func outpatientClinic(t *testing.T, f *fixture, db *store.DB, clock *crs.FixedClock) (*store.OutpatientService, *crs.Location, []*crs.Slot) {
	t.Helper()
	admin, clerk := f.trustA.Actor(crs.RoleAdmin), f.trustA.Actor(crs.RoleClerk)
	orgs := store.NewOrganisationService(db)
	site := addLocation(t, orgs, admin, &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main Hospital"})
	room := addLocation(t, orgs, admin, &crs.Location{ParentID: site.ID, Kind: crs.LocationClinicRoom, Code: "OPD3", Name: "Outpatients room 3"})
	op := store.NewOutpatientService(db)
	clinic := addClinic(t, op, admin, room)
	today := crs.LocalDate(clock.Now())
	if _, err := op.GenerateSlots(t.Context(), clerk, clinic.ID, today, crs.Date{Time: today.AddDate(0, 0, 14)}); err != nil {
		t.Fatal(err)
	}
	slots, err := op.FindSlots(t.Context(), clerk, crs.SlotQuery{ClinicID: clinic.ID, FreeOnly: true, Limit: 100, From: clock.Now()})
	if err != nil || len(slots) == 0 {
		t.Fatalf("free slots: %d, %v", len(slots), err)
	}
	return op, room, slots
}

// referTo records a routine consultant-led general surgery referral of
// the patient of trust A, received today.
func referTo(t *testing.T, f *fixture, db *store.DB, clock *crs.FixedClock, patient string) *crs.Referral {
	t.Helper()
	ref := &crs.Referral{PatientID: patient, Source: "03", ReferrerCode: "G1234567", ReceivedOn: crs.LocalDate(clock.Now()), Priority: crs.PriorityRoutine,
		Specialty: "100", TreatmentFunction: "100", ConsultantCode: "C1234567", ConsultantLed: true}
	if err := store.NewReferralService(db).RecordReferral(t.Context(), f.trustA.Actor(crs.RoleClerk), ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

func startPAS(t *testing.T, db *store.DB, clock *crs.FixedClock) *fixture {
	f := start(t, db, clock, nil)
	f.server.Patients = store.NewPatientService(db)
	f.server.Core = &fhir.Core{Referrals: store.NewReferralService(db), Inpatients: store.NewInpatientService(db),
		ED: store.NewEDService(db), Outpatients: store.NewOutpatientService(db), Orgs: store.NewOrganisationService(db)}
	return f
}
