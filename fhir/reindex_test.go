package fhir_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestReindex: the search index rows a reindex extracts from the bodies
// kept are those the write path wrote (a reindex just after writing
// rewrites nothing, a PMI Patient's kept beside its record included,
// whose rows are those of the whole Patient);
// rows kept as an older version wrote them (here
// without an Observation's code) are written again, after which a search
// by code finds every Observation, across several batches; the other
// trust's resources are not touched; and an unknown type is refused.
func TestReindex(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		ctx := context.Background()
		a := f.trustA.System
		// A Patient of the PMI with an identifier the PMI does not hold,
		// kept beside its record in the resource store.
		pat := create(t, f.a, "Patient", `{"resourceType":"Patient","identifier":[{"system":"http://example.org/ids","value":"x1"}],
			"name":[{"family":"Reindex","given":["Ann"]}],"gender":"female","birthDate":"1970-01-01"}`)
		const observations = 1100 // more than two batches
		var bundle []string
		for i := range observations {
			bundle = append(bundle, fmt.Sprintf(`{"request":{"method":"POST","url":"Observation"},"resource":{"resourceType":"Observation","status":"final",
				"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/%s"},"valueQuantity":{"value":%d}}}`, pat, 60+i%40))
		}
		for from := 0; from < observations; from += 250 {
			body := `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(bundle[from:min(from+250, observations)], ",") + `]}`
			if r := f.a.do("POST", "/fhir", body); r.status != 200 {
				t.Fatalf("transaction: %d %.300s", r.status, r.body)
			}
		}
		create(t, f.a, "Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/`+pat+`"},"code":{"text":"Asthma"}}`)
		create(t, f.b, "Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}}`)

		n, err := fhir.Reindex(ctx, db, a, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n.TotalLooked != observations+2 || n.TotalRewritten != 0 {
			t.Fatalf("just after writing: looked at %d, rewrote %d; want %d and 0", n.TotalLooked, n.TotalRewritten, observations+2)
		}

		// The Observations' rows as a version that did not index code
		// wrote them.
		svc := store.NewResourceService(db)
		count := func() string { return heartRates(t, f.a) }
		for after := ""; ; {
			rs, _, err := svc.SearchResources(ctx, a, crs.ResourceQuery{Type: "Observation", Count: 400, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 {
				break
			}
			index := rowsWithout(rs, "code")
			if err := db.Write(ctx, a, crs.ActAdministerSettings, func(tx crs.Tx) error { _, err := tx.ReindexResources(rs, index); return err }); err != nil {
				t.Fatal(err)
			}
			after = rs[len(rs)-1].ID
		}
		if got := count(); got != "0" {
			t.Fatalf("with the code rows gone a search by code found %v", got)
		}

		var seen []fhir.ReindexCount
		n, err = fhir.Reindex(ctx, db, a, []string{"Observation", "Condition"}, func(c fhir.ReindexCount) { seen = append(seen, c) })
		if err != nil {
			t.Fatal(err)
		}
		if n.TotalLooked != observations+1 || n.TotalRewritten != observations {
			t.Errorf("reindex: looked at %d, rewrote %d; want %d and %d", n.TotalLooked, n.TotalRewritten, observations+1, observations)
		}
		if len(seen) != 4 || seen[2].Looked != observations || seen[3].Type != "Condition" {
			t.Errorf("progress told %+v, want three batches of Observation and one of Condition", seen)
		}
		if got := count(); got != fmt.Sprint(observations) {
			t.Errorf("after the reindex a search by code found %v, want %d", got, observations)
		}
		if got := heartRates(t, f.b); got != "1" {
			t.Errorf("the other trust's Observations by code: %s, want 1", got)
		}
		if _, err := fhir.Reindex(ctx, db, a, []string{"Observations"}, nil); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("an unknown type: %v, want EINVALID", err)
		}
	})
}

// TestReindexStale: a trust whose resources were indexed under another
// search index than this version's (or never checked) is reindexed and
// then records this version's, after which it is left alone; rows an
// older version wrote (here without an Observation's code) are found by
// a search again; another trust is checked on its own.
func TestReindexStale(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		ctx := context.Background()
		a, b := f.trustA.System, f.trustB.System
		obs := `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]}}`
		for range 3 {
			create(t, f.a, "Observation", obs)
		}
		create(t, f.b, "Observation", obs)
		count := func() string { return heartRates(t, f.a) }
		stale := func(actor crs.Actor) (bool, fhir.ReindexCount) {
			t.Helper()
			ran, n, err := fhir.ReindexStale(ctx, db, actor, nil)
			if err != nil {
				t.Fatal(err)
			}
			return ran, n
		}

		if ran, n := stale(a); !ran || n.TotalLooked != 3 || n.TotalRewritten != 0 {
			t.Fatalf("a trust never checked: ran %v, looked at %d, rewrote %d; want a run over 3 rewriting none", ran, n.TotalLooked, n.TotalRewritten)
		}
		if ran, _ := stale(a); ran {
			t.Fatal("run again, with this version's fingerprint recorded")
		}

		// The rows an older OpenCRS wrote, and the fingerprint it recorded.
		rs, _, err := store.NewResourceService(db).SearchResources(ctx, a, crs.ResourceQuery{Type: "Observation", Count: 10})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Write(ctx, a, crs.ActAdministerSettings, func(tx crs.Tx) error {
			if _, err := tx.ReindexResources(rs, rowsWithout(rs, "code")); err != nil {
				return err
			}
			return tx.SetResourceIndexFingerprint("an older index")
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := count(); got != "0" {
			t.Fatalf("with the code rows gone a search by code found %v", got)
		}
		if ran, n := stale(a); !ran || n.TotalRewritten != 3 {
			t.Fatalf("after an upgrade: ran %v, rewrote %d; want 3", ran, n.TotalRewritten)
		}
		if got := count(); got != "3" {
			t.Errorf("after the reindex a search by code found %v, want 3", got)
		}
		var fp string
		if err := db.Reader().QueryRowContext(ctx, `SELECT fhir_index_fingerprint FROM organisations WHERE id = $1`, a.OrgID).Scan(&fp); err != nil || fp != fhir.IndexFingerprint() {
			t.Errorf("recorded %q (%v), want %s", fp, err, fhir.IndexFingerprint())
		}
		if ran, n := stale(b); !ran || n.TotalLooked != 1 {
			t.Errorf("the other trust: ran %v over %d, want its own run over its one Observation", ran, n.TotalLooked)
		}
	})
}

// rowsWithout are the index rows of resources as an OpenCRS that did not
// index the parameter wrote them.
func rowsWithout(rs []*crs.Resource, param string) [][]crs.ResourceIndexRow {
	index := make([][]crs.ResourceIndexRow, len(rs))
	for i, r := range rs {
		res, _ := fhir.Decode(r.Body)
		for _, row := range fhir.IndexRows(res) {
			if row.Param != param {
				index[i] = append(index[i], row)
			}
		}
	}
	return index
}

// heartRates is how many Observations of code LOINC 8867-4 a search of
// the client's trust finds.
func heartRates(t *testing.T, c *client) string {
	t.Helper()
	r := c.do("GET", "/fhir/Observation?_summary=count&code="+url.QueryEscape("http://loinc.org|8867-4"), "")
	if r.status != 200 {
		t.Fatalf("search: %d %.300s", r.status, r.body)
	}
	return fmt.Sprint(r.json(t)["total"])
}
