package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestAuditTrailReadsBlocks writes a trail of changes, lists and reads
// by two users over three hours (the reads go in blocks, on SQLite a
// block a commit, on PostgreSQL a block a gathering of the audit
// writer) and reads it back each way a privacy officer does:
// newest first a page at a time, by user, by time, by patient and a
// record by its id. Each must give exactly the records the whole trail
// (audit_trail) holds for it, in the same order.
func TestAuditTrailReadsBlocks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RBK")
		clerk, nurse := tr.Actor(crs.RoleClerk), tr.Actor(crs.RoleNurse)
		privacy := tr.Actor(crs.RolePrivacyOfficer)
		start := clock.Now()
		var patients []string
		for h := 0; h < 3; h++ {
			p := newPatient(fmt.Sprintf("Block%d", h), "Ann", crs.NewDate(1970, 1, 1+h), "", "", "2")
			if err := db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error { return tx.InsertPatient(p) }); err != nil {
				t.Fatal(err)
			}
			patients = append(patients, p.ID)
			for i := 0; i < 7; i++ {
				db.Audit(clerk, patients[i%len(patients)], crs.AuditView, fmt.Sprintf("demographics %d.%d", h, i))
				db.Audit(nurse, patients[(i+1)%len(patients)], crs.AuditView, fmt.Sprintf("observations %d.%d", h, i))
				if i == 3 {
					if err := db.Flush(ctx); err != nil { // a block ends here
						t.Fatal(err)
					}
				}
			}
			db.RecordListed(clerk, patients, "patient search")
			if err := db.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Hour)
		}
		// want is what the whole trail holds for a condition, newest first.
		want := func(cond string, args ...any) []string {
			t.Helper()
			rows, err := db.Reader().QueryContext(ctx, `SELECT id FROM audit_trail WHERE org_id = $1`+cond+` ORDER BY id DESC`, append([]any{tr.Org.ID}, args...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var ids []string
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			return ids
		}
		as := store.NewAuditService(db)
		// paged reads a search a page of three at a time.
		paged := func(q crs.AuditQuery) []string {
			t.Helper()
			var ids []string
			q.Count = 3
			for {
				page, err := as.SearchAudit(ctx, privacy, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page {
					ids = append(ids, r.ID)
				}
				if len(page) < 3 {
					return ids
				}
				q.Before = page[len(page)-1].ID
			}
		}
		all := want("")
		if len(all) < 45 {
			t.Fatalf("the trail holds %d records, want at least 45", len(all))
		}
		rows, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM audit WHERE org_id = '`+tr.Org.ID+`' AND action = 'view'`)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM audit_blocks WHERE org_id = '`+tr.Org.ID+`'`)
		if err != nil || rows != 0 || blocks < 6 {
			t.Fatalf("the reads are %d rows of audit and the trail %d blocks (%v); want none and at least 6", rows, blocks, err)
		}
		for _, tc := range []struct {
			name string
			q    crs.AuditQuery
			want []string
		}{
			{"every record", crs.AuditQuery{}, all},
			{"a user's", crs.AuditQuery{Agent: nurse.UserID}, want(" AND user_id = $2", nurse.UserID)},
			{"a user's by name", crs.AuditQuery{Agent: clerk.Username}, want(" AND username = $2", clerk.Username)},
			{"the second hour's", crs.AuditQuery{From: start.Add(time.Hour), To: start.Add(2 * time.Hour)},
				want(" AND at >= $2 AND at < $3", start.Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z"), start.Add(2*time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z"))},
		} {
			// Each search is itself audited (a record more in the trail
			// after it), so the trail wanted is read before.
			got := paged(tc.q)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: %d records %v; want %d %v", tc.name, len(got), got, len(tc.want), tc.want)
			}
		}
		// A patient's trail: the views of them, the lists that named them
		// and their registration.
		got, err := as.PatientAccess(ctx, privacy, patients[1])
		if err != nil {
			t.Fatal(err)
		}
		views := 0
		for _, r := range got {
			if r.PatientID != patients[1] {
				t.Errorf("patient %s's trail holds %+v", patients[1], r)
			}
			if r.Action == crs.AuditView && r.UserID != privacy.UserID {
				views++
			}
		}
		if n := len(want(" AND patient_id = $2 AND action = 'view' AND user_id <> $3", patients[1], privacy.UserID)); views != n || n == 0 {
			t.Errorf("patient %s's trail shows %d views, want %d", patients[1], views, n)
		}
		// Every record by its id, as written.
		for _, id := range all {
			r, err := as.AuditRecordByID(ctx, privacy, id)
			if err != nil || r.ID != id || r.OrgID != tr.Org.ID || r.Action == "" || r.At.IsZero() {
				t.Fatalf("record %s: %+v, %v", id, r, err)
			}
		}
		if _, err := as.AuditRecordByID(ctx, privacy, "no-such-record"); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("a record not in the trail: %v, want not found", err)
		}
		c, err := db.VerifyAuditChain(ctx, tr.Org.ID)
		if err != nil || !c.Intact() {
			t.Fatalf("chain: %v %+v", err, c)
		}
		if db.Dialect() == "sqlite" && c.Links >= c.Records {
			t.Errorf("%d records in %d links: the reads were not written in blocks", c.Records, c.Links)
		}
	})
}

// TestConcurrentReadsInBlocks records reads of two trusts' patients from
// eight clients at once, while commands of both trusts write, and finds
// every read once in the trail, in blocks: in its trust's whole trail,
// in its patient's, in its user's read a page at a time, and by its id,
// with each trust's chain whole. On PostgreSQL the blocks are written by
// the audit writer while the chainer places the commands' records in the
// same chains.
func TestConcurrentReadsInBlocks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		const clients, rounds, patients = 8, 40, 4
		trusts := []*storetest.Trust{storetest.NewTrust(t, db, "RCR"), storetest.NewTrust(t, db, "RCS")}
		patient := func(tr *storetest.Trust, i int) string { return fmt.Sprintf("%s-patient-%d", tr.Org.ID, i) }
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				role := crs.RoleClerk
				if c%2 == 1 {
					role = crs.RoleNurse
				}
				for i := 0; i < rounds; i++ {
					for _, tr := range trusts {
						db.Audit(tr.Actor(role), patient(tr, (c+i)%patients), crs.AuditView, fmt.Sprintf("read %d.%d", c, i))
					}
					if i%10 == 0 {
						tr := trusts[c%2]
						err := db.Write(ctx, tr.Actor(crs.RoleClerk), crs.ActRegisterPatient, func(tx crs.Tx) error {
							return tx.InsertPatient(newPatient(fmt.Sprintf("Concurrent%d%02d", c, i), "Read", crs.NewDate(1980, 1, 1), "", "", "1"))
						})
						if err != nil {
							t.Errorf("client %d register %d: %v", c, i, err)
						}
					}
				}
			}(c)
		}
		wg.Wait()
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		as := store.NewAuditService(db)
		for _, tr := range trusts {
			org := `'` + tr.Org.ID + `'`
			privacy := tr.Actor(crs.RolePrivacyOfficer)
			views, err := db.QueryCount(ctx, `SELECT COUNT(DISTINCT id) FROM audit_trail WHERE action = 'view' AND org_id = `+org)
			if err != nil || views != clients*rounds {
				t.Fatalf("%s: %d reads in the trail (%v), want %d", tr.Org.ID, views, err, clients*rounds)
			}
			if rows, err := db.QueryCount(ctx, `SELECT COUNT(*) FROM audit WHERE action = 'view' AND org_id = `+org); err != nil || rows != 0 {
				t.Errorf("%s: %d reads written as rows (%v), want all in blocks", tr.Org.ID, rows, err)
			}
			for i := 0; i < patients; i++ {
				got, err := as.SearchAudit(ctx, privacy, crs.AuditQuery{PatientID: patient(tr, i), Count: 1000})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, r := range got {
					if r.Action == crs.AuditView && r.PatientID == patient(tr, i) {
						n++
					}
				}
				if n != clients*rounds/patients {
					t.Errorf("%s: patient %d's trail shows %d reads, want %d", tr.Org.ID, i, n, clients*rounds/patients)
				}
			}
			nurse := tr.Actor(crs.RoleNurse)
			q := crs.AuditQuery{Agent: nurse.UserID, Count: 25}
			var ids []string
			for {
				page, err := as.SearchAudit(ctx, privacy, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page {
					if len(ids) > 0 && r.ID >= ids[len(ids)-1] {
						t.Fatalf("%s: the nurse's trail is not newest first at %s", tr.Org.ID, r.ID)
					}
					if r.UserID != nurse.UserID {
						t.Errorf("%s: the nurse's trail holds %+v", tr.Org.ID, r)
					}
					ids = append(ids, r.ID)
				}
				if len(page) < q.Count {
					break
				}
				q.Before = page[len(page)-1].ID
			}
			if len(ids) != clients*rounds/2 {
				t.Errorf("%s: the nurse's trail shows %d reads, want %d", tr.Org.ID, len(ids), clients*rounds/2)
			}
			for _, id := range ids {
				if r, err := as.AuditRecordByID(ctx, privacy, id); err != nil || r.ID != id || r.UserID != nurse.UserID {
					t.Fatalf("%s: record %s: %+v, %v", tr.Org.ID, id, r, err)
				}
			}
			if err := db.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if c, err := db.VerifyAuditChain(ctx, tr.Org.ID); err != nil || !c.Intact() {
				t.Fatalf("%s: chain: %v %+v", tr.Org.ID, err, c)
			}
		}
	})
}
