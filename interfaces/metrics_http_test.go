package interfaces

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestMetricsOverHTTP runs the engine with two trusts, each feeding a
// destination called RIS (names are unique only within a trust), and
// scrapes /metrics over real HTTP as Prometheus would: messages in and
// out by type and outcome, the ACK latency of both directions, and each
// destination's queue depth, told apart by trust.
func TestMetricsOverHTTP(t *testing.T) {
	ctx := context.Background()
	db := storetest.OpenSQLite(t, nil)
	f := newFixture(t, db, "RXX")
	other := storetest.NewTrust(t, db, "RYY")
	// RXX's RIS answers AE to its first message, then AA; RYY's RIS
	// answers AA.
	peers := map[string]*peer{"RXX": newPeer(t, map[int]string{0: "AE"}), "RYY": newPeer(t, nil)}
	dests := map[string]*crs.Destination{}
	for ods, tr := range map[string]*storetest.Trust{"RXX": f.trust, "RYY": other} {
		d := &crs.Destination{Name: "RIS", Addr: peers[ods].ln.Addr().String(), ReceivingApplication: "RIS", ReceivingFacility: ods, ACKTimeout: 5 * time.Second}
		if err := f.e.AddDestination(ctx, tr.System, d); err != nil {
			t.Fatalf("add destination for %s: %v", ods, err)
		}
		dests[ods] = d
	}
	if err := f.e.Start(ctx); err != nil {
		t.Fatal(err)
	}

	// Two registrations and an update in RXX by its PAS; one registration
	// in RYY by a clerk; one message RXX's PAS gets wrong.
	for _, m := range []string{
		adtMsg("A28", "H1", "RXX", pidSeg(testNHS(60), "R600", "RXX", "SMITH", "ANNE", "19800101")),
		adtMsg("A28", "H2", "RXX", pidSeg(testNHS(61), "R601", "RXX", "JONES", "MARY", "19700101")),
		adtMsg("A31", "H3", "RXX", pidSeg(testNHS(60), "R600", "RXX", "SMYTHE", "ANNE", "19800101")),
	} {
		if ack, raw := f.send(t, m); ack.Code != hl7.AA {
			t.Fatalf("ACK %s; want AA\n%s", ack.Code, raw)
		}
	}
	if ack, _ := f.send(t, adtMsg("A28", "H4", "RXX", pidSeg("9990000019", "", "RXX", "BROWN", "JO", "19900101"))); ack.Code != hl7.AE {
		t.Fatalf("bad NHS number: ACK %s; want AE", ack.Code)
	}
	p := &crs.Patient{GivenName: "Bo", FamilyName: "Other", BirthDate: crs.NewDate(1990, 1, 1), NHSNumber: testNHS(62)}
	if err := store.NewPatientService(db).RegisterPatient(ctx, other.Actor(crs.RoleClerk), p); err != nil {
		t.Fatal(err)
	}

	// Wait until both queues are empty: every message sent and answered AA.
	deadline := time.Now().Add(20 * time.Second)
	for ods, d := range dests {
		for {
			n, err := db.QueueDepth(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s RIS still has %d messages queued", ods, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	srv := httptest.NewServer(f.e.Metrics)
	t.Cleanup(srv.Close)
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	samples := parseExposition(t, string(body))

	want := map[string]float64{
		`crs_hl7_messages_in_total{type="ADT^A28",outcome="AA"}`: 2,
		`crs_hl7_messages_in_total{type="ADT^A31",outcome="AA"}`: 1,
		`crs_hl7_messages_in_total{type="ADT^A28",outcome="AE"}`: 1,
		// RXX: A28, A28, A31 out; the first answered AE then AA.
		`crs_hl7_messages_out_total{trust="RXX",destination="RIS",type="ADT^A28",outcome="AE"}`: 1,
		`crs_hl7_messages_out_total{trust="RXX",destination="RIS",type="ADT^A28",outcome="AA"}`: 2,
		`crs_hl7_messages_out_total{trust="RXX",destination="RIS",type="ADT^A31",outcome="AA"}`: 1,
		`crs_hl7_messages_out_total{trust="RYY",destination="RIS",type="ADT^A28",outcome="AA"}`: 1,
		`crs_hl7_ack_latency_seconds_count{direction="in"}`:                                     4,
		`crs_hl7_ack_latency_seconds_bucket{direction="in",le="+Inf"}`:                          4,
		`crs_hl7_ack_latency_seconds_count{direction="out"}`:                                    5,
		`crs_hl7_ack_latency_seconds_bucket{direction="out",le="+Inf"}`:                         5,
		`crs_hl7_queue_depth{trust="RXX",destination="RIS"}`:                                    0,
		`crs_hl7_queue_depth{trust="RYY",destination="RIS"}`:                                    0,
	}
	for k, w := range want {
		if got, ok := samples[k]; !ok || got != w {
			t.Errorf("%s = %v (present %v); want %v", k, got, ok, w)
		}
	}
	for k, v := range samples {
		if strings.HasPrefix(k, "crs_hl7_messages_out_total") {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected series %s %v", k, v)
			}
		}
	}
	if sum := samples[`crs_hl7_ack_latency_seconds_sum{direction="out"}`]; sum <= 0 {
		t.Errorf("outbound latency sum %v; want a positive number of seconds", sum)
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
}
