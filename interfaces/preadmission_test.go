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

// planned returns the patient's planned admissions, pending first.
func planned(t *testing.T, db *store.DB, tr *storetest.Trust, patientID string) []*crs.Preadmission {
	t.Helper()
	ps, err := store.NewInpatientService(db).FindPreadmissions(context.Background(), tr.Actor(crs.RoleClerk), patientID)
	if err != nil {
		t.Fatalf("planned admissions: %v", err)
	}
	return ps
}

// sent returns the messages of trigger queued for destination d, in order.
func sent(t *testing.T, db *store.DB, tr *storetest.Trust, d *crs.Destination, trig string) []*hl7.Message {
	t.Helper()
	ms, err := db.SearchMessages(context.Background(), tr.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: d.ID, Type: trig, Limit: 100})
	if err != nil {
		t.Fatalf("outbound %s: %v", trig, err)
	}
	var out []*hl7.Message
	for i := len(ms) - 1; i >= 0; i-- { // the search lists the latest first
		m, err := hl7.Parse([]byte(ms[i].Raw))
		if err != nil {
			t.Fatalf("parse outbound %s: %v", trig, err)
		}
		out = append(out, m)
	}
	return out
}

// TestInboundPreadmission sends a PAS's pre-admissions (A05), their
// changes and cancellations (A38) and the admission (A01) of one, and
// checks the record, the answers and the A05 and A38 the feeds send.
func TestInboundPreadmission(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		ctx := context.Background()
		org := f.trust.Org.ID
		locs := wards(t, db, f.trust)
		d := &crs.Destination{Name: "THEATRES", Addr: "127.0.0.1:9", ReceivingApplication: "THEATRES", ReceivingFacility: "RXX"}
		if err := f.e.AddDestination(ctx, f.trust.System, d); err != nil {
			t.Fatal(err)
		}
		n := testNHS(70)
		pid := pidSeg(n, "", "RXX", "BROWN", "EVE", "19550505")
		msg := func(trig, ctrl string, pv1Fields map[int]string, pv2 string) string {
			m := journeyMsg(trig, ctrl, pid, pv1(pv1Fields), "")
			if pv2 != "" {
				m += pv2 + "\r"
			}
			return m
		}
		type errWant struct {
			seg   string
			field int
			text  string
		}
		// expect sends a message and checks the answer: AA with the
		// warnings given (each at PV1-3), or AE with the ERR given.
		expect := func(t *testing.T, m, code string, warnings int, ew errWant) hl7.ACK {
			t.Helper()
			ack, raw := f.send(t, m)
			if ack.Code != code {
				t.Fatalf("got %s %+v, want %s\n%s", ack.Code, ack.Errors, code, raw)
			}
			ctrl := strings.Split(strings.SplitN(m, "\r", 2)[0], "|")[9]
			logged := messageByControlID(t, db, org, ctrl)
			if code == hl7.AE {
				if len(ack.Errors) == 0 || ack.Errors[0].Segment != ew.seg || ack.Errors[0].Field != ew.field || !strings.Contains(ack.Errors[0].Text, ew.text) {
					t.Fatalf("ERR: got %+v, want %s-%d containing %q", ack.Errors, ew.seg, ew.field, ew.text)
				}
				if logged.Status != crs.MessageFailed {
					t.Errorf("log status %s, want %s", logged.Status, crs.MessageFailed)
				}
				return ack
			}
			if len(ack.Errors) != warnings || logged.Status != crs.MessageApplied {
				t.Fatalf("got ERR %+v and log status %s, want %d warnings and applied", ack.Errors, logged.Status, warnings)
			}
			for _, e := range ack.Errors {
				if e.Severity != hl7.SeverityWarning || e.Segment != "PV1" {
					t.Errorf("warning %+v, want severity W in PV1", e)
				}
			}
			return ack
		}
		var patientID string
		only := func(t *testing.T, visit string) *crs.Preadmission {
			t.Helper()
			var found *crs.Preadmission
			for _, p := range planned(t, db, f.trust, patientID) {
				if p.SourceVisit == visit {
					if found != nil {
						t.Fatalf("two planned admissions for visit %s", visit)
					}
					found = p
				}
			}
			if found == nil {
				t.Fatalf("no planned admission for visit %s", visit)
			}
			return found
		}

		a05 := msg("A05", "P1", map[int]string{2: "P", 3: "WD10^^^RXX", 4: "C", 7: "C1234567^SMITH^JOHN^^^DR", 10: "100", 19: "PA100"}, "PV2||||||||20260310")
		expect(t, a05, hl7.AA, 0, errWant{})
		patientID = findByNHS(t, db, f.trust, n).ID
		pa := only(t, "PA100")
		if pa.Status != crs.PreadmissionPending || pa.WardID != locs["WD10"].ID || pa.ConsultantCode != "C1234567" || pa.AdmissionMethod != "11" ||
			pa.TreatmentFunction != "100" || pa.ExpectedOn.String() != "2026-03-10" || pa.SourceFacility != "RXX" ||
			!strings.HasPrefix(pa.VisitNumber, "V") || len(pa.VisitNumber) > 20 {
			t.Fatalf("pre-admission after A05: %+v", pa)
		}
		out := sent(t, db, f.trust, d, "A05")
		if len(out) != 1 {
			t.Fatalf("A05 on the feed: %d, want 1", len(out))
		}
		for path, want := range map[string]string{"MSH-9": "ADT^A05^ADT_A05", "PID-3[1].1": n, "PV1-2": "P", "PV1-3.1": "WD10", "PV1-4": "11",
			"PV1-7.1": "C1234567", "PV1-10": "100", "PV1-19": pa.VisitNumber, "PV1-44": "", "PV2-8": "20260310"} {
			if got := out[0].Get(path); got != want {
				t.Errorf("A05 sent %s: got %q, want %q", path, got, want)
			}
		}

		t.Run("the same message again changes nothing", func(t *testing.T) {
			first, _ := f.send(t, a05)
			if first.Code != hl7.AA {
				t.Fatalf("resend: %s", first.Code)
			}
			if ps := planned(t, db, f.trust, patientID); len(ps) != 1 {
				t.Errorf("after the resend: %d planned admissions, want 1", len(ps))
			}
			if out := sent(t, db, f.trust, d, "A05"); len(out) != 1 {
				t.Errorf("after the resend: %d A05 on the feed, want 1", len(out))
			}
		})

		t.Run("A05 again for the visit changes it", func(t *testing.T) {
			expect(t, msg("A05", "P2", map[int]string{2: "P", 3: "WD20", 7: "C7654321", 19: "PA100"}, "PV2||||||||202603120830"), hl7.AA, 0, errWant{})
			got := only(t, "PA100")
			if got.ID != pa.ID || got.VisitNumber != pa.VisitNumber || got.WardID != locs["WD20"].ID || got.ConsultantCode != "C7654321" ||
				!got.ExpectedAt.Equal(time.Date(2026, 3, 12, 8, 30, 0, 0, time.UTC)) {
				t.Errorf("after the second A05: %+v, want the same visit %s on WD20 under C7654321 at 08:30", got, pa.VisitNumber)
			}
			out := sent(t, db, f.trust, d, "A05")
			if len(out) != 2 || out[1].Get("PV1-19") != pa.VisitNumber || out[1].Get("PV2-8") != hl7.FormatTime(got.ExpectedAt) {
				t.Errorf("A05 for the change: %d sent, PV1-19 %q", len(out), out[len(out)-1].Get("PV1-19"))
			}
		})

		t.Run("bad content is refused at its field", func(t *testing.T) {
			expect(t, msg("A05", "P3", map[int]string{2: "P", 19: "PA300"}, "PV2||||||||2026-03-10"), hl7.AE, 0, errWant{"PV2", 8, "expected admit date/time"})
			for _, p := range planned(t, db, f.trust, patientID) {
				if p.SourceVisit == "PA300" {
					t.Errorf("a refused A05 recorded %+v", p)
				}
			}
		})

		t.Run("unknown codes of non-key fields are applied with warnings", func(t *testing.T) {
			ack := expect(t, msg("A05", "P4", map[int]string{2: "Q", 4: "ZZ", 10: "XYZ", 19: "PA300"}, ""), hl7.AA, 3, errWant{})
			for i, want := range []string{"PV1-10", "PV1-2", "PV1-4"} {
				if e := ack.Errors[i]; e.Severity != hl7.SeverityWarning || !strings.HasPrefix(e.Text, want) {
					t.Errorf("warning %d: %+v, want a W on %s", i, e, want)
				}
			}
			p := only(t, "PA300")
			if p.TreatmentFunction != "" || p.PatientClass != "1" || p.AdmissionMethod != "99" {
				t.Errorf("pre-admission with unknown codes: %+v, want them not known (class 1 by default)", p)
			}
			expect(t, msg("A38", "P5", map[int]string{2: "P", 19: "PA300"}, ""), hl7.AA, 0, errWant{})
		})

		t.Run("an unknown ward is kept with a warning; A38 cancels", func(t *testing.T) {
			ack := expect(t, msg("A05", "P7", map[int]string{2: "P", 3: "WDX", 19: "PA200"}, ""), hl7.AA, 1, errWant{})
			if !strings.Contains(ack.Errors[0].Text, "WDX") {
				t.Errorf("warning %q does not name the ward code", ack.Errors[0].Text)
			}
			p := only(t, "PA200")
			if p.WardID != "" || p.WardCode != "WDX" || p.Status != crs.PreadmissionPending || p.VisitNumber == pa.VisitNumber {
				t.Fatalf("pre-admission to an unknown ward: %+v", p)
			}
			expect(t, msg("A38", "P8", map[int]string{2: "P", 19: "PA200"}, ""), hl7.AA, 0, errWant{})
			if p = only(t, "PA200"); p.Status != crs.PreadmissionCancelled {
				t.Errorf("after A38: %s, want cancelled", p.Status)
			}
			out := sent(t, db, f.trust, d, "A38")[1:] // the first cancelled PA300
			if len(out) != 1 || out[0].Get("MSH-9") != "ADT^A38^ADT_A38" || out[0].Get("PV1-2") != "P" || out[0].Get("PV1-19") != p.VisitNumber {
				t.Fatalf("A38 on the feed: %d, %v", len(out), out)
			}
			expect(t, msg("A38", "P9", map[int]string{2: "P", 19: "PA200"}, ""), hl7.AE, 0, errWant{"PV1", 19, "already cancelled"})
			expect(t, msg("A38", "P10", map[int]string{2: "P", 19: "PA999"}, ""), hl7.AE, 0, errWant{"PV1", 19, "names no pre-admission"})
			if only(t, "PA100").Status != crs.PreadmissionPending {
				t.Errorf("cancelling PA200 touched PA100")
			}
		})

		t.Run("A01 for the visit admits the planned admission", func(t *testing.T) {
			// No consultant in the A01: the planned admission's.
			expect(t, msg("A01", "P11", map[int]string{2: "I", 3: "WD10^^B01^RXX", 4: "C", 14: "1", 19: "PA100", 44: "20260302083000"}, ""), hl7.AA, 0, errWant{})
			p := only(t, "PA100")
			if p.Status != crs.PreadmissionAdmitted || p.SpellID == "" {
				t.Fatalf("pre-admission after A01: %+v", p)
			}
			spells, err := store.NewInpatientService(db).FindSpells(ctx, f.trust.Actor(crs.RoleClerk), patientID)
			if err != nil || len(spells) != 1 {
				t.Fatalf("spells: %d, %v; want 1", len(spells), err)
			}
			sp := spells[0]
			if sp.ID != p.SpellID || sp.VisitNumber != pa.VisitNumber || sp.ConsultantCode != "C7654321" || sp.BedID != locs["WD10/B01"].ID {
				t.Errorf("spell %+v, want visit %s under C7654321 in WD10 B01", sp, pa.VisitNumber)
			}
			out := sent(t, db, f.trust, d, "A01")
			if len(out) != 1 || out[0].Get("PV1-19") != pa.VisitNumber {
				t.Errorf("A01 on the feed: %d, PV1-19 %q, want the visit number %s of the A05", len(out), out[len(out)-1].Get("PV1-19"), pa.VisitNumber)
			}
			// Later events of the spell find it by the sender's visit number.
			expect(t, msg("A03", "P12", map[int]string{2: "I", 19: "PA100", 36: "01"}, ""), hl7.AA, 0, errWant{})
			expect(t, msg("A38", "P13", map[int]string{2: "P", 19: "PA100"}, ""), hl7.AE, 0, errWant{"PV1", 19, "has been admitted"})
			expect(t, msg("A05", "P14", map[int]string{2: "P", 19: "PA100"}, ""), hl7.AE, 0, errWant{"PV1", 19, "already admitted"})
		})

		t.Run("A38 without a visit number", func(t *testing.T) {
			expect(t, msg("A38", "P15", map[int]string{2: "P"}, ""), hl7.AE, 0, errWant{"PV1", 19, "no pending pre-admission"})
			// The preadmit number (PV1-5) names it as well as a visit number.
			expect(t, msg("A05", "P16", map[int]string{2: "P", 5: "PRE-1"}, "PV2||||||||20260401"), hl7.AA, 0, errWant{})
			expect(t, msg("A05", "P17", map[int]string{2: "P", 19: "PA400"}, "PV2||||||||20260402"), hl7.AA, 0, errWant{})
			expect(t, msg("A38", "P18", map[int]string{2: "P"}, ""), hl7.AE, 0, errWant{"PV1", 19, "2 pending pre-admissions"})
			expect(t, msg("A38", "P19", map[int]string{2: "P", 19: "PA400"}, ""), hl7.AA, 0, errWant{})
			expect(t, msg("A38", "P20", map[int]string{2: "P"}, ""), hl7.AA, 0, errWant{}) // the only one pending: PRE-1
			if p := only(t, "PRE-1"); p.Status != crs.PreadmissionCancelled || p.ExpectedOn.String() != "2026-04-01" {
				t.Errorf("PRE-1 after A38 without a number: %+v", p)
			}
		})
	})
}
