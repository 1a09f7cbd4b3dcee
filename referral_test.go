package crs_test

import (
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestDatesOfTodayInTheSummerNight checks the dates a user gives that may
// not be in the future: in the hour after midnight in a British summer,
// when UTC's date is still yesterday, today's date is accepted and
// tomorrow's refused, for a referral's receipt and a date of birth (a
// baby born after midnight).
func TestDatesOfTodayInTheSummerNight(t *testing.T) {
	now := time.Date(2026, 7, 28, 23, 30, 0, 0, time.UTC) // 00:30 on 29 July in London
	checks := []struct {
		field    string
		validate func(crs.Date) error
	}{
		{"received_on", func(d crs.Date) error {
			r := &crs.Referral{PatientID: "p1", Source: "03", Priority: "1", ReceivedOn: d, TreatmentFunction: "100", ConsultantCode: "C1234567"}
			return r.Validate(now)
		}},
		{"birth_date", func(d crs.Date) error {
			p := &crs.Patient{BirthDate: d}
			return p.Validate(now)
		}},
	}
	for _, c := range checks {
		for _, tc := range []struct {
			date crs.Date
			ok   bool
		}{
			{crs.NewDate(2026, 7, 29), true},
			{crs.NewDate(2026, 7, 30), false},
		} {
			err := c.validate(tc.date)
			if got := crs.FieldErrors(err)[c.field] == ""; got != tc.ok {
				t.Errorf("%s %s at %s: %v; want accepted %v", c.field, tc.date.Display(), now, err, tc.ok)
			}
		}
	}
}
