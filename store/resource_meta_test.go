package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestResourceMetaInPlace: PutResourceMeta rewrites the current
// version's body and index rows without a new version, the version
// before kept as written, with an event saying the meta changed;
// MetaInUse then lists the new tag and not the old. An earlier version's
// body changes in place, the current and the index not; a version that
// does not exist is ENOTFOUND, one that deleted the resource ECONFLICT.
func TestResourceMetaInPlace(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RMP")
		a := tr.Actor(crs.RoleInterface)
		svc := store.NewResourceService(db)
		write := func(f func(tx crs.Tx) error) error {
			return db.Write(ctx, a, crs.ActRecordClinical, f)
		}
		tag := func(code string) crs.ResourceIndexRow {
			return crs.ResourceIndexRow{Param: "_tag", System: "urn:test", Code: code}
		}
		for v, code := range []string{"red", "red"} {
			r := &crs.Resource{Type: "Observation", ID: "o1", Version: v + 1, Body: []byte(fmt.Sprintf(`{"v":%d,"tag":"red"}`, v+1))}
			if err := write(func(tx crs.Tx) error { return tx.PutResource(r, []crs.ResourceIndexRow{tag(code)}) }); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
		before, err := svc.ReadResource(ctx, a, "Observation", "o1", 0)
		if err != nil {
			t.Fatal(err)
		}
		changed := &crs.Resource{Type: "Observation", ID: "o1", Version: 2, Body: []byte(`{"v":2,"tag":"blue"}`)}
		if err := write(func(tx crs.Tx) error { return tx.PutResourceMeta(changed, []crs.ResourceIndexRow{tag("blue")}) }); err != nil {
			t.Fatal(err)
		}
		cur, err := svc.ReadResource(ctx, a, "Observation", "o1", 0)
		if err != nil || cur.Version != 2 || string(cur.Body) != `{"v":2,"tag":"blue"}` || cur.Seq != before.Seq || !cur.LastUpdated.Equal(before.LastUpdated) {
			t.Errorf("current after the meta changed = %+v, %v; want version 2 as it was but its body", cur, err)
		}
		if v2, err := svc.ReadResource(ctx, a, "Observation", "o1", 2); err != nil || string(v2.Body) != `{"v":2,"tag":"blue"}` {
			t.Errorf("version 2 = %+v, %v", v2, err)
		}
		if v1, err := svc.ReadResource(ctx, a, "Observation", "o1", 1); err != nil || string(v1.Body) != `{"v":1,"tag":"red"}` {
			t.Errorf("version 1 = %+v, %v; want it as written", v1, err)
		}
		if hist, err := svc.ResourceHistory(ctx, a, "Observation", "o1", time.Time{}, "", 10); err != nil || len(hist) != 2 {
			t.Errorf("history = %d versions, %v; want 2", len(hist), err)
		}
		inUse, err := svc.MetaInUse(ctx, a, "Observation")
		if err != nil || len(inUse["Observation"]) != 1 || inUse["Observation"][0].Param != "_tag" || inUse["Observation"][0].System != "urn:test" ||
			inUse["Observation"][0].Code != "blue" || len(inUse["Observation"][0].Carriers) != 1 {
			t.Errorf("MetaInUse = %v, %v; want the tag blue alone", inUse, err)
		}
		events, err := store.FindEvents(ctx, db.Reader(), tr.Org.ID, "type = $2", crs.EventResourceMetaChanged)
		if err != nil || len(events) != 1 || events[0].SubjectID != "Observation/o1" {
			t.Errorf("events = %v, %v; want one about Observation/o1", events, err)
		}
		// An earlier version's body changes in place; the current version
		// and the search index, which is of current versions, do not.
		earlier := &crs.Resource{Type: "Observation", ID: "o1", Version: 1, Body: []byte(`{"v":1,"tag":"green"}`)}
		err = write(func(tx crs.Tx) error {
			if err := tx.PutResourceMeta(earlier, nil); err != nil {
				return err
			}
			// The command sees its change.
			v1, err := tx.GetResourceVersion("Observation", "o1", 1)
			if err == nil && string(v1.Body) != `{"v":1,"tag":"green"}` {
				err = fmt.Errorf("GetResourceVersion body %s", v1.Body)
			}
			return err
		})
		if err != nil {
			t.Fatalf("meta of version 1: %v", err)
		}
		if v1, err := svc.ReadResource(ctx, a, "Observation", "o1", 1); err != nil || string(v1.Body) != `{"v":1,"tag":"green"}` || v1.Seq == cur.Seq {
			t.Errorf("version 1 after its meta changed = %+v, %v", v1, err)
		}
		if now, err := svc.ReadResource(ctx, a, "Observation", "o1", 0); err != nil || string(now.Body) != `{"v":2,"tag":"blue"}` {
			t.Errorf("current after version 1's meta changed = %+v, %v", now, err)
		}
		if inUse, err := svc.MetaInUse(ctx, a, "Observation"); err != nil || len(inUse["Observation"]) != 1 || inUse["Observation"][0].Code != "blue" {
			t.Errorf("MetaInUse after version 1's meta changed = %v, %v; want the tag blue alone", inUse, err)
		}
		events, err = store.FindEvents(ctx, db.Reader(), tr.Org.ID, "type = $2", crs.EventResourceMetaChanged)
		if err != nil || len(events) != 2 || !strings.Contains(events[1].Summary+events[0].Summary, "meta of version 1 changed") {
			t.Errorf("events = %v, %v; want a second naming version 1", events, err)
		}
		none := &crs.Resource{Type: "Observation", ID: "o1", Version: 9, Body: []byte(`{}`)}
		if err := write(func(tx crs.Tx) error { return tx.PutResourceMeta(none, nil) }); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("meta of version 9: err = %v, want ENOTFOUND", err)
		}
		if err := write(func(tx crs.Tx) error {
			return tx.PutResource(&crs.Resource{Type: "Observation", ID: "o1", Version: 3, Deleted: true, Body: []byte(`{}`)}, nil)
		}); err != nil {
			t.Fatal(err)
		}
		gone := &crs.Resource{Type: "Observation", ID: "o1", Version: 3, Body: []byte(`{}`)}
		if err := write(func(tx crs.Tx) error { return tx.PutResourceMeta(gone, nil) }); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("meta of a deleted resource: err = %v, want ECONFLICT", err)
		}
		if err := write(func(tx crs.Tx) error {
			return tx.PutResourceMeta(&crs.Resource{Type: "Observation", ID: "none", Version: 1}, nil)
		}); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("meta of no resource: err = %v, want ENOTFOUND", err)
		}
	})
}

// BenchmarkResourceHistoryAt reads a page of a type's history at a time
// (the versions current then) and the type's meta in use, over 3,000
// Observations of three versions each written an hour apart.
func BenchmarkResourceHistoryAt(b *testing.B) {
	db := storetest.OpenBench(b)
	ctx := context.Background()
	tr := storetest.NewTrust(b, db, "RBH")
	a := tr.Actor(crs.RoleInterface)
	svc := store.NewResourceService(db)
	const n = 3000
	clock := crs.NewFixedClock(storetest.Epoch)
	db.Clock = clock
	for v := 1; v <= 3; v++ {
		rs := make([]*crs.Resource, n)
		rows := make([][]crs.ResourceIndexRow, n)
		for i := range rs {
			rs[i] = &crs.Resource{Type: "Observation", ID: fmt.Sprintf("o%d", i), Version: v, Body: []byte(`{"resourceType":"Observation"}`)}
			rows[i] = []crs.ResourceIndexRow{{Param: "_tag", System: "urn:bench", Code: fmt.Sprintf("t%d", i%10)}}
		}
		if err := db.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResources(rs, rows) }); err != nil {
			b.Fatal(err)
		}
		clock.Advance(time.Hour)
	}
	at := crs.Period{Start: storetest.Epoch.Add(90 * time.Minute), End: storetest.Epoch.Add(100 * time.Minute)}
	b.Run("type history at", func(b *testing.B) {
		for b.Loop() {
			page, err := svc.ResourceHistoryAt(ctx, a, "Observation", "", time.Time{}, at, crs.HistoryPlace{}, 21)
			if err != nil || len(page) != 21 {
				b.Fatalf("page of %d, %v", len(page), err)
			}
		}
	})
	b.Run("type meta in use", func(b *testing.B) {
		for b.Loop() {
			inUse, err := svc.MetaInUse(ctx, a, "Observation")
			if err != nil || len(inUse["Observation"]) != 10 {
				b.Fatalf("%v, %v", inUse, err)
			}
		}
	})
}
