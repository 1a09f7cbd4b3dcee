package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestRegisterNHSNumberHeld: a registration with an NHS number a live
// patient of the trust holds is refused, naming that patient's hospital
// number, however many records merged into others also hold the number
// (more than the probe of the number's holders reads, the live one
// last); one that only merged records hold is registered.
func TestRegisterNHSNumberHeld(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNH")
		clerk := tr.Actor(crs.RoleClerk)
		ctx := context.Background()
		pats := store.NewPatientService(db)
		tests := []struct {
			name         string
			nhs          string
			merged, live int // records holding the number, merged first
		}{
			{"a live holder", "9990000018", 0, 1},
			{"a live holder after one merged", "9990000026", 1, 1},
			{"a live holder after many merged", "9990000034", 5, 1},
			{"merged holders only", "9990000042", 5, 0},
			{"no holder", "9990000050", 0, 0},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				holder := func(j int, merged bool) {
					into, mrn := "", fmt.Sprintf("H%02d%02d", i, j)
					if merged {
						into = "someone-else"
					}
					err := db.ExecSchema(ctx, fmt.Sprintf(`INSERT INTO patients (id, org_id, mrn, nhs_number, nhs_status, given_name, family_name, birth_date, gender,
						version, created_at, updated_at, family_norm, family_key, given_norm, merged_into)
						VALUES ('held-%d-%d', '%s', '%s', '%s', '01', 'ANNE', 'HELD', '1980-01-01', 'F', 1, '2026-03-02T09:00:00Z', '2026-03-02T09:00:00Z',
						'HELD', 'H430', 'ANNE', '%s')`, i, j, tr.Org.ID, mrn, tc.nhs, into))
					if err != nil {
						t.Fatal(err)
					}
				}
				for j := range tc.merged {
					holder(j, true)
				}
				if tc.live > 0 {
					holder(tc.merged, false)
				}
				p := newPatient("New", "Ann", crs.NewDate(1970, 1, 1), tc.nhs, "", "2")
				err := pats.RegisterPatient(ctx, clerk, p)
				if tc.live == 0 {
					if err != nil {
						t.Fatalf("registration with a number no live patient holds: %v", err)
					}
					return
				}
				want := fmt.Sprintf("H%02d%02d", i, tc.merged)
				if crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), want) {
					t.Fatalf("registration with a number %s holds: %v, want a conflict naming %s", want, err, want)
				}
			})
		}
	})
}

// TestNHSNumberHeldWording: the refusal of an NHS number a live patient
// holds reads the same for a registration, a change of demographics
// and a legacy import, naming the holder's hospital number; the change
// of demographics adds that the records should be merged instead.
func TestNHSNumberHeldWording(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNW")
		clerk := tr.Actor(crs.RoleClerk)
		ctx := context.Background()
		pats := store.NewPatientService(db)
		holder := newPatient("Held", "Anne", crs.NewDate(1980, 1, 1), "9990000018", "", "2")
		if err := pats.RegisterPatient(ctx, clerk, holder); err != nil {
			t.Fatal(err)
		}
		other := newPatient("Other", "Bea", crs.NewDate(1981, 2, 2), "", "", "2")
		if err := pats.RegisterPatient(ctx, clerk, other); err != nil {
			t.Fatal(err)
		}
		held := "nhs_number: NHS number 999 000 0018 already belongs to the patient with hospital number " + holder.MRN
		tests := []struct {
			name string
			do   func() error
			want string
		}{
			{"registration", func() error {
				return pats.RegisterPatient(ctx, clerk, newPatient("New", "Ann", crs.NewDate(1970, 1, 1), "9990000018", "", "2"))
			}, held},
			{"change of demographics", func() error {
				p := *other
				p.NHSNumber = "9990000018"
				return pats.UpdatePatient(ctx, clerk, &p)
			}, held + "; merge the records instead"},
			{"legacy import", func() error {
				return store.ImportPatients(ctx, db, clerk, []*crs.Patient{newPatient("Imported", "Ada", crs.NewDate(1972, 3, 3), "9990000018", "", "2")})
			}, held},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				// The refusal itself, under what an import says of the row.
				err := tc.do()
				var refusal *crs.Error
				for e := err; errors.As(e, &refusal) && refusal.Err != nil; e = refusal.Err {
				}
				if crs.ErrorCode(err) != crs.ECONFLICT || refusal == nil || refusal.Error() != tc.want {
					t.Errorf("got %v (%s)\nwant %q (conflict)", err, crs.ErrorCode(err), tc.want)
				}
			})
		}
	})
}

// TestRegisterNHSNumberAtOnce: registrations of one NHS number made at
// the same moment, each with a hospital number of its own, make one
// record: one is registered and every other is refused, naming that
// patient's hospital number, as it would have been had it come after.
// So is a change of another patient's demographics to the number.
func TestRegisterNHSNumberAtOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNA")
		clerk := tr.Actor(crs.RoleClerk)
		ctx := context.Background()
		pats := store.NewPatientService(db)
		const n = 16
		others := make([]*crs.Patient, n)
		for i := range others {
			others[i] = newPatient(fmt.Sprintf("Other%d", i), "Olive", crs.NewDate(1960, 1, 1), "", "", "2")
			if err := pats.RegisterPatient(ctx, clerk, others[i]); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name   string
			number string
			write  func(i int) (*crs.Patient, error) // the i-th writer's patient given the number
		}{
			{"registrations", "9990000069", func(i int) (*crs.Patient, error) {
				p := newPatient("Same", "Sally", crs.NewDate(1975, 1, 1), "9990000069", "", "2")
				p.MRN = fmt.Sprintf("RNA%03d", i)
				return p, pats.RegisterPatient(ctx, clerk, p)
			}},
			{"changes of demographics", "9990000077", func(i int) (*crs.Patient, error) {
				p := *others[i]
				p.NHSNumber = "9990000077"
				return &p, pats.UpdatePatient(ctx, clerk, &p)
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				written := make([]*crs.Patient, n)
				errs := make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { written[i], errs[i] = tc.write(i) })
				}
				wg.Wait()
				var holder string
				for i, err := range errs {
					if err == nil {
						if holder != "" {
							t.Errorf("writer %d gave the number to %s, held by %s already", i, written[i].MRN, holder)
						}
						holder = written[i].MRN
					}
				}
				if holder == "" {
					t.Fatalf("no writer gave the number: %v", errs)
				}
				for i, err := range errs {
					if err != nil && (crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), "hospital number "+holder)) {
						t.Errorf("writer %d: %v; want a conflict naming %s", i, err, holder)
					}
				}
				if live := liveHolders(t, db, tr.Org.ID, tc.number); live != 1 {
					t.Errorf("live patients holding %s: %d; want 1", tc.number, live)
				}
			})
		}
	})
}

// TestImportNHSNumberAtOnce: registrations of NHS numbers that a batch
// of the legacy import brings, made while the batch is written, leave
// each number to one live patient: the registration is refused if the
// batch came first, the batch if a registration did.
func TestImportNHSNumberAtOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNI")
		clerk := tr.Actor(crs.RoleClerk)
		ctx := context.Background()
		pats := store.NewPatientService(db)
		const rounds, batch, registrations = 8, 600, 6
		for round := range rounds {
			ps := importPatients(batch, round*batch)
			numbers := make([]string, registrations) // the import tidies its patients as it runs
			for i := range numbers {
				numbers[i] = ps[(batch/registrations*i/3)*3].NHSNumber // every third patient of the batch has one
			}
			var wg sync.WaitGroup
			var importErr error
			wg.Go(func() { importErr = store.ImportPatients(ctx, db, clerk, ps) })
			errs := make([]error, registrations)
			for i, number := range numbers {
				wg.Go(func() {
					p := newPatient("Same", "Sally", crs.NewDate(1975, 1, 1), number, "", "2")
					errs[i] = pats.RegisterPatient(ctx, clerk, p)
				})
			}
			wg.Wait()
			if importErr != nil && crs.ErrorCode(importErr) != crs.ECONFLICT {
				t.Errorf("round %d: import: %v; want it done or refused as a conflict", round, importErr)
			}
			for i, err := range errs {
				if err != nil && crs.ErrorCode(err) != crs.ECONFLICT {
					t.Errorf("round %d: registration %d: %v; want it done or refused as a conflict", round, i, err)
				}
			}
		}
		// A batch giving more numbers than PostgreSQL's table of locks
		// holds by default is loaded all the same.
		big := importPatients(3*25000, rounds*batch)
		if n, err := db.LoadPatients(ctx, clerk, big, crs.LoadOptions{BatchSize: len(big)}); err != nil || n != len(big) {
			t.Errorf("a batch of %d patients, %d with NHS numbers: %d loaded, %v", len(big), len(big)/3, n, err)
		}
		twice, err := db.QueryCount(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT nhs_number FROM patients
			WHERE org_id = '%s' AND nhs_number <> '' AND merged_into = '' GROUP BY nhs_number HAVING COUNT(*) > 1) d`, tr.Org.ID))
		if err != nil || twice != 0 {
			t.Errorf("NHS numbers held by two live patients: %d (%v); want none", twice, err)
		}
	})
}

// TestNHSNumberGivenBesideRegistrations: a command that makes a patient
// with an NHS number live other than by registering it (a go-live
// migration writes its records as they stand, once it finds no live
// holder of their numbers; an unmerge makes the merged record live
// again, once it finds none) holds the number until it commits:
// registrations of the number begun while it is under way are refused,
// naming the patient it gave the number to, as they would be after it.
func TestNHSNumberGivenBesideRegistrations(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNB")
		clerk := tr.Actor(crs.RoleClerk)
		ctx := context.Background()
		pats := store.NewPatientService(db)
		// hold lets the registrations begin while the command is under
		// way, its rows written: it returns once they have had time to
		// be refused or done.
		var started chan struct{}
		var once sync.Once
		hold := func() { once.Do(func() { close(started) }); time.Sleep(300 * time.Millisecond) }
		db.OnEvent(func(tx crs.Tx, ev *crs.Event) error {
			if ev.Type != crs.EventPatientUnmerged+".minor" {
				return nil
			}
			// A read sends what the command holds back (pg_pipeline.go).
			if _, err := tx.FindPatientByIdentifier("mrn", "none"); err != nil && crs.ErrorCode(err) != crs.ENOTFOUND {
				return err
			}
			hold()
			return nil
		})
		for _, tc := range []struct {
			name, number string
			give         func() (mrn string, err error) // the command giving the number
		}{
			{"go-live migration", "9990000085", func() (string, error) {
				p := newPatient("Legacy", "Lena", crs.NewDate(1940, 1, 1), "9990000085", "", "2")
				p.MRN = "LEG0001"
				return p.MRN, db.Write(ctx, crs.MigrationActor(tr.Org.ID), crs.ActRegisterPatient, func(tx crs.Tx) error {
					if _, err := tx.MigratePatients([]*crs.Patient{p}); err != nil {
						return err
					}
					hold()
					return tx.RecordMigratedRows([]crs.MigratedRow{{File: "patients.csv", Key: "L1", Line: 2, RecordID: p.ID, PatientID: p.ID}})
				})
			}},
			{"unmerge", "9990000093", func() (string, error) {
				major := newPatient("Kept", "Kim", crs.NewDate(1950, 1, 1), "9990000107", "", "2")
				minor := newPatient("Merged", "Max", crs.NewDate(1950, 1, 1), "9990000093", "", "2")
				minor.NHSNumberStatus = nhs.NumberTraceRequired
				for _, p := range []*crs.Patient{major, minor} {
					if err := pats.RegisterPatient(ctx, clerk, p); err != nil {
						t.Fatal(err)
					}
				}
				analyst := tr.Actor(crs.RoleAnalyst)
				if err := pats.MergePatients(ctx, analyst, major.ID, minor.ID, "duplicate"); err != nil {
					t.Fatal(err)
				}
				return minor.MRN, pats.UnmergePatient(ctx, analyst, minor.ID, "not the same person")
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				started, once = make(chan struct{}), sync.Once{}
				var mrn string
				var giveErr error
				var wg sync.WaitGroup
				wg.Go(func() { mrn, giveErr = tc.give() })
				<-started
				const n = 4
				errs := make([]error, n)
				for i := range n {
					wg.Go(func() {
						errs[i] = pats.RegisterPatient(ctx, clerk, newPatient("Same", "Sally", crs.NewDate(1975, 1, 1), tc.number, "", "2"))
					})
				}
				wg.Wait()
				if giveErr != nil {
					t.Fatalf("%s: %v", tc.name, giveErr)
				}
				for i, err := range errs {
					if crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), "hospital number "+mrn) {
						t.Errorf("registration %d: %v; want a conflict naming %s", i, err, mrn)
					}
				}
				if live := liveHolders(t, db, tr.Org.ID, tc.number); live != 1 {
					t.Errorf("live patients holding %s: %d; want 1", tc.number, live)
				}
			})
		}
	})
}

// TestLocksTakenCrossed: two commands that each give live patients two
// NHS numbers, or that merge two records, one into the other and the
// other into the one, take the numbers' (or the records') locks in
// opposite orders at the same moment. On PostgreSQL, which runs them at
// once, they deadlock and PostgreSQL fails one (SQLSTATE 40P01), which
// the write path runs again: nothing is lost. Each command is done, or
// refused as it would have been had it come after the other, with a
// message that says why; neither is answered as a fault of the server
// or a record not found.
func TestLocksTakenCrossed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNX")
		ctx := context.Background()
		pats := store.NewPatientService(db)
		clerk, analyst := tr.Actor(crs.RoleClerk), tr.Actor(crs.RoleAnalyst)
		for _, tc := range []struct {
			name  string
			actor crs.Actor
			act   crs.Activity
			keys  func() [2]string
			// take is command c's step s (0 or 1) on key k, the other
			// key being o.
			take    func(tx crs.Tx, c, s int, k, o string) error
			refused string // what the command that comes second is refused with
			check   func(keys [2]string) string
		}{
			{"registrations of two NHS numbers", clerk, crs.ActRegisterPatient,
				func() [2]string { return [2]string{"9990000115", "9990000123"} },
				func(tx crs.Tx, c, s int, k, _ string) error {
					p := newPatient(fmt.Sprintf("Crossed%d", c), "Cara", crs.NewDate(1980, 1, 1), k, "", "2")
					p.MRN = fmt.Sprintf("RNX%d%d", c, s)
					return tx.InsertPatient(p)
				},
				"already belongs to the patient with hospital number RNX",
				func(keys [2]string) string {
					if a, b := liveHolders(t, db, tr.Org.ID, keys[0]), liveHolders(t, db, tr.Org.ID, keys[1]); a != 1 || b != 1 {
						return fmt.Sprintf("live holders of the numbers: %d and %d; want 1 each", a, b)
					}
					return ""
				}},
			{"merges of two records into each other", analyst, crs.ActMergePatients,
				func() [2]string {
					var ids [2]string
					for i := range ids {
						p := newPatient(fmt.Sprintf("Twin%d", i), "Tess", crs.NewDate(1980, 1, 1), "", "", "2")
						if err := pats.RegisterPatient(ctx, clerk, p); err != nil {
							t.Fatal(err)
						}
						ids[i] = p.ID
					}
					return ids
				},
				func(tx crs.Tx, c, s int, k, o string) error {
					if s == 0 {
						_, err := tx.GetPatient(k) // the record kept, locked first
						return err
					}
					return tx.MergePatients(o, k, "duplicate")
				},
				"merged",
				func(keys [2]string) string {
					merged := 0
					for _, id := range keys {
						p, err := pats.FindPatient(ctx, analyst, id)
						if err != nil {
							return err.Error()
						}
						if p.Merged() {
							merged++
						}
					}
					if merged != 1 {
						return fmt.Sprintf("%d records merged; want 1", merged)
					}
					return ""
				}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				keys := tc.keys()
				var runs atomic.Int32
				var took sync.WaitGroup // the first runs, once each holds its first lock
				took.Add(2)
				cmd := func(c int, first, second string) func(crs.Tx) error {
					return func(tx crs.Tx) error {
						run := runs.Add(1)
						if err := tc.take(tx, c, 0, first, second); err != nil {
							return err
						}
						// A read sends what the command holds back
						// (pg_pipeline.go): the lock is taken.
						if _, err := tx.FindPatientByIdentifier("mrn", "none"); err != nil && crs.ErrorCode(err) != crs.ENOTFOUND {
							return err
						}
						if db.Dialect() == "postgres" && run <= 2 {
							took.Done()
							took.Wait()
						}
						return tc.take(tx, c, 1, second, first)
					}
				}
				errs := make([]error, 2)
				var wg sync.WaitGroup
				for c, order := range [][2]string{{keys[0], keys[1]}, {keys[1], keys[0]}} {
					wg.Go(func() { errs[c] = db.Write(ctx, tc.actor, tc.act, cmd(c, order[0], order[1])) })
				}
				wg.Wait()
				done := 0
				for c, err := range errs {
					switch {
					case err == nil:
						done++
					case crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), tc.refused):
						t.Errorf("command %d: %v (%s); want it done or refused as a conflict saying %q", c, err, crs.ErrorCode(err), tc.refused)
					}
				}
				if done == 0 {
					t.Errorf("neither command was done: %v", errs)
				}
				if n := runs.Load(); db.Dialect() == "postgres" && n < 3 {
					t.Errorf("commands ran %d times; want a run again after the deadlock", n)
				}
				if msg := tc.check(keys); msg != "" {
					t.Error(msg)
				}
			})
		}
	})
}

// TestUnmergeNHSNumberHeld: a record merged into another is not the live
// holder of its NHS number, which may be registered, or given by a
// change of demographics, to another patient while it is merged. An
// unmerge that would make two live records of the number is refused as
// a conflict naming the number, the patient holding it and what to do,
// and the merge stands as it was; an unmerge whose number no other live
// patient holds (the kept record that took it in the merge gives it back)
// is done.
func TestUnmergeNHSNumberHeld(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNU")
		clerk, analyst := tr.Actor(crs.RoleClerk), tr.Actor(crs.RoleAnalyst)
		ctx := context.Background()
		pats := store.NewPatientService(db)
		register := func(family, number string) *crs.Patient {
			p := newPatient(family, "Una", crs.NewDate(1960, 1, 1), number, "", "2")
			if number != "" {
				p.NHSNumberStatus = nhs.NumberTraceRequired
			}
			if err := pats.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		for _, tc := range []struct {
			name        string
			number      string
			keptNHS     string
			whileMerged func(number string) *crs.Patient // gives the number to a live patient, or nil
		}{
			{"registered while merged", "9990000131", "9990000158", func(n string) *crs.Patient { return register("Newcomer", n) }},
			{"given by a change of demographics while merged", "9990000166", "9990000174", func(n string) *crs.Patient {
				p := register("Changed", "")
				p.NHSNumber, p.NHSNumberStatus = n, nhs.NumberTraceRequired
				if err := pats.UpdatePatient(ctx, clerk, p); err != nil {
					t.Fatal(err)
				}
				return p
			}},
			{"taken by the kept record in the merge", "9990000182", "", nil},
			{"held by no one else", "9990000190", "9990000204", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				major, minor := register("Kept", tc.keptNHS), register("Merged", tc.number)
				if err := pats.MergePatients(ctx, analyst, major.ID, minor.ID, "duplicate"); err != nil {
					t.Fatal(err)
				}
				var holder *crs.Patient
				if tc.whileMerged != nil {
					holder = tc.whileMerged(tc.number)
				}
				err := pats.UnmergePatient(ctx, analyst, minor.ID, "not the same person")
				got, ferr := pats.FindPatient(ctx, analyst, minor.ID)
				if ferr != nil {
					t.Fatal(ferr)
				}
				if holder == nil {
					if err != nil || got.Merged() {
						t.Fatalf("unmerge of a number no other live patient holds: %v (merged into %q)", err, got.MergedInto)
					}
					return
				}
				want := fmt.Sprintf("NHS number %s already belongs to the patient with hospital number %s, and unmerged, hospital number %s would hold it too: "+
					"correct the NHS number of hospital number %s first, and if the two are one person, merge them once hospital number %s is unmerged; "+
					"hospital number %s stays merged into hospital number %s", nhs.FormatNumber(tc.number), holder.MRN, minor.MRN, holder.MRN, minor.MRN, minor.MRN, major.MRN)
				if crs.ErrorCode(err) != crs.ECONFLICT || err.Error() != "nhs_number: "+want {
					t.Errorf("unmerge: %v (%s)\nwant %q (conflict)", err, crs.ErrorCode(err), want)
				}
				// The merge stands: the record is merged, its hospital
				// number finds the kept record, and the number has one
				// live holder.
				if got.MergedInto != major.ID {
					t.Errorf("after the refusal the record is merged into %q; want %q", got.MergedInto, major.ID)
				}
				if p, err := pats.FindPatientByIdentifier(ctx, analyst, "mrn", minor.MRN); err != nil || p.ID != major.ID {
					t.Errorf("hospital number %s finds %v (%v); want the kept record", minor.MRN, p, err)
				}
				if live := liveHolders(t, db, tr.Org.ID, tc.number); live != 1 {
					t.Errorf("live patients holding %s: %d; want 1", tc.number, live)
				}
			})
		}
	})
}

// TestMigratePatientsNHSNumberHeld: a go-live migration's command writes
// its live records as they stand but for those whose NHS number a live
// patient of the trust already holds, or a record given before them in
// the same command (as the legacy import refuses a batch giving one
// number twice): it returns those, each naming the holder, unwritten,
// and writes the rest.
func TestMigratePatientsNHSNumberHeld(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNM")
		ctx := context.Background()
		pats := store.NewPatientService(db)
		// A live holder of one number; a record merged into another, the
		// only holder of a second.
		live := newPatient("Live", "Lou", crs.NewDate(1970, 1, 1), "9990000212", "", "2")
		kept := newPatient("Kept", "Kay", crs.NewDate(1970, 1, 1), "9990000247", "", "2")
		merged := newPatient("Merged", "Mo", crs.NewDate(1970, 1, 1), "9990000220", "", "2")
		for _, p := range []*crs.Patient{live, kept, merged} {
			p.NHSNumberStatus = nhs.NumberTraceRequired
			if err := pats.RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p); err != nil {
				t.Fatal(err)
			}
		}
		if err := pats.MergePatients(ctx, tr.Actor(crs.RoleAnalyst), kept.ID, merged.ID, "duplicate"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			number  string
			refused string // the refusal, or "" when written
		}{
			{"held by a live patient", "9990000212", "NHS number 999 000 0212 already belongs to the patient with hospital number " + live.MRN},
			{"free", "9990000239", ""},
			{"given before in the command", "9990000239", "NHS number 999 000 0239 is also given to the patient at index 1"},
			{"held by a merged record only", "9990000220", ""},
			{"no number", "", ""},
		}
		ps := make([]*crs.Patient, len(tests))
		for i, tc := range tests {
			ps[i] = newPatient(fmt.Sprintf("Legacy%d", i), "Lee", crs.NewDate(1940, 1, 1), tc.number, "", "2")
			ps[i].MRN = fmt.Sprintf("LEG%04d", i)
		}
		var refused []crs.RefusedPatient
		err := db.Write(ctx, crs.MigrationActor(tr.Org.ID), crs.ActRegisterPatient, func(tx crs.Tx) error {
			var err error
			if refused, err = tx.MigratePatients(ps); err != nil {
				return err
			}
			return tx.RecordMigratedRows([]crs.MigratedRow{{File: "patients.csv", Key: "L1", Line: 2, RecordID: ps[1].ID, PatientID: ps[1].ID}})
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var got string
				for _, r := range refused {
					if r.Index == i {
						got = r.Err.Field + ": " + r.Err.Message
						if r.Err.Code != crs.ECONFLICT {
							t.Errorf("refused as %s; want a conflict", r.Err.Code)
						}
					}
				}
				if want := map[bool]string{true: "nhs_number: " + tc.refused}[tc.refused != ""]; got != want {
					t.Errorf("refusal %q; want %q", got, want)
				}
				written, err := db.QueryCount(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM patients WHERE org_id = '%s' AND mrn = '%s'`, tr.Org.ID, ps[i].MRN))
				if err != nil || (written == 1) != (tc.refused == "") {
					t.Errorf("written %d times (%v); want it written only when not refused", written, err)
				}
			})
		}
	})
}

// liveHolders counts the trust's live (unmerged) patients holding an NHS
// number.
func liveHolders(t *testing.T, db *store.DB, orgID, number string) int64 {
	t.Helper()
	n, err := db.QueryCount(context.Background(), fmt.Sprintf(`SELECT COUNT(*) FROM patients WHERE org_id = '%s' AND nhs_number = '%s' AND merged_into = ''`, orgID, number))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
