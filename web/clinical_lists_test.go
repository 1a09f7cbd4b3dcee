package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// withClinicalLists switches on the problem list, allergies and timeline
// of the env's server, with the sample SNOMED CT release loaded for
// trust A, as cmd/crs wires them.
func (e *env) withClinicalLists() {
	e.t.Helper()
	rs, terms := store.NewResourceService(e.db), store.NewTerminologyService(e.db)
	if err := demo.SeedSNOMED(context.Background(), terms, e.a.System); err != nil {
		e.t.Fatalf("load the sample release: %v", err)
	}
	e.server.Problems = &fhir.ProblemService{Store: e.db, Resources: rs, Records: rs, Terminology: terms}
	e.server.Allergies = &fhir.AllergyService{Store: e.db, Resources: rs, Records: rs, Terminology: terms}
	e.server.Terminology = terms
	e.server.Timeline = &fhir.TimelineService{Records: rs}
}

// TestProblemsAndAllergiesPages records problems and allergies through
// the forms, with the search of the terminology without the script, the
// errors beside their fields, the banner's tags, entered in error with
// its history, the timeline and its filter, and the refusals of a clerk.
func TestProblemsAndAllergiesPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		e.withClinicalLists()
		p := e.register(e.a, "Carter", "Ruth", crs.NewDate(1948, 3, 12), "9990000034", "SW1A 1AA")
		base := "/patients/" + p.ID
		storetest.Relate(t, db, e.a.Actor(crs.RoleDoctor), p.ID)
		doc := e.login(e.a, crs.RoleDoctor)

		// Before anything is recorded the banner says so.
		r := doc.get(base)
		wantStatus(t, "record", r, 200)
		wantBody(t, "record", r, "Allergies not recorded", `href="`+base+`/problems"`, `href="`+base+`/timeline"`)

		// Search without the script: the Search button shows the matches.
		doc.get(base + "/problems/new")
		r = doc.post(base+"/problems/new", url.Values{"code_q": {"asth"}, "search": {"code"}, "clinical_status": {"active"}, "verification": {"confirmed"}})
		wantStatus(t, "search", r, 200)
		wantBody(t, "search", r, `value="195967001"`, "Asthma (disorder)")
		if strings.Contains(r.body, "Penicillin") {
			t.Errorf("the problem search lists a substance")
		}
		// Errors beside their fields.
		for _, tc := range []struct {
			name string
			form url.Values
			want []string
		}{
			{"no concept", url.Values{"clinical_status": {"active"}, "verification": {"confirmed"}}, []string{`id="code-error"`, "hoose the problem or diagnosis"}},
			{"unknown concept", url.Values{"code": {"10509002"}, "clinical_status": {"active"}, "verification": {"confirmed"}},
				[]string{`id="code-error"`, "SNOMED CT concept 10509002 is not in the trust&#39;s loaded release"}},
			{"bad onset", url.Values{"code": {"195967001"}, "clinical_status": {"active"}, "verification": {"confirmed"}, "onset": {"31/02/2020"}},
				[]string{`id="onset-error"`, "Onset must be a real date"}},
			{"resolved date of an active problem", url.Values{"code": {"195967001"}, "clinical_status": {"active"}, "verification": {"confirmed"}, "abatement": {"2020-01-01"}},
				[]string{`id="abatement-error"`, "has no resolution date"}},
		} {
			r := doc.post(base+"/problems/new", tc.form)
			wantStatus(t, tc.name, r, http.StatusUnprocessableEntity)
			wantBody(t, tc.name, r, tc.want...)
		}
		r = doc.post(base+"/problems/new", url.Values{"code": {"195967001"}, "category": {"problem-list-item"}, "clinical_status": {"active"},
			"verification": {"confirmed"}, "onset": {"2001-05-01"}})
		wantStatus(t, "record asthma", r, http.StatusSeeOther)
		r = doc.post(base+"/problems/new", url.Values{"code": {"129839007"}, "clinical_status": {"active"}, "verification": {"confirmed"}, "alert": {"yes"}})
		wantStatus(t, "record falls risk", r, http.StatusSeeOther)
		r = doc.get(base + "/problems")
		wantBody(t, "problems", r, "Asthma", "At risk of falls", "01-May-2001")
		wantBody(t, "banner alert", r, `data-alert>At risk of falls`)

		// An edit keeps history; entered in error needs a reason.
		probs, err := e.server.Problems.ListProblems(context.Background(), e.a.Actor(crs.RoleDoctor), p.ID)
		if err != nil || len(probs) != 2 {
			t.Fatalf("problems: %v %v", probs, err)
		}
		var asthma *crs.Problem
		for _, x := range probs {
			if x.Code == "195967001" {
				asthma = x
			}
		}
		edit := base + "/problems/" + asthma.ID
		wantBody(t, "edit form", doc.get(edit), `name="version" value="1"`, "Asthma")
		r = doc.post(edit, url.Values{"version": {"1"}, "code": {"195967001"}, "clinical_status": {"resolved"}, "verification": {"confirmed"},
			"onset": {"2001-05-01"}, "abatement": {"2020-06-01"}})
		wantStatus(t, "resolve asthma", r, http.StatusSeeOther)
		r = doc.post(edit, url.Values{"version": {"1"}, "code": {"195967001"}, "clinical_status": {"active"}, "verification": {"confirmed"}})
		wantStatus(t, "stale edit", r, http.StatusUnprocessableEntity)
		wantBody(t, "stale edit", r, "omeone else changed this entry")
		r = doc.post(edit+"/error", url.Values{"reason": {""}})
		wantStatus(t, "in error without a reason", r, http.StatusUnprocessableEntity)
		wantBody(t, "in error without a reason", r, `id="reason-error"`)
		wantStatus(t, "in error", doc.post(edit+"/error", url.Values{"reason": {"Wrong patient"}}), http.StatusSeeOther)
		r = doc.get(edit)
		wantBody(t, "problem in error", r, "Entered in error", "Wrong patient", "<td>3</td>", "<td>2</td>", "<td>1</td>")

		// Allergies: no known allergies, then an allergy supersedes it.
		wantStatus(t, "nka", doc.post(base+"/allergies/none", nil), http.StatusSeeOther)
		wantBody(t, "banner nka", doc.get(base), "data-allergy>No known allergies")
		r = doc.post(base+"/allergies/new", url.Values{"substance_q": {"pen"}, "search": {"substance"}, "clinical_status": {"active"}, "verification": {"confirmed"}})
		wantStatus(t, "allergen search", r, 200)
		wantBody(t, "allergen search", r, `value="764146007"`)
		r = doc.post(base+"/allergies/new", url.Values{"substance": {"764146007"}, "reaction": {"39579001"}, "severity": {"deadly"},
			"clinical_status": {"active"}, "verification": {"confirmed"}})
		wantStatus(t, "bad severity", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad severity", r, `id="severity-error"`)
		r = doc.post(base+"/allergies/new", url.Values{"substance": {"764146007"}, "reaction": {"39579001"}, "severity": {"severe"}, "criticality": {"high"},
			"category": {"medication"}, "clinical_status": {"active"}, "verification": {"confirmed"}})
		wantStatus(t, "record penicillin", r, http.StatusSeeOther)
		r = doc.get(base)
		wantBody(t, "banner allergy", r, "data-allergy>Penicillin: Anaphylaxis (high risk)")
		if strings.Contains(r.body, "No known allergies") {
			t.Errorf("the banner still says no known allergies beside an allergy")
		}
		r = doc.post(base+"/allergies/none", nil)
		wantStatus(t, "nka beside an allergy", r, http.StatusUnprocessableEntity)
		wantBody(t, "nka beside an allergy", r, "active allergy to Penicillin")

		// The timeline lists it all, with the typed encounters, newest
		// first, and filters by kind.
		ed := &crs.EDAttendance{PatientID: p.ID, ArrivalMode: "1048031000000100", AttendanceCategory: "1", Complaint: "wheezy since last night",
			ArrivedAt: clock.Now().Add(-2 * time.Hour)}
		if err := e.server.ED.Arrive(context.Background(), e.a.Actor(crs.RoleNurse), ed); err != nil {
			t.Fatalf("A&E arrival: %v", err)
		}
		r = doc.get(base + "/timeline")
		wantStatus(t, "timeline", r, 200)
		wantBody(t, "timeline", r, "Penicillin", "At risk of falls", "Asthma", `data-kind="allergy"`, `data-kind="problem"`,
			`data-kind="encounter"`, "A&amp;E attendance", "wheezy since last night")
		if i, j := strings.Index(r.body, "Penicillin"), strings.Index(r.body, "Asthma"); i < 0 || j < i {
			t.Errorf("the timeline is not newest first: the allergy recorded today comes after asthma (onset 2001)")
		}
		r = doc.get(base + "/timeline?kind=allergy")
		wantBody(t, "allergies on the timeline", r, "Penicillin", `id="kind-allergy" name="kind" type="checkbox" value="allergy" checked`)
		if strings.Contains(r.body, `data-kind="problem"`) || strings.Contains(r.body, `data-kind="encounter"`) {
			t.Errorf("timeline?kind=allergy shows other kinds")
		}
		r = doc.get(base + "/timeline?kind=encounter")
		wantBody(t, "encounters on the timeline", r, "wheezy since last night")
		if strings.Contains(r.body, `data-kind="allergy"`) {
			t.Errorf("timeline?kind=encounter shows allergies")
		}
		wantStatus(t, "bad kind", doc.get(base+"/timeline?kind=gossip"), http.StatusBadRequest)

		// Search as you type answers a fragment, or JSON.
		r = doc.get("/terminology/concepts?q=heart+att&kind=problem&name=code")
		wantStatus(t, "concepts", r, 200)
		wantBody(t, "concepts", r, `name="code" type="radio" value="22298006"`)
		req, _ := http.NewRequest("GET", doc.base+"/terminology/concepts?q=peanut&kind=substance", nil)
		req.Header.Set("Accept", "application/json")
		if r := doc.do(req); r.status != 200 || !strings.Contains(r.body, `"code":"256349002","term":"Peanut"`) {
			t.Errorf("concepts as JSON: %d %s", r.status, r.body)
		}

		// What the forms wrote is read and searched over /fhir.
		api := httptest.NewServer((&fhir.Server{Store: db, Resources: store.NewResourceService(db), Auth: fhirAs(e.a.Actor(crs.RoleInterface))}).Handler())
		t.Cleanup(api.Close)
		day := crs.LocalDate(clock.Now()).String()
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"Condition?patient=" + p.ID, 2},
			{"Condition?code=http://snomed.info/sct|195967001", 1},
			{"Condition?onset-date=2001-05-01", 1},
			{"Condition?recorded-date=" + day + "&patient=" + p.ID, 2},
			{"AllergyIntolerance?patient=Patient/" + p.ID, 2},
			{"AllergyIntolerance?code=764146007", 1},
			{"AllergyIntolerance?code=716186003&clinical-status=inactive", 1},
			{"AllergyIntolerance?date=" + day + "&patient=" + p.ID, 2},
		} {
			res, err := http.Get(api.URL + "/fhir/" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			var bundle struct {
				Entry []struct {
					Resource map[string]any `json:"resource"`
				} `json:"entry"`
			}
			err = json.NewDecoder(res.Body).Decode(&bundle)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 || len(bundle.Entry) != tc.want {
				t.Errorf("GET /fhir/%s: status %d, %d entries, want %d (%v)", tc.query, res.StatusCode, len(bundle.Entry), tc.want, err)
			}
		}

		// A clerk sees no clinical page and no alert tags.
		clerk := e.login(e.a, crs.RoleClerk)
		for _, path := range []string{base + "/problems", base + "/allergies", base + "/allergies/new", base + "/timeline", "/terminology/concepts?q=asth"} {
			wantStatus(t, "clerk GET "+path, clerk.get(path), http.StatusForbidden)
		}
		clerk.get(base)
		wantStatus(t, "clerk records", clerk.post(base+"/allergies/none", nil), http.StatusForbidden)
		wantStatus(t, "clerk records a problem", clerk.post(base+"/problems/new", url.Values{"code": {"195967001"}}), http.StatusForbidden)
		if r := clerk.get(base); strings.Contains(r.body, "data-banner-alerts") || strings.Contains(r.body, "Penicillin") {
			t.Errorf("a clerk's banner shows clinical alerts")
		}
	})
}

// fhirAs is a FHIR authenticator that takes every request as the actor,
// with every scope.
type fhirAs crs.Actor

func (f fhirAs) Authenticate(*http.Request) (*fhir.Principal, error) {
	all, err := fhir.ParseScopes("system/*.*")
	return &fhir.Principal{Actor: crs.Actor(f), Scopes: all}, err
}
