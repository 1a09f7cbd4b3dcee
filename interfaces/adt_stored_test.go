package interfaces

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestStoredEvents checks the ADT events UK feeds send that OpenCRS keeps
// without changing the record (A06, A07, A09, A10, A45, A60): answered AA
// with a warning saying stored, not applied, logged with their patient,
// and the patient unchanged.
func TestStoredEvents(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		n := testNHS(70)
		pid := pidSeg(n, "", "RXX", "STORED", "AMY", "19800101")
		if ack, raw := f.send(t, adtMsg("A28", "S0", "RXX", pid)); ack.Code != hl7.AA {
			t.Fatalf("A28: %s\n%s", ack.Code, raw)
		}
		before := findByNHS(t, db, f.trust, n)
		for _, trig := range []string{"A06", "A07", "A09", "A10", "A45", "A60"} {
			ctrl := "S" + trig
			ack, raw := f.send(t, adtMsg(trig, ctrl, "RXX", strings.Replace(pid, "STORED^AMY", "CHANGED^BEA", 1)))
			if ack.Code != hl7.AA || len(ack.Errors) != 1 || ack.Errors[0].Severity != hl7.SeverityWarning || !strings.Contains(ack.Errors[0].Text, "stored, not applied") {
				t.Fatalf("%s: got %s %+v, want AA with one W saying stored, not applied:\n%s", trig, ack.Code, ack.Errors, raw)
			}
			m := messageByControlID(t, db, f.trust.Org.ID, ctrl)
			if m.Status != crs.MessageNotApplied || m.PatientID != before.ID {
				t.Fatalf("%s logged as %s for patient %q, want %s for %s", trig, m.Status, m.PatientID, crs.MessageNotApplied, before.ID)
			}
		}
		if p := findByNHS(t, db, f.trust, n); p.FamilyName != "STORED" || p.Version != before.Version {
			t.Fatalf("after the stored events the patient is %s version %d, want STORED version %d", p.FamilyName, p.Version, before.Version)
		}
		// A patient not known: still stored, with no patient.
		ack, raw := f.send(t, adtMsg("A09", "S9", "RXX", pidSeg(testNHS(71), "", "RXX", "NEW", "CAL", "19800101")))
		if ack.Code != hl7.AA {
			t.Fatalf("A09 of an unknown patient: %s\n%s", ack.Code, raw)
		}
		if m := messageByControlID(t, db, f.trust.Org.ID, "S9"); m.Status != crs.MessageNotApplied || m.PatientID != "" {
			t.Fatalf("A09 of an unknown patient logged %s for %q", m.Status, m.PatientID)
		}
	})
}

// TestChangeIdentifiers checks A47: the sender's new number for a patient
// named by the old one in MRG-1 is linked, so later messages carrying the
// new number find the patient; the hospital number is never changed by a
// sender; an unknown MRG-1 is refused with AE naming it.
func TestChangeIdentifiers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		f.addConfigured(t, &crs.Interface{SendingApplication: "EPR", SendingFacility: "EPRSYS", LocalIDs: []crs.IDConvention{{Authority: "EPRSYS", Type: "PI"}}})
		n := testNHS(72)
		msg := func(typ, ctrl, cx string, more ...string) string {
			return vendorMsg("EPR", "EPRSYS", "", "RXX", typ, ctrl, "2.4", append([]string{"EVN|A47", "PID|1||" + cx + "||IDENT^IVY||19700101|F"}, more...)...)
		}
		if ack, raw := f.send(t, msg("ADT^A28", "I1", n+"^^^NHS^NH~E100^^^EPRSYS^PI")); ack.Code != hl7.AA {
			t.Fatalf("A28: %s\n%s", ack.Code, raw)
		}
		p := findByNHS(t, db, f.trust, n)
		ack, raw := f.send(t, msg("ADT^A47^ADT_A30", "I2", "E200^^^EPRSYS^PI~H999^^^RXX^MR", "MRG|E100^^^EPRSYS^PI"))
		if ack.Code != hl7.AA || len(ack.Errors) != 1 || !strings.Contains(ack.Errors[0].Text, "hospital number H999 is not taken") {
			t.Fatalf("A47: got %s %+v, want AA with a warning that the hospital number is not taken:\n%s", ack.Code, ack.Errors, raw)
		}
		if m := messageByControlID(t, db, f.trust.Org.ID, "I2"); m.Status != crs.MessageApplied || m.PatientID != p.ID {
			t.Fatalf("A47 logged %s for %q", m.Status, m.PatientID)
		}
		// The new number alone now finds the patient.
		if ack, raw := f.send(t, vendorMsg("EPR", "EPRSYS", "", "RXX", "ADT^A31", "I3", "2.4", "EVN|A31", "PID|1||E200^^^EPRSYS^PI||IDENTITY^IVY||19700101|F")); ack.Code != hl7.AA {
			t.Fatalf("A31 by the new number: %s\n%s", ack.Code, raw)
		}
		after := findByNHS(t, db, f.trust, n)
		if after.FamilyName != "IDENTITY" || after.MRN != p.MRN {
			t.Fatalf("after A47 and A31: %s MRN %s, want IDENTITY with MRN %s kept", after.FamilyName, after.MRN, p.MRN)
		}
		// An old number no one holds: AE on MRG-1.
		ack, raw = f.send(t, msg("ADT^A47", "I4", "E300^^^EPRSYS^PI", "MRG|E999^^^EPRSYS^PI"))
		if ack.Code != hl7.AE || len(ack.Errors) == 0 || ack.Errors[0].Segment != "MRG" || !strings.Contains(ack.Errors[0].Text, "E999") {
			t.Fatalf("A47 of an unknown number: got %s %+v, want AE on MRG-1 naming E999:\n%s", ack.Code, ack.Errors, raw)
		}
	})
}
