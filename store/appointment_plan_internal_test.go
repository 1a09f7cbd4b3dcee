package store

import (
	"strings"
	"testing"
)

// TestAppointmentsOfReferralPlan checks that SQLite reads a referral's
// appointments through the index of the referral's appointments in time
// order, never by walking the trust's appointments by start
// (appointments_start_id), on a database without statistics as a
// deployment's is.
func TestAppointmentsOfReferralPlan(t *testing.T) {
	db := openSQLite(t, "plans.db")
	plan := explainPlan(t, db, appointmentsOfReferralSQL, "r1", "org1")
	if !strings.Contains(plan, "INDEX appointments_referral_start ") {
		t.Errorf("a referral's appointments are not read through appointments_referral_start:\n%s", plan)
	}
	if strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("a referral's appointments are sorted after the read:\n%s", plan)
	}
}
