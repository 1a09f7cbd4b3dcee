package fhir_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/mllp"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// labFixture is the clinical fixture with the integration engine
// listening for the laboratory's messages, tracking orders and filing
// results to the resource store as cmd/crs wires it.
type labFixture struct {
	*clinicalFixture
	results *fhir.ResultService
	lims    *mllp.Client
}

func startLab(t *testing.T, db *store.DB) *labFixture {
	t.Helper()
	f := startClinical(t, db)
	ctx := context.Background()
	e := interfaces.New(db, nil)
	results := &fhir.ResultService{Store: db, Resources: store.NewResourceService(db), Orders: f.orders}
	e.Orders, e.Results = f.orders, results
	addr, err := e.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.AddInterface(ctx, f.trust.System, &crs.Interface{Name: "LIMS", SendingApplication: "LIMS", SendingFacility: "RCL", UserID: f.trust.Users[crs.RoleInterface].ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.AddDestination(ctx, f.trust.System, &crs.Destination{Name: "Pathology LIMS", Addr: "127.0.0.1:9", ReceivingApplication: "LIMS", ReceivingFacility: "RCL",
		Triggers: []string{interfaces.OrderTrigger}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.orders.LoadCatalogue(ctx, f.trust.System, testCatalogue); err != nil {
		t.Fatal(err)
	}
	c := &mllp.Client{Addr: addr.String(), Timeout: 20 * time.Second}
	t.Cleanup(func() { c.Close() })
	return &labFixture{clinicalFixture: f, results: results, lims: c}
}

// send sends one message from the laboratory and returns its ACK.
func (f *labFixture) send(t *testing.T, segs ...string) hl7.ACK {
	t.Helper()
	msg := "MSH|^~\\&|LIMS|RCL|OPENCRS|RCL|20260302100000||" + segs[0] + "|" + crs.NewID()[:20] + "|P|2.4|||AL|NE|GBR\r" +
		"PID|1||9990000018^^^NHS^NH||CLINICAL^ADA||19700501|F\r" + strings.Join(segs[1:], "\r") + "\r"
	reply, err := f.lims.Send(context.Background(), []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	ack, err := hl7.ParseACK(reply)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

// TestResultsMatchedToOrders places an order, takes the laboratory's
// order response and its results (matched by placer and filler number,
// unsolicited, corrected), and acknowledges them from the worklist,
// abnormal first; everything readable over /fhir.
func TestResultsMatchedToOrders(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startLab(t, db)
		ctx := context.Background()
		doctor := f.trust.Actor(crs.RoleDoctor)
		o := &crs.Order{PatientID: f.patient.ID, Test: crs.OrderableTest{Code: "FBC"}, ClinicalDetails: "Pale", Priority: crs.OrderRoutine}
		if err := f.orders.PlaceOrder(ctx, doctor, o); err != nil {
			t.Fatal(err)
		}
		out, err := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, Limit: 10})
		if err != nil || len(out) != 1 || out[0].Type != "ORM^O01" || !strings.Contains(out[0].Raw, "ORC|NW|"+o.PlacerNumber+"^OPENCRS") {
			t.Fatalf("queued with the order: %+v, %v", out, err)
		}

		steps := []struct {
			name       string
			segs       []string
			ack        string
			wantStatus string // the order's status after it
		}{
			{"unknown order refused", []string{"ORR^O02^ORR_O02", "MSA|AA|X", "ORC|OK|NOSUCH^OPENCRS|F1"}, hl7.AE, crs.OrderPlaced},
			{"order accepted", []string{"ORR^O02^ORR_O02", "MSA|AA|X", "ORC|OK|" + o.PlacerNumber + "^OPENCRS|LAB123^LIMS"}, hl7.AA, crs.OrderReceived},
			{"in progress", []string{"ORM^O01^ORM_O01", "ORC|SC||LAB123^LIMS||IP"}, hl7.AA, crs.OrderInProgress},
			{"final result", []string{"ORU^R01^ORU_R01", "OBR|1|" + o.PlacerNumber + "|LAB123|FBC^Full blood count^L|||202603020930|||||||||||||||202603021000|||F",
				"OBX|1|NM|HB^Haemoglobin^L||95|g/L|115-165|L|||F", "OBX|2|NM|WBC^White cells^L||6.1|10*9/L|4.0-11.0|N|||F"}, hl7.AA, crs.OrderResulted},
			{"unsolicited result", []string{"ORU^R01^ORU_R01", "OBR|1|||CRP^C-reactive protein^L|||202603020800|||||||||||||||202603020900|||F",
				"OBX|1|NM|CRP^CRP^L||3|mg/L|0-5|N|||F"}, hl7.AA, crs.OrderResulted},
		}
		for _, s := range steps {
			if ack := f.send(t, s.segs...); ack.Code != s.ack {
				t.Fatalf("%s: ACK %s %+v, want %s", s.name, ack.Code, ack.Errors, s.ack)
			}
			got, err := f.orders.GetOrder(ctx, doctor, o.ID)
			if err != nil || got.Status != s.wantStatus {
				t.Fatalf("%s: order %+v, %v; want status %s", s.name, got, err, s.wantStatus)
			}
		}
		// The worklist: the abnormal FBC first, then the normal CRP.
		list, err := f.results.UnacknowledgedResults(ctx, doctor, false)
		if err != nil || len(list) != 2 || list[0].Test != "Full blood count" || list[0].Abnormal != 1 || list[0].Requester != doctor.Username || list[1].Abnormal != 0 {
			t.Fatalf("worklist: %d %v", len(list), err)
		}
		if mine, _ := f.results.UnacknowledgedResults(ctx, f.trust.Actor(crs.RoleNurse), true); len(mine) != 1 || mine[0].Test != "C-reactive protein" {
			t.Errorf("a nurse's own results: %+v, want the unsolicited CRP only", mine)
		}
		fbc := list[0].ReportID
		if err := f.results.AcknowledgeResult(ctx, f.trust.Actor(crs.RoleClerk), fbc); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("clerk acknowledges: %v", err)
		}
		if err := f.results.AcknowledgeResult(ctx, doctor, fbc); err != nil {
			t.Fatal(err)
		}
		if err := f.results.AcknowledgeResult(ctx, doctor, fbc); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("acknowledge twice: %v, want ECONFLICT", err)
		}
		if list, _ := f.results.UnacknowledgedResults(ctx, doctor, false); len(list) != 1 {
			t.Errorf("worklist after acknowledging: %d, want 1", len(list))
		}
		// A correction replaces the final, history kept, and waits again.
		if ack := f.send(t, "ORU^R01^ORU_R01", "OBR|1|"+o.PlacerNumber+"|LAB123|FBC^Full blood count^L|||202603020930|||||||||||||||202603021100|||C",
			"OBX|1|NM|HB^Haemoglobin^L||97|g/L|115-165|L|||C"); ack.Code != hl7.AA {
			t.Fatalf("correction: %s %+v", ack.Code, ack.Errors)
		}
		list, _ = f.results.UnacknowledgedResults(ctx, doctor, false)
		if len(list) != 2 || list[0].ReportID != fbc || list[0].Status != "C" {
			t.Fatalf("worklist after the correction: %+v", list)
		}
		if r := f.api.do("GET", "/fhir/DiagnosticReport/"+fbc+"/_history", ""); entryCount(t, r) != 3 {
			t.Errorf("report history: %d versions, want 3 (final, acknowledged, corrected)", entryCount(t, r))
		}
		for _, q := range []struct {
			path string
			want int
		}{
			{"/fhir/DiagnosticReport?patient=" + f.patient.ID, 2},
			{"/fhir/DiagnosticReport?code=FBC&date=2026-03-02&status=corrected", 1},
			{"/fhir/DiagnosticReport?based-on=ServiceRequest/" + o.ID, 1},
			{"/fhir/DiagnosticReport?date=2025-01-01", 0},
			{"/fhir/Observation?patient=" + f.patient.ID, 3},
			{"/fhir/Observation?code=HB&value-quantity=97", 1},
			{"/fhir/Observation?code=HB&value-quantity=95", 0},
			{"/fhir/ServiceRequest?identifier=" + fhir.FillerOrderSystem + "|LAB123&status=completed", 1},
		} {
			if r := f.api.do("GET", q.path, ""); r.status != 200 || entryCount(t, r) != q.want {
				t.Errorf("GET %s: %d, %d found, want %d", q.path, r.status, entryCount(t, r), q.want)
			}
		}
	})
}

// answerAA listens on 127.0.0.1:0 as a laboratory system that accepts
// (AA) every message, and returns its address.
func answerAA(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				rd := mllp.NewReader(c, 0)
				for {
					b, err := rd.ReadFrame()
					if err != nil {
						return
					}
					m, err := hl7.Parse(b)
					if err != nil {
						return
					}
					ack := hl7.NewACK(m, hl7.AA, "A"+m.ControlID(), time.Now()).Bytes()
					c.Write(append(append([]byte{mllp.StartBlock}, ack...), mllp.EndBlock, mllp.CarriageRet))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestOrderAcknowledged: when the laboratory system accepts (AA) the
// ORM^O01 of a new order, the order is received.
func TestOrderAcknowledged(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startClinical(t, db)
		ctx := context.Background()
		e := interfaces.New(db, nil)
		e.Orders = f.orders
		t.Cleanup(func() { e.Close() })
		if err := e.AddDestination(ctx, f.trust.System, &crs.Destination{Name: "Pathology LIMS", Addr: answerAA(t), ReceivingApplication: "LIMS",
			ReceivingFacility: "RCL", Triggers: []string{interfaces.OrderTrigger}, ACKTimeout: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.LoadCatalogue(ctx, f.trust.System, testCatalogue); err != nil {
			t.Fatal(err)
		}
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		doctor := f.trust.Actor(crs.RoleDoctor)
		o := &crs.Order{PatientID: f.patient.ID, Test: crs.OrderableTest{Code: "FBC"}, ClinicalDetails: "Pale", Priority: crs.OrderStat}
		if err := f.orders.PlaceOrder(ctx, doctor, o); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			got, err := f.orders.GetOrder(ctx, doctor, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == crs.OrderReceived {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("order still %s after its ORM^O01 was accepted", got.Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
