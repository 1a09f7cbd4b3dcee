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
		byCode := "/fhir/Observation?_summary=count&code=" + url.QueryEscape("http://loinc.org|8867-4")
		count := func() string {
			r := f.a.do("GET", byCode, "")
			if r.status != 200 {
				t.Fatalf("search: %d %.300s", r.status, r.body)
			}
			return fmt.Sprint(r.json(t)["total"])
		}
		for after := ""; ; {
			rs, _, err := svc.SearchResources(ctx, a, crs.ResourceQuery{Type: "Observation", Count: 400, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 {
				break
			}
			index := make([][]crs.ResourceIndexRow, len(rs))
			for i, r := range rs {
				res, _ := fhir.Decode(r.Body)
				for _, row := range fhir.IndexRows(res) {
					if row.Param != "code" {
						index[i] = append(index[i], row)
					}
				}
			}
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
		if r := f.b.do("GET", byCode, ""); fmt.Sprint(r.json(t)["total"]) != "1" {
			t.Errorf("the other trust's Observation: %s", r.body)
		}
		if _, err := fhir.Reindex(ctx, db, a, []string{"Observations"}, nil); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("an unknown type: %v, want EINVALID", err)
		}
	})
}
