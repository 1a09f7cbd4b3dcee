package fhir_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPrettyJSON: _pretty=true answers the same FHIR JSON indented (a
// resource, a search Bundle, an OperationOutcome), decimals as they were
// sent; without it, or in XML, the answer is as before.
func TestPrettyJSON(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		id := create(t, c, "Observation", fmt.Sprintf(observation, "p1", "2026-03-01T10:00:00Z", "72.50"))
		for _, path := range []string{"/fhir/Observation/" + id, "/fhir/Observation?_id=" + id, "/fhir/Observation/no-such"} {
			plain := c.do("GET", path, "")
			pretty := c.do("GET", path+sep(path)+"_pretty=true", "")
			if pretty.status != plain.status || pretty.header.Get("Content-Type") != plain.header.Get("Content-Type") {
				t.Errorf("%s: _pretty answered %d %s, without it %d %s", path, pretty.status, pretty.header.Get("Content-Type"), plain.status, plain.header.Get("Content-Type"))
			}
			if !strings.Contains(string(pretty.body), "\n  \"") {
				t.Errorf("%s?_pretty=true is not indented: %.200s", path, pretty.body)
			}
			if bytes.Contains(plain.body, []byte("\n")) {
				t.Errorf("%s without _pretty is indented: %.200s", path, plain.body)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, pretty.body); err != nil {
				t.Fatalf("%s?_pretty=true: %v", path, err)
			}
			// A search Bundle's self link names the search, without _pretty.
			if got := compact.String(); got != string(plain.body) {
				t.Errorf("%s: _pretty changed the answer:\n%s\nwant\n%s", path, got, plain.body)
			}
		}
		if r := c.do("GET", "/fhir/Observation/"+id, "", "Accept", "application/fhir+json"); !strings.Contains(string(r.body), `"value":72.50`) {
			t.Errorf("the decimal is not kept: %s", r.body)
		}
		if r := c.do("GET", "/fhir/Observation/"+id+"?_pretty=true", ""); !strings.Contains(string(r.body), `"value": 72.50`) {
			t.Errorf("the decimal is not kept indented: %s", r.body)
		}
		x := c.do("GET", "/fhir/Observation/"+id+"?_format=xml&_pretty=true", "")
		if x.status != 200 || !strings.HasPrefix(x.header.Get("Content-Type"), "application/fhir+xml") || !strings.Contains(string(x.body), `<value value="72.50"/>`) {
			t.Errorf("XML with _pretty: %d %s %.300s", x.status, x.header.Get("Content-Type"), x.body)
		}
	})
}

// sep is the separator before another query parameter of path.
func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}
