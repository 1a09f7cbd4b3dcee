package crs_test

import (
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestReferralReceivedToday checks that a referral received today is
// accepted in the hour after midnight in a British summer, when UTC's
// date is still yesterday, and one received tomorrow is not.
func TestReferralReceivedToday(t *testing.T) {
	now := time.Date(2026, 7, 28, 23, 30, 0, 0, time.UTC) // 00:30 on 29 July in London
	for _, tc := range []struct {
		received crs.Date
		ok       bool
	}{
		{crs.NewDate(2026, 7, 29), true},
		{crs.NewDate(2026, 7, 30), false},
	} {
		r := &crs.Referral{PatientID: "p1", Source: "03", Priority: "1", ReceivedOn: tc.received, TreatmentFunction: "100", ConsultantCode: "C1234567"}
		err := r.Validate(now)
		if got := crs.FieldErrors(err)["received_on"] == ""; got != tc.ok {
			t.Errorf("received %s at %s: %v; want accepted %v", tc.received.Display(), now, err, tc.ok)
		}
	}
}

// TestBornToday: a baby born today is registered in the hour after
// midnight in a British summer; tomorrow's date of birth is refused.
func TestBornToday(t *testing.T) {
	now := time.Date(2026, 7, 28, 23, 30, 0, 0, time.UTC) // 00:30 on 29 July in London
	for _, tc := range []struct {
		born crs.Date
		ok   bool
	}{
		{crs.NewDate(2026, 7, 29), true},
		{crs.NewDate(2026, 7, 30), false},
	} {
		p := &crs.Patient{BirthDate: tc.born}
		err := p.Validate(now)
		if got := crs.FieldErrors(err)["birth_date"] == ""; got != tc.ok {
			t.Errorf("born %s at %s: %v; want accepted %v", tc.born.Display(), now, err, tc.ok)
		}
	}
}
