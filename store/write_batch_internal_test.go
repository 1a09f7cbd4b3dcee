package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestBatchRunsAgainOnlyWhenOneFails checks the committer's optimistic
// batch on SQLite: a batch in which no command fails runs each command
// once, without savepoints, and so does one in which a command fails
// before it wrote to the database (its events and audit records, held
// in the batch's buffer, are dropped); a batch in which one fails after
// writing is rolled back and run again with a savepoint for each command,
// so that every other command commits its rows once, each caller is told
// its own outcome, and the OnCommit listeners hear of each committed event
// once and of the failed command's never.
func TestBatchRunsAgainOnlyWhenOneFails(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, "batch.db")
	a := crs.SystemActor("batch-test-trust")
	var noticesMu sync.Mutex
	notices := map[string]int{}
	db.OnCommit(func(ev *crs.Event) {
		noticesMu.Lock()
		notices[ev.SubjectID]++
		noticesMu.Unlock()
	})

	// runBatch queues the commands behind one that holds the committer,
	// so that they share the next batch, and returns each one's error and
	// how many times each was run. A command that fails writes a row of
	// its own to the database first, unless clean.
	runBatch := func(prefix string, n int, fails func(i int) bool, clean bool) ([]error, []int32) {
		var wg sync.WaitGroup
		release := holdCommitter(t, db, a, &wg)
		errs := make([]error, n)
		runs := make([]int32, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.Write(ctx, a, crs.ActRegisterPatient, func(tx crs.Tx) error {
					atomic.AddInt32(&runs[i], 1)
					subject := fmt.Sprintf("%s-%02d", prefix, i)
					if err := tx.(*Tx).Emit(&crs.Event{Type: "test", SubjectID: subject, Summary: "batch test"}, "batch test"); err != nil {
						return err
					}
					if fails(i) && clean {
						return crs.Errorf(crs.ECONFLICT, "command %d refused before writing", i)
					}
					if fails(i) {
						if _, err := tx.(*Tx).Exec(`INSERT INTO counters (org_id, name, value) VALUES ($1, $2, 0)`, a.OrgID, subject); err != nil {
							return err
						}
						return crs.Errorf(crs.ECONFLICT, "command %d refused after writing", i)
					}
					return nil
				})
			}()
			waitQueued(t, db, i+1)
		}
		release()
		wg.Wait()
		return errs, runs
	}
	events := func(subject string) int {
		var n int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE subject_id = $1`, subject).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	const n = 8
	errs, runs := runBatch("ok", n, func(int) bool { return false }, false)
	for i := 0; i < n; i++ {
		if errs[i] != nil || runs[i] != 1 {
			t.Errorf("batch without failure: command %d: err = %v, run %d times, want nil and once", i, errs[i], runs[i])
		}
	}

	errs, runs = runBatch("clean", n, func(i int) bool { return i == 3 }, true)
	for i := 0; i < n; i++ {
		wantEvents := 1
		if i == 3 {
			wantEvents = 0
			if errs[i] == nil || errs[i].Error() != "command 3 refused before writing" {
				t.Errorf("command failing before writing: err = %v, want its own refusal", errs[i])
			}
		} else if errs[i] != nil {
			t.Errorf("command %d beside one failing before writing: err = %v", i, errs[i])
		}
		if runs[i] != 1 {
			t.Errorf("batch with a command failing before writing: command %d run %d times, want once", i, runs[i])
		}
		if got := events(fmt.Sprintf("clean-%02d", i)); got != wantEvents {
			t.Errorf("clean-%02d: %d events, want %d", i, got, wantEvents)
		}
	}
	if db.failRate != 0 {
		t.Errorf("share of failing commands %v after a failure before writing, want 0: no batch needs savepoints for it", db.failRate)
	}

	errs, runs = runBatch("one", n, func(i int) bool { return i == 5 }, false)
	for i := 0; i < n; i++ {
		subject := fmt.Sprintf("one-%02d", i)
		wantEvents := 1
		if i == 5 {
			wantEvents = 0
			if errs[i] == nil || errs[i].Error() != "command 5 refused after writing" {
				t.Errorf("failing command: err = %v, want its own refusal", errs[i])
			}
		} else if errs[i] != nil {
			t.Errorf("command %d beside the failing one: err = %v", i, errs[i])
		}
		// Commands before the failing one ran in the first pass and again;
		// those after it only in the second.
		wantRuns := int32(2)
		if i > 5 {
			wantRuns = 1
		}
		if runs[i] != wantRuns {
			t.Errorf("command %d run %d times, want %d", i, runs[i], wantRuns)
		}
		if got := events(subject); got != wantEvents {
			t.Errorf("%s: %d events, want %d", subject, got, wantEvents)
		}
		noticesMu.Lock()
		got := notices[subject]
		noticesMu.Unlock()
		if got != wantEvents {
			t.Errorf("%s: %d commit notices, want %d", subject, got, wantEvents)
		}
	}

	// Once commands fail often (here half of a batch), a batch runs each
	// command once in a savepoint: the failing one is undone alone.
	errs, _ = runBatch("half", n, func(i int) bool { return i%2 == 1 }, false)
	for i := 0; i < n; i++ {
		if (i%2 == 1) != (errs[i] != nil) {
			t.Errorf("batch with half failing: command %d: err = %v", i, errs[i])
		}
	}
	errs, runs = runBatch("next", n, func(i int) bool { return i == 2 }, false)
	for i := 0; i < n; i++ {
		wantEvents := 1
		if i == 2 {
			wantEvents = 0
		}
		if (i == 2) != (errs[i] != nil) || runs[i] != 1 {
			t.Errorf("batch after a failure: command %d: err = %v, run %d times, want once", i, errs[i], runs[i])
		}
		if got := events(fmt.Sprintf("next-%02d", i)); got != wantEvents {
			t.Errorf("batch after a failure: command %d: %d events, want %d", i, got, wantEvents)
		}
	}
}

// TestBatchRunAgainAllocatesAfresh checks that a registration run again
// because another command of its batch failed allocates its hospital
// number again, so that the trust's counter stays ahead of the numbers
// in use and the next registration gets a number of its own.
func TestBatchRunAgainAllocatesAfresh(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, "again.db")
	org := &crs.Organisation{ODSCode: "RBA", Name: "Batch Trust", MRNPrefix: "B"}
	if err := NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		t.Fatal(err)
	}
	a := crs.SystemActor(org.ID)
	patients := NewPatientService(db)
	newPatient := func(family string) *crs.Patient {
		return &crs.Patient{FamilyName: family, GivenName: "Test", BirthDate: crs.NewDate(1990, 1, 1), Gender: "1",
			Address: crs.Address{Lines: []string{"1 High Street", "London"}}}
	}

	var wg sync.WaitGroup
	release := holdCommitter(t, db, a, &wg)
	wg.Add(2)
	first := newPatient("Again")
	var registerErr, failErr error
	go func() { defer wg.Done(); registerErr = patients.RegisterPatient(ctx, a, first) }()
	waitQueued(t, db, 1)
	go func() {
		defer wg.Done()
		failErr = db.Write(ctx, a, crs.ActRegisterPatient, func(tx crs.Tx) error {
			// It writes before it fails, so that the batch is run again.
			if _, err := tx.(*Tx).Exec(`INSERT INTO counters (org_id, name, value) VALUES ($1, 'refused', 0)`, org.ID); err != nil {
				return err
			}
			return crs.Errorf(crs.ECONFLICT, "refused")
		})
	}()
	waitQueued(t, db, 2)
	release()
	wg.Wait()
	if registerErr != nil || failErr == nil {
		t.Fatalf("registration: %v; failing command: %v", registerErr, failErr)
	}
	next := newPatient("Next")
	if err := patients.RegisterPatient(ctx, a, next); err != nil {
		t.Fatalf("the next registration after a batch run again: %v", err)
	}
	if first.MRN == "" || next.MRN == first.MRN {
		t.Errorf("hospital numbers %q and %q, want two different", first.MRN, next.MRN)
	}
}

// holdCommitter queues a command (counted in wg) that holds the
// committer until release is called, so that the commands queued
// meanwhile share the next batch.
func holdCommitter(t *testing.T, db *DB, a crs.Actor, wg *sync.WaitGroup) (release func()) {
	t.Helper()
	hold, holding := make(chan struct{}), make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		db.Write(context.Background(), a, crs.ActRegisterPatient, func(tx crs.Tx) error {
			close(holding)
			<-hold
			return tx.(*Tx).Emit(&crs.Event{Type: "test", Summary: "holds the committer"}, "batch test")
		})
	}()
	select {
	case <-holding:
	case <-time.After(10 * time.Second):
		t.Fatal("the command holding the committer did not start")
	}
	return func() { close(hold) }
}

// TestBatchNumbersRunOn checks the counters of a batch on SQLite: the
// registrations of one batch take consecutive hospital numbers, one
// written to the counter before the batch commits; a registration that
// fails after taking its number, whether it is the first of the batch
// to move the counter or a later one, gives the number back, so the
// numbers run on without a gap; and the next batch starts from where the
// counter was left.
func TestBatchNumbersRunOn(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, "numbers.db")
	org := &crs.Organisation{ODSCode: "RBN", Name: "Numbers Trust", MRNPrefix: "N"}
	if err := NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		t.Fatal(err)
	}
	a := crs.SystemActor(org.ID)
	var mrns []string
	batch := func(n int, fails func(i int) bool) {
		t.Helper()
		var wg sync.WaitGroup
		release := holdCommitter(t, db, a, &wg)
		errs := make([]error, n)
		got := make([]string, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.Write(ctx, a, crs.ActRegisterPatient, func(tx crs.Tx) error {
					p := &crs.Patient{FamilyName: fmt.Sprintf("Number%02d", i), GivenName: "Test", BirthDate: crs.NewDate(1990, 1, 1), Gender: "1",
						Address: crs.Address{Lines: []string{"1 High Street", "London"}}}
					if err := tx.InsertPatient(p); err != nil {
						return err
					}
					got[i] = p.MRN
					if fails(i) {
						return crs.Errorf(crs.ECONFLICT, "registration %d refused after numbering", i)
					}
					return nil
				})
			}()
			waitQueued(t, db, i+1)
		}
		release()
		wg.Wait()
		for i, err := range errs {
			if (err != nil) != fails(i) {
				t.Fatalf("registration %d: %v", i, err)
			}
			if err == nil {
				mrns = append(mrns, got[i])
			}
		}
	}
	batch(5, func(i int) bool { return false })
	batch(6, func(i int) bool { return i == 0 || i == 3 }) // the first to move the counter, and a later one
	batch(1, func(i int) bool { return false })
	if err := NewPatientService(db).RegisterPatient(ctx, a, &crs.Patient{FamilyName: "Alone", GivenName: "Test", BirthDate: crs.NewDate(1990, 1, 1),
		Gender: "1", Address: crs.Address{Lines: []string{"1 High Street", "London"}}}); err != nil {
		t.Fatal(err)
	}
	var counter int64
	if err := db.write.QueryRow(`SELECT value FROM counters WHERE org_id = $1 AND name = 'mrn'`, org.ID).Scan(&counter); err != nil {
		t.Fatal(err)
	}
	slices.Sort(mrns)
	for i, m := range mrns {
		if want := crs.FormatMRN("N", int64(i+1)); m != want {
			t.Fatalf("hospital numbers %v: number %d is %s, want %s", mrns, i+1, m, want)
		}
	}
	if want := int64(len(mrns) + 1); counter != want {
		t.Errorf("the counter is %d after %d registrations and one more, want %d", counter, len(mrns), want)
	}
}

// TestBatchNHSNumberHeldFailsCleanly: on SQLite a registration's INSERT
// itself checks that no live patient holds the NHS number. A
// registration refused so, in a batch with others, names the holder's
// hospital number and fails as cleanly as the look-up before it did: no
// command of the batch is run again, every other one commits, and the
// refused one's hospital number goes to the next registration of the
// batch (the numbers run on without a gap).
func TestBatchNHSNumberHeldFailsCleanly(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, "nhsheld.db")
	org := &crs.Organisation{ODSCode: "RBH", Name: "Held Trust", MRNPrefix: "H"}
	if err := NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		t.Fatal(err)
	}
	a := crs.SystemActor(org.ID)
	newPatient := func(family, nhsNumber string) *crs.Patient {
		return &crs.Patient{FamilyName: family, GivenName: "Test", BirthDate: crs.NewDate(1990, 1, 1), Gender: "1", NHSNumber: nhsNumber,
			Address: crs.Address{Lines: []string{"1 High Street", "London"}}}
	}
	holder := newPatient("Holder", "9990000018")
	if err := NewPatientService(db).RegisterPatient(ctx, a, holder); err != nil {
		t.Fatal(err)
	}
	numbers := []string{"9990000026", "9990000034", "9990000018", "9990000042"}
	var wg sync.WaitGroup
	release := holdCommitter(t, db, a, &wg)
	errs := make([]error, len(numbers))
	runs := make([]int32, len(numbers))
	got := make([]string, len(numbers))
	for i, n := range numbers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Write(ctx, a, crs.ActRegisterPatient, func(tx crs.Tx) error {
				atomic.AddInt32(&runs[i], 1)
				p := newPatient(fmt.Sprintf("Batch%d", i), n)
				if err := tx.InsertPatient(p); err != nil {
					return err
				}
				got[i] = p.MRN
				return nil
			})
		}()
		waitQueued(t, db, i+1)
	}
	release()
	wg.Wait()
	var mrns []string
	for i := range numbers {
		if runs[i] != 1 {
			t.Errorf("registration %d run %d times, want once", i, runs[i])
		}
		if i == 2 {
			if crs.ErrorCode(errs[i]) != crs.ECONFLICT || !strings.Contains(crs.ErrorMessage(errs[i]), "hospital number "+holder.MRN) {
				t.Errorf("the held number: %v, want a conflict naming %s", errs[i], holder.MRN)
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("registration %d: %v", i, errs[i])
		}
		mrns = append(mrns, got[i])
	}
	var held int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE org_id = $1 AND nhs_number = '9990000018'`, org.ID).Scan(&held); err != nil || held != 1 {
		t.Errorf("patients holding the number: %d (%v), want 1", held, err)
	}
	want := []string{"H0000002", "H0000003", "H0000004"}
	if !slices.Equal(mrns, want) {
		t.Errorf("hospital numbers %v, want %v", mrns, want)
	}
}
