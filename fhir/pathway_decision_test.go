package fhir_test

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestRTTDecision: EpisodeOfCare/[id]/$rtt-decision records a decision on
// the RTT pathway through the PAS's command, as the pathway page does:
// active monitoring puts the clock on hold, a decision to treat after it
// starts a new one, a decision not to treat stops it, each answered with
// the EpisodeOfCare as its clock then stands; a decision not listed, a
// date in the future, a missed appointment's date with another decision
// are refused naming the parameter; another trust's pathway is not found.
func TestRTTDecision(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		clerk := f.trustA.Actor(crs.RoleClerk)
		refs := store.NewReferralService(db)
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Waiting","given":["Wil"]}],"birthDate":"1955-01-02","gender":"male"}`)
		rf := referTo(t, f, db, clock, pid)
		today := crs.LocalDate(clock.Now()).String()
		decide := func(params string) response {
			return c.do("POST", "/fhir/EpisodeOfCare/"+rf.PathwayID+"/$rtt-decision", `{"resourceType":"Parameters","parameter":[`+params+`]}`)
		}
		clockState := func() string {
			pw, err := refs.FindPathway(t.Context(), clerk, rf.PathwayID)
			if err != nil {
				t.Fatal(err)
			}
			return pw.ClockState
		}
		for _, bad := range []struct {
			params string
			status int
			says   string
		}{
			{`{"name":"decision","valueCode":"wait_and_see"}`, 400, "Parameters.parameter[0].valueCode"},
			{`{"name":"decision","valueCode":"not_treat"},{"name":"date","valueDate":"2099-01-01"}`, 422, "Parameters.parameter[date]"},
			{`{"name":"decision","valueCode":"not_treat"},{"name":"dnaDate","valueDate":"` + today + `"}`, 422, "Parameters.parameter[1].valueDate"},
			{`{"name":"decision","valueCode":"not_treat"},{"name":"date","valueDate":"03/02/2026"}`, 400, "Parameters.parameter[1].valueDate"},
		} {
			if r := decide(bad.params); r.status != bad.status || !isOutcome(r) || !strings.Contains(string(r.body), bad.says) {
				t.Errorf("a bad decision %s: %d %.400s, want %d naming %q", bad.params, r.status, r.body, bad.status, bad.says)
			}
		}
		if got := clockState(); got != crs.ClockRunning {
			t.Fatalf("the clock after the refusals: %s, want running", got)
		}
		for _, step := range []struct{ decision, status, clock string }{
			{"monitor_clinician", "onhold", crs.ClockMonitoring},
			{"monitor_ended", "active", crs.ClockRunning},
			{"not_treat", "finished", crs.ClockStopped},
		} {
			r := decide(`{"name":"decision","valueCode":"` + step.decision + `"},{"name":"date","valueDate":"` + today + `"},{"name":"note","valueString":"clinic letter"}`)
			if r.status != 200 || r.json(t)["resourceType"] != "EpisodeOfCare" || r.json(t)["status"] != step.status {
				t.Fatalf("%s: %d %.400s, want the EpisodeOfCare %s", step.decision, r.status, r.body, step.status)
			}
			if got := clockState(); got != step.clock {
				t.Errorf("%s: the clock %s, want %s", step.decision, got, step.clock)
			}
		}
		if r := f.b.do("POST", "/fhir/EpisodeOfCare/"+rf.PathwayID+"/$rtt-decision", `{"resourceType":"Parameters","parameter":[{"name":"decision","valueCode":"died"}]}`); r.status != 404 {
			t.Errorf("trust B's decision on trust A's pathway: %d %.300s, want 404", r.status, r.body)
		}
	})
}
