package store_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// fhirOnPostgres serves the FHIR API of a new trust (code) over a new
// PostgreSQL database, and returns a client with full access to it:
// do sends a request, with header names and values in pairs, and
// returns the answer's status, ETag and body.
func fhirOnPostgres(t *testing.T, code string) (do func(method, path, body string, header ...string) (status int, etag, answer string)) {
	db := storetest.OpenPostgres(t, crs.NewFixedClock(storetest.Epoch))
	tr := storetest.NewTrust(t, db, code)
	scopes, err := fhir.ParseScopes("system/*.*")
	if err != nil {
		t.Fatal(err)
	}
	s := &fhir.Server{Store: db, Resources: store.NewResourceService(db),
		Auth: principalAuth{&fhir.Principal{Actor: tr.Actor(crs.RoleInterface), Scopes: scopes}}}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close)
	return func(method, path, body string, header ...string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", fhir.ContentType)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("ETag"), string(b)
	}
}

// TestTransactionClashesAtCommit forces a FHIR transaction's creates of
// resources with ids the client chose (PUT as create) to meet, when
// they are sent with its next statement or its commit on PostgreSQL, a
// resource of the same id that another change created after the
// transaction looked it up: just after each run of the transaction looks
// up the next id of a list, the other change takes it. Two such clashes
// in a row, the second at the commit, are
// answered by running the transaction again, each run finding what the
// last lost to and updating it; clashes still met at the last run are
// answered 409 naming the resource, and nothing of the transaction is
// written.
func TestTransactionClashesAtCommit(t *testing.T) {
	do := fhirOnPostgres(t, "RCC")
	observation := func(id string, value int) string {
		return fmt.Sprintf(`{"resourceType":"Observation","id":"%s","status":"final","code":{"text":"HR"},"valueQuantity":{"value":%d}}`, id, value)
	}
	version := func(id string) string {
		t.Helper()
		status, _, body := do("GET", "/fhir/Observation/"+id, "")
		if status == 404 {
			return "none"
		}
		i := strings.Index(body, `"versionId":"`)
		if status != 200 || i < 0 {
			t.Fatalf("read Observation/%s: %d %s", id, status, body)
		}
		v, _, _ := strings.Cut(body[i+len(`"versionId":"`):], `"`)
		return v
	}

	for _, tc := range []struct {
		name   string
		ids    []string // the transaction's creates
		takes  []string // the ids taken after its look-ups, in turn
		status int
		says   string            // what a refusal's OperationOutcome says
		want   map[string]string // the versions of the resources after it
	}{
		{name: "two clashes in a row", ids: []string{"a1", "a2"}, takes: []string{"a1", "a2"},
			status: 200, want: map[string]string{"a1": "2", "a2": "2"}},
		{name: "a clash at every run", ids: []string{"b1", "b2", "b3", "b4", "b5", "b6"}, takes: []string{"b1", "b2", "b3", "b4", "b5"},
			status: 409, says: "another change wrote Observation/b5 (version 1) first",
			want: map[string]string{"b1": "1", "b2": "1", "b3": "1", "b4": "1", "b5": "1", "b6": "none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var busy atomic.Bool
			var taken atomic.Int32
			restore := store.AfterResourceLookUp(func(typ, id string) {
				// The other change's own look-up passes by.
				if !busy.CompareAndSwap(false, true) {
					return
				}
				defer busy.Store(false)
				if n := int(taken.Load()); n < len(tc.takes) && id == tc.takes[n] {
					taken.Add(1)
					if status, _, body := do("PUT", "/fhir/Observation/"+id, observation(id, 1)); status != 201 {
						t.Errorf("the other change's create of Observation/%s: %d %s", id, status, body)
					}
				}
			})
			defer restore()
			var entries []string
			for i, id := range tc.ids {
				entries = append(entries, fmt.Sprintf(`{"resource":%s,"request":{"method":"PUT","url":"Observation/%s"}}`, observation(id, 100+i), id))
			}
			status, _, body := do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
			restore()
			if status != tc.status || !strings.Contains(body, tc.says) || status != 200 && !strings.Contains(body, `"code":"conflict"`) {
				t.Errorf("transaction: %d %s; want %d saying %q", status, body, tc.status, tc.says)
			}
			if got := int(taken.Load()); got != len(tc.takes) {
				t.Errorf("%d ids taken after the transaction's look-ups; want %d", got, len(tc.takes))
			}
			for id, want := range tc.want {
				if got := version(id); got != want {
					t.Errorf("Observation/%s is at version %s; want %s", id, got, want)
				}
			}
		})
	}
}

// TestUpdateOvertaken forces an update of a resource to be overtaken on
// PostgreSQL: just after it looks the resource up, another change writes
// the resource's next version and commits, before the update writes.
// An update that names no version, as a PUT or a transaction's entry, is
// run again and written as the version after the other's; one whose
// If-Match names the version it read is answered 412, as it would have
// been had the other change come first, and writes nothing.
func TestUpdateOvertaken(t *testing.T) {
	do := fhirOnPostgres(t, "RUO")
	observation := func(id string, value int) string {
		return fmt.Sprintf(`{"resourceType":"Observation","id":"%s","status":"final","code":{"text":"HR"},"valueQuantity":{"value":%d}}`, id, value)
	}
	for i, tc := range []struct {
		name    string
		ifMatch bool // the update names the version it read
		bundle  bool // the update is a transaction's entry
		status  int
		says    string // what the answer says
		version string // the resource's version after it
	}{
		{name: "PUT naming no version", status: 200, says: `"value":100`, version: `W/"3"`},
		{name: "transaction entry naming no version", bundle: true, status: 200, says: `"etag":"W/\"3\""`, version: `W/"3"`},
		{name: "PUT with If-Match", ifMatch: true, status: 412, says: "is at version 2, not the version 1 of If-Match", version: `W/"2"`},
		{name: "transaction entry with If-Match", ifMatch: true, bundle: true, status: 412, says: "is at version 2, not the version 1 of If-Match", version: `W/"2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("overtaken-%d", i)
			if status, _, body := do("PUT", "/fhir/Observation/"+id, observation(id, 1)); status != 201 {
				t.Fatalf("create: %d %s", status, body)
			}
			var overtaken atomic.Bool
			restore := store.AfterResourceLookUp(func(typ, got string) {
				if got != id || !overtaken.CompareAndSwap(false, true) {
					return // the other change's own look-up, or the update's run again
				}
				if status, _, body := do("PUT", "/fhir/Observation/"+id, observation(id, 2)); status != 200 {
					t.Errorf("the other change's update: %d %s", status, body)
				}
			})
			defer restore()
			var status int
			var body string
			switch {
			case tc.bundle:
				ifMatch := ""
				if tc.ifMatch {
					ifMatch = `,"ifMatch":"W/\"1\""`
				}
				status, _, body = do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":`+observation(id, 100)+
					`,"request":{"method":"PUT","url":"Observation/`+id+`"`+ifMatch+`}}]}`)
			case tc.ifMatch:
				status, _, body = do("PUT", "/fhir/Observation/"+id, observation(id, 100), "If-Match", `W/"1"`)
			default:
				status, _, body = do("PUT", "/fhir/Observation/"+id, observation(id, 100))
			}
			restore()
			if status != tc.status || !strings.Contains(body, tc.says) {
				t.Errorf("update: %d %s; want %d saying %s", status, body, tc.status, tc.says)
			}
			if !overtaken.Load() {
				t.Errorf("the update was not overtaken")
			}
			if _, etag, body := do("GET", "/fhir/Observation/"+id, ""); etag != tc.version {
				t.Errorf("Observation/%s is at %s; want %s: %s", id, etag, tc.version, body)
			}
		})
	}
}
