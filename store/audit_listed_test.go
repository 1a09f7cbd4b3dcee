package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// listRecords counts the trust's list records (action listed) whose what
// starts with what.
func listRecords(t *testing.T, db *store.DB, orgID, what string) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit WHERE org_id = $1 AND action = 'listed' AND what LIKE $2`,
		orgID, what+":%").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// trailShows says whether the patient's access trail, as the privacy
// officer reads it, holds a list record of who listing them on what.
func trailShows(t *testing.T, db *store.DB, officer crs.Actor, patientID, userID, what string) bool {
	t.Helper()
	rs, err := store.NewAuditService(db).PatientAccess(context.Background(), officer, patientID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Action == store.AuditListed && r.UserID == userID && r.PatientID == patientID && strings.HasPrefix(r.What, what+":") {
			return true
		}
	}
	return false
}

// registerListwells registers 3 patients of one family name, for a
// search to list.
func registerListwells(t *testing.T, db *store.DB, clerk crs.Actor) []*crs.Patient {
	t.Helper()
	var out []*crs.Patient
	for i := 0; i < 3; i++ {
		p := newPatient("Listwell", fmt.Sprintf("Pat%d", i), crs.NewDate(1960+i, 2, 3), "", "", "1")
		if err := store.NewPatientService(db).RegisterPatient(context.Background(), clerk, p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestSearchListIsOneAuditRecord searches the PMI for 3 patients and
// finds one audit record of the list, in each patient's trail, in the
// trail searched by patient, and the chain intact.
func TestSearchListIsOneAuditRecord(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RLS", 0)
		s.patients = registerListwells(t, db, s.clerk)
		officer := s.tr.Actor(crs.RolePrivacyOfficer)
		res, err := store.NewPatientService(db).SearchPatients(ctx, s.clerk, crs.PatientQuery{FamilyName: "Listwell"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Matches) != 3 {
			t.Fatalf("search found %d patients, want 3", len(res.Matches))
		}
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if n := listRecords(t, db, s.tr.Org.ID, "search result"); n != 1 {
			t.Errorf("%d audit records of the search, want 1", n)
		}
		var what string
		if err := db.Reader().QueryRowContext(ctx, `SELECT what FROM audit WHERE org_id = $1 AND action = 'listed'`, s.tr.Org.ID).Scan(&what); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(what, "search result: 3 patients; ids sha256 ") {
			t.Errorf("what = %q, want the list, its 3 patients and their hash", what)
		}
		for _, p := range s.patients {
			if !trailShows(t, db, officer, p.ID, s.clerk.UserID, "search result") {
				t.Errorf("%s's access trail does not show the search that listed them", p.FamilyName)
			}
			rs, err := store.NewAuditService(db).SearchAudit(ctx, officer, crs.AuditQuery{PatientID: p.ID})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, r := range rs {
				found = found || r.Action == store.AuditListed && r.PatientID == p.ID
			}
			if !found {
				t.Errorf("the audit trail searched for %s does not hold the list", p.FamilyName)
			}
		}
		if err := db.Flush(ctx); err != nil { // the trails read are audited too
			t.Fatal(err)
		}
		if c, err := db.VerifyAuditChain(ctx, s.tr.Org.ID); err != nil || !c.Intact() {
			t.Errorf("chain: %v %+v", err, c)
		}
	})
}

// TestPTLExportIsOneAuditRecord exports the PTL and finds one audit
// record of the export, in the trail of every patient exported, whether
// its patients are a short list's rows (by patient) or a bulk list's (by
// the record).
func TestPTLExportIsOneAuditRecord(t *testing.T) {
	for _, bulk := range []bool{false, true} {
		t.Run(fmt.Sprintf("bulk=%v", bulk), func(t *testing.T) {
			if bulk {
				store.SetBulkListAt(t, 3)
			}
			storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
				ctx := context.Background()
				s := newSite(t, db, "RLP", 4)
				officer := s.tr.Actor(crs.RolePrivacyOfficer)
				for _, p := range s.patients[:3] {
					s.referral(t, p, crs.LocalDate(clock.Now()))
				}
				s.referral(t, s.patients[0], crs.LocalDate(clock.Now())) // two pathways: one patient, listed once
				var exported []string
				if err := store.NewReportSource(db).EachPTLRow(ctx, s.clerk, crs.PTLFilter{}, func(r *crs.PTLRow) error {
					exported = append(exported, r.PatientID)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if len(exported) != 4 {
					t.Fatalf("exported %d rows, want 4", len(exported))
				}
				if err := db.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				if n := listRecords(t, db, s.tr.Org.ID, "patient tracking list export"); n != 1 {
					t.Errorf("%d audit records of the export, want 1", n)
				}
				short, bulkRows, bulkLists := 3, 0, 0
				if bulk {
					short, bulkRows, bulkLists = 0, 3, 1
				}
				for _, c := range []struct {
					query string
					want  int
				}{
					{`SELECT COUNT(*) FROM audit_listed WHERE org_id = $1`, short},
					{`SELECT COUNT(*) FROM audit_bulk_lists bl JOIN audit_bulk_listed l ON l.audit_id = bl.audit_id WHERE bl.org_id = $1`, bulkRows},
					{`SELECT COUNT(*) FROM audit_bulk_lists WHERE org_id = $1`, bulkLists},
				} {
					var n int
					if err := db.Reader().QueryRowContext(ctx, c.query, s.tr.Org.ID).Scan(&n); err != nil || n != c.want {
						t.Errorf("%s: %d, %v; want %d", c.query, n, err, c.want)
					}
				}
				for _, p := range s.patients[:3] {
					if !trailShows(t, db, officer, p.ID, s.clerk.UserID, "patient tracking list export") {
						t.Errorf("%s's access trail does not show the export", p.FamilyName)
					}
				}
				if trailShows(t, db, officer, s.patients[3].ID, s.clerk.UserID, "patient tracking list export") {
					t.Errorf("the trail of a patient not exported shows the export")
				}
				if c, err := db.VerifyAuditChain(ctx, s.tr.Org.ID); err != nil || !c.Intact() {
					t.Errorf("chain: %v %+v", err, c)
				}
			})
		})
	}
}

// dropTriggers drops the append-only triggers named, the SQLite or the
// PostgreSQL ones, as the database's owner could.
func dropTriggers(t *testing.T, db *store.DB, sqlite, postgres []string) {
	t.Helper()
	drops := sqlite
	if db.Dialect() == "postgres" {
		drops = postgres
	}
	for _, d := range drops {
		if err := db.ExecSchema(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditChainFindsListTampering changes the patients of a list behind
// the write path and finds the chain check names the list record, a short
// list's rows and a bulk list's.
func TestAuditChainFindsListTampering(t *testing.T) {
	short := []listTampering{
		{"take a patient off", []string{`DELETE FROM audit_listed WHERE org_id = '%[1]s' AND patient_id = '%[3]s'`}, "were changed"},
		{"add a patient", []string{`INSERT INTO audit_listed (org_id, patient_id, audit_id) VALUES ('%[1]s', 'someone', '%[2]s')`}, "were changed"},
		{"delete every patient", []string{`DELETE FROM audit_listed WHERE org_id = '%[1]s'`}, "were deleted"},
		{"list under no record", []string{`INSERT INTO audit_listed (org_id, patient_id, audit_id) VALUES ('%[1]s', '%[3]s', 'forged')`}, "does not hold"},
	}
	bulk := []listTampering{
		{"take a patient off", []string{`DELETE FROM audit_bulk_listed WHERE audit_id = '%[2]s' AND patient_id = '%[3]s'`}, "were changed"},
		{"add a patient", []string{`INSERT INTO audit_bulk_listed (audit_id, patient_id) VALUES ('%[2]s', 'someone')`}, "were changed"},
		{"delete every patient", []string{`DELETE FROM audit_bulk_listed WHERE audit_id = '%[2]s'`}, "were deleted"},
		{"list under no record", []string{`INSERT INTO audit_bulk_lists (org_id, audit_id) VALUES ('%[1]s', 'forged')`,
			`INSERT INTO audit_bulk_listed (audit_id, patient_id) VALUES ('forged', '%[3]s')`}, "does not hold"},
	}
	t.Run("short", func(t *testing.T) {
		findsListTampering(t, short, []string{`DROP TRIGGER audit_listed_no_delete`}, []string{`DROP TRIGGER audit_listed_append_only ON audit_listed`})
	})
	t.Run("bulk", func(t *testing.T) {
		store.SetBulkListAt(t, 2)
		findsListTampering(t, bulk, []string{`DROP TRIGGER audit_bulk_listed_no_delete`}, []string{`DROP TRIGGER audit_bulk_listed_append_only ON audit_bulk_listed`})
	})
}

// listTampering is a change behind the write path to a list's patients
// and the problem the chain check must name.
type listTampering struct {
	name    string
	tamper  []string // %[1]s the trust, %[2]s the list record, %[3]s a patient listed
	problem string
}

// findsListTampering makes a list, tampers with it and checks the chain
// check names it, for each of tests, with the triggers named dropped.
func findsListTampering(t *testing.T, tests []listTampering, dropSQLite, dropPostgres []string) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		dropTriggers(t, db, dropSQLite, dropPostgres)
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s := newSite(t, db, fmt.Sprintf("RLT%d", i), 0)
				s.patients = registerListwells(t, db, s.clerk)
				if _, err := store.NewPatientService(db).SearchPatients(ctx, s.clerk, crs.PatientQuery{FamilyName: "Listwell"}); err != nil {
					t.Fatal(err)
				}
				if err := db.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				var id string
				if err := db.Reader().QueryRowContext(ctx, `SELECT id FROM audit WHERE org_id = $1 AND action = 'listed'`, s.tr.Org.ID).Scan(&id); err != nil {
					t.Fatal(err)
				}
				if c, err := db.VerifyAuditChain(ctx, s.tr.Org.ID); err != nil || !c.Intact() {
					t.Fatalf("chain before tampering: %v %+v", err, c)
				}
				for _, q := range tc.tamper {
					if err := db.ExecSchema(ctx, fmt.Sprintf(q, s.tr.Org.ID, id, s.patients[1].ID)); err != nil {
						t.Fatal(err)
					}
				}
				c, err := db.VerifyAuditChain(ctx, s.tr.Org.ID)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, b := range c.Breaks {
					found = found || strings.Contains(b.Problem, tc.problem) && (b.RecordID == id || b.RecordID == "forged")
				}
				if !found {
					t.Errorf("breaks %+v; want the list named as %q", c.Breaks, tc.problem)
				}
			})
		}
	})
}
