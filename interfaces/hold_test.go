package interfaces

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// countRows counts the rows of a table of the trust.
func countRows(t *testing.T, db *store.DB, table, orgID string) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table+` WHERE org_id = $1`, orgID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHeldInOrder sends an admission to a point of care with no
// mapping (held: AE naming the code and the table), a transfer of the
// same patient (held behind it) and a registration of another patient
// (applied). Reprocessing before the mapping exists changes nothing;
// after the analyst maps the code, it applies the admission and then the
// transfer, in order, and nothing else changes.
func TestHeldInOrder(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		org := f.trust.Org.ID
		locs := wards(t, db, f.trust)
		analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
		n1, n2 := testNHS(70), testNHS(71)
		pidX := pidSeg(n1, "", "RXX", "HELD", "HARRY", "19600101")

		ack, _ := f.send(t, journeyMsg("A01", "H1", pidX, pv1(map[int]string{2: "I", 3: "MAT1^R2^B1", 7: "C1234567", 19: "V900", 44: "20260302080000"}), ""))
		if ack.Code != hl7.AE || len(ack.Errors) != 1 || ack.Errors[0].Field != 3 || !strings.Contains(ack.Errors[0].Text, "MAT1") || !strings.Contains(ack.Errors[0].Text, "table location") {
			t.Fatalf("A01 to an unmapped point of care: %s %+v, want AE naming MAT1 and table location", ack.Code, ack.Errors)
		}
		clock.Advance(time.Minute)
		ack, _ = f.send(t, journeyMsg("A02", "H2", pidX, pv1(map[int]string{2: "I", 3: "WD20^BAY1^B01", 19: "V900"}), "20260302083000"))
		if ack.Code != hl7.AE || !strings.Contains(ack.Errors[0].Text, "held behind message H1") {
			t.Fatalf("A02 of the same patient: %s %+v, want AE held behind H1", ack.Code, ack.Errors)
		}
		clock.Advance(time.Minute)
		if ack, _ := f.send(t, adtMsg("A28", "H3", "RXX", pidSeg(n2, "", "RXX", "OTHER", "OLIVE", "19700101"))); ack.Code != hl7.AA {
			t.Fatalf("another patient's A28: %+v", ack)
		}
		for _, c := range []string{"H1", "H2"} {
			if m := messageByControlID(t, db, org, c); m.Status != crs.MessageHeld {
				t.Fatalf("%s logged %s, want held", c, m.Status)
			}
		}
		un, err := f.e.UnmappedCodes(ctx, analyst, f.iface.ID)
		if err != nil || len(un) != 1 || un[0] != (crs.UnmappedCode{Table: crs.MapLocation, Code: "MAT1", Held: 1}) {
			t.Fatalf("unmapped codes: %+v, %v; want location MAT1 holding 1 message", un, err)
		}

		// Reprocessing before the mapping exists: still held, in order.
		rep, err := f.e.ReprocessHeld(ctx, analyst, f.iface.ID, time.Time{})
		if err != nil || rep != (crs.ReprocessReport{Tried: 2, Failed: 2}) {
			t.Fatalf("reprocess without the mapping: %+v, %v; want 2 tried, 2 still held", rep, err)
		}
		other := findByNHS(t, db, f.trust, n2)
		events, spells := countRows(t, db, "events", org), countRows(t, db, "spells", org)
		patients := countRows(t, db, "patients", org)

		// The analyst maps the point of care; reprocessing applies both, in order.
		if err := f.e.SetCodeMap(ctx, analyst, &crs.CodeMap{InterfaceID: f.iface.ID, Table: crs.MapLocation, From: "mat1", To: "wd10"}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		rep, err = f.e.ReprocessHeld(ctx, analyst, f.iface.ID, time.Time{})
		if err != nil || rep != (crs.ReprocessReport{Tried: 2, Applied: 2}) {
			t.Fatalf("reprocess after mapping: %+v, %v; want 2 applied", rep, err)
		}
		x := findByNHS(t, db, f.trust, n1)
		sps, err := store.NewInpatientService(db).FindSpells(ctx, f.trust.Actor(crs.RoleClerk), x.ID)
		if err != nil || len(sps) != 1 {
			t.Fatalf("spells of the held patient: %d, %v", len(sps), err)
		}
		sp, err := store.NewInpatientService(db).FindSpell(ctx, f.trust.Actor(crs.RoleClerk), sps[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(sp.Stays) != 2 || sp.Stays[0].WardID != locs["WD10"].ID || sp.Stays[0].BedID != "" || sp.WardID != locs["WD20"].ID || sp.BedID != locs["WD20/BAY1/B01"].ID {
			t.Fatalf("spell: ward %s bed %s, %d stays (first on %s); want admitted to WD10 with no bed (room R2 bed B1 unknown), then WD20 BAY1 B01",
				sp.WardID, sp.BedID, len(sp.Stays), sp.Stays[0].WardID)
		}
		h1, h2 := messageByControlID(t, db, org, "H1"), messageByControlID(t, db, org, "H2")
		if h1.Status != crs.MessageApplied || h2.Status != crs.MessageApplied || h1.PatientID != x.ID {
			t.Fatalf("after reprocess: H1 %s H2 %s, want applied", h1.Status, h2.Status)
		}
		if len(h1.Errors) != 1 || h1.Errors[0].Severity != hl7.SeverityWarning || !strings.Contains(h1.Errors[0].Text, "no bed B1") {
			t.Errorf("H1 answer %+v, want a warning that the room and bed are unknown", h1.Errors)
		}
		// Nothing else changed: the other patient, the spells, the patients.
		if o := findByNHS(t, db, f.trust, n2); o.Version != other.Version || o.UpdatedAt != other.UpdatedAt {
			t.Errorf("the other patient changed: version %d -> %d", other.Version, o.Version)
		}
		if got := countRows(t, db, "spells", org); got != spells+1 {
			t.Errorf("spells: %d, want %d (the held admission only)", got, spells+1)
		}
		if got := countRows(t, db, "patients", org); got != patients+1 {
			t.Errorf("patients: %d, want %d (the held patient only)", got, patients+1)
		}
		// The map set, the patient registered, the admission, the transfer,
		// and each reprocess, with nothing more.
		var extra int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE org_id = $1 AND id > (SELECT MAX(id) FROM events WHERE org_id = $1 AND type = $2)
			AND patient_id <> '' AND patient_id <> $3`, org, crs.EventCodeMapSet, x.ID).Scan(&extra); err != nil {
			t.Fatal(err)
		}
		if extra != 0 {
			t.Errorf("%d events about other patients after the mapping", extra)
		}
		if got := countRows(t, db, "events", org); got <= events {
			t.Errorf("events: %d, want more than %d", got, events)
		}
		if un, _ := f.e.UnmappedCodes(ctx, analyst, f.iface.ID); len(un) != 0 {
			t.Errorf("unmapped codes after mapping: %+v", un)
		}
		if n := countRows(t, db, "hl7_holds", org); n != 0 {
			t.Errorf("%d holds left", n)
		}
	})
}
