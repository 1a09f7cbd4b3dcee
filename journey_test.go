package crs_test

import (
	"testing"
	"time"

	"github.com/opencrs/crs"
)

func TestValidOPCS(t *testing.T) {
	for _, tc := range []struct {
		code string
		want bool
	}{{"W401", true}, {"W40.1", true}, {"T201", true}, {"w401", false}, {"W40", false}, {"KNEE", false}, {"W4011", false}} {
		if got := crs.ValidOPCS(tc.code); got != tc.want {
			t.Errorf("ValidOPCS(%q) = %v, want %v", tc.code, got, tc.want)
		}
	}
}

func TestIsReasonable(t *testing.T) {
	on := crs.NewDate(2026, 3, 2)
	d := func(days int) crs.Date { return crs.Date{Time: on.AddDate(0, 0, days)} }
	for _, tc := range []struct {
		name  string
		dates []crs.Date
		want  bool
	}{
		{"two dates, three weeks' notice", []crs.Date{d(21), d(28)}, true},
		{"one date only", []crs.Date{d(30)}, false},
		{"second date too soon", []crs.Date{d(20), d(28)}, false},
		{"three dates", []crs.Date{d(22), d(29), d(36)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := crs.IsReasonable(on, tc.dates); got != tc.want {
				t.Errorf("IsReasonable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReferralValidate(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	good := crs.Referral{PatientID: "p", Source: "3", ReceivedOn: crs.NewDate(2026, 3, 1), Priority: "1", TreatmentFunction: "100", UBRN: "0000 1234 5678"}
	good.Normalize()
	if err := good.Validate(now); err != nil {
		t.Fatalf("good referral: %v", err)
	}
	bad := crs.Referral{Source: "99", ReceivedOn: crs.NewDate(2026, 4, 1), Priority: "4", TreatmentFunction: "999", UBRN: "12"}
	fe := crs.FieldErrors(bad.Validate(now))
	for _, f := range []string{"patient", "source", "received_on", "priority", "treatment_function", "ubrn"} {
		if fe[f] == "" {
			t.Errorf("no error for %s in %v", f, fe)
		}
	}
}

func TestClinicValidate(t *testing.T) {
	c := crs.Clinic{Code: "X", Name: "X", ConsultantCode: "C1234567", TreatmentFunction: "100", LocationID: "room",
		Sessions: []crs.ClinicSession{{Weekday: time.Monday, Start: "09:00", End: "12:00", SlotMinutes: 15, SlotType: crs.SlotNew}}}
	if err := c.Validate(); err != nil {
		t.Fatalf("good clinic: %v", err)
	}
	c.Sessions = append(c.Sessions, crs.ClinicSession{Weekday: time.Tuesday, Start: "14:00", End: "13:00", SlotMinutes: 15, SlotType: "walk-in"})
	if crs.FieldErrors(c.Validate())["sessions"] == "" {
		t.Errorf("a session ending before it starts is accepted")
	}
}

func TestDischargeValidate(t *testing.T) {
	if err := (crs.Discharge{Method: "1", Destination: "19"}).Validate(); err != nil {
		t.Errorf("home: %v", err)
	}
	if err := (crs.Discharge{Method: "4", Destination: "19"}).Validate(); err == nil {
		t.Errorf("died, destination home: accepted")
	}
	if err := (crs.Discharge{Method: "X", Destination: "00"}).Validate(); err == nil {
		t.Errorf("unknown codes accepted")
	}
}

func TestReferralClosureValidate(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		c     crs.ReferralClosure
		field string // the field refused; "" if accepted
	}{
		{"today with no status", crs.ReferralClosure{Reason: "Returned to the GP"}, ""},
		{"dated today", crs.ReferralClosure{On: crs.NewDate(2026, 3, 2), Reason: "x", RTTStatus: 34}, ""},
		{"transferred", crs.ReferralClosure{Reason: "x", RTTStatus: 21}, ""},
		{"not RTT", crs.ReferralClosure{Reason: "x", RTTStatus: 98}, ""},
		{"no reason", crs.ReferralClosure{Reason: "  "}, "reason"},
		{"tomorrow", crs.ReferralClosure{On: crs.NewDate(2026, 3, 3), Reason: "x"}, "closed_on"},
		{"clock keeps running", crs.ReferralClosure{Reason: "x", RTTStatus: 20}, "rtt_status"},
		{"a DNA is not a closure", crs.ReferralClosure{Reason: "x", RTTStatus: 33}, "rtt_status"},
		{"clock start", crs.ReferralClosure{Reason: "x", RTTStatus: 10}, "rtt_status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate(now)
			fe := crs.FieldErrors(err)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if _, ok := fe[tc.field]; !ok || crs.ErrorCode(err) != crs.EINVALID {
				t.Errorf("Validate() = %v (fields %v), want EINVALID on %s", err, fe, tc.field)
			}
		})
	}
}

// TestAttendanceOutcome checks the OUTCOME OF ATTENDANCE CODE of each
// next step of a clinic outcome.
func TestAttendanceOutcome(t *testing.T) {
	for _, tc := range []struct{ step, want string }{
		{crs.NextDischarge, "1"}, {crs.NextReferOn, "1"}, {crs.NextFollowUp, "2"},
		{crs.NextWaitingList, "3"}, {crs.NextRebook, "3"}, {"", ""}, {"lunch", ""},
	} {
		if got := crs.AttendanceOutcome(tc.step); got != tc.want {
			t.Errorf("AttendanceOutcome(%q) = %q, want %q", tc.step, got, tc.want)
		}
	}
}
