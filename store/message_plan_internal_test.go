package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestMessageLogPlans checks that SQLite reads a page of the message log
// searched by patient, NHS number or control id through the index of
// that patient, number or control id, never by walking the trust's log
// newest first (hl7_messages_log), whatever else the search adds: a
// cursor, a period, a direction, a status. The database has no
// statistics (no ANALYZE), as a deployment's has not.
func TestMessageLogPlans(t *testing.T) {
	db := openSQLite(t, "plans.db")
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		q     crs.MessageQuery
		index string
	}{
		{"patient", crs.MessageQuery{PatientID: "p1"}, "hl7_messages_patient"},
		{"patient, older page", crs.MessageQuery{PatientID: "p1", Before: "m1"}, "hl7_messages_patient"},
		{"patient, newer page", crs.MessageQuery{PatientID: "p1", After: "m1"}, "hl7_messages_patient"},
		{"patient in a period", crs.MessageQuery{PatientID: "p1", From: from, To: from.AddDate(0, 1, 0)}, "hl7_messages_patient"},
		{"patient, inbound in error", crs.MessageQuery{PatientID: "p1", Direction: crs.DirectionIn, Status: crs.MessageFailed}, "hl7_messages_patient"},
		{"NHS number", crs.MessageQuery{NHSNumber: "9990000018"}, "hl7_messages_nhs"},
		{"NHS number, older page", crs.MessageQuery{NHSNumber: "9990000018", Before: "m1", Type: "A28"}, "hl7_messages_nhs"},
		{"control id", crs.MessageQuery{ControlID: "C1"}, "hl7_messages_key"},
		{"control id, older page", crs.MessageQuery{ControlID: "C1", Before: "m1"}, "hl7_messages_key"},
		{"control id in a period", crs.MessageQuery{ControlID: "C1", From: from, Direction: crs.DirectionIn}, "hl7_messages_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			query, args, _ := searchMessagesSQL("org1", tc.q)
			plan := explainPlan(t, db, query, args...)
			if !strings.Contains(plan, "INDEX "+tc.index+" ") {
				t.Errorf("the page is not read through %s:\n%s", tc.index, plan)
			}
			if strings.Contains(plan, "hl7_messages_log") {
				t.Errorf("the page walks the trust's log (hl7_messages_log):\n%s", plan)
			}
		})
	}
}

// openSQLite opens a new SQLite database of the name in the test's
// folder, closed when the test ends.
func openSQLite(t *testing.T, name string) *DB {
	t.Helper()
	db, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// explainPlan returns SQLite's query plan of a query, one step a line.
func explainPlan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPartialLogIndexPlans checks that the searches of the two indexes
// that hold only the entries a search can find (migration 0097) still
// read them on SQLite: the message log by NHS number, counted as well as
// listed, and the events by subject.
func TestPartialLogIndexPlans(t *testing.T) {
	db := openSQLite(t, "partial.db")
	where, args := messageWhere("org1", crs.MessageQuery{NHSNumber: "999 000 0018"})
	tests := []struct {
		name, query string
		args        []any
		index       string
	}{
		{"messages by NHS number, counted", `SELECT COUNT(*) FROM (SELECT 1 FROM hl7_messages WHERE ` + where + ` LIMIT 1000) m`, args, "hl7_messages_nhs"},
		{"events of a message", `SELECT id FROM events WHERE org_id = $1 AND ` + subjectEventsWhere + ` ORDER BY id DESC`, []any{"org1", "m1"}, "events_subject"},
		{"a patient's own events by subject", `SELECT id FROM events WHERE org_id = $1 AND ` + ownEventsWhere + ` ORDER BY id DESC`, []any{"org1", "p1"}, "events_patient"},
		{"census of a night taken", censusTakenSQL, []any{"org1", "census:2026-11-01", crs.EventCensusRecorded}, "events_subject"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := explainPlan(t, db, tc.query, tc.args...)
			if !strings.Contains(plan, "INDEX "+tc.index+" ") || strings.Contains(plan, "SCAN events") || strings.Contains(plan, "SCAN hl7_messages") || strings.Contains(plan, "(org_id=?)\n") {
				t.Errorf("not read through %s alone:\n%s", tc.index, plan)
			}
		})
	}
}

// TestPatientLookupPlanSQLite checks that SQLite reads an inbound
// message's patient by hospital number through the (org_id, mrn) unique
// key, by NHS number through patients_nhs and by id through the primary
// key, each by equality, never by scanning the patients, as PostgreSQL
// does (TestPatientLookupPlanPostgres), and sorts nothing.
func TestPatientLookupPlanSQLite(t *testing.T) {
	db := openSQLite(t, "lookup.db")
	tests := []struct {
		name, query string
		args        []any
		index       string
	}{
		{"look-up by hospital number", findByIdentifierSQL["sqlite"]["mrn"], []any{"org1", "B0000001", "mrn"}, "sqlite_autoindex_patients_2"},
		{"look-up by NHS number", findByIdentifierSQL["sqlite"]["nhs"], []any{"org1", "9990000018", "nhs"}, "patients_nhs"},
		{"holder of an NHS number", nhsHolderSQL, []any{"org1", "9990000018", "p1"}, "patients_nhs"},
		{"read by id", getPatientSQL["sqlite"], []any{"p1", "org1"}, "sqlite_autoindex_patients_1"},
		{"write by id", updatePatientSQL, make([]any, 34), "sqlite_autoindex_patients_1"},
		{"write by id, no indexed column", updatePatientSQLite[0], make([]any, 34), "sqlite_autoindex_patients_1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := explainPlan(t, db, tc.query, tc.args...)
			if !strings.Contains(plan, "SEARCH patients USING INDEX "+tc.index+" ") {
				t.Errorf("the patient is not read through %s:\n%s", tc.index, plan)
			}
			if strings.Contains(plan, "SCAN patients") {
				t.Errorf("the patients are scanned:\n%s", plan)
			}
			if strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("the look-up builds a temporary B-tree:\n%s", plan)
			}
			// By equality, not from the number on: a number nobody holds
			// is then known from the index alone.
			if strings.Contains(plan, ")>(") {
				t.Errorf("the patients are read from the number on, not by it:\n%s", plan)
			}
		})
	}
}

// TestUpdatePatientRewritesNoIndexUnchanged checks that SQLite's UPDATE of
// a patient whose indexed columns did not change (updatePatientSQLite[0])
// rewrites no index entry, and that the one setting them all rewrites an
// entry in each index of those columns: a column a new index holds must
// join a group of updatePatientSQLite.
func TestUpdatePatientRewritesNoIndexUnchanged(t *testing.T) {
	db := openSQLite(t, "update.db")
	rewrites := func(query string) int {
		rows, err := db.read.QueryContext(context.Background(), "EXPLAIN "+query, make([]any, 34)...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var addr, p1, p2, p3, p5 int
			var op string
			var p4, comment any
			if err := rows.Scan(&addr, &op, &p1, &p2, &p3, &p4, &p5, &comment); err != nil {
				t.Fatal(err)
			}
			if op == "IdxDelete" {
				n++
			}
		}
		return n
	}
	if n := rewrites(updatePatientSQLite[0]); n != 0 {
		t.Errorf("an update of no indexed column rewrites %d index entries, want none", n)
	}
	if n, all := rewrites(updatePatientSQLite[indexedNHS|indexedBirth|indexedNames|indexedGP]), rewrites(updatePatientSQL); n != all || n == 0 {
		t.Errorf("an update of every indexed column rewrites %d index entries, the full UPDATE %d", n, all)
	}
}

// TestLoadedUnchangedPlan checks that SQLite reads the loaded patients
// of the patients' history through patients_loaded, newest first (or,
// for a page after one seen, oldest first), without sorting, and never
// by scanning the trust's patients.
func TestLoadedUnchangedPlan(t *testing.T) {
	db := openSQLite(t, "loaded.db")
	seen := "01a24ee1-7c29-7011-bde8-9c33c479e371"
	for _, place := range []crs.HistoryPlace{{}, {Before: seen}, {After: seen}} {
		query, args := loadedUnchangedSQL("org1", time.Time{}, crs.Period{}, place, 50)
		plan := explainPlan(t, db, query, args...)
		if !strings.Contains(plan, "USING INDEX patients_loaded") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%+v: the loaded patients are not read through patients_loaded in order:\n%s", place, plan)
		}
	}
}
