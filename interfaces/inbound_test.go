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

// TestInboundEvents sends every supported event over MLLP and checks the
// answer, what changed and the log.
func TestInboundEvents(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		org := f.trust.Org.ID
		n1, n2, n3 := testNHS(1), testNHS(2), testNHS(3)
		// Register the patients the other events refer to.
		for i, c := range []struct{ nhs, mrn, ctrl string }{{n1, "X0000001", "REG1"}, {n2, "X0000002", "REG2"}, {n3, "", "REG3"}} {
			pid := pidSeg(c.nhs, c.mrn, "RXX", "SMITH", "ANNE", "19800101")
			if i > 0 { // duplicates, their numbers not yet traced
				pid = strings.Replace(pid, "NSTS01", "NSTS02", 1)
			}
			ack, _ := f.send(t, adtMsg("A28", c.ctrl, "RXX", pid))
			if ack.Code != hl7.AA || ack.ControlID != c.ctrl {
				t.Fatalf("register %d: got %s %q (%v), want AA %s", i, ack.Code, ack.ControlID, ack.Errors, c.ctrl)
			}
		}
		p1 := findByNHS(t, db, f.trust, n1)
		if p1.MRN != "X0000001" || p1.FamilyName != "SMITH" || p1.Mobile != "07700 900000" || p1.Address.Postcode != "E1 6AN" || p1.NHSNumberStatus != "01" {
			t.Errorf("registered patient: %+v", p1)
		}

		tests := []struct {
			name, trig, msg string
			code, status    string
			check           func(t *testing.T)
		}{
			{"A04 registers", "A04", adtMsg("A04", "C-A04", "RXX", pidSeg(testNHS(4), "", "RXX", "JONES", "BEN", "19700505")), hl7.AA, crs.MessageApplied,
				func(t *testing.T) { findByNHS(t, db, f.trust, testNHS(4)) }},
			{"A08 updates", "A08", adtMsg("A08", "C-A08", "RXX", pidSeg(n1, "", "RXX", "SMITH-JONES", "ANNE", "")), hl7.AA, crs.MessageApplied,
				func(t *testing.T) {
					if p := findByNHS(t, db, f.trust, n1); p.FamilyName != "SMITH-JONES" || p.BirthDate.String() != "1980-01-01" {
						t.Errorf("after A08: family %q birth %s", p.FamilyName, p.BirthDate)
					}
				}},
			{"A31 updates", "A31", adtMsg("A31", "C-A31", "RXX", strings.Replace(pidSeg("", "X0000002", "RXX", "BROWN", "ANNE", ""), "NSTS01", "NSTS02", 1)), hl7.AA, crs.MessageApplied,
				func(t *testing.T) {
					if p := findByNHS(t, db, f.trust, n2); p.FamilyName != "BROWN" {
						t.Errorf("after A31: family %q", p.FamilyName)
					}
				}},
			{"A05 registers and records the pre-admission", "A05", strings.Replace(adtMsg("A05", "C-A05", "RXX", pidSeg(testNHS(6), "", "RXX", "WHITE", "DAN", "19600101"), "PV2||||||||20260316"),
				"PV1|1|I|WD10^^B03", pv1(map[int]string{2: "P", 7: "C1234567^GREY^ANN", 19: "PA-6"}), 1), hl7.AA, crs.MessageApplied,
				func(t *testing.T) {
					ps := planned(t, db, f.trust, findByNHS(t, db, f.trust, testNHS(6)).ID)
					if len(ps) != 1 || ps[0].Status != crs.PreadmissionPending || ps[0].ExpectedOn.String() != "2026-03-16" || ps[0].ConsultantCode != "C1234567" || ps[0].SourceVisit != "PA-6" {
						t.Errorf("after A05: planned admissions %+v, want one pending on 2026-03-16 under C1234567 for visit PA-6", ps)
					}
				}},
			{"A29 deletes a registration in error", "A29", adtMsg("A29", "C-A29", "RXX", pidSeg(testNHS(4), "", "RXX", "", "", "")), hl7.AA, crs.MessageApplied,
				func(t *testing.T) {
					_, err := store.NewPatientService(db).FindPatientByIdentifier(context.Background(), f.trust.Actor(crs.RoleClerk), "nhs", testNHS(4))
					if crs.ErrorCode(err) != crs.ENOTFOUND {
						t.Errorf("after A29 the NHS number finds a patient: %v", err)
					}
				}},
			{"A38 cancels the pre-admission", "A38", strings.Replace(adtMsg("A38", "C-A38", "RXX", pidSeg(testNHS(6), "", "RXX", "", "", "")),
				"PV1|1|I|WD10^^B03", pv1(map[int]string{2: "P", 19: "PA-6"}), 1), hl7.AA, crs.MessageApplied,
				func(t *testing.T) {
					ps := planned(t, db, f.trust, findByNHS(t, db, f.trust, testNHS(6)).ID)
					if len(ps) != 1 || ps[0].Status != crs.PreadmissionCancelled || !strings.Contains(ps[0].CancelReason, "C-A38") {
						t.Errorf("after A38: planned admissions %+v, want the one cancelled by C-A38", ps)
					}
				}},
		}
		tests = append(tests, []struct {
			name, trig, msg string
			code, status    string
			check           func(t *testing.T)
		}{
			{"A40 merges", "A40", adtMsg("A40", "C-A40", "RXX", pidSeg(n1, "X0000001", "RXX", "", "", ""), "MRG|X0000002^^^RXX^MR"), hl7.AA, crs.MessageApplied,
				func(t *testing.T) {
					if p := findByNHS(t, db, f.trust, n2); p.ID != p1.ID {
						t.Errorf("after A40 the minor's NHS number finds %s (%s), want the major %s", p.ID, p.MRN, p1.ID)
					}
				}},
			{"A34 merges", "A34", adtMsg("A34", "C-A34", "RXX", pidSeg("", "X0000001", "RXX", "", "", ""), "MRG|"+n3+"^^^NHS^NH"), hl7.AA, crs.MessageApplied,
				func(t *testing.T) {
					if p := findByNHS(t, db, f.trust, n3); p.ID != p1.ID {
						t.Errorf("after A34 the minor finds %s, want the major %s", p.ID, p1.ID)
					}
				}},
			{"ORU files results", "R01", strings.Join([]string{msh("PAS", "RXX", "RXX", "ORU^R01^ORU_R01", "C-ORU"), pidSeg(n1, "", "RXX", "", "", ""),
				"OBR|1|PL1|FL1|FBC^Full blood count|||20260302080000||||||||||||||||||F",
				"OBX|1|NM|HB^Haemoglobin||135|g/L|120-150|N|||F", "OBX|2|NM|WBC^White cells||11.2|10*9/L|4-11|H|||F",
				"OBR|2|PL2|FL2|UE^Urea and electrolytes|||20260302080000||||||||||||||||||F", "OBX|1|NM|NA^Sodium||140|mmol/L|||||F"}, "\r"), hl7.AA, crs.MessageApplied,
				func(t *testing.T) {
					rs, err := findResults(context.Background(), db, org, p1.ID)
					if err != nil || len(rs) != 2 {
						t.Fatalf("results: got %d, err %v; want 2", len(rs), err)
					}
					var fbc *crs.Result
					for _, r := range rs {
						if r.ServiceCode == "FBC" {
							fbc = r
						}
					}
					if fbc == nil || len(fbc.Observations) != 2 || fbc.Observations[1].Flags != "H" || fbc.MessageID == "" {
						t.Errorf("FBC result: %+v", fbc)
					}
				}},
		}...)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ack, raw := f.send(t, tc.msg)
				ctrl := strings.Split(strings.SplitN(tc.msg, "\r", 2)[0], "|")[9]
				if ack.Code != tc.code || ack.ControlID != ctrl {
					t.Fatalf("ACK: got %s MSA-2 %q %v, want %s MSA-2 %q", ack.Code, ack.ControlID, ack.Errors, tc.code, ctrl)
				}
				m := messageByControlID(t, db, org, ctrl)
				if m.Status != tc.status || m.Raw != tc.msg || m.ACK != raw || m.PatientID == "" {
					t.Errorf("log: status %q (want %q), raw kept %v, ACK kept %v, patient %q", m.Status, tc.status, m.Raw == tc.msg, m.ACK == raw, m.PatientID)
				}
				if len(ack.Errors) != 0 {
					t.Errorf("an applied message is a plain AA; got ERR %+v", ack.Errors)
				}
				if tc.check != nil {
					tc.check(t)
				}
				// Idempotent: the same message again gets the same answer
				// and changes nothing.
				countEvents := func() int {
					var n int
					if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM events`).Scan(&n); err != nil {
						t.Fatal(err)
					}
					return n
				}
				before, _ := store.CountInboundMessages(context.Background(), db)
				eventsBefore := countEvents()
				_, raw2 := f.send(t, tc.msg)
				after, _ := store.CountInboundMessages(context.Background(), db)
				if raw2 != raw {
					t.Errorf("resend answered\n%q\nwant the stored\n%q", raw2, raw)
				}
				if before[tc.status] != after[tc.status] {
					t.Errorf("resend logged a new message: %v -> %v", before, after)
				}
				if n := countEvents(); n != eventsBefore {
					t.Errorf("resend appended %d events", n-eventsBefore)
				}
			})
		}
	})
}

// TestInboundErrors checks AE and AR answers and their ERR contents.
func TestInboundErrors(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		good := testNHS(10)
		if ack, _ := f.send(t, adtMsg("A28", "OK1", "RXX", pidSeg(good, "", "RXX", "SMITH", "ANNE", "19800101"))); ack.Code != hl7.AA {
			t.Fatalf("register: %+v", ack)
		}
		// A pre-admission: the record has activity, so an A29 is refused.
		preadmit := strings.Replace(adtMsg("A05", "OK2", "RXX", pidSeg(good, "", "RXX", "SMITH", "ANNE", "19800101"), "PV2||||||||20260316"),
			"PV1|1|I|WD10^^B03", pv1(map[int]string{2: "P", 7: "C1234567^GREY^ANN", 19: "PA-9"}), 1)
		if ack, _ := f.send(t, preadmit); ack.Code != hl7.AA {
			t.Fatalf("pre-admit: %+v", ack)
		}
		bad := good[:9] + string('0'+(good[9]-'0'+1)%10)
		tests := []struct {
			name, msg, code string
			seg             string
			field           int
			text            string
		}{
			{"unknown patient", adtMsg("A08", "E1", "RXX", pidSeg(testNHS(11), "", "RXX", "X", "Y", "")), hl7.AE, "PID", 3, "unknown patient"},
			{"invalid NHS number", adtMsg("A28", "E2", "RXX", pidSeg(bad, "", "RXX", "SMITH", "ANNE", "19800101")), hl7.AE, "PID", 3, "check digit"},
			{"bad date of birth", adtMsg("A28", "E3", "RXX", pidSeg(testNHS(12), "", "RXX", "SMITH", "ANNE", "19801340")), hl7.AE, "PID", 7, "date of birth"},
			{"missing family name", adtMsg("A28", "E4", "RXX", pidSeg(testNHS(13), "", "RXX", "", "ANNE", "19800101")), hl7.AE, "PID", 5, "family name"},
			{"missing identifiers", adtMsg("A28", "E5", "RXX", "PID|1||||SMITH^ANNE||19800101|F"), hl7.AE, "PID", 3, "PID-3"},
			{"ORU unknown patient", strings.Join([]string{msh("PAS", "RXX", "RXX", "ORU^R01", "E6"), pidSeg(testNHS(14), "", "RXX", "", "", ""), "OBR|1|||FBC", "OBX|1|NM|HB||1"}, "\r"), hl7.AE, "PID", 3, "unknown patient"},
			{"merge minor unknown", adtMsg("A40", "E7", "RXX", pidSeg(good, "", "RXX", "", "", ""), "MRG|Z999^^^RXX^MR"), hl7.AE, "MRG", 1, "record to merge"},
			{"delete unknown", adtMsg("A29", "E8", "RXX", pidSeg(testNHS(16), "", "RXX", "", "", "")), hl7.AE, "PID", 3, "record to delete"},
			{"delete of a record with activity", adtMsg("A29", "E9", "RXX", pidSeg(good, "", "RXX", "", "", "")), hl7.AE, "PID", 3, "has a pre-admission, so it is not deleted"},
			{"unknown sender", strings.Replace(adtMsg("A28", "R1", "RXX", pidSeg(testNHS(15), "", "RXX", "A", "B", "19800101")), "|PAS|", "|LAB|", 1), hl7.AR, "MSH", 3, "unknown sender"},
			{"unknown message type", strings.Replace(adtMsg("A28", "R2", "RXX", "PID|1"), "ADT^A28^ADT_A01", "RDE^O11", 1), hl7.AR, "MSH", 9, "not supported"},
			{"unknown trigger", strings.Replace(adtMsg("A28", "R3", "RXX", "PID|1"), "ADT^A28^ADT_A01", "ADT^A99", 1), hl7.AR, "MSH", 9, "A99"},
			{"unreadable", "MSH|^~\\&|PAS|RXX|OPENCRS|RXX|20260302||ADT^A28|R4|P|2.4\rP@D|1\r", hl7.AR, "", 0, "cannot be read"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				ack, raw := f.send(t, tc.msg)
				ctrl := strings.Split(strings.SplitN(tc.msg, "\r", 2)[0], "|")[9]
				if ack.Code != tc.code || ack.ControlID != ctrl {
					t.Fatalf("got %s MSA-2 %q, want %s %q; %s", ack.Code, ack.ControlID, tc.code, ctrl, raw)
				}
				if len(ack.Errors) == 0 {
					t.Fatalf("no ERR segment: %s", raw)
				}
				e := ack.Errors[0]
				if e.Segment != tc.seg || e.Field != tc.field || !strings.Contains(e.Text, tc.text) {
					t.Errorf("ERR: got %s-%d %q, want %s-%d containing %q", e.Segment, e.Field, e.Text, tc.seg, tc.field, tc.text)
				}
				// Logged raw with its errors, even when refused.
				ms, err := db.SearchMessages(context.Background(), f.trust.Org.ID, crs.MessageQuery{ControlID: ctrl})
				if tc.name == "unreadable" {
					return // logged without a trust (MSH-6 cannot be read)
				}
				if err != nil || len(ms) != 1 || ms[0].Raw != tc.msg || len(ms[0].Errors) == 0 || ms[0].ACK != raw {
					t.Fatalf("log: %d messages, err %v", len(ms), err)
				}
				if tc.code == hl7.AE {
					_, raw2 := f.send(t, tc.msg)
					if raw2 != raw {
						t.Errorf("resend of an AE message answered differently")
					}
				}
			})
		}
	})
}

// TestInboundTenancy checks that one trust's interface cannot touch
// another trust's patients, even with the same NHS number.
func TestInboundTenancy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RAA")
		trB := storetest.NewTrust(t, db, "RBB")
		f.addInterface(t, trB, "PAS", "RBB")
		n := testNHS(20)
		if ack, _ := f.send(t, adtMsg("A28", "T1", "RAA", pidSeg(n, "", "RAA", "SMITH", "ANNE", "19800101"))); ack.Code != hl7.AA {
			t.Fatalf("register in A: %+v", ack)
		}
		// B's interface updates "its" patient with A's NHS number: unknown in B.
		msgB := strings.Replace(adtMsg("A08", "T2", "RBB", pidSeg(n, "", "RBB", "HACKED", "X", "")), "", "", 0)
		ack, _ := f.send(t, msgB)
		if ack.Code != hl7.AE || ack.Errors[0].Field != 3 {
			t.Fatalf("B's A08 of A's patient: got %s %+v, want AE on PID-3", ack.Code, ack.Errors)
		}
		if p := findByNHS(t, db, f.trust, n); p.FamilyName != "SMITH" {
			t.Errorf("A's patient changed by B: %q", p.FamilyName)
		}
		// B's interface addressing A's trust in MSH-6 is refused.
		ack, _ = f.send(t, strings.Replace(adtMsg("A08", "T3", "RBB", pidSeg(n, "", "RAA", "HACKED", "X", "")), "|OPENCRS|RBB|", "|OPENCRS|RAA|", 1))
		if ack.Code != hl7.AR {
			t.Fatalf("B's message to A: got %s %+v, want AR", ack.Code, ack.Errors)
		}
		// A's analyst does not see B's log.
		ms, _ := f.e.SearchMessages(context.Background(), f.trust.Actor(crs.RoleInterfaceAnalyst), crs.MessageQuery{ControlID: "T2"})
		if len(ms) != 0 {
			t.Errorf("trust A's log shows trust B's message")
		}
	})
}
