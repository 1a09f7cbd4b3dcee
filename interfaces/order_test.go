package interfaces

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// emitOrder appends an order event as the order service does, in a
// command of its own; the feed's hook queues the ORM^O01 in it.
func emitOrder(ctx context.Context, db *store.DB, a crs.Actor, typ string, o *crs.Order, p *crs.Patient) error {
	return db.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		return tx.EmitData(&crs.Event{Type: typ, PatientID: p.ID, SubjectID: o.ID, Summary: "order"}, "order "+o.PlacerNumber, crs.OrderEventData{Order: o, Patient: p})
	})
}

func testOrder(p *crs.Patient, n int, dest string) *crs.Order {
	return &crs.Order{ID: crs.NewID(), PatientID: p.ID, PlacerNumber: fmt.Sprintf("OC%04d", n), Priority: crs.OrderUrgent, Status: crs.OrderPlaced,
		ClinicalDetails: "Breathless, ?anaemia", Requester: "drwho", OrderedAt: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC),
		Test: crs.OrderableTest{Code: "FBC", Name: "Full blood count", Kind: crs.TestPathology, Specimen: "Blood (EDTA)", Destination: dest}}
}

// TestOrderFeedFaults places and cancels orders while the laboratory
// system answers late, AE, AR, drops the connection, splits and garbles
// frames: every ORM^O01 arrives, once after de-duplication by MSH-10, in
// the order the orders were placed and cancelled. An order no feed takes
// is refused with nothing queued, and the orders feed gets no ADT.
func TestOrderFeedFaults(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		script := map[int]string{1: "late", 3: "AE", 5: "drop", 6: "split", 8: "garbage", 9: "midframe", 11: "oversize",
			13: "mismatch", 15: "AR", 17: "AE", 18: "split"}
		p := newPeer(t, script)
		f := newFixture(t, db, "RXX")
		ctx := context.Background()
		d := &crs.Destination{Name: "Pathology LIMS", Addr: p.ln.Addr().String(), ReceivingApplication: "LIMS", ReceivingFacility: "RXX",
			Triggers: []string{OrderTrigger}, ACKTimeout: 200 * time.Millisecond, MaxAttempts: 10}
		if err := f.e.AddDestination(ctx, f.trust.System, d); err != nil {
			t.Fatal(err)
		}
		if err := f.e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		pt := &crs.Patient{GivenName: "Ann", FamilyName: "Order", BirthDate: crs.NewDate(1980, 1, 1), NHSNumber: testNHS(300)}
		if err := store.NewPatientService(db).RegisterPatient(ctx, f.trust.Actor(crs.RoleClerk), pt); err != nil {
			t.Fatal(err)
		}
		doctor := f.trust.Actor(crs.RoleDoctor)
		// An order for a system no feed is marked for is refused whole.
		err := emitOrder(ctx, db, doctor, crs.EventOrderPlaced, testOrder(pt, 0, "Radiology RIS"), pt)
		if crs.ErrorCode(err) != crs.EINVALID || !strings.Contains(err.Error(), "Radiology RIS") {
			t.Fatalf("order to an unknown system: %v, want EINVALID naming it", err)
		}
		var controls []string // ORC-1 of each message, in the order the orders changed
		for i := 1; i <= 14; i++ {
			o := testOrder(pt, i, "pathology lims")
			if err := emitOrder(ctx, db, doctor, crs.EventOrderPlaced, o, pt); err != nil {
				t.Fatal(err)
			}
			controls = append(controls, "NW "+o.PlacerNumber)
			if i%4 == 0 {
				o.Status, o.CancelReason = crs.OrderCancelled, "Sent in error"
				if err := emitOrder(ctx, db, doctor, crs.EventOrderCancelled, o, pt); err != nil {
					t.Fatal(err)
				}
				controls = append(controls, "CA "+o.PlacerNumber)
			}
		}
		out, err := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, Limit: 100})
		if err != nil || len(out) != len(controls) {
			t.Fatalf("queued: %d, err %v; want %d (the registration's ADT goes to no orders feed)", len(out), err, len(controls))
		}
		var want, got []string
		for i := len(out) - 1; i >= 0; i-- {
			want = append(want, out[i].ControlID)
			m, err := hl7.Parse([]byte(out[i].Raw))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, m.Get("ORC-1")+" "+m.Get("ORC-2.1"))
			if out[i].Type != "ORM^O01" || m.Get("OBR-4.1") != "FBC" || m.Get("OBR-27.6") != "U" || m.Get("PID-3.1") != pt.NHSNumber {
				t.Errorf("queued %s: OBR-4 %q OBR-27.6 %q PID-3 %q", out[i].Type, m.Get("OBR-4.1"), m.Get("OBR-27.6"), m.Get("PID-3.1"))
			}
		}
		if strings.Join(got, ",") != strings.Join(controls, ",") {
			t.Errorf("queued ORC-1 and ORC-2:\n%v\nwant\n%v", got, controls)
		}
		drainFaultyFeed(t, f, p, want)
	})
}
