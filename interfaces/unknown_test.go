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

// TestUnknownPatient checks what an interface does with a message about
// a patient the trust does not know: hold it until the patient is
// registered, or register the patient from PID after the duplicate
// check, holding a likely duplicate for a clerk.
func TestUnknownPatient(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		org := f.trust.Org.ID
		analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
		hold := f.addConfigured(t, &crs.Interface{SendingApplication: "LAB", SendingFacility: "RXX", UnknownPatient: crs.UnknownPatientHold})
		reg := f.addConfigured(t, &crs.Interface{SendingApplication: "RAD", SendingFacility: "RXX", UnknownPatient: crs.UnknownPatientRegister,
			LocalIDs: []crs.IDConvention{{Authority: "RAD", Type: "PI"}}})
		oru := func(app, ctrl, pid string) string {
			return vendorMsg(app, "RXX", "", "RXX", "ORU^R01", ctrl, "2.4", pid, "OBR|1|P|F|FBC^Full blood count|||20260302080000", "OBX|1|NM|HB^Haemoglobin||135|g/L")
		}
		n1, n2 := testNHS(90), testNHS(91)

		// Held until the patient is known.
		ack, _ := f.send(t, oru("LAB", "U1", pidSeg(n1, "", "RXX", "LATE", "LILY", "19500101")))
		if ack.Code != hl7.AE || messageByControlID(t, db, org, "U1").Status != crs.MessageHeld {
			t.Fatalf("result for an unknown patient on a holding interface: %s %+v, want AE and held", ack.Code, ack.Errors)
		}
		if ack, _ := f.send(t, adtMsg("A28", "U2", "RXX", pidSeg(n1, "", "RXX", "LATE", "LILY", "19500101"))); ack.Code != hl7.AA {
			t.Fatal(ack)
		}
		clock.Advance(time.Minute)
		if rep, err := f.e.ReprocessHeld(ctx, analyst, hold.ID, time.Time{}); err != nil || rep.Applied != 1 {
			t.Fatalf("reprocess once registered: %+v, %v", rep, err)
		}
		if rs, _ := findResults(ctx, db, org, findByNHS(t, db, f.trust, n1).ID); len(rs) != 1 {
			t.Errorf("results filed: %d, want 1", len(rs))
		}

		// Registered from PID by the registering interface.
		if ack, raw := f.send(t, oru("RAD", "U3", pidSeg(n2, "", "RXX", "NEW", "NORA", "19610202"))); ack.Code != hl7.AA {
			t.Fatalf("result for an unknown patient on a registering interface: %s", raw)
		}
		if p := findByNHS(t, db, f.trust, n2); p.FamilyName != "NEW" || p.MRN == "" {
			t.Errorf("registered %+v", p)
		}

		// A likely duplicate (same name, birth date and address as LATE LILY,
		// only the sender's own number) is held for a clerk, not guessed.
		ack, _ = f.send(t, oru("RAD", "U4", "PID|1||RAD123^^^RAD^PI||LATE^LILY^^^MRS^^L||19500101|F|||1 High Street^^London^^E1 6AN^GBR^H"))
		if ack.Code != hl7.AE || !strings.Contains(ack.Errors[0].Text, "likely the same person") || messageByControlID(t, db, org, "U4").Status != crs.MessageHeld {
			t.Fatalf("likely duplicate: %s %+v, want AE held for a clerk", ack.Code, ack.Errors)
		}
		if un, err := f.e.UnmappedCodes(ctx, analyst, reg.ID); err != nil || len(un) != 0 {
			t.Errorf("unmapped codes of a registering interface with a likely duplicate held: %+v, %v; want none", un, err)
		}
		clock.Advance(time.Minute)
		if rep, err := f.e.ReprocessHeld(ctx, analyst, reg.ID, time.Time{}); err != nil || rep != (crs.ReprocessReport{Tried: 1, Failed: 1}) {
			t.Fatalf("bulk reprocess of a duplicate: %+v, %v; want still held", rep, err)
		}
		// The clerk decides it is another person: the analyst reprocesses it.
		m, err := f.e.ReprocessMessage(ctx, analyst, messageByControlID(t, db, org, "U4").ID)
		if err != nil || m.Status != crs.MessageApplied {
			t.Fatalf("reprocess after the clerk's decision: %+v, %v", m, err)
		}
		if m.PatientID == "" || m.PatientID == findByNHS(t, db, f.trust, n1).ID {
			t.Errorf("the duplicate was filed to patient %q, want a new patient", m.PatientID)
		}
	})
}
