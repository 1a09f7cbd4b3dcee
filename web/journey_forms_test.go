package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
)

// listed is a patient of trust A with a consultant-led referral, its RTT
// pathway and an entry on the waiting list, made through the services.
type listed struct {
	patient  *crs.Patient
	referral *crs.Referral
	entry    *crs.WaitingListEntry
}

func (e *env) listPatient(t *testing.T, family, nhsNo string) listed {
	t.Helper()
	ctx, clerk := context.Background(), e.a.Actor(crs.RoleClerk)
	var l listed
	l.patient = e.register(e.a, family, "Pat", crs.NewDate(1975, 4, 5), nhsNo, "LS1 4AP")
	l.referral = &crs.Referral{PatientID: l.patient.ID, Source: "03", ReceivedOn: crs.NewDate(2026, 2, 2), Priority: crs.PriorityRoutine,
		TreatmentFunction: "100", ConsultantCode: "C1234567", ConsultantLed: true}
	if err := store.NewReferralService(e.db).RecordReferral(ctx, clerk, l.referral); err != nil {
		t.Fatalf("record referral: %v", err)
	}
	l.entry = &crs.WaitingListEntry{PatientID: l.patient.ID, ReferralID: l.referral.ID, PathwayID: l.referral.PathwayID, DecidedOn: crs.NewDate(2026, 3, 2),
		IntendedManagement: "2", ProcedureCode: "T201", Priority: "P3", ConsultantCode: "C1234567", TreatmentFunction: "100", ForTreatment: true}
	if err := store.NewWaitingListService(e.db).AddToWaitingList(ctx, clerk, l.entry); err != nil {
		t.Fatalf("add to waiting list: %v", err)
	}
	return l
}

// wantField checks that a refused form answers 422 with the message beside
// the field and the error summary linking to it.
// dayBox is the Day box of date input name showing day, as the page
// writes it.
func dayBox(name, day string) string {
	return `id="` + name + `-day" name="` + name + `-day" type="text" inputmode="numeric" maxlength="2" value="` + day + `"`
}

// timeBox is the time box of date and time input name showing hhmm.
func timeBox(name, hhmm string) string {
	return `id="` + name + `-time" name="` + name + `-time" type="text" maxlength="5" value="` + hhmm + `"`
}

func wantField(t *testing.T, what string, r resp, field, msg string) {
	t.Helper()
	wantStatus(t, what, r, http.StatusUnprocessableEntity)
	wantBody(t, what, r, `id="`+field+`-error"`, `aria-invalid="true"`, `href="#`+field+`"`, msg)
}

func TestWaitingListSuspension(t *testing.T) {
	e := newEnv(t)
	e.setUp(e.a)
	l := e.listPatient(t, "Holiday", "9990000042")
	wl := store.NewWaitingListService(e.db)
	find := func() *crs.WaitingListEntry {
		t.Helper()
		got, err := wl.FindWaitingListEntry(context.Background(), e.a.Actor(crs.RoleClerk), l.entry.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	c := e.login(e.a, crs.RoleClerk)
	page := "/waiting-list/" + l.entry.ID
	r := c.get(page)
	wantBody(t, "entry page", r, "Patient unavailable (suspend)", dayBox("until", ""), `name="until-month"`, `name="until-year"`)

	t.Run("bad input is shown beside each field", func(t *testing.T) {
		r := c.post(page+"/suspend", url.Values{"until-day": {"31"}, "until-month": {"2"}, "until-year": {"2026"}})
		wantField(t, "impossible date", r, "until", "Unavailable until must be a real date")
		wantField(t, "no reason", r, "reason", "Say why the patient is unavailable")
		wantField(t, "date in the past", c.post(page+"/suspend", url.Values{"until": {"2026-03-01"}, "reason": {"On holiday"}}), "until", "Unavailable until must be in the future")
		wantField(t, "no date", c.post(page+"/suspend", url.Values{"reason": {"On holiday"}}), "until", "Enter the date")
		if got := find().Status; got != crs.ListWaiting {
			t.Errorf("after refused suspensions the entry is %q, want %q", got, crs.ListWaiting)
		}
	})

	t.Run("roles and trusts", func(t *testing.T) {
		an := e.login(e.a, crs.RoleAnalyst)
		an.get("/patients/" + l.patient.ID)
		wantStatus(t, "analyst suspends", an.post(page+"/suspend", url.Values{"until": {"2026-04-20"}, "reason": {"x"}}), http.StatusForbidden)
		wantStatus(t, "analyst suspends with bad input", an.post(page+"/suspend", url.Values{"until": {"soon"}}), http.StatusForbidden)
		if strings.Contains(an.get(page).body, "Patient unavailable (suspend)") {
			t.Errorf("the analyst is offered to suspend")
		}
		other := e.login(e.b, crs.RoleClerk)
		wantStatus(t, "other trust suspends", other.post(page+"/suspend", url.Values{"until": {"2026-04-20"}, "reason": {"x"}}), http.StatusNotFound)
		wantStatus(t, "other trust resumes", other.post(page+"/resume", nil), http.StatusNotFound)
		if got := find().Status; got != crs.ListWaiting {
			t.Errorf("the entry is %q, want %q", got, crs.ListWaiting)
		}
	})

	t.Run("suspend and resume", func(t *testing.T) {
		r := c.post(page+"/suspend", url.Values{"until": {"2026-04-20"}, "reason": {"On holiday"}})
		wantStatus(t, "suspend", r, http.StatusSeeOther)
		if r.loc != page {
			t.Errorf("suspend redirected to %q, want %q", r.loc, page)
		}
		got := find()
		if got.Status != crs.ListSuspended || got.SuspendedUntil.String() != "2026-04-20" || got.SuspendedReason != "On holiday" {
			t.Errorf("after suspending: status %q until %s reason %q, want suspended until 2026-04-20 for On holiday", got.Status, got.SuspendedUntil, got.SuspendedReason)
		}
		r = c.get(page)
		wantBody(t, "suspended entry", r, "Suspended until 20-Apr-2026", "Until 20-Apr-2026: On holiday", ">Resume</button>")
		wantStatus(t, "suspend again", c.post(page+"/suspend", url.Values{"until": {"2026-05-01"}, "reason": {"x"}}), http.StatusConflict)

		an := e.login(e.a, crs.RoleAnalyst)
		an.get("/patients/" + l.patient.ID)
		wantStatus(t, "analyst resumes", an.post(page+"/resume", nil), http.StatusForbidden)

		r = c.post(page+"/resume", nil)
		wantStatus(t, "resume", r, http.StatusSeeOther)
		if got := find(); got.Status != crs.ListWaiting || !got.SuspendedUntil.IsZero() {
			t.Errorf("after resuming: status %q until %s, want waiting with no date", got.Status, got.SuspendedUntil)
		}
		wantBody(t, "resumed entry", c.get(page), "Available for admission again")
		wantStatus(t, "resume again", c.post(page+"/resume", nil), http.StatusConflict)
	})
}

// admitted admits the listed patient to bed 1 on 2026-03-02 09:00 under
// C1234567, through the service.
func (e *env) admitted(t *testing.T, st *site, l listed) *crs.Spell {
	t.Helper()
	sp, err := store.NewInpatientService(e.db).Admit(context.Background(), e.a.Actor(crs.RoleClerk), &crs.Admission{EntryID: l.entry.ID, Method: "11", Source: "19",
		WardID: st.ward.ID, BedID: st.beds[0].ID, ConsultantCode: "C1234567", TreatmentFunction: "100"})
	if err != nil {
		t.Fatalf("admit: %v", err)
	}
	return sp
}

func TestSpellConsultantAndExpectedDischarge(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	sp := e.admitted(t, st, e.listPatient(t, "Ward", "9990000050"))
	ip := store.NewInpatientService(e.db)
	find := func() *crs.Spell {
		t.Helper()
		got, err := ip.FindSpell(context.Background(), e.a.Actor(crs.RoleClerk), sp.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	e.clock.Advance(5 * time.Hour) // 14:00
	c := e.login(e.a, crs.RoleNurse)
	page := "/spells/" + sp.ID
	wantBody(t, "spell page", c.get(page), "Change of consultant", dayBox("consultant_from", ""), timeBox("consultant_from", ""),
		dayBox("expected_discharge", ""), timeBox("at", ""))

	t.Run("change of consultant", func(t *testing.T) {
		wantField(t, "no consultant", c.post(page+"/consultant", url.Values{}), "consultant", "Enter the code of the consultant")
		wantField(t, "bad code", c.post(page+"/consultant", url.Values{"consultant": {"dr who?"}}), "consultant", "2 to 10 capital letters")
		wantField(t, "bad time", c.post(page+"/consultant", url.Values{"consultant": {"C7654321"}, "consultant_from": {"2026-03-02T25:00"}}), "consultant_from", "From must include a real time on the 24-hour clock")
		wantField(t, "no month", c.post(page+"/consultant", url.Values{"consultant": {"C7654321"}, "consultant_from-day": {"2"}, "consultant_from-year": {"2026"}, "consultant_from-time": {"13:30"}}),
			"consultant_from", "From must include a month")
		wantField(t, "before the episode", c.post(page+"/consultant", url.Values{"consultant": {"C7654321"}, "consultant_from": {"2026-03-01T10:00"}}), "consultant_from", "cannot start before")
		wantField(t, "same consultant", c.post(page+"/consultant", url.Values{"consultant": {"C1234567"}}), "consultant", "already under C1234567")
		if n := len(find().Episodes); n != 1 {
			t.Fatalf("after refused changes the spell has %d episodes, want 1", n)
		}

		r := c.post(page+"/consultant", url.Values{"consultant": {"c7654321"}, "treatment_function": {"101"},
			"consultant_from-day": {"2"}, "consultant_from-month": {"3"}, "consultant_from-year": {"2026"}, "consultant_from-time": {"13:30"}})
		wantStatus(t, "change consultant", r, http.StatusSeeOther)
		got := find()
		if got.ConsultantCode != "C7654321" || got.TreatmentFunction != "101" || len(got.Episodes) != 2 {
			t.Fatalf("after the change: consultant %s tf %s with %d episodes, want C7654321 101 with 2", got.ConsultantCode, got.TreatmentFunction, len(got.Episodes))
		}
		want := time.Date(2026, 3, 2, 13, 30, 0, 0, time.UTC) // GMT in March before the clocks change
		if ep := got.Episodes[1]; ep.ConsultantCode != "C7654321" || !ep.Start.Equal(want) || !got.Episodes[0].End.Equal(want) {
			t.Errorf("new episode %s from %s, first ends %s; want C7654321 from %s", ep.ConsultantCode, ep.Start, got.Episodes[0].End, want)
		}
		wantBody(t, "spell page after change", c.get(page), "Care passed to C7654321", "Consultant episodes", "02-Mar-2026 13:30")
	})

	t.Run("time of a move", func(t *testing.T) {
		r := c.post(page+"/leave", url.Values{"at": {"2026-03-02T25:00"}})
		wantField(t, "leave at no real time", r, "at", "Time must include a real time on the 24-hour clock")
		// The page shown again offers the beds to move to, read afresh.
		wantBody(t, "spell page shown again", r, `value="`+st.ward.ID+"/"+st.beds[1].ID+`"`)
		if got := find().Status; got != crs.SpellAdmitted {
			t.Errorf("after a refused leave the spell is %s, want %s", got, crs.SpellAdmitted)
		}
	})

	t.Run("expected discharge", func(t *testing.T) {
		wantField(t, "not a date", c.post(page+"/expected-discharge", url.Values{"expected_discharge": {"next week"}}), "expected_discharge", "must be a real date")
		wantField(t, "before admission", c.post(page+"/expected-discharge", url.Values{"expected_discharge": {"2026-03-01"}}), "expected_discharge", "before the admission")
		r := c.post(page+"/expected-discharge", url.Values{"expected_discharge-day": {"6"}, "expected_discharge-month": {"3"}, "expected_discharge-year": {"2026"}})
		wantStatus(t, "set expected discharge", r, http.StatusSeeOther)
		if got := find().ExpectedDischarge.String(); got != "2026-03-06" {
			t.Errorf("expected discharge %s, want 2026-03-06", got)
		}
		wantBody(t, "spell page", c.get(page), "Expected discharge 06-Mar-2026", dayBox("expected_discharge", "6"))
		wantStatus(t, "clear expected discharge", c.post(page+"/expected-discharge", url.Values{"expected_discharge": {""}}), http.StatusSeeOther)
		if got := find().ExpectedDischarge; !got.IsZero() {
			t.Errorf("expected discharge %s after clearing, want none", got)
		}
	})

	t.Run("roles and trusts", func(t *testing.T) {
		an := e.login(e.a, crs.RoleAnalyst)
		an.get("/patients/" + sp.PatientID)
		for _, path := range []string{"/consultant", "/expected-discharge", "/discharge"} {
			wantStatus(t, "analyst POST "+path, an.post(page+path, url.Values{"consultant": {"C1111111"}, "expected_discharge": {"bad"}, "at": {"bad"}}), http.StatusForbidden)
		}
		if strings.Contains(an.get(page).body, "Change of consultant") {
			t.Errorf("the analyst is offered to change the consultant")
		}
		other := e.login(e.b, crs.RoleNurse)
		for _, path := range []string{"/consultant", "/expected-discharge"} {
			wantStatus(t, "other trust POST "+path, other.post(page+path, url.Values{"consultant": {"C1111111"}, "expected_discharge": {"2026-03-09"}}), http.StatusNotFound)
		}
		if got := find(); got.ConsultantCode != "C7654321" || !got.ExpectedDischarge.IsZero() {
			t.Errorf("refused requests changed the spell: consultant %s, expected discharge %s", got.ConsultantCode, got.ExpectedDischarge)
		}
	})

	t.Run("after discharge", func(t *testing.T) {
		wantStatus(t, "discharge", c.post(page+"/discharge", url.Values{"method": {"1"}, "destination": {"19"}}), http.StatusSeeOther)
		if strings.Contains(c.get(page).body, "Change of consultant") {
			t.Errorf("a discharged spell still offers a change of consultant")
		}
		wantStatus(t, "change consultant after discharge", c.post(page+"/consultant", url.Values{"consultant": {"C2222222"}}), http.StatusConflict)
		wantStatus(t, "expected discharge after discharge", c.post(page+"/expected-discharge", url.Values{"expected_discharge": {"2026-03-09"}}), http.StatusConflict)
	})
}

func TestCloseReferral(t *testing.T) {
	e := newEnv(t)
	e.setUp(e.a)
	c := e.login(e.a, crs.RoleClerk)
	refs := store.NewReferralService(e.db)
	p := e.register(e.a, "Triage", "Tom", crs.NewDate(1982, 6, 7), "9990000069", "LS2 1AA")
	ref := &crs.Referral{PatientID: p.ID, Source: "03", ReceivedOn: crs.NewDate(2026, 2, 16), Priority: crs.PriorityRoutine,
		TreatmentFunction: "100", ConsultantLed: true}
	if err := refs.RecordReferral(context.Background(), e.a.Actor(crs.RoleClerk), ref); err != nil {
		t.Fatal(err)
	}
	find := func() *crs.Referral {
		t.Helper()
		got, err := refs.FindReferral(context.Background(), e.a.Actor(crs.RoleClerk), ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	page := "/referrals/" + ref.ID
	wantBody(t, "referral page", c.get(page), "Close the referral (discharge)", dayBox("closed_on", "2"))

	t.Run("bad input", func(t *testing.T) {
		r := c.post(page+"/close", url.Values{"closed_on": {"2026-02-30"}, "rtt_status": {"34"}})
		wantField(t, "impossible date", r, "closed_on", "Date closed must be a real date")
		wantField(t, "no reason", r, "reason", "Say why the referral is closed")
		wantField(t, "future date", c.post(page+"/close", url.Values{"closed_on": {"2026-03-09"}, "reason": {"x"}}), "closed_on", "cannot be closed in the future")
		wantField(t, "status that does not close", c.post(page+"/close", url.Values{"reason": {"x"}, "rtt_status": {"20"}}), "rtt_status", "not 20")
		if got := find().Status; got != crs.ReferralOpen {
			t.Errorf("after refused closes the referral is %q", got)
		}
	})

	t.Run("roles and trusts", func(t *testing.T) {
		an := e.login(e.a, crs.RoleAnalyst)
		an.get("/patients/" + p.ID)
		wantStatus(t, "analyst closes", an.post(page+"/close", url.Values{"reason": {"x"}}), http.StatusForbidden)
		if strings.Contains(an.get(page).body, "Close the referral") {
			t.Errorf("the analyst is offered to close the referral")
		}
		other := e.login(e.b, crs.RoleClerk)
		wantStatus(t, "other trust closes", other.post(page+"/close", url.Values{"reason": {"x"}}), http.StatusNotFound)
	})

	t.Run("close with 34 stops the clock", func(t *testing.T) {
		r := c.post(page+"/close", url.Values{"closed_on": {"2026-03-02"}, "reason": {"Returned to the GP with advice"}, "rtt_status": {"34"}})
		wantStatus(t, "close", r, http.StatusSeeOther)
		got := find()
		if got.Status != crs.ReferralClosed || got.ClosedOn.String() != "2026-03-02" || got.ClosedReason != "Returned to the GP with advice" || got.Worklist != "" {
			t.Errorf("closed referral: status %q on %s reason %q worklist %q", got.Status, got.ClosedOn, got.ClosedReason, got.Worklist)
		}
		pw, err := refs.FindPathway(context.Background(), e.a.Actor(crs.RoleClerk), ref.PathwayID)
		if err != nil {
			t.Fatal(err)
		}
		if pw.ClockState != crs.ClockStopped || pw.StopStatus != rtt.StatusDecisionNotToTreat || pw.ClockStop.String() != "2026-03-02" {
			t.Errorf("pathway clock %s stopped %s with %s, want stopped 2026-03-02 with 34", pw.ClockState, pw.ClockStop, pw.StopStatus)
		}
		r = c.get(page)
		wantBody(t, "closed referral page", r, "Referral closed with RTT status 34", "closed on 02-Mar-2026")
		if strings.Contains(r.body, "Close the referral (discharge)") {
			t.Errorf("a closed referral still offers to close it")
		}
		wantStatus(t, "close again", c.post(page+"/close", url.Values{"reason": {"again"}}), http.StatusConflict)
	})

	t.Run("a booked appointment is cancelled first", func(t *testing.T) {
		r := c.post("/patients/"+p.ID+"/referrals/new", url.Values{"source": {"03"}, "received_on": {"2026-03-02"}, "priority": {"1"}, "treatment_function": {"100"}, "consultant_led": {"yes"}})
		booked := idFrom(t, r.loc, "/referrals/")
		m := firstSlot.FindStringSubmatch(c.get("/referrals/" + booked + "/book").body)
		if m == nil {
			t.Fatal("no free slot")
		}
		wantStatus(t, "book", c.post("/referrals/"+booked+"/book", url.Values{"slot": {m[1]}}), http.StatusSeeOther)
		r = c.get("/referrals/" + booked)
		wantBody(t, "booked referral", r, "first cancel its booked appointment")
		if strings.Contains(r.body, "Close the referral (discharge)") {
			t.Errorf("a referral with a booked appointment offers to close it")
		}
		wantStatus(t, "close with a booking", c.post("/referrals/"+booked+"/close", url.Values{"reason": {"x"}}), http.StatusConflict)
	})
}

// TestJourneyDateInputs checks that the journey's forms ask for dates in
// the day / month / year boxes and times in the 24-hour time box, that
// the server reads them (and the single values older links send),
// refusing bad input beside the field with what was typed kept.
func TestJourneyDateInputs(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	l := e.listPatient(t, "Dates", "9990000085")
	c := e.login(e.a, crs.RoleClerk)
	p := l.patient.ID
	for _, tc := range []struct{ path, input string }{
		{"/patients/" + p + "/referrals/new", dayBox("received_on", "2")},
		{"/pathways/" + l.referral.PathwayID + "/list", `id="decided_on-day" name="decided_on-day" type="text" inputmode="numeric"`},
		{"/pathways/" + l.referral.PathwayID, `id="asof-day" name="asof-day" type="text" inputmode="numeric"`},
		{"/waiting-list/" + l.entry.ID, `id="offered_on-day" name="offered_on-day" type="text" inputmode="numeric"`},
		{"/waiting-list/" + l.entry.ID, dayBox("date2", "")},
		{"/patients/" + p + "/admit", dayBox("expected_discharge", "")},
		{"/patients/" + p + "/admit", timeBox("at", "")},
		{"/patients/" + p + "/ed/new", timeBox("arrived_at", "")},
		{"/referrals/" + l.referral.ID + "/book", dayBox("from", "")},
		{"/pathways/" + l.referral.PathwayID + "?asof=2026-02-20", dayBox("asof", "20")},
	} {
		wantBody(t, "GET "+tc.path, c.get(tc.path), tc.input)
	}

	// An offer from three date inputs, and a bad one beside its input
	// with what was typed kept.
	entry := "/waiting-list/" + l.entry.ID
	r := c.post(entry+"/offer", url.Values{"offered_on": {"2026-03-02"}, "date1-day": {"30"}, "date1-month": {"3"}, "date1-year": {"2026"},
		"date2-day": {"31"}, "date2-month": {"2"}, "date2-year": {"2026"}})
	wantStatus(t, "offer with an impossible date", r, http.StatusUnprocessableEntity)
	wantBody(t, "offer with an impossible date", r, `id="date2-error"`, "Second date offered must be a real date", dayBox("date1", "30"), dayBox("date2", "31"))
	wantStatus(t, "offer", c.post(entry+"/offer", url.Values{"offered_on": {"2026-03-02"}, "dates": {"2026-03-30", "2026-04-06", ""}}), http.StatusSeeOther)
	got, err := e.server.WaitingList.FindWaitingListEntry(context.Background(), e.a.Actor(crs.RoleClerk), l.entry.ID)
	if err != nil || len(got.Offers) != 1 || len(got.Offers[0].Dates) != 2 || !got.Offers[0].Reasonable {
		t.Fatalf("offer from date inputs: %+v, %v; want one reasonable offer of two dates", got.Offers, err)
	}

	// A datetime-local admission time, in UK time.
	r = c.post("/patients/"+p+"/admit", url.Values{"method": {"21"}, "source": {"19"}, "place": {st.ward.ID + "/" + st.beds[0].ID}, "consultant": {"C1234567"}, "at": {"2026-03-02T25:61"}})
	wantStatus(t, "admit at an impossible time", r, http.StatusUnprocessableEntity)
	wantBody(t, "admit at an impossible time", r, `id="at-error"`, "Time admitted must include a real time on the 24-hour clock")
	r = c.post("/patients/"+p+"/admit", url.Values{"method": {"21"}, "source": {"19"}, "place": {st.ward.ID + "/" + st.beds[0].ID}, "consultant": {"C1234567"},
		"at": {"2026-03-02T08:15"}, "expected_discharge": {"2026-03-05"}})
	wantStatus(t, "admit", r, http.StatusSeeOther)
	sp, err := e.server.Inpatients.FindSpell(context.Background(), e.a.Actor(crs.RoleClerk), idFrom(t, r.loc, "/spells/"))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC); !sp.AdmittedAt.Equal(want) || sp.ExpectedDischarge.String() != "2026-03-05" {
		t.Errorf("admitted at %s expecting discharge %s, want %s and 2026-03-05", sp.AdmittedAt, sp.ExpectedDischarge, want)
	}
}

func TestPathwayDecision(t *testing.T) {
	e := newEnv(t)
	e.setUp(e.a)
	c := e.login(e.a, crs.RoleClerk)
	refs := store.NewReferralService(e.db)
	p := e.register(e.a, "Watchful", "Wendy", crs.NewDate(1958, 8, 9), "9990000093", "LS3 1AA")
	ref := &crs.Referral{PatientID: p.ID, Source: "03", ReceivedOn: crs.NewDate(2026, 2, 2), Priority: crs.PriorityRoutine, TreatmentFunction: "100", ConsultantLed: true}
	if err := refs.RecordReferral(context.Background(), e.a.Actor(crs.RoleClerk), ref); err != nil {
		t.Fatal(err)
	}
	clock := func() *crs.PathwayClock {
		t.Helper()
		pc, err := refs.PathwayClock(context.Background(), e.a.Actor(crs.RoleClerk), ref.PathwayID, crs.Date{})
		if err != nil {
			t.Fatal(err)
		}
		return pc
	}
	page := "/pathways/" + ref.PathwayID
	wantBody(t, "pathway page", c.get(page), "Record a decision on the pathway", dayBox("decision_date", "2"))

	r := c.post(page+"/decision", url.Values{"decision_date": {"2026-02-30"}})
	wantStatus(t, "no decision", r, http.StatusUnprocessableEntity)
	wantBody(t, "no decision", r, `id="decision-error"`, `href="#decision-monitor_clinician"`, "Choose the decision", `id="decision_date-error"`, "must be a real date")
	wantField(t, "future", c.post(page+"/decision", url.Values{"decision": {"not_treat"}, "decision_date": {"2026-03-03"}}), "decision_date", "Date of the decision must be today or in the past")
	r = c.post(page+"/decision", url.Values{"decision": {"monitor_ended"}, "decision_date": {"2026-03-02"}})
	wantStatus(t, "end monitoring never started", r, http.StatusUnprocessableEntity)
	wantBody(t, "end monitoring never started", r, `id="decision-error"`)
	if pc := clock(); !pc.Clock.Running || len(pc.Events) != 1 {
		t.Fatalf("after refused decisions: running %v with %d events, want running with 1", pc.Clock.Running, len(pc.Events))
	}

	an := e.login(e.a, crs.RoleAnalyst)
	an.get(page)
	wantStatus(t, "analyst records", an.post(page+"/decision", url.Values{"decision": {"not_treat"}}), http.StatusForbidden)
	wantStatus(t, "other trust records", e.login(e.b, crs.RoleClerk).post(page+"/decision", url.Values{"decision": {"not_treat"}}), http.StatusNotFound)

	// Active monitoring on the clinician's decision is a clinical
	// decision: a clerk cannot record it, a doctor can.
	r = c.post(page+"/decision", url.Values{"decision": {"monitor_clinician"}, "decision_date": {"2026-02-23"}, "note": {"Review in 6 months"}})
	wantStatus(t, "clerk records active monitoring", r, http.StatusForbidden)
	wantStatus(t, "clerk records not to treat", c.post(page+"/decision", url.Values{"decision": {"not_treat"}}), http.StatusForbidden)
	doc := e.login(e.a, crs.RoleDoctor)
	doc.get(page)
	r = doc.post(page+"/decision", url.Values{"decision": {"monitor_clinician"}, "decision_date": {"2026-02-23"}, "note": {"Review in 6 months"}})
	wantStatus(t, "active monitoring", r, http.StatusSeeOther)
	pc := clock()
	if pc.Clock.Running || pc.Pathway.ClockState != crs.ClockMonitoring || !pc.Clock.Stop.Equal(time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("after active monitoring: running %v state %s stop %s, want monitoring from 2026-02-23", pc.Clock.Running, pc.Pathway.ClockState, pc.Clock.Stop)
	}
	if last := pc.Events[len(pc.Events)-1]; last.Status != rtt.StatusActiveMonitoringClinician || last.Note != "Review in 6 months" {
		t.Errorf("last event %s %s %q, want status 32 with the note", last.Kind, last.Status, last.Note)
	}
	wantBody(t, "pathway after the decision", doc.get(page), "Recorded: active monitoring started, RTT status 32", "Clock stopped")
}

func TestGenerateSlots(t *testing.T) {
	e := newEnv(t)
	st := e.setUp(e.a)
	c := e.login(e.a, crs.RoleClerk)
	page := "/clinics/" + st.clinic.ID
	wantBody(t, "clinic page", c.get(page), "Make slots", dayBox("from", "2"), dayBox("to", "29"))
	slots := func() []*crs.Slot {
		t.Helper()
		from := time.Date(2026, 5, 4, 0, 0, 0, 0, crs.London)
		got, err := e.server.Outpatients.FindSlots(context.Background(), e.a.Actor(crs.RoleClerk), crs.SlotQuery{ClinicID: st.clinic.ID, From: from, To: from.AddDate(0, 0, 7), Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if n := len(slots()); n != 0 {
		t.Fatalf("%d slots in the week of 4 May before making them", n)
	}

	r := c.post(page+"/slots", url.Values{"from": {""}, "to": {"2026-05-32"}})
	wantField(t, "no dates", r, "from", "Enter the first date")
	wantField(t, "no dates", r, "to", "Last date must be a real date")
	wantField(t, "backwards", c.post(page+"/slots", url.Values{"from": {"2026-05-10"}, "to": {"2026-05-04"}}), "to", "before the first")

	an := e.login(e.a, crs.RoleAnalyst)
	an.get("/patients")
	wantStatus(t, "analyst makes slots", an.post(page+"/slots", url.Values{"from": {"2026-05-04"}, "to": {"2026-05-10"}}), http.StatusForbidden)
	wantStatus(t, "other trust makes slots", e.login(e.b, crs.RoleClerk).post(page+"/slots", url.Values{"from": {"2026-05-04"}, "to": {"2026-05-10"}}), http.StatusNotFound)
	if n := len(slots()); n != 0 {
		t.Fatalf("%d slots after refused requests, want 0", n)
	}

	r = c.post(page+"/slots", url.Values{"from": {"2026-05-04"}, "to": {"2026-05-10"}})
	wantStatus(t, "make slots", r, http.StatusSeeOther)
	got := slots()
	// Monday 09:00-12:00 in 20 minutes and 13:30-16:30 in 15: 9 + 12.
	if len(got) != 21 || !got[0].Start.Equal(time.Date(2026, 5, 4, 9, 0, 0, 0, crs.London)) || got[0].Type != crs.SlotNew {
		t.Fatalf("made %d slots, first %v; want 21 from Monday 4 May 09:00 (new)", len(got), got[0])
	}
	wantBody(t, "clinic day", c.get(r.loc), "21 slots made from 04-May-2026 to 10-May-2026", "09:00–09:20")
	wantStatus(t, "make again", c.post(page+"/slots", url.Values{"from": {"2026-05-04"}, "to": {"2026-05-10"}}), http.StatusSeeOther)
	if n := len(slots()); n != 21 {
		t.Errorf("%d slots after making them again, want still 21", n)
	}
}
