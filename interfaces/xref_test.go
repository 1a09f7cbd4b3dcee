package interfaces

import (
	"context"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestCrossReferences checks the sender's own patient numbers: kept as
// cross-references of the patient for that system, found again by a
// later message that carries only that number, moved by a merge, and
// carried back to a destination that wants its own numbers.
func TestCrossReferences(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		mat := f.addConfigured(t, &crs.Interface{SendingApplication: "MAT", SendingFacility: "MATSYS", LocalIDs: []crs.IDConvention{{Authority: "MATSYS", Type: "PI"}}})
		back := &crs.Destination{Name: "MAT-BACK", Addr: "127.0.0.1:9", XrefSystem: mat.Sender(), XrefID: crs.IDConvention{Authority: "MATSYS", Type: "PI"}}
		if err := f.e.AddDestination(ctx, f.trust.System, back); err != nil {
			t.Fatal(err)
		}
		n1, n2 := testNHS(60), testNHS(61)
		matMsg := func(typ, ctrl, cx, family string, more ...string) string {
			return vendorMsg("MAT", "MATSYS", "", "RXX", typ, ctrl, "2.3", append([]string{"EVN|A28", "PID|1||" + cx + "||" + family + "^ANN||19900101|F"}, more...)...)
		}
		mustAA := func(msg string) {
			t.Helper()
			if ack, raw := f.send(t, msg); ack.Code != hl7.AA {
				t.Fatalf("got %s %+v, want AA:\n%s", ack.Code, ack.Errors, raw)
			}
		}
		mustAA(matMsg("ADT^A28", "X1", n1+"^^^NHS^NH~MAT001^^^MATSYS^PI", "PARK"))
		p1 := findByNHS(t, db, f.trust, n1)
		if p1.MRN == "MAT001" {
			t.Fatalf("the sender's own number became the hospital number")
		}
		// Only the sender's number: the patient is found by it.
		mustAA(matMsg("ADT^A31", "X2", "MAT001^^^MATSYS^PI", "PARKER"))
		if p := findByNHS(t, db, f.trust, n1); p.FamilyName != "PARKER" {
			t.Fatalf("A31 by the sender's number alone: family name %q, want PARKER", p.FamilyName)
		}
		mustAA(matMsg("ORU^R01", "X3", "MAT001^^^MATSYS^PI", "", "OBR|1|P1|F1|US^Scan|||20260302080000", "OBX|1|ST|FH^Fetal heart||present"))
		rs, err := findResults(ctx, db, f.trust.Org.ID, p1.ID)
		if err != nil || len(rs) != 1 {
			t.Fatalf("result by the sender's number: %d results, %v", len(rs), err)
		}

		// A second record with its own number, merged by the PAS into the first.
		mustAA(matMsg("ADT^A28", "X4", n2+"^^^NHS^NH~MAT002^^^MATSYS^PI", "PARKE"))
		mustAA(adtMsg("A40", "X5", "RXX", pidSeg(n1, "", "RXX", "PARKER", "ANN", "19900101"), "MRG|"+n2+"^^^NHS^NH"))
		mustAA(matMsg("ADT^A31", "X6", "MAT002^^^MATSYS^PI", "PARKER-JONES"))
		if p := findByNHS(t, db, f.trust, n1); p.FamilyName != "PARKER-JONES" {
			t.Fatalf("after the merge, the minor's number names %q; want the record kept (PARKER-JONES)", p.FamilyName)
		}
		var xrefs []crs.PatientXref
		if err := db.Write(ctx, f.trust.Actor(crs.RoleClerk), crs.ActViewDemographics, func(tx crs.Tx) error {
			var err error
			xrefs, err = tx.PatientXrefs(p1.ID)
			if err != nil {
				return err
			}
			return tx.Emit(&crs.Event{Type: "test.read", PatientID: p1.ID}, "read")
		}); err != nil {
			t.Fatal(err)
		}
		if len(xrefs) != 2 || xrefs[0].Value != "MAT001" || xrefs[1].Value != "MAT002" || xrefs[0].System != "MAT@MATSYS" {
			t.Fatalf("cross-references of the record kept: %+v, want MAT001 and MAT002 of MAT@MATSYS", xrefs)
		}

		// The feed back to the maternity system carries its numbers.
		ms, err := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: back.ID, Limit: 1})
		if err != nil || len(ms) != 1 {
			t.Fatalf("outbound to MAT-BACK: %d, %v", len(ms), err)
		}
		m, _ := hl7.Parse([]byte(ms[0].Raw))
		var carried []string
		for r := 1; r <= m.Count("PID-3"); r++ {
			p := "PID-3[" + string(rune('0'+r)) + "]"
			if m.Get(p+".4") == "MATSYS" && m.Get(p+".5") == "PI" {
				carried = append(carried, m.Get(p+".1"))
			}
		}
		if strings.Join(carried, ",") != "MAT001,MAT002" {
			t.Errorf("PID-3 to MAT-BACK carries %v, want MAT001,MAT002:\n%s", carried, hl7.Pretty(m))
		}
	})
}

// TestReverseMaps checks an outbound feed that wants its own codes: the
// code maps of its system's inbound interface are read in reverse, so an
// admission to WD20 BAY1 B01 under C1234567 goes out as the system's
// POC1^R1^B1 under DRX.
func TestReverseMaps(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		wards(t, db, f.trust)
		analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
		epr := f.addConfigured(t, &crs.Interface{SendingApplication: "EPR", SendingFacility: "SITE1"})
		for _, m := range []crs.CodeMap{{Table: crs.MapLocation, From: "POC1^R1^B1", To: "WD20^BAY1^B01"}, {Table: crs.MapLocation, From: "POC9", To: "WD10"},
			{Table: crs.MapConsultant, From: "DRX", To: "C1234567"}, {Table: crs.MapTreatmentFunction, From: "GM", To: "300"}} {
			m.InterfaceID = epr.ID
			if err := f.e.SetCodeMap(ctx, analyst, &m); err != nil {
				t.Fatal(err)
			}
		}
		d := &crs.Destination{Name: "EPR-BACK", Addr: "127.0.0.1:9", MapInterfaceID: epr.ID, Triggers: []string{"A01", "A02"}}
		if err := f.e.AddDestination(ctx, f.trust.System, d); err != nil {
			t.Fatal(err)
		}
		pid := pidSeg(testNHS(65), "", "RXX", "BACK", "BEN", "19700101")
		if ack, _ := f.send(t, journeyMsg("A01", "R1", pid, pv1(map[int]string{2: "I", 3: "WD20^BAY1^B01", 7: "C1234567", 10: "300", 44: "20260302080000"}), "")); ack.Code != hl7.AA {
			t.Fatal(ack)
		}
		if ack, _ := f.send(t, journeyMsg("A02", "R2", pid, pv1(map[int]string{2: "I", 3: "WD10"}), "20260302090000")); ack.Code != hl7.AA {
			t.Fatal(ack)
		}
		ms, err := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: d.ID, Limit: 10})
		if err != nil || len(ms) != 2 {
			t.Fatalf("outbound to EPR-BACK: %d, %v", len(ms), err)
		}
		a02, _ := hl7.Parse([]byte(ms[0].Raw))
		a01, _ := hl7.Parse([]byte(ms[1].Raw))
		if a01.Get("PV1-3.1") != "POC1" || a01.Get("PV1-3.2") != "R1" || a01.Get("PV1-3.3") != "B1" || a01.Get("PV1-7.1") != "DRX" || a01.Get("PV1-10") != "GM" {
			t.Errorf("A01 to EPR-BACK, want POC1^R1^B1 under DRX in GM:\n%s", hl7.Pretty(a01))
		}
		if a02.Get("PV1-3.1") != "POC9" {
			t.Errorf("A02 to EPR-BACK: ward %q, want POC9", a02.Get("PV1-3.1"))
		}
	})
}
