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

// sharedData is the shared synthetic data directory beside the
// repository (../shared/data), or where CRS_SHARED points; the test
// skips, saying so, when it is absent.
func sharedData(t testing.TB, sub string) string {
	t.Helper()
	dirs := []string{"../../shared/data"}
	if s := os.Getenv("CRS_SHARED"); s != "" {
		dirs = append([]string{filepath.Join(s, "data")}, dirs...)
	}
	for _, d := range dirs {
		if fi, err := os.Stat(filepath.Join(d, sub)); err == nil && fi.IsDir() {
			return filepath.Join(d, sub)
		}
	}
	t.Skipf("../shared/data/%s is absent (set CRS_SHARED to the shared directory)", sub)
	return ""
}

// TestSyntheaLoad loads every Synthea patient's transaction Bundle
// through POST /fhir, then checks the count of each type and each
// patient's $everything: the patient and every resource of their Bundle
// that refers to them.
func TestSyntheaLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("loads every Synthea Bundle; not with -short")
	}
	dir := sharedData(t, "fhir/synthea")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json.gz"))
	if len(files) == 0 {
		t.Skip(dir + " holds no Synthea Bundles")
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		want := map[string]int{}
		for _, file := range files {
			b := gunzip(t, file)
			var bundle struct {
				Entry []struct {
					FullURL  string
					Resource json.RawMessage
				}
			}
			if err := json.Unmarshal(b, &bundle); err != nil {
				t.Fatalf("%s: %v", filepath.Base(file), err)
			}
			patientURL := ""
			for _, e := range bundle.Entry {
				var r struct{ ResourceType string }
				json.Unmarshal(e.Resource, &r)
				want[r.ResourceType]++
				if r.ResourceType == "Patient" {
					patientURL = e.FullURL
				}
			}
			// What refers to the patient: every entry naming its fullUrl.
			refers := 0
			for _, e := range bundle.Entry {
				if e.FullURL != patientURL && strings.Contains(string(e.Resource), `"`+patientURL+`"`) {
					refers++
				}
			}
			r := c.do("POST", "/fhir", string(b))
			if r.status != 200 {
				t.Fatalf("%s: %d %.2000s", filepath.Base(file), r.status, r.body)
			}
			var resp struct {
				Entry []struct{ Response struct{ Location string } }
			}
			json.Unmarshal(r.body, &resp)
			pid := ""
			for i, e := range bundle.Entry {
				if e.FullURL == patientURL {
					pid = strings.Split(resp.Entry[i].Response.Location, "/")[1]
				}
			}
			if got := everythingCount(t, c, pid); got != refers+1 {
				t.Errorf("%s: $everything holds %d resources, want the patient and the %d that refer to them", filepath.Base(file), got, refers)
			}
		}
		for typ, n := range want {
			r := c.do("GET", "/fhir/"+typ+"?_summary=count", "").json(t)
			if fmt.Sprint(r["total"]) != fmt.Sprint(n) {
				t.Errorf("%s: %v stored, want %d", typ, r["total"], n)
			}
		}
	})
}

// everythingCount follows a patient's $everything to its last page and
// counts the resources.
func everythingCount(t *testing.T, c *client, pid string) int {
	t.Helper()
	n := 0
	for next := "/fhir/Patient/" + pid + "/$everything?_count=1000"; next != ""; {
		r := c.do("GET", next, "")
		if r.status != 200 {
			t.Fatalf("$everything: %d %.500s", r.status, r.body)
		}
		var b struct {
			Entry []json.RawMessage
			Link  []struct{ Relation, URL string }
		}
		json.Unmarshal(r.body, &b)
		n += len(b.Entry)
		next = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				next = l.URL
			}
		}
	}
	return n
}

func gunzip(t *testing.T, file string) []byte {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	z, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return b
}
