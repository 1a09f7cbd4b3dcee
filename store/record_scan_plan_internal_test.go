package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestRecordsAcrossPatientsPlan checks that SQLite reads each batch of
// a table's records across the trust's patients through the table's
// index of (org_id, patient_id, id), from the cursor on, and never sorts
// what it read, with or without a status and a range of starts, on a
// database without statistics as a deployment's is: a batch then costs
// its own rows, not the trust's.
func TestRecordsAcrossPatientsPlan(t *testing.T) {
	db := openSQLite(t, "plans.db")
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, index string
		sql         func(crs.RecordScan) (string, []any, error)
	}{
		{"spells", "spells_patient_ids", func(q crs.RecordScan) (string, []any, error) { return spellsAcross.sql("org1", q) }},
		{"attendances", "ed_attendances_patient_ids", func(q crs.RecordScan) (string, []any, error) { return attendancesAcross.sql("org1", q) }},
		{"appointments", "appointments_patient_ids", func(q crs.RecordScan) (string, []any, error) { return appointmentsAcross.sql("org1", q) }},
		{"referrals", "referrals_patient_ids", func(q crs.RecordScan) (string, []any, error) { return referralsAcross.sql("org1", q) }},
		{"pathways", "pathways_patient_ids", func(q crs.RecordScan) (string, []any, error) { return pathwaysAcross.sql("org1", q) }},
	} {
		for _, q := range []crs.RecordScan{
			{Limit: 200},
			{After: "p1|r1", Limit: 200},
			{After: "p1", Limit: 200},
			{After: "p1|r1", Limit: 200, Status: []string{"discharged", "booked"}, From: from, Before: from.AddDate(0, 1, 0)},
		} {
			t.Run(fmt.Sprintf("%s %+v", tc.name, q), func(t *testing.T) {
				readThrough(t, db, tc.index, tc.sql, q)
			})
		}
	}
}

// TestRecordsInStartOrderPlan checks that SQLite reads a table's records
// in the order of their start (or an appointment's arrival), either
// way, through the table's index of (org_id, start, id) from the cursor
// on, and never sorts what it read, with or without a status and a
// range of starts: a sorted page then reads about its own rows.
func TestRecordsInStartOrderPlan(t *testing.T) {
	db := openSQLite(t, "plans.db")
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := formatTime(from.AddDate(0, 0, 3))
	for _, tc := range []struct {
		name, index string
		order       crs.ScanOrder
		sql         func(crs.RecordScan) (string, []any, error)
	}{
		{"spells", "spells_org_admitted", crs.ScanByStart, func(q crs.RecordScan) (string, []any, error) { return spellsAcross.sql("org1", q) }},
		{"attendances", "ed_attendances_org_arrived", crs.ScanByStart, func(q crs.RecordScan) (string, []any, error) { return attendancesAcross.sql("org1", q) }},
		{"appointments", "appointments_org_start", crs.ScanByStart, func(q crs.RecordScan) (string, []any, error) { return appointmentsAcross.sql("org1", q) }},
		{"arrivals", "appointments_org_arrival", crs.ScanByArrival, func(q crs.RecordScan) (string, []any, error) { return appointmentsAcross.sql("org1", q) }},
	} {
		for _, q := range []crs.RecordScan{
			{Limit: 200},
			{Limit: 200, Desc: true},
			{After: at + "|r1", Limit: 200},
			{After: at + "|r1", Limit: 200, Desc: true},
			{After: at + "|r1", Limit: 200, Status: []string{"discharged", "attended"}, From: from, Before: from.AddDate(0, 1, 0)},
		} {
			q.Order = tc.order
			t.Run(fmt.Sprintf("%s %+v", tc.name, q), func(t *testing.T) {
				readThrough(t, db, tc.index, tc.sql, q)
			})
		}
	}
	if _, _, err := referralsAcross.sql("org1", crs.RecordScan{Order: crs.ScanByStart}); crs.ErrorCode(err) != crs.EINVALID {
		t.Errorf("referrals by start: got %v, want EINVALID", err)
	}
}

// readThrough checks that SQLite reads the batch of q through index, from
// the cursor on, and does not sort what it read.
func readThrough(t *testing.T, db *DB, index string, sql func(crs.RecordScan) (string, []any, error), q crs.RecordScan) {
	t.Helper()
	query, args, err := sql(q)
	if err != nil {
		t.Fatal(err)
	}
	plan := explainPlan(t, db, query, args...)
	if !strings.Contains(plan, "INDEX "+index+" ") {
		t.Errorf("not read through %s:\n%s", index, plan)
	}
	if strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("sorted after the read:\n%s", plan)
	}
}

// TestPatientsInBirthOrderPlan checks that SQLite reads a page of the
// trust's patients by birth date, either way, through
// patients_birth_date from the cursor on, and never sorts what it read,
// with or without a range of birth dates.
func TestPatientsInBirthOrderPlan(t *testing.T) {
	db := openSQLite(t, "plans.db")
	sql := func(q crs.RecordScan) (string, []any, error) {
		return scanPatientsSQL("org1", crs.PatientScan{ByBirth: true, Desc: q.Desc, After: q.After, Limit: q.Limit,
			BornFrom: crs.DateOf(q.From), BornBefore: crs.DateOf(q.Before)})
	}
	from := time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []crs.RecordScan{
		{Limit: 200},
		{Limit: 200, Desc: true},
		{After: "1950-03-04|p1", Limit: 200},
		{After: "1950-03-04|p1", Limit: 200, Desc: true, From: from, Before: from.AddDate(10, 0, 0)},
	} {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) { readThrough(t, db, "patients_birth_date", sql, q) })
	}
}
