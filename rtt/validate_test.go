package rtt

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateEvent(t *testing.T) {
	tests := []struct {
		name string
		e    Event
		want string // substring of the error; "" for valid
	}{
		{"valid referral", ev("2026-01-05", KindReferralReceived, 0), ""},
		{"valid outcome", ev("2026-01-05", KindAttended, 30), ""},
		{"no date", Event{Kind: KindAttended, Status: 20}, "event (no date, attended, status 20): the event has no date"},
		{"unknown kind", Event{Date: day("2026-01-05"), Kind: 200}, "unknown event kind 200"},
		{"status not national", ev("2026-01-05", KindAttended, 42), "RTT status 42 is not a national RTT period status"},
		{"status 13 not national", ev("2026-01-05", KindAttended, 13), "RTT status 13 is not a national"},
		{"s4.4.2: cancellation cannot stop", ev("2026-01-05", KindCancelledByPatient, 34), "a cancellation never stops the clock (s4.4.2)"},
		{"rule 5f: DNA cannot carry 34", ev("2026-01-05", KindDidNotAttend, 34), "through a discharge to the GP (rule 5f)"},
		{"attended cannot be 33", ev("2026-01-05", KindAttended, 33), "the patient attended; 33 is for a DNA"},
		{"Annex E: treatment in diagnostic admission", ev("2026-01-05", KindAdmittedDiagnostic, 30), "record it as admitted for treatment (Annex E)"},
		{"Annex E: bilateral is not 12", ev("2026-01-05", KindBilateralSecondSide, 12), "12 is a referral for a separate condition"},
		{"correction needs a status", ev("2026-01-05", KindValidationCorrection, 0), "must carry the corrected RTT status"},
		{"treatment cannot be 34", ev("2026-01-05", KindTreatmentStarted, 34), "cannot be recorded on treatment started"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateEvent(tt.e)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			var ee *EventError
			if !errors.As(err, &ee) || ee.Index != -1 {
				t.Errorf("error is not an *EventError with Index -1: %#v", err)
			}
		})
	}
}

func TestValidateEvents(t *testing.T) {
	ref := ev("2026-01-05", KindReferralReceived, 0)
	tests := []struct {
		name   string
		events []Event
		want   []string // substrings, one per expected error, in order
	}{
		{"typical pathway is valid", typical, nil},
		{"single-event problems name the index", []Event{ref, ev("2026-01-06", KindAttended, 42)},
			[]string{"event 1 (2026-01-06, attended, status 42): RTT status 42 is not a national"}},
		{"Annex D note 28: status 10 twice", []Event{ref, ev("2026-02-01", KindAttended, 10), ev("2026-03-01", KindAttended, 10)},
			[]string{"event 2 (2026-03-01, attended, status 10): RTT status 10 marks the first activity of an RTT period, but the first activity was event 1 on 2026-02-01"}},
		{"clock start status while running", []Event{ref, ev("2026-02-01", KindAttended, 12)},
			[]string{"event 1 (2026-02-01, attended, status 12): RTT status 12 (new period for a separate condition) is a clock start, but the clock has been running since 2026-01-05"}},
		{"20 after the clock stopped", []Event{ref, ev("2026-02-01", KindAttended, 30), ev("2026-03-01", KindAttended, 20)},
			[]string{"event 2 (2026-03-01, attended, status 20): RTT status 20 (subsequent activity) says the clock is running, but the clock stopped on 2026-02-01 with status 30 (first definitive treatment)"}},
		{"rule 5e: 33 after the patient attended", []Event{ref, ev("2026-02-01", KindAttended, 10), ev("2026-03-01", KindDidNotAttend, 33)},
			[]string{"RTT status 33 is a DNA of the first appointment after the referral, but the patient already attended on 2026-02-01 (event 1)"}},
		{"s3.2.1: activity with no referral", []Event{ev("2026-02-01", KindAttended, 10)},
			[]string{"the clock is started from this activity because no clock start (referral) is recorded before it"}},
		{"rule 3d: active monitoring ended without active monitoring", []Event{ref, ev("2026-02-01", KindDecisionNotToTreat, 34), ev("2026-03-01", KindActiveMonitoringEnded, 11)},
			[]string{"active monitoring ended, but the patient is not on active monitoring"}},
		{"status 11 with no active monitoring", []Event{ref, ev("2026-02-01", KindAttended, 30), ev("2026-03-01", KindAttended, 11)},
			[]string{"RTT status 11 starts a new clock after active monitoring, but the clock stopped on 2026-02-01"}},
		{"Annex E: a stop with no open period", []Event{ref, ev("2026-02-01", KindAttended, 30), ev("2026-03-01", KindTreatmentStarted, 30)},
			[]string{"event 2 (2026-03-01, treatment started, status 30): RTT status 30 (first definitive treatment) stops a clock, but the clock stopped on 2026-02-01"}},
		{"new clock kind while running", []Event{ref, ev("2026-02-01", KindNewTreatmentDecision, 10)},
			[]string{"new treatment decision starts a new clock, but the clock has been running since 2026-01-05"}},
		{"s3.4.5: reoffer without a nullifying DNA", []Event{ref, ev("2026-02-01", KindAttended, 34), ev("2026-03-01", KindFirstAppointmentReoffered, 0)},
			[]string{"another first appointment is offered after a first-appointment DNA nullified the clock, but"}},
		{"90 while running", []Event{ref, ev("2026-02-01", KindAttended, 90)},
			[]string{"RTT status 90 says first definitive treatment already happened, but the clock has been running since 2026-01-05"}},
		{"index is the caller's even when out of order", []Event{ev("2026-03-01", KindAttended, 20), ev("2026-02-01", KindAttended, 30), ref},
			[]string{"event 0 (2026-03-01, attended, status 20): RTT status 20"}},
		{"valid: DNA first then rebook then treat", with(firstDNA, ev("2026-02-10", KindAppointmentBooked, 10), ev("2026-03-01", KindAttended, 30)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateEvents(tt.events)
			var msgs []string
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var ee *EventError
					if !errors.As(e, &ee) {
						t.Errorf("not an *EventError: %v", e)
					}
					msgs = append(msgs, e.Error())
				}
			}
			if len(msgs) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(msgs), len(tt.want), strings.Join(msgs, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(msgs[i], w) {
					t.Errorf("error %d = %q\nwant it to contain %q", i, msgs[i], w)
				}
			}
		})
	}
}

func TestEvaluateAllowsInvalidInput(t *testing.T) {
	// Evaluate never fails: unknown kinds and statuses are explained, not fatal.
	c := Evaluate([]Event{ev("2026-01-05", KindReferralReceived, 0), {Date: day("2026-01-06"), Kind: 250, Status: 77}}, day("2026-01-12"))
	if !c.Running || c.Days != 7 || c.Decisions[1].Rule != RuleUnknownKind {
		t.Errorf("got %+v", c)
	}
}
