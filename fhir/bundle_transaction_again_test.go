package fhir_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestTransactionRunAgain posts a transaction that shares SQLite's
// committer batch with a failing command, so that it is run again (the
// batch is rolled back and run with a savepoint per command), and checks
// that its Observation still names the Patient it created: the
// references rewritten to the new entries' ids in the first run name the
// ids the second run gives. With the patient index serving Patients,
// the Patient mapped to its record on the request is registered once,
// as the resource describes it, when the command is run again.
func TestTransactionRunAgain(t *testing.T) {
	for _, pmi := range []bool{false, true} {
		t.Run(map[bool]string{false: "resource store", true: "patient index"}[pmi], func(t *testing.T) { transactionRunAgain(t, pmi) })
	}
}

func transactionRunAgain(t *testing.T, pmi bool) {
	clock := crs.NewFixedClock(storetest.Epoch)
	db := storetest.OpenSQLite(t, clock)
	f := start(t, db, clock, nil)
	if pmi {
		f.server.Patients = store.NewPatientService(db)
	}
	ctx := context.Background()
	actor := f.trustA.Actor(crs.RoleInterface)
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); db.Waiting() < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d commands wait for the committer, want %d", db.Waiting(), n)
			}
		}
	}

	hold, holding := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		db.Write(ctx, actor, crs.ActRecordClinical, func(tx crs.Tx) error {
			close(holding)
			<-hold
			return tx.Emit(&crs.Event{Type: "test", Summary: "holds the committer"}, "test")
		})
	}()
	<-holding
	bundle := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:0b6e4f1a-0000-4000-8000-000000000011","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"name":[{"family":"Again","given":["Ann"]}],"birthDate":"1970-05-01"},
  "request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"urn:uuid:0b6e4f1a-0000-4000-8000-000000000012","resource":{"resourceType":"Observation","status":"final","code":{"text":"HR"},
  "subject":{"reference":"urn:uuid:0b6e4f1a-0000-4000-8000-000000000011"},"valueQuantity":{"value":70.0}},"request":{"method":"POST","url":"Observation"}}]}`
	var r response
	go func() { defer wg.Done(); r = f.a.do("POST", "/fhir", bundle) }()
	waitFor(1)
	var failErr error
	go func() {
		defer wg.Done()
		failErr = db.Write(ctx, actor, crs.ActRecordClinical, func(tx crs.Tx) error {
			return crs.Errorf(crs.ECONFLICT, "refused")
		})
	}()
	waitFor(2)
	close(hold)
	wg.Wait()
	if failErr == nil {
		t.Fatal("the failing command committed")
	}
	if r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	es := r.json(t)["entry"].([]any)
	pid := strings.TrimPrefix(es[0].(map[string]any)["fullUrl"].(string), f.base+"/fhir/Patient/")
	got := f.a.do("GET", "/fhir/Patient/"+pid, "")
	if got.status != 200 {
		t.Fatalf("the transaction's patient %s: %d %s", pid, got.status, got.body)
	}
	if b := string(got.body); !strings.Contains(b, `"9990000026"`) || !strings.Contains(b, `"Again"`) || !strings.Contains(b, `"1970-05-01"`) {
		t.Errorf("the transaction's patient %s is %s, want the NHS number, name and birth date sent", pid, b)
	}
	if found, _ := f.a.do("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026", "").json(t)["entry"].([]any); len(found) != 1 {
		t.Errorf("patients of the NHS number: %d, want 1", len(found))
	}
	obs := f.a.do("GET", "/fhir/Observation?code:text=HR", "").json(t)
	entries, _ := obs["entry"].([]any)
	if len(entries) != 1 {
		t.Fatalf("observations: %v", obs)
	}
	ref := entries[0].(map[string]any)["resource"].(map[string]any)["subject"].(map[string]any)["reference"]
	if ref != "Patient/"+pid {
		t.Errorf("the observation names %v, want Patient/%s (the patient the transaction created)", ref, pid)
	}
}
