package rtt

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRecordedSequences checks the clock for the event sequences the
// product records from its forms (spell page, admission, pathway
// decisions), each against the section of the guidance it follows.
func TestRecordedSequences(t *testing.T) {
	listed := []Event{
		ev("2026-01-05", KindReferralReceived, 0),
		ev("2026-01-12", KindAttended, 20),
		ev("2026-01-12", KindAddedToWaitingList, 0),
	}
	tests := []struct {
		name    string
		events  []Event
		asOf    string
		want    []got // every period, oldest first
		rule    Rule  // some decision of the last period must cite it
		invalid bool  // ValidateEvents must find a problem
	}{
		{
			// s4.3.2.3: the admission's stop (30) is withdrawn and the
			// spell's event becomes "admitted, treatment not carried out"
			// with no status: the clock runs on from the referral.
			name:   "s4.3.2.3 procedure not carried out: the clock keeps running from its start",
			events: with(listed, ev("2026-02-01", KindAdmittedNotTreated, 0)),
			asOf:   "2026-03-02",
			want:   []got{{Running: true, DecisionToAdmit: true, Start: "2026-01-05", Days: 56, Weeks: 7}},
			rule:   RuleAdmittedNotTreated,
		},
		{
			name: "s4.3.2.3 example ii: not done for unfitness, readmitted later: the clock stops at the second admission",
			events: with(listed, ev("2026-02-01", KindAdmittedNotTreated, 0),
				ev("2026-02-10", KindAdmittedForTreatment, 30)),
			asOf: "2026-03-02",
			want: []got{{DecisionToAdmit: true, Start: "2026-01-05", Stop: "2026-02-10", Days: 36, Weeks: 5, StopStatus: 30}},
			rule: RuleAdmittedForTreatment,
		},
		{
			name:   "s4.3.2.3 admitted from the waiting list for diagnostics only: the clock runs on",
			events: with(listed, ev("2026-02-01", KindAdmittedDiagnostic, 0)),
			asOf:   "2026-02-02",
			want:   []got{{Running: true, DecisionToAdmit: true, Start: "2026-01-05", Days: 28, Weeks: 3}},
			rule:   RuleAdmittedDiagnostic,
		},
		{
			// Rule 5f, s4.4.1.3: "the RTT clock stops on the date that the
			// patient is discharged back to the care of their GP".
			name: "rule 5f: DNA on 2 March, decision to discharge on 9 March: the clock stops on 9 March",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 20),
				ev("2026-03-02", KindDidNotAttend, 0),
				ev("2026-03-09", KindDischargedToGP, 34),
			},
			asOf: "2026-06-30",
			want: []got{{Start: "2026-01-05", Stop: "2026-03-09", Days: 63, Weeks: 8, StopStatus: 34}},
			rule: RuleDischargedAfterDNA,
		},
		{
			name: "rule 5f: decision to discharge the day of the DNA stops the clock that day",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindAttended, 20),
				ev("2026-03-02", KindDidNotAttend, 0),
				ev("2026-03-02", KindDischargedToGP, 34),
			},
			asOf: "2026-06-30",
			want: []got{{Start: "2026-01-05", Stop: "2026-03-02", Days: 56, Weeks: 7, StopStatus: 34}},
			rule: RuleDischargedAfterDNA,
		},
		{
			name: "rule 5e: a discharge after a DNA of the first appointment finds the clock already nullified",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindDidNotAttend, 0),
				ev("2026-02-09", KindDischargedToGP, 34),
			},
			asOf:    "2026-06-30",
			want:    []got{{Nullified: true, Start: "2026-01-05", Stop: "2026-02-02", Days: 28, Weeks: 3, StopStatus: 33}},
			rule:    RuleNullifiedIgnored,
			invalid: true,
		},
		{
			// Rule 3a, s3.4.1 and Annex C: two periods on one pathway,
			// the first stopped at the admission for the first side.
			name: "rule 3a: bilateral second side: a second period from the fit-and-ready date, the first stays stopped",
			events: with(listed, ev("2026-02-01", KindAdmittedForTreatment, 30),
				ev("2026-04-06", KindBilateralSecondSide, 10),
				ev("2026-04-06", KindAddedToWaitingList, 0)),
			asOf: "2026-05-04",
			want: []got{
				{DecisionToAdmit: true, Start: "2026-01-05", Stop: "2026-02-01", Days: 27, Weeks: 3, StopStatus: 30},
				{Running: true, DecisionToAdmit: true, Start: "2026-04-06", Days: 28, Weeks: 3},
			},
			rule: RuleBilateral,
		},
		{
			name: "rule 3a then s4.3.2.3: the second side admitted for treatment stops the second period",
			events: with(listed, ev("2026-02-01", KindAdmittedForTreatment, 30),
				ev("2026-04-06", KindBilateralSecondSide, 10),
				ev("2026-05-11", KindAdmittedForTreatment, 30)),
			asOf: "2026-06-30",
			want: []got{
				{DecisionToAdmit: true, Start: "2026-01-05", Stop: "2026-02-01", Days: 27, Weeks: 3, StopStatus: 30},
				{Start: "2026-04-06", Stop: "2026-05-11", Days: 35, Weeks: 4, StopStatus: 30},
			},
			rule: RuleAdmittedForTreatment,
		},
		{
			name: "rule 3b, s3.4.2: new treatment decision after a decision not to treat: a new period on the pathway",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindDecisionNotToTreat, 34),
				ev("2026-09-07", KindNewTreatmentDecision, 10),
			},
			asOf: "2026-09-14",
			want: []got{
				{Start: "2026-01-05", Stop: "2026-02-02", Days: 28, Weeks: 3, StopStatus: 34},
				{Running: true, Start: "2026-09-07", Days: 7, Weeks: 0},
			},
			rule: RuleNewTreatment,
		},
		{
			name: "rule 3a: a second side before the first side was treated is refused by validation and does not reset the wait",
			events: []Event{
				ev("2026-01-05", KindReferralReceived, 0),
				ev("2026-02-02", KindBilateralSecondSide, 10),
			},
			asOf:    "2026-03-02",
			want:    []got{{Running: true, Start: "2026-01-05", Days: 56, Weeks: 7}},
			rule:    RuleAlreadyRunningStart,
			invalid: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := Periods(tc.events, day(tc.asOf))
			var gotP []got
			for _, p := range ps {
				gotP = append(gotP, summarise(p, 0))
			}
			if diff := cmp.Diff(tc.want, gotP); diff != "" {
				t.Fatalf("periods (-want +got):\n%s", diff)
			}
			cited := false
			for _, d := range ps[len(ps)-1].Decisions {
				cited = cited || d.Rule == tc.rule
			}
			if !cited {
				t.Errorf("no decision of the last period cites %q", tc.rule)
			}
			if err := ValidateEvents(tc.events); (err != nil) != tc.invalid {
				t.Errorf("ValidateEvents = %v, want a problem: %v", err, tc.invalid)
			}
		})
	}
}
