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
	"github.com/opencrs/crs/store/storetest"
)

// rttClock reads a pathway's clock through the service.
func (e *env) rttClock(t *testing.T, pathwayID string) *crs.PathwayClock {
	t.Helper()
	pc, err := store.NewReferralService(e.db).PathwayClock(context.Background(), e.a.Actor(crs.RoleClerk), pathwayID, crs.Date{})
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// referredOn registers a patient of trust A with a consultant-led
// referral received on 2026-01-05, and records one more event on its
// pathway as the clerk.
func (e *env) referredOn(t *testing.T, family, nhsNo string, ev crs.PathwayEvent) *crs.Referral {
	t.Helper()
	ctx, clerk := context.Background(), e.a.Actor(crs.RoleClerk)
	refs := store.NewReferralService(e.db)
	p := e.register(e.a, family, "Pat", crs.NewDate(1960, 1, 9), nhsNo, "LS3 1AA")
	ref := &crs.Referral{PatientID: p.ID, Source: "03", ReceivedOn: crs.NewDate(2026, 1, 5), Priority: crs.PriorityRoutine, TreatmentFunction: "100", ConsultantLed: true}
	if err := refs.RecordReferral(ctx, clerk, ref); err != nil {
		t.Fatal(err)
	}
	if err := refs.RecordPathwayEvent(ctx, clerk, ref.PathwayID, ev); err != nil {
		t.Fatal(err)
	}
	return ref
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestAdmitForDiagnosticsOnly admits a listed patient for diagnostics
// only from the admission form: the spell is recorded, the clock runs on
// (s4.3.2.3).
func TestAdmitForDiagnosticsOnly(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		st := e.setUp(e.a)
		l := e.listPatient(t, "Scope", "9990000107")
		c := e.login(e.a, crs.RoleClerk)
		form := "/patients/" + l.patient.ID + "/admit"
		wantBody(t, "admission form", c.get(form+"?entry="+l.entry.ID), "What is the patient admitted for?",
			`id="purpose-treatment" name="purpose" type="radio" value="treatment" checked`, `id="purpose-diagnostic"`)
		post := url.Values{"entry": {l.entry.ID}, "method": {"11"}, "source": {"19"}, "place": {st.ward.ID + "/" + st.beds[0].ID},
			"consultant": {"C1234567"}, "treatment_function": {"100"}}
		bad := url.Values{}
		for k, v := range post {
			bad[k] = v
		}
		bad.Set("purpose", "sightseeing")
		r := c.post(form, bad)
		wantStatus(t, "unknown purpose", r, http.StatusUnprocessableEntity)
		wantBody(t, "unknown purpose", r, `id="purpose-error"`, "Say whether the patient is admitted for treatment or for diagnostics only", `href="#purpose-treatment"`)

		post.Set("purpose", "diagnostic")
		r = c.post(form, post)
		wantStatus(t, "admit for diagnostics", r, http.StatusSeeOther)
		pc := e.rttClock(t, l.referral.PathwayID)
		if !pc.Clock.Running || !pc.Clock.Start.Equal(day(2026, 2, 2)) {
			t.Fatalf("clock after a diagnostic admission: running %v from %s, want running from 2026-02-02", pc.Clock.Running, pc.Clock.Start)
		}
		if last := pc.Events[len(pc.Events)-1]; last.Kind != rtt.KindAdmittedDiagnostic {
			t.Errorf("last event %s, want admitted for diagnostics only", last.Kind)
		}
		wantBody(t, "spell page", c.get(r.loc), "admitted for diagnostics only: the clock runs on")
		if strings.Contains(c.get(r.loc).body, `id="procedure-not-done"`) {
			t.Errorf("a diagnostic admission offers the procedure-not-carried-out form")
		}
	})
}

// TestProcedureNotCarriedOutForm records from the spell page that the
// procedure of an admission for treatment was not carried out.
func TestProcedureNotCarriedOutForm(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		st := e.setUp(e.a)
		l := e.listPatient(t, "Cancelled", "9990000115")
		sp := e.admitted(t, st, l)
		if pc := e.rttClock(t, l.referral.PathwayID); pc.Clock.Running {
			t.Fatalf("clock runs after admission for treatment")
		}
		c := e.login(e.a, crs.RoleClerk)
		page := "/spells/" + sp.ID
		wantBody(t, "spell page", c.get(page), `id="procedure-not-done"`, "admitted for first definitive treatment: the clock stopped on admission (30)",
			`id="not_done_reason-hospital"`)

		r := c.post(page+"/not-done", nil)
		wantStatus(t, "no reason", r, http.StatusUnprocessableEntity)
		wantBody(t, "no reason", r, `id="not_done_reason-error"`, "Say why the procedure was not carried out", `href="#not_done_reason-hospital"`)
		wantField(t, "other, unsaid", c.post(page+"/not-done", url.Values{"not_done_reason": {"other"}}), "not_done_note", "Say what the other reason was")
		an := e.login(e.a, crs.RoleAnalyst)
		an.get("/patients/" + l.patient.ID)
		wantStatus(t, "analyst", an.post(page+"/not-done", url.Values{"not_done_reason": {"hospital"}}), http.StatusForbidden)
		wantStatus(t, "other trust", e.login(e.b, crs.RoleClerk).post(page+"/not-done", url.Values{"not_done_reason": {"hospital"}}), http.StatusNotFound)
		if pc := e.rttClock(t, l.referral.PathwayID); pc.Clock.Running {
			t.Fatalf("clock runs after refused posts")
		}

		r = c.post(page+"/not-done", url.Values{"not_done_reason": {"unfit"}, "not_done_note": {"chest infection"}})
		wantStatus(t, "not done", r, http.StatusSeeOther)
		pc := e.rttClock(t, l.referral.PathwayID)
		if !pc.Clock.Running || !pc.Clock.Start.Equal(day(2026, 2, 2)) || pc.Pathway.ClockState != crs.ClockRunning {
			t.Fatalf("clock after not done: running %v from %s (%s), want running from 2026-02-02", pc.Clock.Running, pc.Clock.Start, pc.Pathway.ClockState)
		}
		body := c.get(page).body
		wantBody(t, "spell after", resp{body: body}, `id="not-done"`, "the patient was temporarily unfit: chest infection", "admitted for treatment, procedure not carried out: the clock runs on")
		if strings.Contains(body, `id="procedure-not-done"`) {
			t.Errorf("the form is still offered after recording")
		}
		wantBody(t, "entry back on the list", c.get("/waiting-list/"+l.entry.ID), "Waiting")
		wantBody(t, "pathway page", c.get("/pathways/"+l.referral.PathwayID), "admitted, treatment not carried out", "Clock running")
		r = c.post(page+"/not-done", url.Values{"not_done_reason": {"hospital"}})
		wantStatus(t, "twice", r, http.StatusUnprocessableEntity)
		wantBody(t, "twice", r, "The procedure is already recorded as not carried out (the patient was temporarily unfit)")
	})
}

// TestDischargeAfterDNAForm records a discharge back to the GP after a
// later-appointment DNA (rule 5f) with both dates.
func TestDischargeAfterDNAForm(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		e.setUp(e.a)
		ref := e.referredOn(t, "Missed", "9990000123", crs.PathwayEvent{Date: crs.NewDate(2026, 1, 19), Kind: rtt.KindAttended, Status: rtt.StatusSubsequentActivity})
		page := "/pathways/" + ref.PathwayID
		doc := e.login(e.a, crs.RoleDoctor)
		wantBody(t, "pathway page", doc.get(page), `id="dna_date"`, `id="decision-discharged"`, `id="decision-bilateral"`, `id="decision-new_treatment"`)

		wantField(t, "impossible DNA date", doc.post(page+"/decision", url.Values{"decision": {"discharged"}, "decision_date": {"2026-03-02"}, "dna_date": {"2026-02-30"}}),
			"dna_date", "must be a real date")
		wantField(t, "DNA after the decision", doc.post(page+"/decision", url.Values{"decision": {"discharged"}, "decision_date": {"2026-02-20"}, "dna_date": {"2026-02-23"}}),
			"dna_date", "on or before the decision to discharge")
		wantField(t, "DNA date on another decision", doc.post(page+"/decision", url.Values{"decision": {"not_treat"}, "decision_date": {"2026-03-02"}, "dna_date": {"2026-02-23"}}),
			"dna_date", "only with a discharge back to the GP")
		c := e.login(e.a, crs.RoleClerk)
		c.get(page)
		wantStatus(t, "clerk discharges", c.post(page+"/decision", url.Values{"decision": {"discharged"}, "decision_date": {"2026-03-02"}, "dna_date": {"2026-02-23"}}), http.StatusForbidden)
		if pc := e.rttClock(t, ref.PathwayID); !pc.Clock.Running || len(pc.Events) != 2 {
			t.Fatalf("after refused posts: running %v with %d events, want running with 2", pc.Clock.Running, len(pc.Events))
		}

		r := doc.post(page+"/decision", url.Values{"decision": {"discharged"}, "decision_date": {"2026-03-02"}, "dna_date": {"2026-02-23"}})
		wantStatus(t, "discharge after DNA", r, http.StatusSeeOther)
		pc := e.rttClock(t, ref.PathwayID)
		if pc.Clock.Running || !pc.Clock.Stop.Equal(day(2026, 3, 2)) || pc.Clock.StopStatus != rtt.StatusDecisionNotToTreat || pc.Clock.Days != 56 {
			t.Fatalf("clock: running %v stop %s status %s days %d, want stopped 2026-03-02 with 34 after 56 days", pc.Clock.Running, pc.Clock.Stop, pc.Clock.StopStatus, pc.Clock.Days)
		}
		wantBody(t, "pathway after", doc.get(page), "the clock stops on 02-Mar-2026, the decision to discharge, not on 23-Feb-2026, the DNA",
			`id="dna-discharge"`, "Did not attend on 23-Feb-2026; decision to discharge back to the GP on 02-Mar-2026",
			"The clock stops on the date of the decision to discharge, not on the date of the DNA")
	})
}

// TestNullifiedShownRemoved checks a clock nullified by a first
// appointment DNA reads as removed from measurement on the pathway page,
// the PTL and the patient record, never as a wait in a week band.
func TestNullifiedShownRemoved(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		e.setUp(e.a)
		ref := e.referredOn(t, "Absent", "9990000131", crs.PathwayEvent{Date: crs.NewDate(2026, 2, 2), Kind: rtt.KindDidNotAttend})
		c := e.login(e.a, crs.RoleClerk)
		note := "Removed from measurement: nullified on 02-Feb-2026, reason did not attend the first appointment after referral: clock nullified (33)"
		for _, pg := range []string{"/pathways/" + ref.PathwayID, "/ptl", "/patients/" + ref.PatientID} {
			r := c.get(pg)
			wantBody(t, pg, r, note)
			if strings.Contains(r.body, "reported in the week band") || strings.Contains(r.body, "stopped 02-Feb-2026 after") {
				t.Errorf("%s shows the nullified clock as a wait", pg)
			}
		}
	})
}

// TestBilateralSecondSideForm records the second side of a bilateral
// procedure from the pathway page: a second RTT period on the same PPI.
func TestBilateralSecondSideForm(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		st := e.setUp(e.a)
		l := e.listPatient(t, "Knees", "9990000158")
		sp := e.admitted(t, st, l)
		ip := store.NewInpatientService(e.db)
		clock.Advance(4 * time.Hour)
		if err := ip.Discharge(context.Background(), e.a.Actor(crs.RoleClerk), sp.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(21 * 24 * time.Hour)
		page := "/pathways/" + l.referral.PathwayID
		c := e.login(e.a, crs.RoleClerk)
		c.get(page)
		wantStatus(t, "clerk records the second side", c.post(page+"/decision", url.Values{"decision": {"bilateral"}, "decision_date": {"2026-03-23"}}), http.StatusForbidden)
		doc := e.login(e.a, crs.RoleDoctor)
		doc.get(page)
		r := doc.post(page+"/decision", url.Values{"decision": {"bilateral"}, "decision_date": {"2026-03-23"}})
		wantStatus(t, "second side", r, http.StatusSeeOther)
		pc := e.rttClock(t, l.referral.PathwayID)
		if len(pc.Periods) != 2 || !pc.Clock.Running || !pc.Clock.Start.Equal(day(2026, 3, 23)) || pc.Periods[0].StopStatus != rtt.StatusFirstTreatment {
			t.Fatalf("periods %d, running %v from %s; want two, the second running from 2026-03-23", len(pc.Periods), pc.Clock.Running, pc.Clock.Start)
		}
		wantBody(t, "pathway page", doc.get(page), "RTT periods of this pathway", `id="periods"`, "RTT pathway "+l.referral.PPI,
			"<td>1</td><td>02-Feb-2026</td><td>02-Mar-2026", "<td>2</td><td>23-Mar-2026</td><td>Running")
		r = doc.post(page+"/decision", url.Values{"decision": {"bilateral"}, "decision_date": {"2026-03-23"}})
		wantStatus(t, "second side twice", r, http.StatusUnprocessableEntity)
		wantBody(t, "second side twice", r, `id="decision-error"`, "bilateral second side starts a new clock, but the clock has been running since 2026-03-23")
	})
}

// TestTCIDidNotAttend records from the waiting list entry that the patient
// did not come in on the agreed date: the clock keeps running; a
// clinician's later decision to discharge back to the GP stops it on the
// decision date (rule 5f).
func TestTCIDidNotAttend(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		e.setUp(e.a)
		l := e.listPatient(t, "Noshow", "9990000174")
		ctx, clerk := context.Background(), e.a.Actor(crs.RoleClerk)
		if err := store.NewReferralService(e.db).RecordPathwayEvent(ctx, clerk, l.referral.PathwayID,
			crs.PathwayEvent{Date: crs.NewDate(2026, 2, 16), Kind: rtt.KindAttended, Status: rtt.StatusSubsequentActivity}); err != nil {
			t.Fatal(err)
		}
		wl := store.NewWaitingListService(e.db)
		offer := &crs.TCIOffer{Dates: []crs.Date{crs.NewDate(2026, 3, 25), crs.NewDate(2026, 4, 1)}}
		if err := wl.OfferTCI(ctx, clerk, l.entry.ID, offer); err != nil {
			t.Fatal(err)
		}
		if err := wl.RespondToTCI(ctx, clerk, offer.ID, crs.TCIResponse{Accept: true, Date: crs.NewDate(2026, 3, 25)}); err != nil {
			t.Fatal(err)
		}
		page := "/waiting-list/" + l.entry.ID
		c := e.login(e.a, crs.RoleClerk)
		if strings.Contains(c.get(page).body, `id="tci-dna"`) {
			t.Errorf("a DNA is offered before the date to come in")
		}
		wantStatus(t, "DNA before the date", c.post(page+"/dna", nil), http.StatusConflict)

		clock.Set(time.Date(2026, 3, 25, 15, 0, 0, 0, time.UTC))
		c = e.login(e.a, crs.RoleClerk)
		wantBody(t, "entry on the day", c.get(page), `id="tci-dna"`, "Did not come in on 25-Mar-2026")
		an := e.login(e.a, crs.RoleAnalyst)
		an.get("/patients/" + l.patient.ID)
		wantStatus(t, "analyst", an.post(page+"/dna", nil), http.StatusForbidden)
		r := c.post(page+"/dna", nil)
		wantStatus(t, "DNA", r, http.StatusSeeOther)
		pc := e.rttClock(t, l.referral.PathwayID)
		if last := pc.Events[len(pc.Events)-1]; !pc.Clock.Running || last.Kind != rtt.KindDidNotAttend || !last.Date.Equal(day(2026, 3, 25)) {
			t.Fatalf("after the DNA: running %v, last event %s on %s; want running with a DNA on 2026-03-25", pc.Clock.Running, last.Kind, last.Date)
		}
		wantBody(t, "entry after", c.get(page), "Recorded: did not come in on 25-Mar-2026; the RTT clock keeps running", "Waiting")
		pas, err := store.NewInpatientService(e.db).FindPreadmissions(ctx, clerk, l.patient.ID)
		if err != nil || len(pas) != 1 || pas[0].Status != crs.PreadmissionCancelled {
			t.Fatalf("planned admissions after the DNA = %d, %v; want the TCI's one cancelled", len(pas), err)
		}
		wantStatus(t, "DNA twice", c.post(page+"/dna", nil), http.StatusConflict)

		clock.Set(time.Date(2026, 3, 27, 11, 0, 0, 0, time.UTC))
		doc := e.login(e.a, crs.RoleDoctor)
		path := "/pathways/" + l.referral.PathwayID
		doc.get(path)
		r = doc.post(path+"/decision", url.Values{"decision": {"discharged"}, "decision_date": {"2026-03-27"}, "dna_date": {"2026-03-25"}})
		wantStatus(t, "discharge", r, http.StatusSeeOther)
		if pc := e.rttClock(t, l.referral.PathwayID); pc.Clock.Running || !pc.Clock.Stop.Equal(day(2026, 3, 27)) {
			t.Fatalf("after the discharge: running %v stop %s, want stopped 2026-03-27", pc.Clock.Running, pc.Clock.Stop)
		}
		wantBody(t, "pathway", doc.get(path), "Did not attend on 25-Mar-2026; decision to discharge back to the GP on 27-Mar-2026")
	})
}
