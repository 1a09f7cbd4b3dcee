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

// wards adds a site with ward WD10 (beds B01, B02) and ward WD20 with
// bay BAY1 (bed B01) to the trust, and returns the locations by
// "ward/bed" path.
func wards(t *testing.T, db *store.DB, tr *storetest.Trust) map[string]*crs.Location {
	t.Helper()
	orgs := store.NewOrganisationService(db)
	locs := map[string]*crs.Location{}
	add := func(key, parent string, kind crs.LocationKind, code string) *crs.Location {
		l := &crs.Location{ParentID: parent, Kind: kind, Code: code, Name: code}
		if err := orgs.CreateLocation(context.Background(), tr.Actor(crs.RoleAdmin), l); err != nil {
			t.Fatalf("create location %s: %v", key, err)
		}
		locs[key] = l
		return l
	}
	site := add("MAIN", "", crs.LocationSite, "MAIN")
	wd10 := add("WD10", site.ID, crs.LocationWard, "WD10")
	add("WD10/B01", wd10.ID, crs.LocationBed, "B01")
	add("WD10/B02", wd10.ID, crs.LocationBed, "B02")
	wd20 := add("WD20", site.ID, crs.LocationWard, "WD20")
	bay := add("WD20/BAY1", wd20.ID, crs.LocationBay, "BAY1")
	add("WD20/BAY1/B01", bay.ID, crs.LocationBed, "B01")
	return locs
}

// journeyMsg writes an ADT message with an EVN (EVN-6 when evn6 is set)
// and the PV1 given.
func journeyMsg(trig, ctrl, pid, pv1, evn6 string) string {
	return strings.Join([]string{msh("PAS", "RXX", "RXX", "ADT^"+trig, ctrl), "EVN|" + trig + "|20260302090000||||" + evn6, pid, pv1}, "\r") + "\r"
}

// pv1 writes a PV1 with the fields given by number.
func pv1(fields map[int]string) string {
	f := make([]string, 46)
	f[0] = "PV1"
	f[1] = "1"
	for n, v := range fields {
		f[n] = v
	}
	return strings.Join(f, "|")
}

// TestInboundJourney sends a spell's life as ADT messages, checking the
// answer, the spell and the bed board after each, and that the log names
// the spell changed.
func TestInboundJourney(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		ctx := context.Background()
		org := f.trust.Org.ID
		locs := wards(t, db, f.trust)
		ip := store.NewInpatientService(db)
		clerk := f.trust.Actor(crs.RoleClerk)
		n1, n2 := testNHS(40), testNHS(41)
		pid1 := pidSeg(n1, "J0000001", "RXX", "GREEN", "CARL", "19600101")
		pid2 := pidSeg(n2, "J0000002", "RXX", "BLACK", "DORA", "19700101")
		pid3 := pidSeg(testNHS(42), "", "RXX", "WHITE", "EDNA", "19800101")
		if ack, _ := f.send(t, adtMsg("A28", "J-REG2", "RXX", pid2)); ack.Code != hl7.AA {
			t.Fatalf("register patient 2: %+v", ack)
		}
		var spellID string
		spell := func(t *testing.T) *crs.Spell {
			t.Helper()
			sp, err := ip.FindSpell(ctx, clerk, spellID)
			if err != nil {
				t.Fatalf("find spell: %v", err)
			}
			return sp
		}
		// bedOf returns the spell in a bed of the bed board ("" if free).
		bedOf := func(t *testing.T, ward, bed string) string {
			t.Helper()
			board, err := ip.BedBoard(ctx, clerk)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range board {
				for _, b := range w.Beds {
					if w.WardCode == ward && b.BedID == locs[bed].ID {
						return b.SpellID
					}
				}
			}
			t.Fatalf("bed %s not on the board", bed)
			return ""
		}
		admit := pv1(map[int]string{2: "I", 3: "WD10^^B01^RXX", 4: "C", 7: "C1234567^SMITH^JOHN^^^DR", 10: "100", 14: "1", 19: "V100", 44: "20260302080000"})
		tests := []struct {
			name, msg, code string
			seg             string // of the first ERR, for AE
			field           int
			text            string
			status          string // of the log for AE: error unless held
			warn            string // the one warning of an AA
			other           bool   // about patient 2's spell, not patient 1's
			check           func(t *testing.T)
		}{
			{name: "A01 admits", msg: journeyMsg("A01", "J1", pid1, admit, ""), code: hl7.AA, check: func(t *testing.T) {
				sp := spell(t)
				if sp.Status != crs.SpellAdmitted || sp.WardID != locs["WD10"].ID || sp.BedID != locs["WD10/B01"].ID || sp.ConsultantCode != "C1234567" ||
					sp.TreatmentFunction != "100" || sp.AdmissionMethod != "11" || sp.AdmissionSource != "19" || sp.PatientClass != "1" ||
					!sp.AdmittedAt.Equal(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)) {
					t.Errorf("spell after A01: %+v", sp)
				}
				if got := bedOf(t, "WD10", "WD10/B01"); got != spellID {
					t.Errorf("bed board WD10 B01: got spell %q, want %q", got, spellID)
				}
			}},
			{name: "A01 to an occupied bed admits to the ward", msg: journeyMsg("A01", "J2", pid2, strings.Replace(admit, "V100", "V200", 1), ""), code: hl7.AA, warn: "bed B01 is occupied", other: true},
			{name: "A11 cancels patient 2's admission", msg: journeyMsg("A11", "J2-A11", pid2, pv1(map[int]string{2: "I", 19: "V200"}), ""), code: hl7.AA, other: true},
			{name: "A01 to an unknown ward is held", msg: journeyMsg("A01", "J3", pid3, strings.Replace(admit, "WD10^^B01", "WDX^^B01", 1), ""), code: hl7.AE, seg: "PV1", field: 3, text: "point of care WDX is not a ward", status: crs.MessageHeld},
			{name: "A01 to an unknown bed admits to the ward", msg: journeyMsg("A01", "J4", pid2, strings.Replace(strings.Replace(admit, "WD10^^B01", "WD10^^B99", 1), "V100", "V201", 1), ""), code: hl7.AA, warn: "has no bed B99", other: true},
			{name: "A11 cancels patient 2's admission again", msg: journeyMsg("A11", "J4-A11", pid2, pv1(map[int]string{2: "I", 19: "V201"}), ""), code: hl7.AA, other: true},
			{name: "A01 without a consultant admits under one not known", msg: journeyMsg("A01", "J5", pid2, strings.NewReplacer("C1234567^SMITH^JOHN^^^DR", "", "WD10^^B01", "WD10^^B02", "V100", "V202").Replace(admit), ""),
				code: hl7.AA, warn: "attending doctor is missing", other: true},
			{name: "A11 cancels patient 2's admission a third time", msg: journeyMsg("A11", "J5-A11", pid2, pv1(map[int]string{2: "I"}), ""), code: hl7.AA, other: true},
			{name: "A02 for a patient not in hospital", msg: journeyMsg("A02", "J6", pid2, pv1(map[int]string{2: "I", 3: "WD10^^B02"}), ""), code: hl7.AE, seg: "PV1", field: 19, text: "not an inpatient"},
			{name: "A02 transfers into a bay", msg: journeyMsg("A02", "J7", pid1, pv1(map[int]string{2: "I", 3: "WD20^BAY1^B01^RXX", 6: "WD10^^B01^RXX", 19: "V100"}), "20260302083000"), code: hl7.AA, check: func(t *testing.T) {
				sp := spell(t)
				if sp.WardID != locs["WD20"].ID || sp.BedID != locs["WD20/BAY1/B01"].ID || len(sp.Stays) != 2 || !sp.Stays[1].Start.Equal(time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)) {
					t.Errorf("spell after A02: ward %s bed %s, %d stays", sp.WardID, sp.BedID, len(sp.Stays))
				}
				if got := bedOf(t, "WD10", "WD10/B01"); got != "" {
					t.Errorf("WD10 B01 after the transfer holds %q, want free", got)
				}
			}},
			{name: "A12 cancels the transfer", msg: journeyMsg("A12", "J8", pid1, pv1(map[int]string{2: "I", 3: "WD10^^B01", 19: "V100"}), ""), code: hl7.AA, check: func(t *testing.T) {
				if sp := spell(t); sp.BedID != locs["WD10/B01"].ID || len(sp.Stays) != 1 {
					t.Errorf("spell after A12: bed %s, %d stays", sp.BedID, len(sp.Stays))
				}
			}},
			{name: "A22 when not on leave", msg: journeyMsg("A22", "J9", pid1, pv1(map[int]string{2: "I", 19: "V100"}), ""), code: hl7.AE, text: "not on leave"},
			{name: "A21 starts leave", msg: journeyMsg("A21", "J10", pid1, pv1(map[int]string{2: "I", 19: "V100"}), "20260302084000"), code: hl7.AA, check: func(t *testing.T) {
				if sp := spell(t); sp.Status != crs.SpellOnLeave || bedOf(t, "WD10", "WD10/B01") != spellID {
					t.Errorf("after A21: status %s; the bed must be kept", sp.Status)
				}
			}},
			{name: "A22 ends leave", msg: journeyMsg("A22", "J11", pid1, pv1(map[int]string{2: "I", 19: "V100"}), ""), code: hl7.AA, check: func(t *testing.T) {
				if sp := spell(t); sp.Status != crs.SpellAdmitted {
					t.Errorf("after A22: status %s", sp.Status)
				}
			}},
			{name: "A03 discharges", msg: journeyMsg("A03", "J13", pid1, pv1(map[int]string{2: "I", 3: "WD10^^B01", 19: "V100", 36: "01", 45: "20260302085000"}), ""), code: hl7.AA, check: func(t *testing.T) {
				sp := spell(t)
				if sp.Status != crs.SpellDischarged || sp.DischargeMethod != "1" || sp.DischargeDestination != "19" || !sp.DischargedAt.Equal(time.Date(2026, 3, 2, 8, 50, 0, 0, time.UTC)) {
					t.Errorf("spell after A03: %s method %s destination %s at %s", sp.Status, sp.DischargeMethod, sp.DischargeDestination, sp.DischargedAt)
				}
				if got := bedOf(t, "WD10", "WD10/B01"); got != "" {
					t.Errorf("WD10 B01 after the discharge holds %q, want free", got)
				}
			}},
			{name: "A03 again: the spell has ended", msg: journeyMsg("A03", "J14", pid1, pv1(map[int]string{2: "I", 19: "V100"}), ""), code: hl7.AE, text: "has ended"},
			{name: "A13 cancels the discharge", msg: journeyMsg("A13", "J15", pid1, pv1(map[int]string{2: "I", 19: "V100"}), ""), code: hl7.AA, check: func(t *testing.T) {
				if sp := spell(t); sp.Status != crs.SpellAdmitted || bedOf(t, "WD10", "WD10/B01") != spellID {
					t.Errorf("after A13: status %s, back in B01 %v", sp.Status, bedOf(t, "WD10", "WD10/B01") == spellID)
				}
			}},
			{name: "A13 when not discharged", msg: journeyMsg("A13", "J16", pid1, pv1(map[int]string{2: "I", 19: "V100"}), ""), code: hl7.AE, text: "not been discharged"},
			{name: "A11 cancels the admission", msg: journeyMsg("A11", "J17", pid1, pv1(map[int]string{2: "I", 19: "V100"}), ""), code: hl7.AA, check: func(t *testing.T) {
				if sp := spell(t); sp.Status != crs.SpellCancelled || bedOf(t, "WD10", "WD10/B01") != "" {
					t.Errorf("after A11: status %s, B01 free %v", sp.Status, bedOf(t, "WD10", "WD10/B01") == "")
				}
			}},
			{name: "A01 by hospital number, emergency, no bed", msg: journeyMsg("A01", "J18", pidSeg("", "J0000002", "RXX", "", "", ""),
				pv1(map[int]string{2: "E", 3: "WD20", 7: "C7654321"}), ""), code: hl7.AA, check: func(t *testing.T) {
				if sp := spell(t); sp.AdmissionMethod != "21" || sp.BedID != "" || sp.WardID != locs["WD20"].ID {
					t.Errorf("emergency admission: method %s bed %q ward %s", sp.AdmissionMethod, sp.BedID, sp.WardID)
				}
			}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ack, raw := f.send(t, tc.msg)
				ctrl := strings.Split(strings.SplitN(tc.msg, "\r", 2)[0], "|")[9]
				if ack.Code != tc.code || ack.ControlID != ctrl {
					t.Fatalf("ACK: got %s MSA-2 %q %+v, want %s %q", ack.Code, ack.ControlID, ack.Errors, tc.code, ctrl)
				}
				m := messageByControlID(t, db, org, ctrl)
				if tc.code == hl7.AE {
					if len(ack.Errors) == 0 {
						t.Fatalf("AE without ERR: %s", raw)
					}
					e := ack.Errors[0]
					if e.Segment != tc.seg || e.Field != tc.field || !strings.Contains(e.Text, tc.text) {
						t.Errorf("ERR: got %s-%d %q, want %s-%d containing %q", e.Segment, e.Field, e.Text, tc.seg, tc.field, tc.text)
					}
					want := crs.MessageFailed
					if tc.status != "" {
						want = tc.status
					}
					if m.Status != want {
						t.Errorf("log status %q, want %q", m.Status, want)
					}
					return
				}
				if m.Status != crs.MessageApplied {
					t.Errorf("log status %q, want applied", m.Status)
				}
				switch {
				case tc.warn == "" && len(ack.Errors) != 0:
					t.Errorf("ACK errors %+v, want none", ack.Errors)
				case tc.warn != "" && (len(ack.Errors) != 1 || ack.Errors[0].Severity != hl7.SeverityWarning || !strings.Contains(ack.Errors[0].Text, tc.warn)):
					t.Errorf("ACK errors %+v, want one warning containing %q", ack.Errors, tc.warn)
				}
				if tc.other {
					return
				}
				// The log names the change, and through it the spell.
				var typ, subject string
				if err := db.Reader().QueryRowContext(ctx, `SELECT type, subject_id FROM events WHERE id = $1`, m.EventID).Scan(&typ, &subject); err != nil {
					t.Fatalf("event %q of the message: %v", m.EventID, err)
				}
				if strings.HasPrefix(tc.name, "A01") {
					spellID = subject
				}
				if subject != spellID || !strings.HasPrefix(typ, "spell.") {
					t.Errorf("log names event %s about %s, want a spell event about %s", typ, subject, spellID)
				}
				if tc.check != nil {
					tc.check(t)
				}
			})
		}
		// A05 records a planned admission and A38 cancels it: each is
		// applied and answered with a plain AA, and the log names the change.
		for _, c := range []struct{ trig, event string }{{"A05", crs.EventPreadmissionRecorded}, {"A38", crs.EventPreadmissionCancelled}} {
			ack, _ := f.send(t, journeyMsg(c.trig, "J-"+c.trig, pid1, pv1(map[int]string{2: "P", 3: "WD10", 19: "V200"}), ""))
			if ack.Code != hl7.AA || len(ack.Errors) != 0 {
				t.Errorf("%s: got %s %q %+v, want a plain AA", c.trig, ack.Code, ack.Text, ack.Errors)
			}
			m := messageByControlID(t, db, org, "J-"+c.trig)
			var typ string
			if err := db.Reader().QueryRowContext(ctx, `SELECT type FROM events WHERE id = $1`, m.EventID).Scan(&typ); err != nil || m.Status != crs.MessageApplied || typ != c.event {
				t.Errorf("%s logged %s with event %q (%v), want applied with %s", c.trig, m.Status, typ, err, c.event)
			}
		}
	})
}

// wardFeedFixture makes a trust RXX with wards, an outbound feed "RIS"
// and a registered patient Ada family, for tests of the messages the
// ward's changes send.
func wardFeedFixture(t *testing.T, db *store.DB, family string, n int) (*fixture, map[string]*crs.Location, *crs.Destination, crs.Actor, *crs.Patient) {
	t.Helper()
	f := newFixture(t, db, "RXX")
	ctx := context.Background()
	locs := wards(t, db, f.trust)
	d := &crs.Destination{Name: "RIS", Addr: "127.0.0.1:9", ReceivingApplication: "RIS", ReceivingFacility: "RXX"}
	if err := f.e.AddDestination(ctx, f.trust.System, d); err != nil {
		t.Fatal(err)
	}
	clerk := f.trust.Actor(crs.RoleClerk)
	p := &crs.Patient{GivenName: "Ada", FamilyName: family, BirthDate: crs.NewDate(1950, 1, 1), NHSNumber: testNHS(n)}
	if err := store.NewPatientService(db).RegisterPatient(ctx, clerk, p); err != nil {
		t.Fatal(err)
	}
	return f, locs, d, clerk, p
}

// TestOutboundAdmission checks that an admission made on the ward goes
// out as an A01 with the ward and bed in PV1-3.
func TestOutboundAdmission(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, locs, d, clerk, p := wardFeedFixture(t, db, "King", 50)
		ctx := context.Background()
		at := storetest.Epoch.Add(-time.Hour)
		sp, err := store.NewInpatientService(db).Admit(ctx, clerk, &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: locs["WD20"].ID,
			BedID: locs["WD20/BAY1/B01"].ID, ConsultantCode: "C1234567", TreatmentFunction: "300", At: at})
		if err != nil {
			t.Fatal(err)
		}
		if sp.VisitNumber == "" || len(sp.VisitNumber) > 20 {
			t.Errorf("visit number %q: want one of at most 20 characters (HL7 v2.4 PV1-19)", sp.VisitNumber)
		}
		ms, err := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: d.ID, Type: "A01", Limit: 10})
		if err != nil || len(ms) != 1 {
			t.Fatalf("A01 on the feed: got %d, err %v", len(ms), err)
		}
		m, err := hl7.Parse([]byte(ms[0].Raw))
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]string{
			"MSH-9": "ADT^A01^ADT_A01", "EVN-6": hl7.FormatTime(at), "PID-3[1].1": p.NHSNumber, "PV1-2": "I", "PV1-3": "WD20^BAY1^B01^RXX",
			"PV1-4": "21", "PV1-7.1": "C1234567", "PV1-10": "300", "PV1-14": "19", "PV1-19": sp.VisitNumber, "PV1-44": hl7.FormatTime(at),
		} {
			if got := m.Get(path); got != want {
				t.Errorf("%s: got %q, want %q", path, got, want)
			}
		}
		if t.Failed() {
			t.Logf("A01 sent:\n%s", hl7.Pretty(m))
		}
	})
}
