package store_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// principalAuth lets every request act as one principal.
type principalAuth struct{ p *fhir.Principal }

func (a principalAuth) Authenticate(*http.Request) (*fhir.Principal, error) { return a.p, nil }

// TestFHIRTransactionWrites: a FHIR transaction of a new Patient and an
// Observation of it (the Bundle `crs bench fhir` posts) writes the
// patient once, in the patient index (no copy of it in the resource
// store: its identifier, name, gender and birth date are all the index
// holds), the Observation's current version, its version row and its six
// search index rows (code, the code's display for :text, status, subject,
// date, value-quantity), and one event and one audit record for each of the
// two, and adds no row to any other table, on both engines.
func TestFHIRTransactionWrites(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RFW")
		scopes, err := fhir.ParseScopes("system/*.*")
		if err != nil {
			t.Fatal(err)
		}
		post := benchTransactions(t, db, tr, scopes)
		ctx := context.Background()
		post("9990000018", 1) // the first of the trust moves its counter from none
		before, err := db.TableRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		post("9990000026", 2)
		after, err := db.TableRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for name, n := range after {
			if d := n - before[name]; d != 0 {
				got[name] = d
			}
		}
		want := map[string]int64{"patients": 1, "fhir_current": 1, "fhir_versions": 1, "fhir_index": 6, "events": 2, "audit": 2}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("rows a Patient+Observation transaction added, by table (-want +got):\n%s", diff)
		}
	})
}

// benchTransactions serves the FHIR API of the trust's interface on db
// and returns a function that posts the Bundle `crs bench fhir` posts, a
// new Patient with the NHS number and an Observation of it, and waits
// for the audit records of the command to be written.
func benchTransactions(t *testing.T, db *store.DB, tr *storetest.Trust, scopes fhir.Scopes) func(nhs string, i int) {
	s := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Patients: store.NewPatientService(db),
		Auth: principalAuth{&fhir.Principal{Actor: tr.Actor(crs.RoleInterface), Scopes: scopes}}}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close)
	return func(nhs string, i int) {
		t.Helper()
		body := fmt.Sprintf(`{"resourceType":"Bundle","type":"transaction","entry":[`+
			`{"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}],"name":[{"family":"Bench%d","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"},"request":{"method":"POST","url":"Patient"}},`+
			`{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"urn:uuid:p"},"effectiveDateTime":"2024-03-01T10:00:00Z","valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}},"request":{"method":"POST","url":"Observation"}}]}`,
			nhs, i, 60+i)
		resp, err := http.Post(srv.URL+"/fhir", "application/fhir+json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("transaction: %d %s", resp.StatusCode, b)
		}
		if err := db.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFHIRTransactionRoundTrips counts the round trips of the FHIR
// transaction `crs bench fhir` posts on PostgreSQL, on the write pool and
// on the connections kept for numbering: two, the look-up of the new
// patient's NHS number, which takes the hospital number too, before the
// BEGIN, and then BEGIN, the patient's insert, the Observation's
// version, current and index rows, the events with their audit records
// and COMMIT, in one batch. The hospital number taken on its own, on the
// numbering connection, made three, and a BEGIN sent alone and each
// insert on its own eight. PostgreSQL runs nine statements: the look-up,
// BEGIN, the lock of the NHS number, the four inserts, one statement
// for both events with their audit records (a statement each made ten)
// and COMMIT.
func TestFHIRTransactionRoundTrips(t *testing.T) {
	w := &turnWatch{marker: []byte("no marker yet")}
	restore := store.DialPostgres(w.dial)
	db := storetest.OpenPostgres(t, crs.NewFixedClock(storetest.Epoch))
	restore()
	tr := storetest.NewTrust(t, db, "RFR")
	scopes, err := fhir.ParseScopes("system/*.*")
	if err != nil {
		t.Fatal(err)
	}
	post := benchTransactions(t, db, tr, scopes)
	numbers := []string{"9990000018", "9990000026", "9990000034", "9990000042", "9990000050", "9990000069", "9990000077", "9990000085"}
	// The first commands on a connection prepare their statements there.
	for i, n := range numbers[:5] {
		post(n, i)
	}
	// The fewest of three: a command that meets a connection new to the
	// pool prepares its statements there first.
	fewest, statements := -1, -1
	for i, n := range numbers[5:] {
		turns := w.roundTrips(t, n, func() { post(n, 5+i) })
		if fewest < 0 || turns < fewest {
			fewest, statements = turns, w.executed
		}
	}
	if fewest != 2 {
		t.Errorf("a Patient+Observation transaction took %d round trips; want 2", fewest)
	}
	if statements != 9 {
		t.Errorf("a Patient+Observation transaction ran %d statements; want 9", statements)
	}
}
