package web

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// site is a trust's wards, beds and clinic for journey tests.
type site struct {
	ward, bay *crs.Location
	beds      []*crs.Location
	clinic    *crs.Clinic
}

// setUp adds a ward with three beds and a general surgery clinic with
// slots for eight weeks to the trust.
func (e *env) setUp(tr *storetest.Trust) *site {
	e.t.Helper()
	ctx := context.Background()
	orgs := store.NewOrganisationService(e.db)
	admin := tr.Actor(crs.RoleAdmin)
	loc := func(parent string, kind crs.LocationKind, code, name string) *crs.Location {
		l := &crs.Location{ParentID: parent, Kind: kind, Code: code, Name: name}
		if err := orgs.CreateLocation(ctx, admin, l); err != nil {
			e.t.Fatalf("location %s: %v", code, err)
		}
		return l
	}
	st := &site{}
	hosp := loc("", crs.LocationSite, "MAIN", "Main site")
	st.ward = loc(hosp.ID, crs.LocationWard, "WD10", "Nightingale Ward")
	for i := 1; i <= 3; i++ {
		st.beds = append(st.beds, loc(st.ward.ID, crs.LocationBed, fmt.Sprintf("B%02d", i), fmt.Sprintf("Bed %d", i)))
	}
	room := loc(hosp.ID, crs.LocationClinicRoom, "OPD1", "Outpatients 1")
	st.clinic = &crs.Clinic{Code: "GS-MON", Name: "General surgery", ConsultantCode: "C1234567", TreatmentFunction: "100", LocationID: room.ID,
		Sessions: []crs.ClinicSession{
			{Weekday: time.Monday, Start: "09:00", End: "12:00", SlotMinutes: 20, SlotType: crs.SlotNew},
			{Weekday: time.Monday, Start: "13:30", End: "16:30", SlotMinutes: 15, SlotType: crs.SlotFollowUp},
		}}
	op := store.NewOutpatientService(e.db)
	if err := op.CreateClinic(ctx, admin, st.clinic); err != nil {
		e.t.Fatalf("create clinic: %v", err)
	}
	today := crs.LocalDate(e.clock.Now())
	if _, err := op.GenerateSlots(ctx, tr.Actor(crs.RoleClerk), st.clinic.ID, today, crs.Date{Time: today.AddDate(0, 0, 56)}); err != nil {
		e.t.Fatalf("generate slots: %v", err)
	}
	return st
}

var (
	firstSlot  = regexp.MustCompile(`name="slot" type="radio" value="([^"]+)"`)
	offerForm  = regexp.MustCompile(`action="(/waiting-list/[^/]+/offers/[^/]+/respond)"`)
	entryLink  = regexp.MustCompile(`href="/waiting-list/([^"]+)"`)
	stripTags  = regexp.MustCompile(`<[^>]+>`)
	spacesOnly = regexp.MustCompile(`\s+`)
)

// text is a page's text without tags, spaces collapsed.
func text(body string) string {
	return spacesOnly.ReplaceAllString(stripTags.ReplaceAllString(body, " "), " ")
}

// idFrom returns the last part of a redirect address, before any #.
func idFrom(t testing.TB, loc, prefix string) string {
	t.Helper()
	loc, _, _ = strings.Cut(loc, "#")
	if !strings.HasPrefix(loc, prefix) {
		t.Fatalf("redirected to %q, want %s...", loc, prefix)
	}
	return strings.TrimPrefix(loc, prefix)
}

// journey walks a GP referral to admission through the pages, checking
// the clock and the PTL at each step, and returns the ids it made.
type journeyIDs struct{ patient, referral, pathway, appointment, entry, spell string }

func (e *env) walkJourney(t *testing.T, c *client, st *site) journeyIDs {
	var ids journeyIDs
	p := e.register(e.a, "Walker", "Alice", crs.NewDate(1970, 5, 1), "9990000026", "LS1 4AP")
	ids.patient = p.ID

	r := c.get("/patients/" + p.ID + "/referrals/new")
	wantStatus(t, "referral form", r, 200)
	r = c.post("/patients/"+p.ID+"/referrals/new", url.Values{"source": {"03"}, "referrer_name": {"Dr Green"}, "received_on": {"2026-02-02"},
		"priority": {"1"}, "treatment_function": {"100"}, "consultant": {"C1234567"}, "consultant_led": {"yes"}})
	wantStatus(t, "record referral", r, http.StatusSeeOther)
	ids.referral = idFrom(t, r.loc, "/referrals/")
	r = c.get("/referrals/" + ids.referral)
	wantBody(t, "referral page", r, "Clock running", "General Surgery")
	ids.pathway = regexp.MustCompile(`href="/pathways/([^"/]+)"`).FindStringSubmatch(r.body)[1]

	r = c.get("/pathways/" + ids.pathway)
	wantBody(t, "pathway page", r, "Clock running", "4 weeks 0 days", "referral received", "clock started")
	r = c.get("/ptl")
	wantBody(t, "PTL", r, "WALKER, Alice", "no future activity")

	r = c.get("/referrals/" + ids.referral + "/book")
	wantStatus(t, "booking page", r, 200)
	m := firstSlot.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no free slot offered:\n%s", excerpt(r.body))
	}
	r = c.post("/referrals/"+ids.referral+"/book", url.Values{"slot": {m[1]}})
	wantStatus(t, "book", r, http.StatusSeeOther)
	ids.appointment = idFrom(t, r.loc, "/appointments/")
	r = c.get("/ptl")
	wantBody(t, "PTL after booking", r, "Appointment 02-Mar-2026")

	wantStatus(t, "check in", c.post("/appointments/"+ids.appointment+"/checkin", nil), http.StatusSeeOther)
	wantStatus(t, "attended", c.post("/appointments/"+ids.appointment+"/attendance", url.Values{"attended": {"yes"}}), http.StatusSeeOther)
	r = c.get("/appointments/" + ids.appointment)
	wantBody(t, "outcome form", r, `id="rtt_status"`, "Record outcome")

	// The RTT status is mandatory, and checked against the next step.
	r = c.post("/appointments/"+ids.appointment+"/outcome", url.Values{"next_step": {"waiting_list"}, "procedure": {"T201"}, "intended_management": {"2"}, "priority": {"P3"}, "consultant": {"C1234567"}})
	wantStatus(t, "outcome without status", r, http.StatusUnprocessableEntity)
	wantBody(t, "outcome without status", r, `id="rtt_status-error"`, "Choose the RTT status")
	r = c.post("/appointments/"+ids.appointment+"/outcome", url.Values{"rtt_status": {"30"}, "next_step": {"waiting_list"}, "procedure": {"T201"}, "intended_management": {"2"}, "priority": {"P3"}, "consultant": {"C1234567"}})
	wantStatus(t, "outcome 30 with waiting list", r, http.StatusUnprocessableEntity)
	wantBody(t, "outcome 30 with waiting list", r, `id="rtt_status-error"`, "clock keeps running")
	r = c.post("/appointments/"+ids.appointment+"/outcome", url.Values{"rtt_status": {"20"}, "next_step": {"waiting_list"}, "procedure": {"T201"}, "procedure_name": {"Hernia repair"}, "intended_management": {"2"}, "priority": {"P3"}, "consultant": {"C1234567"}})
	wantStatus(t, "outcome 20", r, http.StatusSeeOther)

	r = c.get("/patients/" + p.ID)
	wantBody(t, "record page", r, "Clock running", "T201")
	m = entryLink.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no waiting list entry on the record:\n%s", excerpt(r.body))
	}
	ids.entry = m[1]
	wantBody(t, "PTL after listing", c.get("/ptl"), "Admitted pathway")

	r = c.post("/waiting-list/"+ids.entry+"/offer", url.Values{"offered_on": {"2026-03-02"}, "dates": {"next tuesday"}})
	wantStatus(t, "offer with a bad date", r, http.StatusUnprocessableEntity)
	wantBody(t, "offer with a bad date", r, `id="date1-error"`)
	r = c.post("/waiting-list/"+ids.entry+"/offer", url.Values{"offered_on": {"2026-03-02"}, "dates": {"2026-03-30, 2026-04-06"}})
	wantStatus(t, "offer", r, http.StatusSeeOther)
	r = c.get("/waiting-list/" + ids.entry)
	wantBody(t, "entry page", r, "Reasonable", "Accept 30-Mar-2026")
	m = offerForm.FindStringSubmatch(r.body)
	r = c.post(m[1], url.Values{"accept": {"2026-03-30"}})
	wantStatus(t, "accept", r, http.StatusSeeOther)
	wantBody(t, "PTL with TCI", c.get("/ptl"), "TCI")

	e.clock.Set(time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC))
	*c = *e.login(e.a, crs.RoleClerk) // the session timed out meanwhile
	r = c.get("/patients/" + p.ID + "/admit?entry=" + ids.entry)
	wantBody(t, "admit form", r, "from the waiting list", "WD10 bed B01 (free)")
	r = c.post("/patients/"+p.ID+"/admit", url.Values{"entry": {ids.entry}, "method": {"11"}, "source": {"19"}, "consultant": {"C1234567"}, "treatment_function": {"100"}})
	wantStatus(t, "admit without a ward", r, http.StatusUnprocessableEntity)
	wantBody(t, "admit without a ward", r, `id="place-error"`)
	r = c.post("/patients/"+p.ID+"/admit", url.Values{"entry": {ids.entry}, "method": {"11"}, "source": {"19"}, "place": {st.ward.ID + "/" + st.beds[0].ID},
		"consultant": {"C1234567"}, "treatment_function": {"100"}, "expected_discharge": {"2026-03-31"}})
	wantStatus(t, "admit", r, http.StatusSeeOther)
	ids.spell = idFrom(t, r.loc, "/spells/")
	wantBody(t, "record while admitted", c.get("/patients/"+p.ID), "to WD10 Nightingale Ward, bed B01 under C1234567", `href="/spells/`+ids.spell+`"`)
	r = c.get("/pathways/" + ids.pathway)
	wantBody(t, "pathway after admission", r, "Clock stopped", "8 weeks 0 days", "clock stopped")
	if strings.Contains(c.get("/ptl").body, "WALKER") {
		t.Errorf("the PTL still lists the admitted patient")
	}
	wantBody(t, "pathway as of before admission", c.get("/pathways/"+ids.pathway+"?asof=2026-03-10"), "Clock running", "5 weeks 1 day", "(36 days;")
	wantBody(t, "bed board", c.get("/beds"), `<a href="/beds/`+st.ward.ID+`">WD10 Nightingale Ward</a>`, "2 of 3 beds free")
	wantBody(t, "ward's beds", c.get("/beds/"+st.ward.ID), "WALKER, Alice", "EDD 31-Mar-2026", "1 of 3 beds occupied")

	r = c.post("/spells/"+ids.spell+"/discharge", url.Values{"destination": {"19"}})
	wantStatus(t, "discharge without method", r, http.StatusUnprocessableEntity)
	wantBody(t, "discharge without method", r, `id="method-error"`)
	r = c.post("/spells/"+ids.spell+"/discharge", url.Values{"method": {"1"}, "destination": {"19"}})
	wantStatus(t, "discharge", r, http.StatusSeeOther)
	wantBody(t, "spell after discharge", c.get("/spells/"+ids.spell), "Discharged")
	wantBody(t, "ward's beds after discharge", c.get("/beds/"+st.ward.ID), "0 of 3 beds occupied")
	wantBody(t, "bed board after discharge", c.get("/beds"), "3 of 3 beds free")
	return ids
}

func TestJourney(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	c := e.login(e.a, crs.RoleClerk)
	ids := e.walkJourney(t, c, st)

	t.Run("fields are checked beside each field", func(t *testing.T) {
		r := c.post("/patients/"+ids.patient+"/referrals/new", url.Values{"source": {"03"}, "received_on": {"31/02/2026"}, "priority": {"1"}, "treatment_function": {"100"}, "ubrn": {"12"}})
		wantStatus(t, "bad referral", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad referral", r, `id="received_on-error"`, `id="ubrn-error"`, "error-summary", dayBox("received_on", "31"), `value="12"`)
		r = c.post("/referrals/"+ids.referral+"/book", url.Values{})
		wantStatus(t, "book without slot", r, http.StatusUnprocessableEntity)
		wantBody(t, "book without slot", r, `id="slot-error"`)
		r = c.post("/referrals/"+ids.referral+"/book", url.Values{"slot": {"made-up"}})
		wantStatus(t, "book out of slot", r, http.StatusUnprocessableEntity)
		wantBody(t, "book out of slot", r, `id="slot-error"`)
		r = c.post("/pathways/"+ids.pathway+"/list", url.Values{"decided_on": {"2026-03-02"}, "procedure": {"KNEE"}, "intended_management": {"2"}, "priority": {"P9"}, "consultant": {"C1234567"}})
		wantStatus(t, "bad listing", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad listing", r, `id="procedure-error"`, `id="priority-error"`)
		wantBody(t, "bad as-of date", c.get("/pathways/"+ids.pathway+"?asof=yesterday"), `id="asof-error"`)
	})

	t.Run("cancel and reschedule", func(t *testing.T) {
		p := e.register(e.a, "Mover", "Max", crs.NewDate(1980, 1, 1), "", "LS2 1AA")
		r := c.post("/patients/"+p.ID+"/referrals/new", url.Values{"source": {"03"}, "received_on": {"2026-03-20"}, "priority": {"2"}, "treatment_function": {"100"}, "consultant_led": {"yes"}})
		ref := idFrom(t, r.loc, "/referrals/")
		wantBody(t, "to-book worklist", c.get("/worklists?list=to_book"), "MOVER, Max")
		slots := firstSlot.FindAllStringSubmatch(c.get("/referrals/"+ref+"/book").body, 3)
		ap := idFrom(t, c.post("/referrals/"+ref+"/book", url.Values{"slot": {slots[0][1]}}).loc, "/appointments/")
		r = c.post("/appointments/"+ap+"/cancel", url.Values{"cancelled_by": {"patient"}})
		wantStatus(t, "cancel without reason", r, http.StatusUnprocessableEntity)
		wantBody(t, "cancel without reason", r, `id="reason-error"`)
		wantBody(t, "reschedule form", c.get("/appointments/"+ap+"/reschedule"), "Reschedule the appointment")
		r = c.post("/appointments/"+ap+"/reschedule", url.Values{"cancelled_by": {"hospital"}, "reason": {"Clinic moved"}, "slot": {slots[1][1]}})
		wantStatus(t, "reschedule", r, http.StatusSeeOther)
		ap2 := idFrom(t, r.loc, "/appointments/")
		r = c.post("/appointments/"+ap2+"/cancel", url.Values{"cancelled_by": {"patient"}, "reason": {"On holiday"}})
		wantStatus(t, "cancel", r, http.StatusSeeOther)
		wantBody(t, "cancelled", c.get("/referrals/"+ref), "Cancelled")
		wantBody(t, "clinic page", c.get("/clinics/"+st.clinic.ID), "09:00", "Free")
		wantBody(t, "clinic list", c.get("/clinics"), "GS-MON")
	})

	t.Run("PTL filters, pages and CSV", func(t *testing.T) {
		wantBody(t, "PTL by consultant", c.get("/ptl?consultant=C9999999"), "No pathways match")
		wantBody(t, "PTL shortest first", c.get("/ptl?sort=shortest&tf=100"), "MOVER, Max")
		// The CSV link keeps the filters as they were given.
		wantBody(t, "PTL CSV link", c.get("/ptl?sort=shortest&tf=100"), `href="/ptl.csv?sort=shortest&amp;tf=100"`)
		r := c.get("/ptl.csv?tf=100")
		wantStatus(t, "CSV", r, 200)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(r.body, "MOVER") {
			t.Errorf("CSV: %s\n%s", ct, r.body)
		}
		if r := c.get("/ptl?partial=1"); strings.Contains(r.body, "<html") || !strings.Contains(r.body, "MOVER") {
			t.Errorf("PTL fragment:\n%s", r.body)
		}
	})

	t.Run("roles", func(t *testing.T) {
		an := e.login(e.a, crs.RoleAnalyst)
		for _, path := range []string{"/patients/" + ids.patient + "/referrals/new", "/referrals/" + ids.referral + "/book", "/ptl", "/ptl.csv",
			"/clinics", "/worklists", "/pathways/" + ids.pathway + "/list", "/patients/" + ids.patient + "/admit", "/patients/" + ids.patient + "/ed/new"} {
			wantStatus(t, "analyst GET "+path, an.get(path), http.StatusForbidden)
		}
		for _, path := range []string{"/appointments/" + ids.appointment + "/checkin", "/spells/" + ids.spell + "/leave", "/waiting-list/" + ids.entry + "/remove"} {
			an.get("/patients/" + ids.patient)
			r := an.post(path, url.Values{"removal_reason": {"4"}})
			wantStatus(t, "analyst POST "+path, r, http.StatusForbidden)
		}
		wantBody(t, "analyst sees the pathway", an.get("/pathways/"+ids.pathway), "Clock stopped")
		if strings.Contains(an.get("/patients/"+ids.patient).body, "Record a referral") {
			t.Errorf("the analyst is offered to record a referral")
		}
		po := e.login(e.a, crs.RolePrivacyOfficer)
		wantStatus(t, "privacy officer PTL", po.get("/ptl"), http.StatusForbidden)
		wantStatus(t, "privacy officer live PTL", po.get("/live?topic=ptl"), http.StatusForbidden)
	})

	t.Run("tenancy", func(t *testing.T) {
		other := e.login(e.b, crs.RoleClerk)
		for _, path := range []string{"/referrals/" + ids.referral, "/pathways/" + ids.pathway, "/appointments/" + ids.appointment,
			"/waiting-list/" + ids.entry, "/spells/" + ids.spell, "/clinics/" + st.clinic.ID, "/referrals/" + ids.referral + "/book",
			"/pathways/" + ids.pathway + "/list", "/patients/" + ids.patient + "/referrals/new", "/patients/" + ids.patient + "/admit"} {
			wantStatus(t, "other trust GET "+path, other.get(path), http.StatusNotFound)
		}
		other.get("/ptl")
		for _, path := range []string{"/appointments/" + ids.appointment + "/cancel", "/spells/" + ids.spell + "/cancel-discharge",
			"/waiting-list/" + ids.entry + "/offer", "/patients/" + ids.patient + "/referrals/new"} {
			wantStatus(t, "other trust POST "+path, other.post(path, url.Values{"reason": {"x"}, "cancelled_by": {"patient"}}), http.StatusNotFound)
		}
		if r := other.get("/beds"); strings.Contains(r.body, "WALKER") || strings.Contains(r.body, "WD10") {
			t.Errorf("trust B's bed board shows trust A's ward")
		}
		wantStatus(t, "trust A's ward from trust B", other.get("/beds/"+st.ward.ID), http.StatusNotFound)
		if r := other.get("/ptl"); strings.Contains(r.body, "MOVER") {
			t.Errorf("trust B's PTL shows trust A's patient")
		}
	})
}

func TestED(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	c := e.login(e.a, crs.RoleNurse)
	e.a.AssignToED(t, e.db, e.a.Actor(crs.RoleNurse))
	p := e.register(e.a, "Casualty", "Carl", crs.NewDate(1990, 2, 3), "", "E1 1AA")

	r := c.post("/patients/"+p.ID+"/ed/new", url.Values{"arrived_at": {"08:30"}})
	wantStatus(t, "arrival without mode", r, http.StatusUnprocessableEntity)
	wantBody(t, "arrival without mode", r, `id="arrival_mode-error"`, `value="08:30"`)
	r = c.post("/patients/"+p.ID+"/ed/new", url.Values{"arrival_mode": {"1048031000000100"}, "attendance_category": {"7"}, "chief_complaint": {"123"}})
	wantStatus(t, "arrival with bad ECDS codes", r, http.StatusUnprocessableEntity)
	wantBody(t, "arrival with bad ECDS codes", r, `id="attendance_category-error"`, `id="chief_complaint-error"`, "EMERGENCY CARE ATTENDANCE CATEGORY")
	r = c.post("/patients/"+p.ID+"/ed/new", url.Values{"arrival_mode": {"1048031000000100"}, "attendance_category": {"1"}, "arrived_at": {"02/03/2026 08:30"},
		"complaint": {"Chest pain"}, "chief_complaint": {"29857009"}})
	wantStatus(t, "arrival", r, http.StatusSeeOther)
	id := idFrom(t, r.loc, "/ed/")
	wantBody(t, "attendance shows ECDS words", c.get("/ed/"+id), "Arrival by emergency road ambulance", "Unplanned first attendance", "Chest pain (29857009)")
	r = c.post("/ed/"+id+"/triage", url.Values{"triage": {"9"}})
	wantStatus(t, "bad triage", r, http.StatusUnprocessableEntity)
	wantBody(t, "bad triage", r, `id="triage-error"`)
	for _, step := range []struct{ action, field, value string }{{"triage", "triage", "2"}, {"move", "location", "MAJ-4"}, {"seen", "clinician", "Dr Who"}} {
		wantStatus(t, step.action, c.post("/ed/"+id+"/"+step.action, url.Values{step.field: {step.value}}), http.StatusSeeOther)
	}
	r = c.get("/ed")
	wantBody(t, "board", r, "CASUALTY, Carl", "0h 30m", "MAJ-4", "Very urgent")
	wantBody(t, "acuity from triage", c.get("/ed/"+id), "acuity: Very urgent level emergency care")
	e.clock.Advance(3 * time.Hour)
	c = e.login(e.a, crs.RoleNurse)
	wantBody(t, "board at 3h30", c.get("/ed?partial=1"), "Over 3 hours", "row--amber")
	wantStatus(t, "decision to admit", c.post("/ed/"+id+"/dta", url.Values{"specialty": {"300"}}), http.StatusSeeOther)
	e.clock.Advance(13 * time.Hour)
	c = e.login(e.a, crs.RoleNurse)
	wantBody(t, "board at 16h30", c.get("/ed"), "Over 4 hours", "12 hours from decision to admit")
	wantBody(t, "record shows A&E", c.get("/patients/"+p.ID), "In A&amp;E now")
	r = c.post("/patients/"+p.ID+"/admit", url.Values{"ed": {id}, "method": {"21"}, "source": {"19"}, "place": {st.ward.ID + "/" + st.beds[1].ID}, "consultant": {"C7654321"}})
	wantStatus(t, "admit from A&E", r, http.StatusSeeOther)
	wantBody(t, "board after admission", c.get("/ed"), "No patients are in the department")
	wantBody(t, "record shows the spell", c.get("/patients/"+p.ID), "Inpatient now", "WD10 Nightingale Ward, bed B02")
	// After the admission the ECDS discharge items are completed.
	r = c.post("/ed/"+id+"/ecds", url.Values{"discharge_status": {"999"}})
	wantStatus(t, "bad discharge status", r, http.StatusUnprocessableEntity)
	wantBody(t, "bad discharge status", r, `id="discharge_status-error"`)
	wantStatus(t, "ECDS after admission", c.post("/ed/"+id+"/ecds", url.Values{"discharge_status": {"182992009"}, "destination": {"306706006"}}), http.StatusSeeOther)
	wantBody(t, "ECDS recorded", c.get("/ed/"+id), "Treatment completed", "Discharge destination</dt><dd>Ward")

	other := e.login(e.b, crs.RoleNurse)
	wantStatus(t, "other trust attendance", other.get("/ed/"+id), http.StatusNotFound)
	wantStatus(t, "other trust triage", other.post("/ed/"+id+"/triage", url.Values{"triage": {"1"}}), http.StatusNotFound)
	wantStatus(t, "other trust arrival form", other.get("/patients/"+p.ID+"/ed/new"), http.StatusNotFound)
	an := e.login(e.a, crs.RoleAnalyst)
	an.get("/ed")
	wantStatus(t, "analyst triage", an.post("/ed/"+id+"/triage", url.Values{"triage": {"1"}}), http.StatusForbidden)
}

// TestLive checks the event stream: a board hears of its own trust's
// changes only, and only the topic.
func TestLive(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	e.setUp(e.b)
	c := e.login(e.a, crs.RoleNurse)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/live?topic=beds", nil)
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("live: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(within time.Duration) (string, bool) {
		deadline := time.After(within)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					return "", false
				}
				if strings.HasPrefix(l, "event:") || strings.HasPrefix(l, "data:") {
					return l, true
				}
			case <-deadline:
				return "", false
			}
		}
	}
	// Another trust's admission says nothing to this trust's board.
	pb := e.register(e.b, "Other", "Olive", crs.NewDate(1960, 1, 1), "", "")
	bWard := store.NewInpatientService(e.db)
	wards, _ := bWard.BedBoard(context.Background(), e.b.Actor(crs.RoleNurse))
	if _, err := bWard.Admit(context.Background(), e.b.Actor(crs.RoleNurse), &crs.Admission{PatientID: pb.ID, Method: "21", Source: "19",
		WardID: wards[0].WardID, ConsultantCode: "C1111111"}); err != nil {
		t.Fatal(err)
	}
	if l, ok := next(500 * time.Millisecond); ok {
		t.Fatalf("trust A's board heard of trust B's admission: %q", l)
	}
	pa := e.register(e.a, "Local", "Lisa", crs.NewDate(1961, 1, 1), "", "")
	if _, err := bWard.Admit(context.Background(), e.a.Actor(crs.RoleNurse), &crs.Admission{PatientID: pa.ID, Method: "21", Source: "19",
		WardID: st.ward.ID, BedID: st.beds[2].ID, ConsultantCode: "C1111111"}); err != nil {
		t.Fatal(err)
	}
	l1, ok1 := next(5 * time.Second)
	l2, ok2 := next(time.Second)
	if !ok1 || !ok2 || l1 != "event: refresh" || l2 != "data: beds" {
		t.Fatalf("after an admission got %q, %q; want the refresh event with the topic only", l1, l2)
	}
	if r := c.get("/beds/" + st.ward.ID + "?partial=1"); strings.Contains(r.body, "<html") || !strings.Contains(r.body, "LOCAL, Lisa") {
		t.Errorf("ward's beds fragment:\n%s", r.body)
	}
	if r := c.get("/beds?partial=1"); strings.Contains(r.body, "<html") || !strings.Contains(r.body, "WD10 Nightingale Ward") || strings.Contains(r.body, "LOCAL, Lisa") {
		t.Errorf("bed board fragment:\n%s", r.body)
	}
	wantStatus(t, "unknown topic", c.get("/live?topic=secrets"), http.StatusNotFound)
}
