package fhir_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestTransactionClashConcurrent posts, many at once, transactions that
// create resources with the same ids chosen by the client (PUT as
// create) and register patients, some of them the same patient: every
// transaction is answered 200 or 409, none with a server error; each
// resource exists once, with a version for each transaction that
// succeeded, and each patient is registered once.
func TestTransactionClashConcurrent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		const clients, rounds = 12, 3
		nhs := []string{"9990000018", "9990000026", "9990000034", "9990000042"}
		statuses := make([][]int, rounds)
		for round := range rounds {
			statuses[round] = make([]int, clients)
			var wg sync.WaitGroup
			for i := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					bundle := fmt.Sprintf(`{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:0b6e4f1a-0000-4000-8000-%012d","resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}],"name":[{"family":"Clash","given":["Ann"]}],"birthDate":"1970-05-01"},
  "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/nhs-number|%[2]s"}},
 {"resource":{"resourceType":"Observation","id":"clash-%[3]d","status":"final","code":{"text":"HR"},
  "subject":{"reference":"urn:uuid:0b6e4f1a-0000-4000-8000-%012[1]d"},"valueQuantity":{"value":%[4]d}},"request":{"method":"PUT","url":"Observation/clash-%[3]d"}},
 {"resource":{"resourceType":"Condition","id":"clash-%[5]d","subject":{"reference":"urn:uuid:0b6e4f1a-0000-4000-8000-%012[1]d"},"code":{"text":"Asthma"}},
  "request":{"method":"PUT","url":"Condition/clash-%[5]d"}}]}`,
						i, nhs[i%len(nhs)], round, 60+i, (round+i)%2)
					r := f.a.do("POST", "/fhir", bundle)
					statuses[round][i] = r.status
					if r.status != 200 && r.status != 409 {
						t.Errorf("round %d, client %d: %d %s", round, i, r.status, r.body)
					}
					if r.status == 409 && !strings.Contains(string(r.body), `"resourceType":"OperationOutcome"`) {
						t.Errorf("round %d, client %d: 409 without an OperationOutcome: %s", round, i, r.body)
					}
					if r.status == 409 {
						t.Logf("round %d, client %d: %s", round, i, r.body)
					}
				}()
			}
			wg.Wait()
			// Each transaction that succeeded wrote a version of the
			// round's Observation, and none that failed did.
			ok := 0
			for _, st := range statuses[round] {
				if st == 200 {
					ok++
				}
			}
			r := f.a.do("GET", fmt.Sprintf("/fhir/Observation/clash-%d", round), "")
			if r.status != 200 {
				t.Fatalf("round %d: read Observation/clash-%d: %d %s", round, round, r.status, r.body)
			}
			meta, _ := r.json(t)["meta"].(map[string]any)
			if got := fmt.Sprint(meta["versionId"]); got != fmt.Sprint(ok) {
				t.Errorf("round %d: Observation/clash-%d is at version %s after %d transactions succeeded (statuses %v)", round, round, got, ok, statuses[round])
			}
		}
		for _, path := range []string{"/fhir/Condition?_id=clash-0,clash-1", "/fhir/Observation?_id=clash-0,clash-1,clash-2"} {
			if got, want := f.a.searchIDs(t, path), strings.Count(path, "clash-"); len(got) != want {
				t.Errorf("%s found %v; want %d resources, each once", path, got, want)
			}
		}
		for _, n := range nhs {
			criteria := "identifier=https://fhir.nhs.uk/Id/nhs-number|" + n
			if total := f.a.do("GET", "/fhir/Patient?"+criteria+"&_summary=count", "").json(t)["total"]; fmt.Sprint(total) != "1" {
				t.Errorf("%v patients hold NHS number %s; want 1", total, n)
			}
		}
	})
}
