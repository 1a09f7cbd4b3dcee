package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestBedBoardFilter checks the bed board's facts about each patient,
// its bays with their sex, and its site and ward filter, which the board
// remembers for the next visit.
func TestBedBoardFilter(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	ctx, admin := context.Background(), e.a.Actor(crs.RoleAdmin)
	orgs := store.NewOrganisationService(e.db)
	loc := func(parent string, kind crs.LocationKind, code, name string) *crs.Location {
		l := &crs.Location{ParentID: parent, Kind: kind, Code: code, Name: name}
		if err := orgs.CreateLocation(ctx, admin, l); err != nil {
			t.Fatalf("location %s: %v", code, err)
		}
		return l
	}
	bayA := loc(st.ward.ID, crs.LocationBay, "BAYA", "Bay A")
	bedA1 := loc(bayA.ID, crs.LocationBed, "A1", "Bed A1")
	loc(bayA.ID, crs.LocationBed, "A2", "Bed A2")
	other := loc("", crs.LocationSite, "WEST", "West site")
	west := loc(other.ID, crs.LocationWard, "WW1", "Willow Ward")
	loc(west.ID, crs.LocationBed, "W01", "Bed W01")

	p := e.register(e.a, "Bayley", "Beth", crs.NewDate(1950, 6, 1), "", "")
	c := e.login(e.a, crs.RoleClerk)
	c.get("/patients/" + p.ID + "/admit")
	r := c.post("/patients/"+p.ID+"/admit", url.Values{"method": {"21"}, "source": {"19"}, "place": {st.ward.ID + "/" + bedA1.ID},
		"consultant": {"C7654321"}, "expected_discharge": {"2026-02-20"}})
	wantStatus(t, "admit", r, 303)
	e.clock.Advance(72 * time.Hour) // three nights in
	c = e.login(e.a, crs.RoleClerk)

	all := c.get("/beds")
	wantBody(t, "whole board", all, "BAYLEY, Beth", "Male · 75y · day 3", "Past EDD", "Bay BAYA", "Male bay", "WW1 Willow Ward", "WD10 Nightingale Ward")
	r = c.get("/beds?site=" + other.ID + "&ward=")
	wantBody(t, "west site", r, "WW1 Willow Ward")
	if strings.Contains(r.body, "Nightingale Ward <span") {
		t.Errorf("the west site's board shows the main site's ward")
	}
	wantBody(t, "the filter is remembered", c.get("/beds"), "WW1 Willow Ward", `<option value="`+other.ID+`" selected>West site</option>`)
	if strings.Contains(c.get("/beds").body, "BAYLEY") {
		t.Errorf("the remembered filter was not applied")
	}
	r = c.get("/beds?site=&ward=" + st.ward.ID + "&compact=yes")
	wantBody(t, "compact ward", r, "beds--compact", "BAYLEY, Beth")
	if strings.Contains(r.body, "Willow") && strings.Contains(r.body, `id="ward-`+west.ID+`"`) {
		t.Errorf("the ward filter shows another ward")
	}
}

// TestBedBoardFlags checks the flags of the clinical record on the bed
// board: isolation and falls risk from current problems, none from a
// resolved or mistaken one, read only for clinical staff related to the
// patient (a nurse of the ward), never for a clerk, in the full and the
// compact view.
func TestBedBoardFlags(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		e.withClinicalLists()
		st := e.setUp(e.a)
		ctx := context.Background()
		flagged := e.register(e.a, "Flagg", "Fiona", crs.NewDate(1940, 2, 3), "", "N1 1AA")
		cleared := e.register(e.a, "Clearwater", "Colin", crs.NewDate(1945, 4, 5), "", "N1 1AB")
		ip := store.NewInpatientService(e.db)
		for i, p := range []*crs.Patient{flagged, cleared} {
			if _, err := ip.Admit(ctx, e.a.Actor(crs.RoleClerk), &crs.Admission{PatientID: p.ID, Method: "21", Source: "19",
				WardID: st.ward.ID, BedID: st.beds[i].ID, ConsultantCode: "C1234567"}); err != nil {
				t.Fatalf("admit: %v", err)
			}
		}
		doc := e.a.Actor(crs.RoleDoctor)
		record := func(p *crs.Patient, code, status string) *crs.Problem {
			storetest.Relate(t, db, doc, p.ID)
			pr := &crs.Problem{Entry: crs.Entry{PatientID: p.ID}, Code: code, ClinicalStatus: status, Verification: "confirmed", Alert: true}
			if status == crs.ProblemResolved {
				pr.Abatement = crs.LocalDate(e.clock.Now())
			}
			if err := e.server.Problems.RecordProblem(ctx, doc, pr); err != nil {
				t.Fatalf("record %s: %v", code, err)
			}
			return pr
		}
		record(flagged, "266096002", crs.ProblemActive)   // MRSA carrier
		record(flagged, "129839007", crs.ProblemActive)   // at risk for falls
		record(cleared, "266096002", crs.ProblemResolved) // MRSA carrier, cleared
		mistake := record(cleared, "129839007", crs.ProblemActive)
		if err := e.server.Problems.EnterProblemInError(ctx, doc, cleared.ID, mistake.ID, "recorded on the wrong patient"); err != nil {
			t.Fatal(err)
		}
		bed := func(body, code string) string { // the list item of a bed
			i := strings.Index(body, `<span class="bed__code">`+code+`</span>`)
			if i < 0 {
				t.Fatalf("bed %s is not on the board", code)
			}
			j := strings.Index(body[i:], "</li>")
			return body[i : i+j]
		}

		nurse := e.login(e.a, crs.RoleNurse)
		r := nurse.get("/beds")
		wantStatus(t, "board", r, 200)
		if strings.Contains(r.body, "data-bed-flag") {
			t.Errorf("a nurse not assigned to the ward sees clinical flags")
		}
		// A nurse of the specialty the patient is referred to is related to
		// them by the same rule as everywhere else: the flags show.
		ref := &crs.Referral{PatientID: flagged.ID, Source: "03", ReferrerCode: "G1234567", ReceivedOn: crs.LocalDate(e.clock.Now()), Priority: crs.PriorityRoutine,
			Specialty: "110", TreatmentFunction: "110", ConsultantCode: "C7654321", ConsultantLed: true}
		if err := store.NewReferralService(e.db).RecordReferral(ctx, e.a.Actor(crs.RoleClerk), ref); err != nil {
			t.Fatal(err)
		}
		specialty := &crs.Assignment{UserID: e.a.Actor(crs.RoleNurse).UserID, Kind: crs.AssignSpecialty, Value: "110", StartsOn: crs.LocalDate(e.clock.Now())}
		if err := store.NewAccessService(e.db).Assign(ctx, e.a.Actor(crs.RoleAdmin), specialty); err != nil {
			t.Fatalf("assign: %v", err)
		}
		r = nurse.get("/beds")
		if got := bed(r.body, st.beds[0].Code); !strings.Contains(got, `data-bed-flag="isolation"`) {
			t.Errorf("a nurse of the specialty the patient is referred to does not see the flags: %q", got)
		}
		if got := bed(r.body, st.beds[1].Code); strings.Contains(got, "data-bed-flag") {
			t.Errorf("flags on the bed of a patient not referred to the nurse's specialty: %q", got)
		}
		if err := store.NewAccessService(e.db).EndAssignment(ctx, e.a.Actor(crs.RoleAdmin), specialty.ID, crs.DateOf(e.clock.Now().AddDate(0, 0, -1))); err != nil {
			t.Fatal(err)
		}
		if err := store.NewAccessService(e.db).Assign(ctx, e.a.Actor(crs.RoleAdmin), &crs.Assignment{UserID: e.a.Actor(crs.RoleNurse).UserID,
			Kind: crs.AssignWard, Value: st.ward.Code, StartsOn: crs.LocalDate(e.clock.Now())}); err != nil {
			t.Fatalf("assign: %v", err)
		}
		for _, path := range []string{"/beds?site=&ward=", "/beds?site=&ward=&compact=yes"} {
			r = nurse.get(path)
			got := bed(r.body, st.beds[0].Code)
			if !strings.Contains(got, `data-bed-flag="isolation">Isolation</strong>`) || !strings.Contains(got, `data-bed-flag="falls">Falls risk</strong>`) ||
				strings.Index(got, "Isolation") > strings.Index(got, "Falls risk") {
				t.Errorf("%s: the flagged bed shows %q, want Isolation then Falls risk", path, got)
			}
			if got := bed(r.body, st.beds[1].Code); strings.Contains(got, "data-bed-flag") {
				t.Errorf("%s: a resolved or mistaken problem flags the bed: %q", path, got)
			}
		}
		clerk := e.login(e.a, crs.RoleClerk)
		r = clerk.get("/beds")
		wantStatus(t, "clerk's board", r, 200)
		wantBody(t, "clerk's board", r, "FLAGG, Fiona")
		if strings.Contains(r.body, "data-bed-flag") || strings.Contains(r.body, "Isolation") {
			t.Errorf("a clerk sees clinical flags on the bed board")
		}
	})
}
