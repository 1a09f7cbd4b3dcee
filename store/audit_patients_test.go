package store_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatientTrailFindsEachPatientsRecords reads the trail by patient for
// patients whose ids share a prefix, differ in case or hold characters a
// full-text query gives meaning to, in two trusts, and finds each
// patient's records, of accesses and of a change, all of them and no
// others.
func TestPatientTrailFindsEachPatientsRecords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		a, b := storetest.NewTrust(t, db, "RPA"), storetest.NewTrust(t, db, "RPB")
		reads := map[string]int{"p-1": 3, "p-1-x": 2, "P-1": 1, `q "quoted" OR x*`: 2, "p": 1}
		for id, n := range reads {
			for range n {
				db.Audit(a.Actor(crs.RoleClerk), id, crs.AuditView, "demographics")
			}
		}
		db.Audit(b.Actor(crs.RoleClerk), "p-1", crs.AuditView, "demographics")
		// A change's record, with its event, is read by another index.
		if err := db.Write(ctx, a.Actor(crs.RoleClerk), crs.ActRegisterPatient, func(tx crs.Tx) error {
			return tx.(*store.Tx).Emit(&crs.Event{Type: "test", PatientID: "p-1", Summary: "changed"}, "change")
		}); err != nil {
			t.Fatal(err)
		}
		reads["p-1"]++
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		trail := store.NewAuditService(db)
		for id, n := range reads {
			got, err := trail.SearchAudit(ctx, a.Actor(crs.RolePrivacyOfficer), crs.AuditQuery{PatientID: id})
			if err != nil {
				t.Fatalf("%q: %v", id, err)
			}
			if len(got) != n {
				t.Errorf("%q: %d records, want %d", id, len(got), n)
			}
			for _, r := range got {
				if r.PatientID != id || r.OrgID != a.Org.ID {
					t.Errorf("%q: found a record of %q in %s", id, r.PatientID, r.OrgID)
				}
			}
		}
		got, err := trail.SearchAudit(ctx, b.Actor(crs.RolePrivacyOfficer), crs.AuditQuery{PatientID: "p-1"})
		if err != nil || len(got) != 1 || got[0].OrgID != b.Org.ID {
			t.Errorf("the other trust's p-1: %v, %v; want its one record", got, err)
		}
	})
}

// TestAuditChainFindsPatientIndexLoss changes the index of the blocks
// of access records by patient and user behind the store's back. On
// SQLite, its full-text index: an entry added is found as one more than
// the blocks; with the index emptied the check of the chain says blocks
// are missing from it. On PostgreSQL, a block's arrays: a user added,
// and the patients taken away, are each found. Either way the patient's
// trail then indeed no longer shows their records, and the index
// refuses a deletion.
func TestAuditChainFindsPatientIndexLoss(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RPX")
		for range 5 {
			db.Audit(tr.Actor(crs.RoleClerk), "patient-x", crs.AuditView, "demographics")
		}
		writeAudited(t, db, tr, 3)
		check := func(want string) {
			t.Helper()
			c, err := db.VerifyAuditChain(ctx, tr.Org.ID)
			if err != nil {
				t.Fatal(err)
			}
			var problems []string
			for _, b := range c.Breaks {
				problems = append(problems, b.Problem)
			}
			if want == "" && !c.Intact() || want != "" && !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
				t.Errorf("breaks %q; want %q", problems, want)
			}
		}
		// found counts the reads of patient-x its trail shows (the search
		// of the trail is audited too, as a search naming the patient,
		// written before found returns).
		found := func() int {
			t.Helper()
			got, err := store.NewAuditService(db).SearchAudit(ctx, tr.Actor(crs.RolePrivacyOfficer), crs.AuditQuery{PatientID: "patient-x"})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range got {
				if r.Action == crs.AuditView {
					n++
				}
			}
			return n
		}
		check("")
		if n := found(); n != 5 {
			t.Fatalf("patient-x: %d records, want 5", n)
		}
		if db.Dialect() == "postgres" {
			block := ` WHERE org_id = '` + tr.Org.ID + `' AND 'patient-x' = ANY (patients)`
			if err := db.ExecSchema(ctx, `UPDATE audit_blocks SET patients = '{}'`+block); err == nil {
				t.Error("a block's patients were changed")
			}
			dropTriggers(t, db, nil, []string{`DROP TRIGGER audit_blocks_append_only ON audit_blocks`})
			if err := db.ExecSchema(ctx, `UPDATE audit_blocks SET users = users || 'someone'::text`+block); err != nil {
				t.Fatal(err)
			}
			check("index by patient and user")
			if err := db.ExecSchema(ctx, `UPDATE audit_blocks SET users = array_remove(users, 'someone'), patients = array_remove(patients, 'patient-x')`+block); err != nil {
				t.Fatal(err)
			}
			check("index by patient and user")
			if n := found(); n != 0 {
				t.Fatalf("patient-x taken off the blocks' arrays: %d records; the trail is not read through the index", n)
			}
			return
		}
		if err := db.ExecSchema(ctx, `DELETE FROM audit_block_terms WHERE rowid IN (SELECT n FROM audit_blocks LIMIT 1)`); err == nil {
			t.Error("an entry of the index of blocks was deleted")
		}
		if err := db.ExecSchema(ctx, `INSERT INTO audit_block_terms (t, n) SELECT 'p00', n FROM audit_blocks WHERE org_id = '`+tr.Org.ID+`' LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		check("entries more than")
		if err := db.ExecSchema(ctx, `INSERT INTO audit_block_terms (audit_block_terms) VALUES ('delete-all')`); err != nil {
			t.Fatal(err)
		}
		check("missing from the trail's index by patient and user")
		if n := found(); n != 0 {
			t.Fatalf("patient-x with the index emptied: %d records; the trail is not read through the index", n)
		}
	})
}

// migrationStatement is the statement of a migration file that starts
// with prefix.
func migrationStatement(t *testing.T, file, prefix string) string {
	t.Helper()
	b, err := os.ReadFile("migrations/" + file)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range strings.SplitAfter(string(b), ";\n") {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				lines = append(lines, l)
			}
		}
		if s := strings.TrimSpace(strings.Join(lines, "\n")); strings.HasPrefix(s, prefix) {
			return s
		}
	}
	t.Fatalf("%s has no statement %s", file, prefix)
	return ""
}
