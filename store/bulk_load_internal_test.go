package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/opencrs/crs"
)

// TestLoadKeepsOthersForeignKeys checks that a bulk load on SQLite turns
// foreign key checks off for its own batches alone: a command written
// between two of its batches, or queued beside one, still has a row
// naming no patient refused, while the load's batches commit.
func TestLoadKeepsOthersForeignKeys(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, "fk.db")
	org := &crs.Organisation{ODSCode: "RFK", Name: "Foreign Key Trust", MRNPrefix: "F"}
	if err := NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		t.Fatal(err)
	}
	sys := crs.SystemActor(org.ID)
	// orphan is a command that files a cross-reference for a patient who
	// does not exist.
	orphan := func(ctx context.Context, n int) error {
		return db.writeTx(ctx, sys, crs.ActRegisterPatient, func(tx *Tx) error {
			if _, err := tx.Exec(`INSERT INTO patient_xrefs (id, org_id, patient_id, system, value, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				crs.NewID(), org.ID, "no-such-patient", "PAS@TEST", fmt.Sprint("X", n), formatTime(tx.now)); err != nil {
				return err
			}
			return tx.Emit(&crs.Event{Type: "test", Summary: "orphan cross-reference"}, "orphan")
		})
	}
	refused := func(err error) bool { return err != nil && strings.Contains(err.Error(), "FOREIGN KEY") }

	// Between two batches of a load.
	var between error
	ps := make([]*crs.Patient, 3)
	for i := range ps {
		ps[i] = &crs.Patient{FamilyName: "Keyes", GivenName: fmt.Sprint("Kit", i), BirthDate: crs.NewDate(1980, 1, 1+i), Gender: "1"}
	}
	n, err := db.LoadPatients(ctx, sys, ps, crs.LoadOptions{BatchSize: 1, Progress: func(done, _ int) {
		if done == 1 {
			between = orphan(ctx, 1)
		}
	}})
	if err != nil || n != len(ps) {
		t.Fatalf("load: %d patients, %v; want %d", n, err, len(ps))
	}
	if !refused(between) {
		t.Errorf("a command between two batches of a load wrote a row naming no patient: %v", between)
	}

	// Queued beside a batch of a load: the committer is held until a
	// load command and the orphan wait together.
	hold, holding := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Add(3)
	go func() {
		defer wg.Done()
		errs[0] = db.writeTx(ctx, sys, crs.ActRegisterPatient, func(tx *Tx) error {
			close(holding)
			<-hold
			return tx.Emit(&crs.Event{Type: "test", Summary: "hold"}, "hold")
		})
	}()
	<-holding
	bulk := context.WithValue(ctx, bulkLoadKey{}, true)
	go func() {
		defer wg.Done()
		errs[1] = db.writeTx(bulk, sys, crs.ActRegisterPatient, func(tx *Tx) error {
			return tx.Emit(&crs.Event{Type: "test", Summary: "load batch"}, "load batch")
		})
	}()
	waitQueued(t, db, 1)
	go func() { defer wg.Done(); errs[2] = orphan(ctx, 2) }()
	waitQueued(t, db, 2)
	close(hold)
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Errorf("the held command and the load batch: %v, %v; want both written", errs[0], errs[1])
	}
	if !refused(errs[2]) {
		t.Errorf("a command queued beside a load batch wrote a row naming no patient: %v", errs[2])
	}
	var orphans int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM patient_xrefs WHERE patient_id = 'no-such-patient'`).Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("%d cross-references name no patient (%v), want 0", orphans, err)
	}
}
