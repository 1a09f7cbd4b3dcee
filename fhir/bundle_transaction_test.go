package fhir_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

func TestTransaction(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:0b6e4f1a-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000042"}]},
  "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000042"}},
 {"fullUrl":"urn:uuid:0b6e4f1a-0000-4000-8000-000000000002","resource":{"resourceType":"Observation","status":"final","code":{"text":"HR"},
  "subject":{"reference":"urn:uuid:0b6e4f1a-0000-4000-8000-000000000001"},"valueQuantity":{"value":70.0}},"request":{"method":"POST","url":"Observation"}}]}`
		r := c.do("POST", "/fhir", tx)
		if r.status != 200 {
			t.Fatalf("transaction: %d %s", r.status, r.body)
		}
		resp := r.json(t)
		if resp["type"] != "transaction-response" {
			t.Errorf("type = %v", resp["type"])
		}
		es := resp["entry"].([]any)
		pid := strings.TrimPrefix(es[0].(map[string]any)["fullUrl"].(string), f.base+"/fhir/Patient/")
		if got := c.do("GET", "/fhir/Observation?subject=Patient/"+pid+"&_summary=count", "").json(t)["total"]; fmt.Sprint(got) != "1" {
			t.Errorf("observations of the new patient by its resolved reference = %v, want 1", got)
		}
		// Posted again (to the base with a slash): the conditional create
		// finds the patient; only the observation is new.
		r = c.do("POST", "/fhir/", tx)
		if r.status != 200 {
			t.Fatalf("transaction again: %d %s", r.status, r.body)
		}
		es = r.json(t)["entry"].([]any)
		if st := es[0].(map[string]any)["response"].(map[string]any)["status"]; st != "200 OK" {
			t.Errorf("conditional create again: status %v, want 200", st)
		}
		if got := c.do("GET", "/fhir/Patient?_summary=count", "").json(t)["total"]; fmt.Sprint(got) != "1" {
			t.Errorf("patients = %v, want 1", got)
		}
		if got := c.do("GET", "/fhir/Observation?subject=Patient/"+pid+"&_summary=count", "").json(t)["total"]; fmt.Sprint(got) != "2" {
			t.Errorf("observations = %v, want 2", got)
		}
		// A failing entry rolls the whole transaction back.
		bad := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"kept?"}},"request":{"method":"POST","url":"Observation"}},
 {"resource":{"resourceType":"Patient","id":"` + pid + `"},"request":{"method":"PUT","url":"Patient/` + pid + `","ifMatch":"W/\"7\""}}]}`
		r = c.do("POST", "/fhir", bad)
		if r.status != 412 || !isOutcome(r) || !strings.Contains(string(r.body), "entry 1") {
			t.Errorf("failing transaction: %d %s, want 412 naming entry 1", r.status, r.body)
		}
		if got := c.do("GET", "/fhir/Observation?code:text=kept&_summary=count", "").json(t)["total"]; fmt.Sprint(got) != "0" {
			t.Errorf("the failed transaction left %v observations", got)
		}
		// A batch applies each entry alone.
		batch := strings.Replace(bad, `"transaction"`, `"batch"`, 1)
		r = c.do("POST", "/fhir", batch)
		es = r.json(t)["entry"].([]any)
		if r.status != 200 || es[0].(map[string]any)["response"].(map[string]any)["status"] != "201 Created" || es[1].(map[string]any)["response"].(map[string]any)["status"] != "412 Precondition Failed" {
			t.Errorf("batch: %d %s", r.status, r.body)
		}
		// An entry of a batch that is not valid R4 is answered in its
		// place, naming what is wrong with it; the entries around it are
		// applied. The same in a transaction refuses it whole.
		good := `{"resource":{"resourceType":"Observation","status":"final","code":{"text":"beside a bad one"}},"request":{"method":"POST","url":"Observation"}}`
		mixed := `{"resourceType":"Bundle","type":"batch","entry":[` + good + `,
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"bogus":1,"effectiveDateTime":"not a date"},"request":{"method":"POST","url":"Observation"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"}},"request":{"method":"FOO","url":"Observation"}},
 ` + good + `]}`
		r = c.do("POST", "/fhir", mixed)
		if r.status != 200 {
			t.Fatalf("batch with two entries not valid R4: %d %s, want 200 and a batch-response", r.status, r.body)
		}
		es = r.json(t)["entry"].([]any)
		status := func(i int) any { return es[i].(map[string]any)["response"].(map[string]any)["status"] }
		if len(es) != 4 || status(0) != "201 Created" || status(1) != "400 Bad Request" || status(2) != "400 Bad Request" || status(3) != "201 Created" {
			t.Fatalf("batch-response: %s, want 201 400 400 201", r.body)
		}
		outcome := fmt.Sprint(es[1].(map[string]any)["response"].(map[string]any)["outcome"])
		if !strings.Contains(outcome, "Bundle.entry[1].resource.bogus") || !strings.Contains(outcome, "Bundle.entry[1].resource.effectiveDateTime") {
			t.Errorf("entry 1's outcome %s, want both of its faults by path", outcome)
		}
		if outcome := fmt.Sprint(es[2].(map[string]any)["response"].(map[string]any)["outcome"]); !strings.Contains(outcome, "Bundle.entry[2].request.method") {
			t.Errorf("entry 2's outcome %s, want its method by path", outcome)
		}
		if got := c.do("GET", "/fhir/Observation?code:text=beside&_summary=count", "").json(t)["total"]; fmt.Sprint(got) != "2" {
			t.Errorf("the batch's valid entries made %v observations, want 2", got)
		}
		r = c.do("POST", "/fhir", strings.Replace(mixed, `"batch"`, `"transaction"`, 1))
		if r.status != 400 || !isOutcome(r) {
			t.Errorf("transaction with entries not valid R4: %d %s, want 400", r.status, r.body)
		}
		if got := c.do("GET", "/fhir/Observation?code:text=beside&_summary=count", "").json(t)["total"]; fmt.Sprint(got) != "2" {
			t.Errorf("after the refused transaction %v observations, want still 2", got)
		}
		if r := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"batch","bogus":1,"entry":[`+good+`]}`); r.status != 400 || !isOutcome(r) {
			t.Errorf("batch not valid R4 outside its entries: %d %s, want 400", r.status, r.body)
		}
	})
}

// TestSyntheaTransactions loads Synthea patients' transaction Bundles
// and checks every resource of each is stored and searchable by patient.
func TestSyntheaTransactions(t *testing.T) {
	files, _ := filepath.Glob("../../shared/data/fhir/synthea/*.json.gz")
	if len(files) == 0 {
		t.Skip("../shared/data/fhir/synthea is absent")
	}
	files = files[:3]
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		want := map[string]int{}
		for _, file := range files {
			fh, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			z, _ := gzip.NewReader(fh)
			b, _ := io.ReadAll(z)
			fh.Close()
			var bundle struct {
				Entry []struct {
					Resource struct{ ResourceType string }
				}
			}
			json.Unmarshal(b, &bundle)
			for _, e := range bundle.Entry {
				want[e.Resource.ResourceType]++
			}
			r := f.a.do("POST", "/fhir", string(b))
			if r.status != 200 {
				t.Fatalf("%s: %d %.2000s", filepath.Base(file), r.status, r.body)
			}
		}
		for typ, n := range want {
			if typ == "Patient" {
				continue // registered in the patient index: counted below
			}
			if typ == "Organization" {
				n++ // the trust, from the PAS, beside Synthea's
			}
			got := f.a.do("GET", "/fhir/"+typ+"?_summary=count", "").json(t)["total"]
			if fmt.Sprint(got) != fmt.Sprint(n) {
				t.Errorf("%s: %v stored, want %d", typ, got, n)
			}
		}
		// Each patient is in the patient index, found by the Synthea
		// identifier kept beside the record, with its observations.
		for _, file := range files {
			id := strings.TrimSuffix(filepath.Base(file), ".json.gz")
			id = id[strings.LastIndex(id, "_")+1:]
			pats := f.a.do("GET", "/fhir/Patient?identifier=https://github.com/synthetichealth/synthea|"+id+"&_revinclude=Observation:subject", "").json(t)
			es, _ := pats["entry"].([]any)
			if len(es) < 2 {
				t.Errorf("%s: the patient and its observations not found by identifier (%d entries)", filepath.Base(file), len(es))
				continue
			}
			pat := es[0].(map[string]any)["resource"].(map[string]any)
			// The address is served as sent (its town and state, which
			// the PMI holds as lines, kept in a copy beside the record).
			addr, _ := pat["address"].([]any)
			if pat["maritalStatus"] == nil || len(addr) == 0 || addr[0].(map[string]any)["city"] == nil || addr[0].(map[string]any)["state"] == nil {
				t.Errorf("%s: what the patient index does not hold was not kept: %v", filepath.Base(file), pat)
			}
		}
	})
}

// TestTransactionInBulk: the new resources of a transaction are written
// together, with one event and one audit record that names each patient
// they are about, and each is still a version in its history and found
// by search; an update in the same Bundle is a version of its own, and a
// failing entry after the held resources leaves none of them.
func TestTransactionInBulk(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		kept := create(t, c, "Practitioner", `{"resourceType":"Practitioner","name":[{"family":"Kept"}]}`)
		obs := func(patient, value string) string {
			return `{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"` +
				patient + `"},"effectiveDateTime":"2026-03-01T10:00:00Z","valueQuantity":{"value":` + value + `,"unit":"/min"}},"request":{"method":"POST","url":"Observation"}}`
		}
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:0b6e4f1a-0000-4000-8000-00000000000a","resource":{"resourceType":"Patient","name":[{"family":"Bulkone"}]},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"urn:uuid:0b6e4f1a-0000-4000-8000-00000000000b","resource":{"resourceType":"Patient","name":[{"family":"Bulktwo"}]},"request":{"method":"POST","url":"Patient"}},
 ` + obs("urn:uuid:0b6e4f1a-0000-4000-8000-00000000000a", "61") + `,
 ` + obs("urn:uuid:0b6e4f1a-0000-4000-8000-00000000000a", "62") + `,
 ` + obs("urn:uuid:0b6e4f1a-0000-4000-8000-00000000000b", "63") + `,
 {"resource":{"resourceType":"Practitioner","id":"` + kept + `","name":[{"family":"Changed"}]},"request":{"method":"PUT","url":"Practitioner/` + kept + `"}}]}`
		r := c.do("POST", "/fhir", tx)
		if r.status != 200 {
			t.Fatalf("transaction: %d %s", r.status, r.body)
		}
		var resp struct {
			Entry []struct {
				FullURL  string
				Response struct{ Status, Location, Etag, LastModified string }
			}
		}
		if err := json.Unmarshal(r.body, &resp); err != nil || len(resp.Entry) != 6 {
			t.Fatalf("response: %v %s", err, r.body)
		}
		for i, e := range resp.Entry {
			want := "201 Created"
			if i == 5 {
				want = "200 OK"
			}
			if e.Response.Status != want || e.Response.LastModified == "" || !strings.HasSuffix(e.Response.Location, "/_history/1") && i < 5 {
				t.Errorf("entry %d answered %+v, want %s with its version and time", i, e.Response, want)
			}
			// Each resource is a version of its own in its history.
			loc := strings.TrimPrefix(e.FullURL, f.base+"/fhir/")
			if h, _ := c.do("GET", "/fhir/"+loc+"/_history", "").json(t)["entry"].([]any); i < 5 && len(h) != 1 {
				t.Errorf("%s: %d versions in its history, want one", loc, len(h))
			}
		}
		pa := strings.TrimPrefix(resp.Entry[0].FullURL, f.base+"/fhir/Patient/")
		pb := strings.TrimPrefix(resp.Entry[1].FullURL, f.base+"/fhir/Patient/")
		if got := c.do("GET", "/fhir/Observation?subject=Patient/"+pa+"&code=http://loinc.org|8867-4&_summary=count", "").json(t)["total"]; fmt.Sprint(got) != "2" {
			t.Errorf("observations of the first patient found by subject and code: %v, want 2", got)
		}
		if h, _ := c.do("GET", "/fhir/Practitioner/"+kept+"/_history", "").json(t)["entry"].([]any); len(h) != 2 {
			t.Errorf("the practitioner updated in the Bundle has %d versions, want 2", len(h))
		}
		if err := db.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		// One event and one audit record for the five new resources,
		// naming both patients; the update has its own.
		var events, records int
		q := db.Reader()
		if err := q.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM events WHERE type = 'resource.written' AND summary LIKE '5 resources created%'`).Scan(&events); err != nil || events != 1 {
			t.Errorf("%d events of the five new resources (%v), want 1", events, err)
		}
		if err := q.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM audit WHERE action = 'change' AND what LIKE 'fhir 5 resources: Observation 3, Patient 2: 2 patients;%'`).Scan(&records); err != nil || records != 1 {
			t.Errorf("%d audit records of the five new resources (%v), want 1", records, err)
		}
		var versions int
		if err := q.QueryRowContext(t.Context(), `SELECT COUNT(DISTINCT event_id) FROM fhir_versions v JOIN events e ON e.id = v.event_id WHERE e.summary LIKE '5 resources created%'`).Scan(&versions); err != nil || versions != 1 {
			t.Errorf("the new versions name %d events (%v), want the one", versions, err)
		}
		if err := q.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM events WHERE type = 'resource.written' AND subject_id = $1`, "Practitioner/"+kept).Scan(&events); err != nil || events != 2 {
			t.Errorf("%d events of the practitioner (%v), want its create and its update", events, err)
		}
		for _, id := range []string{pa, pb} {
			r := c.do("GET", "/fhir/AuditEvent?patient=Patient/"+id, "")
			if r.status != 200 || !strings.Contains(string(r.body), "fhir 5 resources: Observation 3, Patient 2") {
				t.Errorf("AuditEvent?patient=%s does not show the transaction that wrote their record: %d %.1000s", id, r.status, r.body)
			}
		}
		if err := db.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if check, err := db.VerifyAuditChain(t.Context(), f.trustA.Org.ID); err != nil || len(check.Breaks) > 0 {
			t.Errorf("audit chain: %v %+v", err, check)
		}
		// A failing entry after the held resources: none of them is left.
		bad := `{"resourceType":"Bundle","type":"transaction","entry":[
 ` + obs("Patient/"+pa, "91") + `,
 ` + obs("Patient/"+pa, "92") + `,
 {"resource":{"resourceType":"Practitioner","id":"` + kept + `"},"request":{"method":"PUT","url":"Practitioner/` + kept + `","ifMatch":"W/\"1\""}}]}`
		r = c.do("POST", "/fhir", bad)
		if r.status != 412 || !strings.Contains(string(r.body), "entry 2") {
			t.Errorf("failing transaction: %d %s, want 412 naming entry 2", r.status, r.body)
		}
		if got := c.do("GET", "/fhir/Observation?subject=Patient/"+pa+"&_summary=count", "").json(t)["total"]; fmt.Sprint(got) != "2" {
			t.Errorf("the failed transaction left observations: %v, want the 2 before it", got)
		}
	})
}

// TestTransactionPreparedCreates checks the creates prepared before the
// command: a reference to another new resource of the Bundle resolved,
// meta.lastUpdated the command's time (as the response and the version
// say), and a create that references a conditional create resolved in
// the command to the resource it found.
func TestTransactionPreparedCreates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		tx := func(family string) string {
			return `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:0b6e4f1a-0000-4000-8000-0000000000c1","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000050"}],"name":[{"family":"` + family + `"}]},
  "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|9990000050"}},
 {"fullUrl":"urn:uuid:0b6e4f1a-0000-4000-8000-0000000000c2","resource":{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"}},"request":{"method":"POST","url":"Encounter"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"prepared"},"encounter":{"reference":"urn:uuid:0b6e4f1a-0000-4000-8000-0000000000c2"}},"request":{"method":"POST","url":"Observation"}},
 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"in the command"},"subject":{"reference":"urn:uuid:0b6e4f1a-0000-4000-8000-0000000000c1"}},"request":{"method":"POST","url":"Observation"}}]}`
		}
		var pid string
		for round, family := range []string{"Prepone", "Preptwo"} {
			clock.Advance(time.Minute)
			r := c.do("POST", "/fhir", tx(family))
			if r.status != 200 {
				t.Fatalf("transaction %d: %d %s", round, r.status, r.body)
			}
			es := r.json(t)["entry"].([]any)
			resp := func(i int) map[string]any { return es[i].(map[string]any)["response"].(map[string]any) }
			if round == 0 {
				pid = strings.Split(resp(0)["location"].(string), "/")[1]
			} else if st := resp(0)["status"]; st != "200 OK" {
				t.Errorf("conditional create again: status %v, want 200", st)
			}
			eid := strings.Split(resp(1)["location"].(string), "/")[1]
			for i, want := range map[int][2]string{2: {"encounter", "Encounter/" + eid}, 3: {"subject", "Patient/" + pid}} {
				loc := resp(i)["location"].(string) // Observation/ID/_history/1
				read := c.do("GET", "/fhir/"+strings.Join(strings.Split(loc, "/")[:2], "/"), "")
				if read.status != 200 {
					t.Fatalf("read %s: %d %s", loc, read.status, read.body)
				}
				if strings.Contains(string(read.body), fhir.UnstampedTime) {
					t.Errorf("entry %d was stored with the placeholder time: %s", i, read.body)
				}
				obs := read.json(t)
				if ref := obs[want[0]].(map[string]any)["reference"]; ref != want[1] {
					t.Errorf("round %d entry %d: %s = %v, want %s", round, i, want[0], ref, want[1])
				}
				meta := obs["meta"].(map[string]any)
				if meta["versionId"] != "1" || meta["lastUpdated"] != resp(i)["lastModified"] || meta["lastUpdated"] != clock.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00") {
					t.Errorf("round %d entry %d: meta %v, response lastModified %v, want the command's time %v", round, i, meta, resp(i)["lastModified"], clock.Now().UTC())
				}
				if v := c.do("GET", "/fhir/"+loc, ""); v.status != 200 || string(v.body) != string(read.body) {
					t.Errorf("vread %s: %d %s, want %s", loc, v.status, v.body, read.body)
				}
			}
		}
	})
}

// TestTransactionSameConditionalCreate posts a transaction whose two
// entries create the same Patient with the same ifNoneExist when nothing
// matches before: one Patient is created, both entries answer with it,
// and references to either entry's fullUrl name it; in the resource
// store and in the patient index.
func TestTransactionSameConditionalCreate(t *testing.T) {
	for _, pmi := range []bool{false, true} {
		t.Run(map[bool]string{false: "resource store", true: "patient index"}[pmi], func(t *testing.T) {
			storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
				nhs, begin := "9990000069", func() *fixture { return start(t, db, clock, nil) }
				if pmi {
					nhs, begin = "9990000077", func() *fixture { return startPAS(t, db, clock) }
				}
				f := begin()
				c := f.a
				patient := func(n int) string {
					return fmt.Sprintf(`{"fullUrl":"urn:uuid:0b6e4f1a-0000-4000-8000-0000000000d%d","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}],"name":[{"family":"Twice","given":["Ann"]}],"birthDate":"1970-05-01"},
  "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|%s"}}`, n, nhs, nhs)
				}
				observation := func(n int) string {
					return fmt.Sprintf(`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"twice %d"},"subject":{"reference":"urn:uuid:0b6e4f1a-0000-4000-8000-0000000000d%d"}},"request":{"method":"POST","url":"Observation"}}`, n, n)
				}
				r := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[`+patient(1)+`,`+patient(2)+`,`+observation(1)+`,`+observation(2)+`]}`)
				if r.status != 200 {
					t.Fatalf("transaction: %d %s", r.status, r.body)
				}
				found := c.searchIDs(t, "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|"+nhs)
				if len(found) != 1 {
					t.Fatalf("the transaction made patients %v, want one", found)
				}
				es := r.json(t)["entry"].([]any)
				for i, want := range []string{"201 Created", "200 OK"} {
					resp := es[i].(map[string]any)["response"].(map[string]any)
					if resp["status"] != want || !strings.HasPrefix(fmt.Sprint(resp["location"]), "Patient/"+found[0]+"/") {
						t.Errorf("entry %d answered %v, want %s at Patient/%s", i, resp, want, found[0])
					}
				}
				for i := 2; i < 4; i++ {
					loc := es[i].(map[string]any)["response"].(map[string]any)["location"].(string)
					obs := c.do("GET", "/fhir/"+strings.Join(strings.Split(loc, "/")[:2], "/"), "").json(t)
					if ref := obs["subject"].(map[string]any)["reference"]; ref != "Patient/"+found[0] {
						t.Errorf("entry %d's subject is %v, want Patient/%s", i, ref, found[0])
					}
				}
			})
		})
	}
}

// TestConditionalUpdateDeleteInBundle: a transaction's or a batch's PUT
// and DELETE by a query (Type?identifier=...) act on the one resource the
// query matches: an update of none creates, of one updates it, a delete
// of none deletes nothing; more than one match is 412, which rolls a
// transaction back and fails only its own entry in a batch.
func TestConditionalUpdateDeleteInBundle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		cond := func(value, status string) string {
			return `{"resourceType":"Condition","identifier":[{"system":"urn:test","value":"` + value + `"}],"code":{"text":"` + status + `"},"subject":{"reference":"Patient/p1"}}`
		}
		bundle := func(kind string, entries ...string) string {
			return `{"resourceType":"Bundle","type":"` + kind + `","entry":[` + strings.Join(entries, ",") + `]}`
		}
		put := func(value, text string) string {
			return `{"resource":` + cond(value, text) + `,"request":{"method":"PUT","url":"Condition?identifier=urn:test|` + value + `"}}`
		}
		del := func(value string) string {
			return `{"request":{"method":"DELETE","url":"Condition?identifier=urn:test|` + value + `"}}`
		}
		statuses := func(r response) []string { t.Helper(); return strings.Split(statusesOf(t, r), ",") }
		texts := func(value string) []string {
			t.Helper()
			var out []string
			for _, r := range matches(t, c, "Condition?identifier=urn:test|"+value) {
				out = append(out, r["code"].(map[string]any)["text"].(string))
			}
			return out
		}
		// None matches: created; again: the one match updated.
		r := c.do("POST", "/fhir", bundle("transaction", put("a", "first"), put("b", "first")))
		if got := statuses(r); r.status != 200 || strings.Join(got, ",") != "201,201" {
			t.Fatalf("conditional updates of none: %d %v %s", r.status, got, r.body)
		}
		r = c.do("POST", "/fhir", bundle("transaction", put("a", "second"), del("b"), del("nothing")))
		if got := statuses(r); r.status != 200 || strings.Join(got, ",") != "200,204,204" {
			t.Fatalf("conditional update of one, deletes: %d %v %s", r.status, got, r.body)
		}
		if got := texts("a"); strings.Join(got, ",") != "second" {
			t.Errorf("Condition a: %v, want one, updated", got)
		}
		if got := texts("b"); len(got) != 0 {
			t.Errorf("Condition b: %v, want it deleted", got)
		}
		// Two match: the transaction is refused whole, the batch's entry alone.
		create(t, c, "Condition", cond("a", "another"))
		r = c.do("POST", "/fhir", bundle("transaction", put("c", "new"), put("a", "third")))
		if r.status != 412 || !isOutcome(r) {
			t.Errorf("a transaction whose conditional update matches two: %d %s, want 412", r.status, r.body)
		}
		if got := texts("c"); len(got) != 0 {
			t.Errorf("the refused transaction created %v", got)
		}
		r = c.do("POST", "/fhir", bundle("batch", put("c", "new"), put("a", "third"), del("a")))
		if got := statuses(r); r.status != 200 || strings.Join(got, ",") != "201,412,412" {
			t.Errorf("batch: %d %v %s, want 201,412,412", r.status, got, r.body)
		}
		if got := texts("c"); strings.Join(got, ",") != "new" {
			t.Errorf("the batch's created Condition c: %v", got)
		}
	})
}

// TestConditionalPutReferenceInTransaction: a reference to the fullUrl
// (urn:uuid) of a transaction's conditional PUT of a resource of the
// store (an Observation) names the resource the PUT creates when its
// query matches none, and the one it matches, updated, when one does;
// the id is known before the entries that refer to it apply, whichever
// comes first in the Bundle.
func TestConditionalPutReferenceInTransaction(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		const urn = "urn:uuid:5d2e8f10-0000-4000-8000-00000000000a"
		put := func(text string) string {
			return `{"fullUrl":"` + urn + `","resource":{"resourceType":"Observation","status":"final","identifier":[{"system":"urn:test:lab","value":"123"}],
				"code":{"text":"` + text + `"},"subject":{"reference":"Patient/p1"}},"request":{"method":"PUT","url":"Observation?identifier=urn:test:lab|123"}}`
		}
		report := `{"fullUrl":"urn:uuid:5d2e8f10-0000-4000-8000-00000000000b","resource":{"resourceType":"DiagnosticReport","status":"final","code":{"text":"lipids"},
			"subject":{"reference":"Patient/p1"},"result":[{"reference":"` + urn + `"}]},"request":{"method":"POST","url":"DiagnosticReport"}}`
		bundle := func(entries ...string) string {
			return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
		}
		resultOf := func(r response) (string, []map[string]any) {
			t.Helper()
			got := entryResponses(t, r)
			var reportLoc string
			for _, e := range got {
				if l, _ := e["location"].(string); strings.HasPrefix(l, "DiagnosticReport/") {
					reportLoc = l
				}
			}
			dr := c.do("GET", "/fhir/"+strings.Join(strings.Split(reportLoc, "/")[:2], "/"), "").json(t)
			ref, _ := dr["result"].([]any)[0].(map[string]any)["reference"].(string)
			return ref, got
		}

		// None matches: the PUT creates the Observation, and the report's
		// result names it.
		r := c.do("POST", "/fhir", bundle(report, put("cholesterol")))
		if r.status != 200 {
			t.Fatalf("transaction creating by conditional update: %d %s", r.status, r.body)
		}
		ref, got := resultOf(r)
		if got[1]["status"] != "201 Created" {
			t.Fatalf("the conditional PUT's status %v, want 201", got[1]["status"])
		}
		found := matches(t, c, "Observation?identifier=urn:test:lab|123")
		if len(found) != 1 {
			t.Fatalf("%d Observations with the identifier, want 1", len(found))
		}
		id := found[0]["id"].(string)
		if ref != "Observation/"+id {
			t.Errorf("the report's result refers to %q, want Observation/%s", ref, id)
		}

		// One matches: the PUT updates it, and a new report's result names
		// it, with the PUT first in the Bundle this time.
		r = c.do("POST", "/fhir", bundle(put("cholesterol, repeated"), report))
		if r.status != 200 {
			t.Fatalf("transaction updating by conditional update: %d %s", r.status, r.body)
		}
		ref, got = resultOf(r)
		if got[0]["status"] != "200 OK" || got[0]["location"] != "Observation/"+id+"/_history/2" {
			t.Errorf("the conditional PUT answered %v at %v, want 200 at Observation/%s/_history/2", got[0]["status"], got[0]["location"], id)
		}
		if ref != "Observation/"+id {
			t.Errorf("the report's result refers to %q, want Observation/%s", ref, id)
		}
		if found := matches(t, c, "Observation?identifier=urn:test:lab|123"); len(found) != 1 || found[0]["code"].(map[string]any)["text"] != "cholesterol, repeated" {
			t.Errorf("after the update: %v, want the one Observation, updated", found)
		}
	})
}

// TestTransactionResolvesLinks checks that a transaction rewrites what
// else of a resource names another entry by its fullUrl, as R4 asks: an
// attachment's url and the links and images of the narrative, in a
// resource whose references all name entries (written as prepared) and
// in one with a conditional reference (resolved in the command); an
// identifier's value, a string, is left as sent.
func TestTransactionResolvesLinks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		if r := c.do("PUT", "/fhir/Practitioner/tl-1", `{"resourceType":"Practitioner","id":"tl-1","identifier":[{"system":"https://example.org/staff","value":"tl-1"}]}`); r.status != 201 {
			t.Fatalf("practitioner: %d %s", r.status, r.body)
		}
		const bin = "urn:uuid:3fdc72f4-a11d-4a9d-9260-a9f745779e1d"
		doc := func(author string) string {
			return `{"resourceType":"DocumentReference","status":"current","identifier":[{"system":"urn:ietf:rfc:3986","value":"` + bin + `"}],` + author +
				`"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"` + bin + `\">scan</a><img src='` + bin + `'/><p>urn:uuid:not-a-link</p></div>"},` +
				`"content":[{"attachment":{"contentType":"image/png","url":"` + bin + `"}}]}`
		}
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[
			{"fullUrl":"` + bin + `","request":{"method":"POST","url":"Binary"},"resource":{"resourceType":"Binary","contentType":"image/png","data":"R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"}},
			{"request":{"method":"POST","url":"DocumentReference"},"resource":` + doc("") + `},
			{"request":{"method":"POST","url":"DocumentReference"},"resource":` + doc(`"author":[{"reference":"Practitioner?identifier=https://example.org/staff|tl-1"}],`) + `}]}`
		r := c.do("POST", "/fhir", tx)
		if r.status != 200 {
			t.Fatalf("transaction: %d %s", r.status, r.body)
		}
		var locs []string
		for _, e := range r.json(t)["entry"].([]any) {
			l := e.(map[string]any)["response"].(map[string]any)["location"].(string)
			locs = append(locs, strings.Split(l, "/_history")[0])
		}
		for _, loc := range locs[1:] {
			got := string(c.do("GET", "/fhir/"+loc, "").body)
			for _, want := range []string{`"url":"` + locs[0] + `"`, `href=\"` + locs[0] + `\"`, `src='` + locs[0] + `'`, `"value":"` + bin + `"`, `urn:uuid:not-a-link`} {
				if !strings.Contains(got, want) {
					t.Errorf("%s: no %s in %s", loc, want, got)
				}
			}
		}
	})
}

// TestTransactionSearchEntry checks that a transaction's GET of a search
// is answered after its writes (R4 orders GETs last) with the searchset
// as the entry's resource, and that a search the API would refuse fails
// the transaction before it writes anything.
func TestTransactionSearchEntry(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		obs := `{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"urn:test","code":"tx-search"}]}},"request":{"method":"POST","url":"Observation"}}`
		search := func(q string) string { return `{"request":{"method":"GET","url":"Observation?` + q + `"}}` }
		r := c.do("POST", "/fhir", transaction(search("code=urn:test|tx-search"), obs))
		if r.status != 200 || statusesOf(t, r) != "200,201" {
			t.Fatalf("transaction with a search: %d %s", r.status, r.body)
		}
		set := r.json(t)["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		if set["type"] != "searchset" || len(array(set["entry"])) != 1 {
			t.Errorf("the search's answer does not hold the Observation the transaction wrote: %v", set)
		}
		r = c.do("POST", "/fhir", transaction(obs, search("no-such-parameter=1")))
		if r.status != 400 || !strings.Contains(string(r.body), "entry 1: no-such-parameter") {
			t.Errorf("transaction with a search refused: %d %s, want 400 naming entry 1", r.status, r.body)
		}
		if got := array(c.do("GET", "/fhir/Observation?code=urn:test|tx-search", "").json(t)["entry"]); len(got) != 1 {
			t.Errorf("after the refused transaction: %d Observations, want 1", len(got))
		}
	})
}
