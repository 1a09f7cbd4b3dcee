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

	"github.com/opencrs/crs"
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
		if st := es[0].(map[string]any)["response"].(map[string]any)["status"]; st != "200" {
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
		if r.status != 200 || es[0].(map[string]any)["response"].(map[string]any)["status"] != "201" || es[1].(map[string]any)["response"].(map[string]any)["status"] != "412" {
			t.Errorf("batch: %d %s", r.status, r.body)
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
			if pat["maritalStatus"] == nil || len(pat["address"].([]any)[0].(map[string]any)["line"].([]any)) < 3 {
				t.Errorf("%s: what the patient index does not hold was not kept: %v", filepath.Base(file), pat)
			}
		}
	})
}
