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

// TestBedBoardFilter checks the trust's bed board, a line a ward with its
// beds occupied, free, closed and awaiting discharge, filtered by site
// (remembered for the next visit) and with the user's own ward first;
// and a ward's own board: the facts about each patient and its bays with
// their sex.
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
	if err := orgs.CreateLocation(ctx, admin, &crs.Location{ParentID: bayA.ID, Kind: crs.LocationBed, Code: "A3", Name: "Bed A3", Status: crs.BedClosed}); err != nil {
		t.Fatalf("closed bed: %v", err)
	}

	p := e.register(e.a, "Bayley", "Beth", crs.NewDate(1950, 6, 1), "", "")
	c := e.login(e.a, crs.RoleClerk)
	c.get("/patients/" + p.ID + "/admit")
	r := c.post("/patients/"+p.ID+"/admit", url.Values{"method": {"21"}, "source": {"19"}, "place": {st.ward.ID + "/" + bedA1.ID},
		"consultant": {"C7654321"}, "expected_discharge": {"2026-02-20"}})
	wantStatus(t, "admit", r, 303)
	e.clock.Advance(72 * time.Hour) // three nights in
	c = e.login(e.a, crs.RoleClerk)

	// The row of a ward on the trust's board, as text.
	row := func(body string, w *crs.Location) string {
		i := strings.Index(body, `id="ward-`+w.ID+`"`)
		if i < 0 {
			t.Fatalf("ward %s is not on the board", w.Code)
		}
		i += strings.Index(body[i:], ">") + 1
		j := strings.Index(body[i:], "</tr>")
		return strings.TrimSpace(text(body[i : i+j]))
	}
	all := c.get("/beds")
	wantBody(t, "whole board", all, "2 wards: 5 of 7 beds free, 1 awaiting discharge", `<a href="/beds/`+st.ward.ID+`">WD10 Nightingale Ward</a>`)
	// Beds, occupied, free, closed, awaiting discharge, without a bed.
	if got, want := row(all.body, st.ward), "WD10 Nightingale Ward Main site 6 1 4 1 1 0"; got != want {
		t.Errorf("WD10's line reads %q, want %q", got, want)
	}
	if got, want := row(all.body, west), "WW1 Willow Ward West site 1 0 1 0 0 0"; got != want {
		t.Errorf("WW1's line reads %q, want %q", got, want)
	}
	if strings.Contains(all.body, "BAYLEY") || strings.Contains(all.body, "Your ward") {
		t.Errorf("the trust's board names a patient or a ward of the user's before they opened one")
	}
	r = c.get("/beds?site=" + other.ID)
	wantBody(t, "west site", r, "WW1 Willow Ward")
	if strings.Contains(r.body, "Nightingale Ward") {
		t.Errorf("the west site's board shows the main site's ward")
	}
	wantBody(t, "the filter is remembered", c.get("/beds"), "WW1 Willow Ward", `<option value="`+other.ID+`" selected>West site</option>`)
	if strings.Contains(c.get("/beds").body, "Nightingale Ward") {
		t.Errorf("the remembered filter was not applied")
	}

	ward := c.get("/beds/" + st.ward.ID)
	wantBody(t, "the ward's beds", ward, "BAYLEY, Beth", "Male · 75y · day 3", "Past EDD", "Bay BAYA", "Male bay", "1 of 6 beds occupied",
		`<span class="bed__free">Free</span>`, `<span class="bed__closed">Closed</span>`)
	if strings.Contains(ward.body, "Willow") {
		t.Errorf("a ward's board shows another ward")
	}
	r = c.get("/beds/" + st.ward.ID + "?compact=yes")
	wantBody(t, "compact ward", r, "beds--compact", "BAYLEY, Beth")
	wantStatus(t, "no such ward", c.get("/beds/"+bayA.ID), 404)
	if r := c.get("/beds?ward=" + west.ID); r.status != 303 || r.loc != "/beds/"+west.ID {
		t.Errorf("the old address of a ward's board answers %d %q, want 303 to /beds/%s", r.status, r.loc, west.ID)
	}

	// The ward last opened comes first, marked.
	wantBody(t, "WW1's beds", c.get("/beds/"+west.ID), "WW1 Willow Ward", "0 of 1 bed occupied")
	r = c.get("/beds?site=")
	if i, j := strings.Index(r.body, `id="ward-`+west.ID+`"`), strings.Index(r.body, `id="ward-`+st.ward.ID+`"`); i < 0 || j < 0 || i > j {
		t.Errorf("WW1, the ward last opened, is not first (at %d, WD10 at %d)", i, j)
	}
	if !strings.Contains(row(r.body, west), "Your ward") || strings.Contains(row(r.body, st.ward), "Your ward") {
		t.Errorf("the lines do not mark the ward last opened alone: %q, %q", row(r.body, west), row(r.body, st.ward))
	}
	// A nurse assigned to a ward sees it first.
	if err := store.NewAccessService(e.db).Assign(ctx, admin, &crs.Assignment{UserID: e.a.Actor(crs.RoleNurse).UserID,
		Kind: crs.AssignWard, Value: "WW1", StartsOn: crs.LocalDate(e.clock.Now())}); err != nil {
		t.Fatalf("assign: %v", err)
	}
	r = e.login(e.a, crs.RoleNurse).get("/beds")
	if i, j := strings.Index(r.body, `id="ward-`+west.ID+`"`), strings.Index(r.body, `id="ward-`+st.ward.ID+`"`); i < 0 || j < 0 || i > j || !strings.Contains(row(r.body, west), "Your ward") {
		t.Errorf("the nurse's own ward WW1 is not first and marked (at %d, WD10 at %d)", i, j)
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
		r := nurse.get("/beds/" + st.ward.ID)
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
		r = nurse.get("/beds/" + st.ward.ID)
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
		for _, path := range []string{"/beds/" + st.ward.ID, "/beds/" + st.ward.ID + "?compact=yes"} {
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
		r = clerk.get("/beds/" + st.ward.ID)
		wantStatus(t, "clerk's board", r, 200)
		wantBody(t, "clerk's board", r, "FLAGG, Fiona")
		if strings.Contains(r.body, "data-bed-flag") || strings.Contains(r.body, "Isolation") {
			t.Errorf("a clerk sees clinical flags on the bed board")
		}
	})
}
