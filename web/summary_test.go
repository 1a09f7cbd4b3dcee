package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// summaryFixture is a trust with a ward, the discharge summaries wired
// as cmd/crs wires them (the draft hook, the MDM feed marked for
// documents) and a discharged patient.
type summaryFixture struct {
	e     *env
	sums  *fhir.SummaryService
	spell *crs.Spell
	p     *crs.Patient
}

func startSummaries(t *testing.T, e *env) *summaryFixture {
	t.Helper()
	ctx := context.Background()
	sums := &fhir.SummaryService{Store: e.db, Resources: store.NewResourceService(e.db)}
	e.db.OnEvent(sums.Discharged)
	e.server.Summaries = sums
	eng := newEngine(e)
	if err := eng.AddDestination(ctx, e.a.System, &crs.Destination{Name: "GP documents", Addr: "127.0.0.1:9", ReceivingApplication: "DOCMAN",
		ReceivingFacility: "GP", Triggers: []string{"T02", "T08"}}); err != nil {
		t.Fatal(err)
	}
	st := e.setUp(e.a)
	p := e.register(e.a, "Summary", "Sam", crs.NewDate(1948, 3, 4), "9990000018", "E1 1AA")
	e.relate(p.ID, crs.RoleDoctor, crs.RoleNurse)
	ip := store.NewInpatientService(e.db)
	sp, err := ip.Admit(ctx, e.a.Actor(crs.RoleClerk), &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: st.ward.ID, BedID: st.beds[0].ID,
		ConsultantCode: "C1234567", TreatmentFunction: "300", At: e.clock.Now().Add(-72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := ip.Discharge(ctx, e.a.Actor(crs.RoleClerk), sp.ID, crs.Discharge{Method: "1", Destination: "19", At: e.clock.Now().Add(-30 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return &summaryFixture{e: e, sums: sums, spell: sp, p: p}
}

var summaryForm = url.Values{"diagnoses": {"Community-acquired pneumonia\nType 2 diabetes"}, "procedures": {"None"},
	"medications": {"Amoxicillin 500 mg oral three times a day for 5 days\nMetformin 500 mg oral twice a day (unchanged)"},
	"follow_up":   {"Chest X-ray in 6 weeks"}, "gp_information": {"Please review HbA1c in 3 months"}}

func with(v url.Values, k, val string) url.Values {
	out := url.Values{}
	for key, vs := range v {
		out[key] = vs
	}
	out.Set(k, val)
	return out
}

// TestDischargeSummaries writes, signs, sends and amends a discharge
// summary through its pages on both engines: the draft started at
// discharge is on the ward's overdue list after 24 hours, a nurse drafts
// but only a doctor signs, signing queues the MDM^T02 and stores the
// document, a signed summary is amended with its history kept, and all
// of it reads back over /fhir.
func TestDischargeSummaries(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		f := startSummaries(t, e)
		path := "/spells/" + f.spell.ID + "/summary"
		nurse, doc := e.login(e.a, crs.RoleNurse), e.login(e.a, crs.RoleDoctor)
		wantBody(t, "spell page", doc.get("/spells/"+f.spell.ID), path)
		r := nurse.get("/discharges/summaries?ward=WD10")
		wantBody(t, "overdue list", r, "Summary, Sam", "30 hours", path)

		r = nurse.post(path, with(summaryForm, "action", "save"))
		wantStatus(t, "nurse saves the draft", r, http.StatusSeeOther)
		wantStatus(t, "nurse signs", nurse.post(path, with(summaryForm, "action", "sign")), http.StatusForbidden)
		wantStatus(t, "letter of a draft", doc.get(path+".pdf"), http.StatusConflict)
		r = doc.post(path, with(with(summaryForm, "medications", ""), "action", "sign"))
		wantStatus(t, "sign without medications", r, http.StatusUnprocessableEntity)
		wantBody(t, "sign without medications", r, `id="medications-error"`)
		r = doc.post(path, with(summaryForm, "action", "sign"))
		wantStatus(t, "doctor signs", r, http.StatusSeeOther)
		wantBody(t, "signed summary", doc.get(path), "Signed and sent", "Amoxicillin 500 mg", "Amend the summary")
		if r := nurse.get("/discharges/summaries?ward=WD10"); strings.Contains(r.body, "Summary, Sam") {
			t.Errorf("a sent summary is still on the overdue list")
		}
		wantBody(t, "redraft a signed summary", doc.post(path, with(summaryForm, "action", "save")), "a signed summary is amended, not redrafted")

		for who, want := range map[string]string{"gp": "Dear Doctor", "patient": "copy of the summary"} {
			r := doc.get(path + ".pdf?for=" + who)
			wantStatus(t, "letter to the "+who, r, 200)
			if text := checkPDF(t, []byte(r.body)); !strings.Contains(text, want) || !strings.Contains(text, "Amoxicillin 500 mg") || !strings.Contains(text, "999 000 0018") {
				t.Errorf("letter to the %s:\n%s", who, text)
			}
		}
		out, err := db.SearchMessages(context.Background(), e.a.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, Limit: 10})
		if err != nil || len(out) != 1 || out[0].Type != "MDM^T02" {
			t.Fatalf("queued when signed: %+v, %v", out, err)
		}
		for _, want := range []string{"TXA|1|DS^Discharge summary|TX|", "|AU|", "Community-acquired pneumonia", "Amoxicillin 500 mg oral three times a day for 5 days", "PID|1||9990000018"} {
			if !strings.Contains(out[0].Raw, want) {
				t.Errorf("MDM^T02 lacks %q:\n%s", want, strings.ReplaceAll(out[0].Raw, "\r", "\n"))
			}
		}

		r = doc.post(path, with(with(summaryForm, "medications", "Amoxicillin 500 mg oral three times a day for 7 days"), "action", "amend"))
		wantStatus(t, "amend without a reason", r, http.StatusUnprocessableEntity)
		wantBody(t, "amend without a reason", r, `id="reason-error"`)
		r = doc.post(path, with(with(with(summaryForm, "medications", "Amoxicillin 500 mg oral three times a day for 7 days"), "action", "amend"), "reason", "Course is 7 days"))
		wantStatus(t, "amend", r, http.StatusSeeOther)
		r = doc.get(path)
		wantBody(t, "amended summary", r, "Amended, signed and sent", "for 7 days", `id="summary-history"`, "Course is 7 days")
		if out, _ := db.SearchMessages(context.Background(), e.a.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, Limit: 10}); len(out) != 2 || out[0].Type != "MDM^T08" {
			t.Errorf("queued when amended: %d, newest %s; want MDM^T08", len(out), out[0].Type)
		}

		// Over /fhir: the Composition with its versions, the document.
		get := e.fhirAPI(t)
		day := clock.Now().Format("2006-01-02")
		for _, q := range []struct {
			path string
			want int
		}{
			{"Composition?patient=" + f.p.ID + "&type=373942005", 1},
			{"Composition?status=amended&date=" + day, 1},
			{"Composition?encounter=Encounter/ip-" + f.spell.ID, 1},
			{"DocumentReference?patient=" + f.p.ID + "&type=http://snomed.info/sct|373942005&date=" + day, 1},
			{"DocumentReference?date=2020-01-01", 0},
		} {
			if n := count(get(q.path)); n != q.want {
				t.Errorf("GET %s: %d found, want %d", q.path, n, q.want)
			}
		}
		// The stay the summary and its document are of is the Encounter
		// the API serves for the spell.
		docRef := get("DocumentReference?patient=" + f.p.ID)["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		comp := get("Composition?patient=" + f.p.ID + "&type=373942005")["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		for name, ref := range map[string]any{
			"Composition.encounter":               comp["encounter"].(map[string]any)["reference"],
			"DocumentReference.context.encounter": docRef["context"].(map[string]any)["encounter"].([]any)[0].(map[string]any)["reference"],
		} {
			if enc := get(ref.(string)); enc["resourceType"] != "Encounter" || enc["id"] != "ip-"+f.spell.ID {
				t.Errorf("%s %v reads %v, want the spell's Encounter", name, ref, enc)
			}
		}
		raw, bundle := documentBundle(t, get("DocumentReference?patient="+f.p.ID))
		if bundle.Type != "document" || len(bundle.Entry) != 2 || bundle.Entry[0].Resource["resourceType"] != "Composition" {
			t.Errorf("the stored document Bundle: %s", raw)
		}
		if n := count(get("Composition/" + f.e.mustSummaryID(t, f) + "/_history")); n < 4 {
			t.Errorf("Composition history: %d versions, want the draft, saved, signed and amended", n)
		}
	})
}

// fhirAPI starts the FHIR API over the env's database for a system of
// trust A allowed everything, and returns how to GET one of its
// addresses (below /fhir/) as decoded JSON, failing the test on any
// status but 200.
func (e *env) fhirAPI(t *testing.T) func(path string) map[string]any {
	api := e.fhirServer(t)
	return func(path string) map[string]any {
		t.Helper()
		res, err := http.Get(api.URL + "/fhir/" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		return m
	}
}

// count is how many entries a search Bundle holds.
func count(m map[string]any) int { e, _ := m["entry"].([]any); return len(e) }

// documentBundle decodes the FHIR document Bundle a DocumentReference
// found by a search holds.
func documentBundle(t *testing.T, search map[string]any) (raw []byte, bundle struct {
	Type  string `json:"type"`
	Entry []struct {
		Resource map[string]any `json:"resource"`
	} `json:"entry"`
}) {
	t.Helper()
	docs, _ := search["entry"].([]any)
	if len(docs) == 0 {
		t.Fatal("no DocumentReference found")
	}
	att := docs[0].(map[string]any)["resource"].(map[string]any)["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	raw, _ = base64.StdEncoding.DecodeString(att["data"].(string))
	if err := json.Unmarshal(raw, &bundle); err != nil {
		t.Errorf("the stored document Bundle: %v %s", err, raw)
	}
	return raw, bundle
}

// mustSummaryID returns the id of the fixture spell's summary.
func (e *env) mustSummaryID(t *testing.T, f *summaryFixture) string {
	t.Helper()
	s, err := f.sums.SpellSummary(context.Background(), e.a.Actor(crs.RoleDoctor), f.spell.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// fixedAuth lets every request act as one principal.
type fixedAuth fhir.Principal

func (f fixedAuth) Authenticate(*http.Request) (*fhir.Principal, error) {
	p := fhir.Principal(f)
	return &p, nil
}

// fhirServer serves trust A's FHIR API to a system client with every
// scope.
func (e *env) fhirServer(t *testing.T) *httptest.Server {
	all, _ := fhir.ParseScopes("system/*.*")
	api := httptest.NewServer((&fhir.Server{Store: e.db, Resources: store.NewResourceService(e.db), Auth: fixedAuth{Actor: e.a.Actor(crs.RoleInterface), Scopes: all},
		Core: &fhir.Core{Referrals: store.NewReferralService(e.db), Inpatients: store.NewInpatientService(e.db), ED: store.NewEDService(e.db),
			Outpatients: store.NewOutpatientService(e.db), Orgs: store.NewOrganisationService(e.db)}}).Handler())
	t.Cleanup(api.Close)
	return api
}
