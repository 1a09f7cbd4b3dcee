package fhir_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestOrdersFeedDM01 orders DM01 tests from a catalogue that names them
// (placed 2 March 2026) and reads the March DM01 return (month end 31
// March):
//
//	MRI head ordered:                 waiting 29 days, band 4-5, until its result (observed 25 March)
//	MRI head ordered, then cancelled: never on the list at month end
//	MRI head ordered planned, due 20 March: never waiting
//	Full blood count ordered:         not a DM01 test, no request
//
// An "in progress" from the radiology system does not end the wait; the
// result does, on its observation date, and counts as waiting list
// activity.
func TestOrdersFeedDM01(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startLab(t, db)
		ctx := context.Background()
		doctor, analyst := f.trust.Actor(crs.RoleDoctor), f.trust.Actor(crs.RoleAnalyst)
		if err := interfaces.New(db, nil).AddDestination(ctx, f.trust.System, &crs.Destination{Name: "Radiology RIS", Addr: "127.0.0.1:9", ReceivingApplication: "RIS", ReceivingFacility: "RCL",
			Triggers: []string{interfaces.OrderTrigger}}); err != nil {
			t.Fatal(err)
		}
		catalogue := append([]crs.OrderableTest{{Code: "MRIH", Name: "MRI head", Kind: crs.TestRadiology, Destination: "Radiology RIS", DM01Test: "MRI"}}, testCatalogue...)
		if _, err := f.orders.LoadCatalogue(ctx, f.trust.System, catalogue); err != nil {
			t.Fatal(err)
		}
		order := func(code string, planned bool, due crs.Date) *crs.Order {
			t.Helper()
			o := &crs.Order{PatientID: f.patient.ID, Test: crs.OrderableTest{Code: code}, ClinicalDetails: "Headaches", Priority: crs.OrderRoutine, Planned: planned, DueOn: due}
			if err := f.orders.PlaceOrder(ctx, doctor, o); err != nil {
				t.Fatalf("order %s: %v", code, err)
			}
			return o
		}
		waiting := order("MRIH", false, crs.Date{})
		cancelled := order("MRIH", false, crs.Date{})
		planned := order("MRIH", true, crs.NewDate(2026, 3, 20))
		order("FBC", false, crs.Date{})
		if got, err := f.orders.GetOrder(ctx, doctor, planned.ID); err != nil || !got.Planned || got.DueOn != crs.NewDate(2026, 3, 20) || got.Test.DM01Test != "MRI" {
			t.Errorf("planned order read back: %+v, %v", got, err)
		}
		bad := &crs.Order{PatientID: f.patient.ID, Test: crs.OrderableTest{Code: "MRIH"}, ClinicalDetails: "Surveillance", Priority: crs.OrderRoutine, Planned: true}
		if err := f.orders.PlaceOrder(ctx, doctor, bad); crs.FieldErrors(err)["due_on"] == "" {
			t.Errorf("planned without a due date: %v, want an error on due_on", err)
		}
		if err := f.orders.CancelOrder(ctx, doctor, cancelled.ID, "Booked elsewhere"); err != nil {
			t.Fatal(err)
		}

		reqs, err := store.NewDiagnosticService(db).FindDiagnosticRequests(ctx, doctor, f.patient.ID)
		if err != nil || len(reqs) != 3 {
			t.Fatalf("diagnostic requests: %d, %v; want the 3 MRI orders'", len(reqs), err)
		}
		byOrder := map[string]*crs.DiagnosticRequest{}
		for _, d := range reqs {
			byOrder[d.OrderID] = d
		}
		for _, c := range []struct {
			name      string
			o         *crs.Order
			planned   bool
			cancelled bool
		}{{"waiting", waiting, false, false}, {"cancelled", cancelled, false, true}, {"planned", planned, true, false}} {
			d := byOrder[c.o.ID]
			if d == nil {
				t.Errorf("%s: no request linked to order %s", c.name, c.o.ID)
				continue
			}
			if d.Test != "MRI" || d.RequestedOn != crs.NewDate(2026, 3, 2) || d.Planned != c.planned || d.CancelledOn.IsZero() == c.cancelled {
				t.Errorf("%s: request %+v", c.name, d)
			}
		}

		dm01 := func() *crs.DM01Test {
			t.Helper()
			r, err := report.New(store.NewReportSource(db)).DM01Return(ctx, analyst, crs.NewDate(2026, 3, 1))
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range r.Tests {
				if x.Test == "MRI" {
					if r.Total.Waiting != x.Waiting || r.Total.Activity != x.Activity {
						t.Errorf("total %+v, want the MRI line's", r.Total)
					}
					return x
				}
			}
			t.Fatal("no MRI line")
			return nil
		}
		clock.Set(time.Date(2026, 3, 31, 17, 0, 0, 0, time.UTC))
		mri := dm01()
		if mri.Waiting != 1 || mri.BandsByLabel["4-5"] != 1 || mri.Activity != 0 || len(mri.WaitingIDs) != 1 || mri.WaitingIDs[0].RequestID != byOrder[waiting.ID].ID {
			t.Fatalf("MRI at month end before the result: %+v", mri)
		}

		// The patient in the scanner is not yet the test done.
		if ack := f.send(t, "ORM^O01^ORM_O01", "ORC|SC|"+waiting.PlacerNumber+"^OPENCRS|RAD77^RIS||IP"); ack.Code != hl7.AA {
			t.Fatalf("in progress: %s %+v", ack.Code, ack.Errors)
		}
		if mri := dm01(); mri.Waiting != 1 {
			t.Errorf("MRI waiting after in progress: %d, want 1", mri.Waiting)
		}
		// The result ends the wait on the day the scan was observed.
		if ack := f.send(t, "ORU^R01^ORU_R01", "OBR|1|"+waiting.PlacerNumber+"|RAD77|MRIH^MRI head^L|||20260325143000|||||||||||||||20260326090000|||F",
			"OBX|1|TX|REP^Report^L||No intracranial abnormality||||||F"); ack.Code != hl7.AA {
			t.Fatalf("result: %s %+v", ack.Code, ack.Errors)
		}
		mri = dm01()
		if mri.Waiting != 0 || mri.Activity != 1 || mri.ActivityWaiting != 1 || mri.ActivityPlanned != 0 {
			t.Errorf("MRI after the result: %+v, want none waiting and 1 from the waiting list done", mri)
		}
		reqs, _ = store.NewDiagnosticService(db).FindDiagnosticRequests(ctx, doctor, f.patient.ID)
		for _, d := range reqs {
			if d.OrderID == waiting.ID && d.PerformedOn != crs.NewDate(2026, 3, 25) {
				t.Errorf("performed on %s, want the observation date 2026-03-25", d.PerformedOn)
			}
		}
		// A second report (a correction) leaves the date as it was.
		if ack := f.send(t, "ORU^R01^ORU_R01", "OBR|1|"+waiting.PlacerNumber+"|RAD77|MRIH^MRI head^L|||20260328143000|||||||||||||||20260328090000|||C",
			"OBX|1|TX|REP^Report^L||Small incidental cyst||||||C"); ack.Code != hl7.AA {
			t.Fatalf("correction: %s %+v", ack.Code, ack.Errors)
		}
		if mri := dm01(); mri.Activity != 1 {
			t.Errorf("MRI activity after a correction: %d, want 1", mri.Activity)
		}
		// A resulted order can no longer be cancelled, and the request stays done.
		if err := f.orders.CancelOrder(ctx, doctor, waiting.ID, "Too late"); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("cancel a resulted order: %v, want ECONFLICT", err)
		}
	})
}
