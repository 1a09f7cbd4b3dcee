package rtt

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ev(date string, k Kind, s Status) Event { return Event{Date: day(date), Kind: k, Status: s} }

// got is the part of a Clock the table tests compare.
type got struct {
	Running, Nullified, TransferredOut, DecisionToAdmit bool
	Start, Stop                                         string
	Days, Weeks                                         int
	StopStatus                                          Status
	Periods                                             int
}

func summarise(c Clock, periods int) got {
	g := got{Running: c.Running, Nullified: c.Nullified, TransferredOut: c.TransferredOut,
		DecisionToAdmit: c.DecisionToAdmit, Days: c.Days, Weeks: c.Weeks, StopStatus: c.StopStatus, Periods: periods}
	if !c.Start.IsZero() {
		g.Start = c.Start.Format(time.DateOnly)
	}
	if !c.Stop.IsZero() {
		g.Stop = c.Stop.Format(time.DateOnly)
	}
	return g
}

// Pathways used by several cases.
var (
	outpatientTreatment = []Event{
		ev("2026-01-05", KindReferralReceived, 0),
		ev("2026-01-07", KindAppointmentBooked, 10),
		ev("2026-02-02", KindAttended, 10),
		ev("2026-03-02", KindTreatmentStarted, 30),
	}
	firstDNA = []Event{
		ev("2026-01-05", KindReferralReceived, 0),
		ev("2026-01-06", KindAppointmentBooked, 10),
		ev("2026-02-02", KindDidNotAttend, 0),
	}
)

func with(base []Event, more ...Event) []Event { return append(slices.Clone(base), more...) }

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name   string
		events []Event
		asOf   string
		want   got
		rule   Rule // if set, some decision of the returned clock must cite it
	}{
		{
			name:   "s3.2.1 referral received starts the clock; 126 days is within 18 weeks (s10.1.7)",
			events: []Event{ev("2026-01-05", KindReferralReceived, 0)},
			asOf:   "2026-05-11",
			want:   got{Running: true, Start: "2026-01-05", Days: 126, Weeks: 17, Periods: 1},
			rule:   RuleReferral,
		},
		{
			name:   "s10.1.7 127 days is in the 18-19 week band",
			events: []Event{ev("2026-01-05", KindReferralReceived, 0)},
			asOf:   "2026-05-12",
			want:   got{Running: true, Start: "2026-01-05", Days: 127, Weeks: 18, Periods: 1},
		},
		{
			name: "s3.2.1 e-RS: the UBRN conversion date starts the clock, not the later referral letter",
			events: []Event{
				ev("2026-01-05", KindUBRNConverted, 0),
				ev("2026-01-09", KindReferralReceived, 0),
			},
			asOf: "2026-02-02",
			want: got{Running: true, Start: "2026-01-05", Days: 28, Weeks: 3, Periods: 1},
			rule: RuleAlreadyRunning,
		},
		{
			name:   "s4.3.2.2 first definitive treatment in outpatients stops the clock (30)",
			events: outpatientTreatment,
			asOf:   "2026-06-30",
			want:   got{Start: "2026-01-05", Stop: "2026-03-02", Days: 56, Weeks: 7, StopStatus: 30, Periods: 1},
			rule:   RuleTreatmentStarted,
		},
		{
			name:   "Annex D clinic outcome 30 on the attendance stops the clock",
			events: []Event{ev("2026-01-05", KindReferralReceived, 0), ev("2026-02-02", KindAttended, 30)},
			asOf:   "2026-06-30",
			want:   got{Start: "2026-01-05", Stop: "2026-02-02", Days: 28, Weeks: 3, StopStatus: 30, Periods: 1},
		},
		{
			name: "s4.3.2.3 admission for first definitive treatment stops the clock on the admission date",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 10),
				ev("2026-02-02", KindDecisionToAdmit, 20),
				ev("2026-02-02", KindAddedToWaitingList, 20),
				ev("2026-02-16", KindTCIOffered, 30),
				ev("2026-03-02", KindAdmittedForTreatment, 30),
			},
			asOf: "2026-06-30",
			want: got{DecisionToAdmit: true, Start: "2026-01-05", Stop: "2026-03-02", Days: 56, Weeks: 7, StopStatus: 30, Periods: 1},
			rule: RuleAdmittedForTreatment,
		},
		{
			name: "s4.3.2.3 admission for diagnostics only does not stop the clock",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 20),
				ev("2026-02-16", KindAdmittedDiagnostic, 20),
			},
			asOf: "2026-03-02",
			want: got{Running: true, Start: "2026-01-05", Days: 56, Weeks: 7, Periods: 1},
			rule: RuleAdmittedDiagnostic,
		},
		{
			name: "s4.3.2.3 example i: surgery cancelled after admission; clock stops at the admission when it is done",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-01-12", KindAttended, 20),
				ev("2026-01-12", KindDecisionToAdmit, 20),
				ev("2026-02-01", KindAdmittedNotTreated, 20),
				ev("2026-02-01", KindCancelledByHospital, 20),
				ev("2026-02-01", KindTCIOffered, 30),
				ev("2026-02-05", KindAdmittedForTreatment, 30),
			},
			asOf: "2026-06-30",
			want: got{DecisionToAdmit: true, Start: "2026-01-05", Stop: "2026-02-05", Days: 31, Weeks: 4, StopStatus: 30, Periods: 1},
			rule: RuleAdmittedNotTreated,
		},
		{
			name:   "rule 5e, s4.4.1.3: DNA of the first appointment after referral nullifies the clock",
			events: firstDNA,
			asOf:   "2026-03-02",
			want:   got{Nullified: true, Start: "2026-01-05", Stop: "2026-02-02", Days: 28, Weeks: 3, StopStatus: 33, Periods: 1},
			rule:   RuleDNAFirstNullifies,
		},
		{
			name:   "rule 3e, s3.4.5: patient rebooks after a first DNA; new clock from the date they contact the trust",
			events: with(firstDNA, ev("2026-02-10", KindAppointmentBooked, 10)),
			asOf:   "2026-03-02",
			want:   got{Running: true, Start: "2026-02-10", Days: 20, Weeks: 2, Periods: 2},
			rule:   RuleRebookAfterDNA,
		},
		{
			name:   "s3.4.5: clinician decides to offer another first appointment; new clock from the decision",
			events: with(firstDNA, ev("2026-02-04", KindFirstAppointmentReoffered, 10)),
			asOf:   "2026-03-02",
			want:   got{Running: true, Start: "2026-02-04", Days: 26, Weeks: 3, Periods: 2},
			rule:   RuleReofferAfterDNA,
		},
		{
			name:   "s3.4.5: no slot after a first DNA, patient added to waiting list; clock starts then",
			events: with(firstDNA, ev("2026-02-03", KindAddedToWaitingList, 10)),
			asOf:   "2026-03-02",
			want:   got{Running: true, Start: "2026-02-03", Days: 27, Weeks: 3, Periods: 2},
			rule:   RuleWaitingListAfterDNA,
		},
		{
			name:   "rule 3c: re-referral after a nullifying DNA starts a new clock",
			events: with(firstDNA, ev("2026-03-02", KindReferralReceived, 0)),
			asOf:   "2026-03-02",
			want:   got{Running: true, Start: "2026-03-02", Days: 0, Weeks: 0, Periods: 2},
			rule:   RuleReReferral,
		},
		{
			name: "s4.4.1.3: DNA of a subsequent appointment does not stop the clock",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 10),
				ev("2026-03-02", KindDidNotAttend, 0),
			},
			asOf: "2026-03-02",
			want: got{Running: true, Start: "2026-01-05", Days: 56, Weeks: 7, Periods: 1},
			rule: RuleDNASubsequent,
		},
		{
			name: "rule 5e: status 33 on a DNA after the patient attended does not nullify",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 10),
				ev("2026-03-02", KindDidNotAttend, 33),
			},
			asOf: "2026-03-02",
			want: got{Running: true, Start: "2026-01-05", Days: 56, Weeks: 7, Periods: 1},
		},
		{
			name: "rule 5f, s4.4.1.3: DNA of a later appointment then discharge to GP stops on the discharge date",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 20),
				ev("2026-03-02", KindDidNotAttend, 20),
				ev("2026-03-09", KindDischargedToGP, 34),
			},
			asOf: "2026-06-30",
			want: got{Start: "2026-01-05", Stop: "2026-03-09", Days: 63, Weeks: 8, StopStatus: 34, Periods: 1},
			rule: RuleDischargedAfterDNA,
		},
		{
			name: "rule 5e: first DNA recorded with status 20 (provider did not nullify) keeps the clock",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindDidNotAttend, 20),
			},
			asOf: "2026-03-02",
			want: got{Running: true, Start: "2026-01-05", Days: 56, Weeks: 7, Periods: 1},
			rule: RuleDNAFirstNotNullified,
		},
		{
			name: "s4.4.2.1: repeated patient cancellations do not stop the clock",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-01-06", KindAppointmentBooked, 10),
				ev("2026-01-20", KindCancelledByPatient, 10),
				ev("2026-01-21", KindAppointmentBooked, 10),
				ev("2026-02-01", KindCancelledByPatient, 10),
			},
			asOf: "2026-03-02",
			want: got{Running: true, Start: "2026-01-05", Days: 56, Weeks: 7, Periods: 1},
			rule: RuleCancelByPatient,
		},
		{
			name: "s4.4.2.2: cancellation by the hospital does not stop the clock; nor is a later attendance a first DNA",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-01-06", KindAppointmentBooked, 10),
				ev("2026-01-20", KindCancelledByHospital, 10),
			},
			asOf: "2026-03-02",
			want: got{Running: true, Start: "2026-01-05", Days: 56, Weeks: 7, Periods: 1},
			rule: RuleCancelByHospital,
		},
		{
			name:   "rule 5b, s4.4.1.4: clinician-initiated active monitoring (32) stops the clock",
			events: []Event{ev("2026-01-05", KindReferralReceived, 0), ev("2026-02-02", KindAttended, 32)},
			asOf:   "2026-06-30",
			want:   got{Start: "2026-01-05", Stop: "2026-02-02", Days: 28, Weeks: 3, StopStatus: 32, Periods: 1},
			rule:   RuleActiveMonitoringStarted,
		},
		{
			name: "s4.4.1.4: routine check-up during active monitoring (91) does not start a clock",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindActiveMonitoringStarted, 31),
				ev("2026-04-06", KindAttended, 91),
			},
			asOf: "2026-06-30",
			want: got{Start: "2026-01-05", Stop: "2026-02-02", Days: 28, Weeks: 3, StopStatus: 31, Periods: 1},
			rule: RuleMonitoringIgnored,
		},
		{
			name: "rule 3d, s3.4.4: decision to treat at a follow-up after active monitoring starts a new clock (11)",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 32),
				ev("2026-04-06", KindAttended, 91),
				ev("2026-05-04", KindAttended, 11),
			},
			asOf: "2026-06-01",
			want: got{Running: true, Start: "2026-05-04", Days: 28, Weeks: 3, Periods: 2},
			rule: RuleDecisionToTreatAfterAM,
		},
		{
			name: "rule 3d, s8.3: patient decides to go ahead after active monitoring (active monitoring ended)",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindActiveMonitoringStarted, 32),
				ev("2026-03-02", KindActiveMonitoringEnded, 11),
			},
			asOf: "2026-03-02",
			want: got{Running: true, Start: "2026-03-02", Periods: 2},
		},
		{
			name: "rule 3d: a decision to admit after active monitoring is a decision to treat and starts a new clock",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindActiveMonitoringStarted, 32),
				ev("2026-03-02", KindDecisionToAdmit, 11),
			},
			asOf: "2026-03-09",
			want: got{Running: true, DecisionToAdmit: true, Start: "2026-03-02", Days: 7, Weeks: 0, Periods: 2},
		},
		{
			name: "rule 5d, s4.4.1.1: decision not to treat (34) stops the clock",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 20),
				ev("2026-02-16", KindDecisionNotToTreat, 34),
			},
			asOf: "2026-06-30",
			want: got{Start: "2026-01-05", Stop: "2026-02-16", Days: 42, Weeks: 5, StopStatus: 34, Periods: 1},
			rule: RuleDecisionNotToTreat,
		},
		{
			name: "s4.4.1.2 example ii, Annex E: patient declines treatment by phone after listing (35)",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 20),
				ev("2026-02-02", KindAddedToWaitingList, 20),
				ev("2026-02-09", KindPatientDeclinedTreatment, 35),
			},
			asOf: "2026-06-30",
			want: got{DecisionToAdmit: true, Start: "2026-01-05", Stop: "2026-02-09", Days: 35, Weeks: 4, StopStatus: 35, Periods: 1},
		},
		{
			name: "s4.4.1.2 example iii: patient died before treatment (36)",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-09", KindPatientDied, 0),
			},
			asOf: "2026-06-30",
			want: got{Start: "2026-01-05", Stop: "2026-02-09", Days: 35, Weeks: 4, StopStatus: 36, Periods: 1},
			rule: RuleDied,
		},
		{
			name: "rule 4b, s4.3.2.4, Annex E: added to transplant list stops the clock with status 34",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-09", KindAddedToTransplantList, 0),
			},
			asOf: "2026-06-30",
			want: got{Start: "2026-01-05", Stop: "2026-02-09", Days: 35, Weeks: 4, StopStatus: 34, Periods: 1},
		},
		{
			name:   "as of a date before the stop the clock is still running",
			events: outpatientTreatment,
			asOf:   "2026-02-16",
			want:   got{Running: true, Start: "2026-01-05", Days: 42, Weeks: 5, Periods: 1},
			rule:   RuleAfterAsOf,
		},
		{
			name:   "as of a date before the referral there is no clock",
			events: outpatientTreatment,
			asOf:   "2026-01-04",
			want:   got{},
			rule:   RuleAfterAsOf,
		},
		{
			name:   "events in any order give the same clock",
			events: []Event{outpatientTreatment[3], outpatientTreatment[1], outpatientTreatment[0], outpatientTreatment[2]},
			asOf:   "2026-06-30",
			want:   got{Start: "2026-01-05", Stop: "2026-03-02", Days: 56, Weeks: 7, StopStatus: 30, Periods: 1},
		},
		{
			name: "rule 3a, s3.4.1: second side of a bilateral procedure starts a new clock when fit and ready",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-03-02", KindAdmittedForTreatment, 30),
				ev("2026-04-06", KindBilateralSecondSide, 10),
			},
			asOf: "2026-05-04",
			want: got{Running: true, Start: "2026-04-06", Days: 28, Weeks: 3, Periods: 2},
			rule: RuleBilateral,
		},
		{
			name: "rule 3b, s3.4.2: substantively new treatment after first treatment starts a new clock",
			events: with(outpatientTreatment,
				ev("2026-04-06", KindAttended, 90),
				ev("2026-05-04", KindNewTreatmentDecision, 10)),
			asOf: "2026-05-04",
			want: got{Running: true, Start: "2026-05-04", Periods: 2},
			rule: RuleNewTreatment,
		},
		{
			name: "rule 3 / s3.4: activity after first definitive treatment is ignored",
			events: with(outpatientTreatment,
				ev("2026-04-06", KindAttended, 90),
				ev("2026-04-20", KindDidNotAttend, 0),
				ev("2026-04-21", KindCancelledByHospital, 0),
				ev("2026-04-22", KindDischargedToGP, 0)),
			asOf: "2026-06-30",
			want: got{Start: "2026-01-05", Stop: "2026-03-02", Days: 56, Weeks: 7, StopStatus: 30, Periods: 1},
			rule: RuleStoppedIgnored,
		},
		{
			name: "rule 3c, s3.4.3: re-referral after a decision not to treat starts a new clock",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-16", KindDecisionNotToTreat, 34),
				ev("2026-04-06", KindReferralReceived, 0),
			},
			asOf: "2026-04-06",
			want: got{Running: true, Start: "2026-04-06", Periods: 2},
		},
		{
			name: "s1.1: waiting list suspensions do not pause the clock",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindSuspension, 20),
				ev("2026-03-01", KindSuspension, 20),
			},
			asOf: "2026-03-02",
			want: got{Running: true, Start: "2026-01-05", Days: 56, Weeks: 7, Periods: 1},
			rule: RuleNoPause,
		},
		{
			name: "s8.3: two declined TCIs do not stop the clock; active monitoring agreed afterwards does",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 20),
				ev("2026-02-02", KindDecisionToAdmit, 20),
				ev("2026-02-16", KindTCIDeclined, 20),
				ev("2026-03-02", KindTCIDeclined, 20),
				ev("2026-03-09", KindActiveMonitoringStarted, 32),
			},
			asOf: "2026-06-30",
			want: got{DecisionToAdmit: true, Start: "2026-01-05", Stop: "2026-03-09", Days: 63, Weeks: 8, StopStatus: 32, Periods: 1},
			rule: RuleTCIDeclinedTwice,
		},
		{
			name: "s10.1.7: a clock that starts and stops on the same day waited 0 days",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-01-05", KindTreatmentStarted, 30),
			},
			asOf: "2026-06-30",
			want: got{Start: "2026-01-05", Stop: "2026-01-05", StopStatus: 30, Periods: 1},
		},
		{
			name: "s11.3: a transfer in keeps the original clock start from the IPTAMDS",
			events: []Event{
				ev("2026-01-02", KindTransferIn, 20),
				ev("2026-01-28", KindAttended, 20),
			},
			asOf: "2026-02-02",
			want: got{Running: true, Start: "2026-01-02", Days: 31, Weeks: 4, Periods: 1},
			rule: RuleTransferIn,
		},
		{
			name: "s11.1, Annex C: transfer out (21) ends this provider's measurement without a clock stop",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 21),
			},
			asOf: "2026-06-30",
			want: got{TransferredOut: true, Start: "2026-01-05", Stop: "2026-02-02", Days: 28, Weeks: 3, StopStatus: 21, Periods: 1},
		},
		{
			name: "validation correction 20 reopens a clock stopped in error",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAdmittedForTreatment, 30),
				ev("2026-02-03", KindValidationCorrection, 20),
			},
			asOf: "2026-03-02",
			want: got{Running: true, Start: "2026-01-05", Days: 56, Weeks: 7, Periods: 1},
			rule: RuleCorrectionReopen,
		},
		{
			name:   "no events: no clock",
			events: nil,
			asOf:   "2026-03-02",
			want:   got{},
		},
		{
			name:   "s7.1, Annex D: a referral marked 98 (not consultant-led) starts no clock",
			events: []Event{ev("2026-01-05", KindReferralReceived, 98)},
			asOf:   "2026-03-02",
			want:   got{},
			rule:   RuleNotRTT,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asOf := day(tt.asOf)
			c := Evaluate(tt.events, asOf)
			ps := Periods(tt.events, asOf)
			if diff := cmp.Diff(tt.want, summarise(c, len(ps))); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s\ndecisions:\n%s", diff, explain(c))
			}
			if len(ps) > 0 {
				if diff := cmp.Diff(c, ps[len(ps)-1]); diff != "" {
					t.Errorf("last of Periods differs from Evaluate (-Evaluate +Periods):\n%s", diff)
				}
			}
			if tt.rule != 0 && !slices.ContainsFunc(c.Decisions, func(d Decision) bool { return d.Rule == tt.rule }) {
				t.Errorf("no decision cites %q; decisions:\n%s", tt.rule, explain(c))
			}
			if len(tt.events) > 0 && len(c.Decisions) == 0 {
				t.Errorf("no decisions")
			}
		})
	}
}

func explain(c Clock) string {
	var b strings.Builder
	for _, d := range c.Decisions {
		b.WriteString("  " + d.String() + "\n")
	}
	return b.String()
}

func TestPeriods(t *testing.T) {
	// s3.4.5: the DNA'd clock is nullified and kept as its own period; the
	// new clock starts at zero and is not linked to the old start (Annex C).
	events := with(firstDNA, ev("2026-02-10", KindAppointmentBooked, 10), ev("2026-03-02", KindAttended, 30))
	ps := Periods(events, day("2026-06-30"))
	var gotP []got
	for _, p := range ps {
		gotP = append(gotP, summarise(p, 0))
	}
	want := []got{
		{Nullified: true, Start: "2026-01-05", Stop: "2026-02-02", Days: 28, Weeks: 3, StopStatus: 33},
		{Start: "2026-02-10", Stop: "2026-03-02", Days: 20, Weeks: 2, StopStatus: 30},
	}
	if diff := cmp.Diff(want, gotP); diff != "" {
		t.Fatalf("Periods (-want +got):\n%s", diff)
	}
	// Every event is explained exactly once, in the period it belongs to.
	var idx []int
	for _, p := range ps {
		for _, d := range p.Decisions {
			idx = append(idx, d.Index)
		}
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3, 4}, idx); diff != "" {
		t.Errorf("decision indexes (-want +got):\n%s", diff)
	}
	if ps[1].StartKind != KindAppointmentBooked || ps[0].StopKind != KindDidNotAttend {
		t.Errorf("start/stop kinds: %v, %v", ps[1].StartKind, ps[0].StopKind)
	}
}

func TestDecisionString(t *testing.T) {
	c := Evaluate(firstDNA, day("2026-03-02"))
	want := []string{
		"event 0 (2026-01-05, referral received): clock started — the clock starts on the date the provider receives the referral (rules 1 and 2, s3.2.1, s3.3)",
		"event 1 (2026-01-06, appointment booked, status 10): clock continues — booking an appointment does not affect the clock (s2.1)",
		"event 2 (2026-02-02, did not attend): clock nullified — a DNA of the first appointment after the referral that started the clock stops and nullifies the clock; a new clock starts when the patient rebooks or the provider decides to offer another appointment (rule 5e, s3.4.5, s4.4.1.3)",
	}
	var gotS []string
	for _, d := range c.Decisions {
		gotS = append(gotS, d.String())
	}
	if diff := cmp.Diff(want, gotS); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if c.StopReason != "did not attend the first appointment after referral: clock nullified (33)" {
		t.Errorf("StopReason = %q", c.StopReason)
	}
}

func TestTimeOfDayAndZoneIgnored(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	events := []Event{{Date: time.Date(2026, 3, 29, 23, 30, 0, 0, london), Kind: KindReferralReceived}}
	c := Evaluate(events, time.Date(2026, 3, 30, 0, 10, 0, 0, time.UTC))
	if c.Days != 1 || !c.Start.Equal(day("2026-03-29")) {
		t.Errorf("Days = %d, Start = %v; want 1, 2026-03-29", c.Days, c.Start)
	}
}

func TestWeekBandAndBreached(t *testing.T) {
	// s10.1.7: "0 to 1 weeks includes ... 0 ... 7 days", "1 to 2 weeks
	// includes ... 8 ... 14 days", "17 to 18 weeks includes ... 120 ... 126
	// days", "51 to 52 weeks ... 358 ... 364 days", "104+ weeks ... 729
	// days and more".
	tests := []struct{ days, band int }{
		{0, 0}, {1, 0}, {7, 0}, {8, 1}, {14, 1}, {15, 2}, {120, 17}, {126, 17},
		{127, 18}, {358, 51}, {364, 51}, {365, 52}, {728, 103}, {729, 104}, {-3, 0},
	}
	for _, tt := range tests {
		if got := WeekBand(tt.days); got != tt.band {
			t.Errorf("WeekBand(%d) = %d, want %d", tt.days, got, tt.band)
		}
	}
	// s10.1.7: "A patient who has waited exactly 18 weeks (126 days) is
	// included in the 17-18 weeks time band", i.e. within 18 weeks.
	if Breached(126) || !Breached(127) {
		t.Errorf("Breached(126) = %v, Breached(127) = %v; want false, true", Breached(126), Breached(127))
	}
}

// typical is an eight-event admitted pathway as a PTL export sees it.
var typical = []Event{
	{Date: day("2026-01-05"), Kind: KindUBRNConverted, Ref: "000012345678"},
	{Date: day("2026-01-06"), Kind: KindAppointmentBooked, Status: 10},
	{Date: day("2026-01-20"), Kind: KindCancelledByHospital, Status: 10},
	{Date: day("2026-02-02"), Kind: KindAttended, Status: 10},
	{Date: day("2026-02-16"), Kind: KindAttended, Status: 20},
	{Date: day("2026-02-16"), Kind: KindDecisionToAdmit, Status: 20},
	{Date: day("2026-02-16"), Kind: KindAddedToWaitingList, Status: 20},
	{Date: day("2026-03-23"), Kind: KindAdmittedForTreatment, Status: 30},
}

func BenchmarkEvaluate(b *testing.B) {
	for _, asOf := range []string{"2026-03-01", "2026-06-30"} {
		at := day(asOf)
		b.Run("asOf="+asOf, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(typical, at)
			}
		})
	}
	b.Run("unsorted", func(b *testing.B) {
		ev := slices.Clone(typical)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(ev), func(i, j int) { ev[i], ev[j] = ev[j], ev[i] })
		at := day("2026-06-30")
		b.ReportAllocs()
		for b.Loop() {
			Evaluate(ev, at)
		}
	})
}

func BenchmarkValidateEvents(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidateEvents(typical); err != nil {
			b.Fatal(err)
		}
	}
}
