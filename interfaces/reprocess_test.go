package interfaces

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// oruMsg writes an ORU^R01 with one full blood count for the patient
// with the NHS number.
func oruMsg(ctrl, nhsNo string) string {
	return strings.Join([]string{msh("PAS", "RXX", "RXX", "ORU^R01^ORU_R01", ctrl), pidSeg(nhsNo, "", "RXX", "", "", ""),
		"OBR|1|PL1|FL1|FBC^Full blood count|||20260302080000||||||||||||||||||F",
		"OBX|1|NM|HB^Haemoglobin||135|g/L|120-150|N|||F"}, "\r") + "\r"
}

// reprocessEvents returns the reprocess events of a message, newest
// first.
func reprocessEvents(t *testing.T, db *store.DB, orgID, msgID string) []*crs.Event {
	t.Helper()
	evs, err := store.FindEvents(context.Background(), db.Reader(), orgID, "type = $2 AND subject_id = $3", crs.EventMessageReprocessed, msgID)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestReprocessMessage sends a result for a patient not yet registered
// (AE), registers the patient, and reprocesses the stored message: the
// result is filed, the same log entry is now applied with an AA, the
// reprocess is an event and an audit record of the analyst's, and a
// second reprocess is refused.
func TestReprocessMessage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		org := f.trust.Org.ID
		analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
		n := testNHS(30)

		oru := oruMsg("RP1", n)
		ack, first := f.send(t, oru)
		if ack.Code != hl7.AE || len(ack.Errors) == 0 || ack.Errors[0].Field != 3 {
			t.Fatalf("ORU for an unknown patient: got %s %+v, want AE on PID-3", ack.Code, ack.Errors)
		}
		m := messageByControlID(t, db, org, "RP1")
		if m.Status != crs.MessageFailed || m.Attempts != 1 || m.ACK != first {
			t.Fatalf("logged: status %q attempts %d ACK kept %v; want error, 1, the AE sent", m.Status, m.Attempts, m.ACK == first)
		}

		// The analyst has the patient registered (here by the PAS).
		clock.Advance(time.Hour)
		if ack, _ := f.send(t, adtMsg("A28", "RP-REG", "RXX", pidSeg(n, "", "RXX", "OWEN", "RUTH", "19700101"))); ack.Code != hl7.AA {
			t.Fatalf("register: %+v", ack)
		}
		p := findByNHS(t, db, f.trust, n)

		got, err := f.e.ReprocessMessage(ctx, analyst, m.ID)
		if err != nil {
			t.Fatalf("reprocess: %v", err)
		}
		if got.ID != m.ID || got.Status != crs.MessageApplied || got.ACKCode != hl7.AA || got.Attempts != 2 || got.PatientID != p.ID {
			t.Errorf("reprocess returned %s status %q ACK %q attempts %d patient %q; want %s applied AA 2 %s", got.ID, got.Status, got.ACKCode, got.Attempts, got.PatientID, m.ID, p.ID)
		}
		// The same entry, rewritten; no second one.
		after := messageByControlID(t, db, org, "RP1")
		a, err := hl7.ParseACK([]byte(after.ACK))
		if err != nil {
			t.Fatalf("stored ACK %q: %v", after.ACK, err)
		}
		if after.ID != m.ID || after.Status != crs.MessageApplied || a.Code != hl7.AA || a.ControlID != "RP1" || len(after.Errors) != 0 ||
			after.Attempts != 2 || after.PatientID != p.ID || after.NHSNumber != n || !after.UpdatedAt.Equal(clock.Now()) || !after.CreatedAt.Equal(m.CreatedAt) {
			t.Errorf("log entry after reprocess: %+v; ACK %s MSA-2 %s", after, a.Code, a.ControlID)
		}
		rs, err := findResults(ctx, db, org, p.ID)
		if err != nil || len(rs) != 1 || rs[0].MessageID != m.ID || rs[0].ServiceCode != "FBC" {
			t.Fatalf("results of the patient: %d %v; want the FBC of message %s", len(rs), err, m.ID)
		}
		// The change is the interface's; the reprocess is the analyst's.
		evs, err := store.FindEvents(ctx, db.Reader(), org, "type = $2 AND subject_id = $3", crs.EventResultReceived, rs[0].ID)
		if err != nil || len(evs) != 1 || evs[0].UserID != f.trust.Users[crs.RoleInterface].ID {
			t.Errorf("result event: %d %v; want one by the interface user", len(evs), err)
		}
		rev := reprocessEvents(t, db, org, m.ID)
		if len(rev) != 1 || rev[0].UserID != analyst.UserID || rev[0].PatientID != p.ID || !strings.Contains(rev[0].Summary, "applied") {
			t.Fatalf("reprocess events: %+v; want one by the analyst about the patient, applied", rev)
		}
		// The analyst's history of the message: logged refused, then
		// reprocessed, newest first; a clerk may not read it.
		hist, err := f.e.MessageHistory(ctx, analyst, m.ID)
		if err != nil || len(hist) != 2 || hist[0].ID != rev[0].ID || hist[1].Type != crs.EventMessageReceived || hist[1].SubjectID != m.ID {
			t.Errorf("message history: %d events %v; want the reprocess, then the refused receipt", len(hist), err)
		}
		if _, err := f.e.MessageHistory(ctx, f.trust.Actor(crs.RoleClerk), m.ID); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("message history read by a clerk: %v; want EFORBIDDEN", err)
		}
		var data map[string]any
		_ = json.Unmarshal(rev[0].Data, &data)
		if data["from_status"] != crs.MessageFailed || data["status"] != crs.MessageApplied || data["interface_id"] != f.iface.ID {
			t.Errorf("reprocess event data %v", data)
		}
		db.Flush(ctx)
		audit, err := store.NewAuditService(db).PatientAccess(ctx, f.trust.Actor(crs.RolePrivacyOfficer), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range audit {
			if r.EventID == rev[0].ID && r.UserID == analyst.UserID && r.Action == crs.AuditChange && r.What == "hl7 message reprocess" {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit record of the reprocess by the analyst in %d records", len(audit))
		}

		// Never applied twice: not by a second reprocess, not by the
		// sender sending it again (which is answered with the new AA).
		if _, err := f.e.ReprocessMessage(ctx, analyst, m.ID); crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(crs.ErrorMessage(err), "applied already") {
			t.Errorf("reprocess of an applied message: %v; want ECONFLICT saying it was applied", err)
		}
		if _, raw := f.send(t, oru); raw != after.ACK {
			t.Errorf("the message sent again was answered\n%q\nwant the stored\n%q", raw, after.ACK)
		}
		if rs, _ := findResults(ctx, db, org, p.ID); len(rs) != 1 {
			t.Errorf("results after a second reprocess and a resend: %d; want 1", len(rs))
		}
		if got := reprocessEvents(t, db, org, m.ID); len(got) != 1 {
			t.Errorf("reprocess events after the refused one: %d; want 1", len(got))
		}
	})
}

// TestReprocessStillInError reprocesses a message whose cause is not
// put right: it stays in error with its new ERR and attempt counted, and
// the reprocess is still recorded.
func TestReprocessStillInError(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		org := f.trust.Org.ID
		analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
		if ack, _ := f.send(t, oruMsg("SE1", testNHS(31))); ack.Code != hl7.AE {
			t.Fatalf("ORU: %+v", ack)
		}
		m := messageByControlID(t, db, org, "SE1")
		clock.Advance(time.Minute)
		for i, want := range []int{2, 3} {
			got, err := f.e.ReprocessMessage(ctx, analyst, m.ID)
			if err != nil {
				t.Fatalf("reprocess %d: %v", i+1, err)
			}
			a, err := hl7.ParseACK([]byte(got.ACK))
			if got.Status != crs.MessageFailed || got.Attempts != want || err != nil || a.Code != hl7.AE || a.ControlID != "SE1" ||
				len(got.Errors) == 0 || !strings.Contains(got.Errors[0].Text, "unknown patient") || got.NHSNumber != testNHS(31) {
				t.Errorf("reprocess %d: status %q attempts %d ACK %s %s errors %+v; want error, %d, a new AE", i+1, got.Status, got.Attempts, a.Code, a.ControlID, got.Errors, want)
			}
		}
		if evs := reprocessEvents(t, db, org, m.ID); len(evs) != 2 || !strings.Contains(evs[0].Summary, "still error") {
			t.Errorf("reprocess events: %d (%v); want 2, still in error", len(evs), evs)
		}
		if n, _ := db.CountMessages(ctx, org, crs.MessageQuery{ControlID: "SE1"}, 10); n != 1 {
			t.Errorf("log entries of SE1: %d; want 1", n)
		}
	})
}

// TestReprocessRefused checks who may reprocess what: only the
// interface analyst, only the trust's own messages, only received
// messages refused.
func TestReprocessRefused(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		org := f.trust.Org.ID
		if ack, _ := f.send(t, oruMsg("RF1", testNHS(32))); ack.Code != hl7.AE {
			t.Fatalf("ORU: %+v", ack)
		}
		errored := messageByControlID(t, db, org, "RF1")
		if ack, _ := f.send(t, adtMsg("A28", "RF2", "RXX", pidSeg(testNHS(33), "", "RXX", "HALL", "IVY", "19800101"))); ack.Code != hl7.AA {
			t.Fatalf("A28: %+v", ack)
		}
		applied := messageByControlID(t, db, org, "RF2")
		trB := storetest.NewTrust(t, db, "RBB")

		tests := []struct {
			name  string
			actor crs.Actor
			id    string
			code  string
		}{
			{"a clerk", f.trust.Actor(crs.RoleClerk), errored.ID, crs.EFORBIDDEN},
			{"the interface itself", f.trust.Actor(crs.RoleInterface), errored.ID, crs.EFORBIDDEN},
			{"an administrator", f.trust.Actor(crs.RoleAdmin), errored.ID, crs.EFORBIDDEN},
			{"another trust's analyst", trB.Actor(crs.RoleInterfaceAnalyst), errored.ID, crs.ENOTFOUND},
			{"no such message", f.trust.Actor(crs.RoleInterfaceAnalyst), crs.NewID(), crs.ENOTFOUND},
			{"an applied message", f.trust.Actor(crs.RoleInterfaceAnalyst), applied.ID, crs.ECONFLICT},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := f.e.ReprocessMessage(ctx, tc.actor, tc.id); crs.ErrorCode(err) != tc.code {
					t.Errorf("reprocess: %v; want %s", err, tc.code)
				}
			})
		}
		if m := messageByControlID(t, db, org, "RF1"); m.Status != crs.MessageFailed || m.Attempts != 1 {
			t.Errorf("after refused reprocesses: status %q attempts %d; want untouched", m.Status, m.Attempts)
		}
		if evs := reprocessEvents(t, db, org, errored.ID); len(evs) != 0 {
			t.Errorf("refused reprocesses recorded %d events", len(evs))
		}
		if _, err := f.e.ReprocessRange(ctx, f.trust.Actor(crs.RoleClerk), f.iface.ID, storetest.Epoch, storetest.Epoch.Add(time.Hour)); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("clerk reprocesses a range: %v; want EFORBIDDEN", err)
		}
		if _, err := f.e.ReprocessRange(ctx, trB.Actor(crs.RoleInterfaceAnalyst), f.iface.ID, storetest.Epoch, storetest.Epoch.Add(time.Hour)); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("another trust reprocesses the interface's range: %v; want ENOTFOUND", err)
		}
	})
}

// TestReprocessRange reprocesses the ADT messages of an interface that
// failed over a period for a patient not yet registered: admission,
// transfer and discharge, applied oldest first so the spell ends
// discharged; a message still wrong stays in error; messages outside
// the period or from another interface are untouched.
func TestReprocessRange(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		org := f.trust.Org.ID
		locs := wards(t, db, f.trust)
		lab := f.addInterface(t, f.trust, "LAB", "RXX")
		n := testNHS(34)
		pid := pidSeg(n, "", "RXX", "", "", "")
		send := func(msg string) {
			t.Helper()
			if ack, _ := f.send(t, msg); ack.Code != hl7.AE {
				t.Fatalf("want AE, got %+v", ack)
			}
			clock.Advance(time.Minute)
		}
		send(journeyMsg("A01", "RG0", pidSeg(testNHS(35), "", "RXX", "", "", ""), pv1(map[int]string{2: "I", 3: "WD10", 7: "C1234567", 19: "V0"}), "")) // before the period
		from := clock.Now()
		send(journeyMsg("A01", "RG1", pid, pv1(map[int]string{2: "I", 3: "WD10^^B01^RXX", 7: "C1234567^SMITH^JOHN", 19: "V200", 44: "20260302080000"}), ""))
		send(journeyMsg("A02", "RG2", pid, pv1(map[int]string{2: "I", 3: "WD20^BAY1^B01^RXX", 6: "WD10^^B01^RXX", 19: "V200"}), "20260302083000"))
		send(strings.Replace(oruMsg("RG-LAB", n), "|PAS|", "|LAB|", 1)) // another interface
		send(journeyMsg("A01", "RG3", pidSeg(testNHS(36), "", "RXX", "", "", ""), pv1(map[int]string{2: "I", 3: "WDX", 7: "C1234567", 19: "V300"}), ""))
		send(journeyMsg("A03", "RG4", pid, pv1(map[int]string{2: "I", 19: "V200", 36: "01", 45: "20260302085000"}), ""))
		to := clock.Now()
		send(journeyMsg("A01", "RG5", pidSeg(testNHS(37), "", "RXX", "", "", ""), pv1(map[int]string{2: "I", 3: "WD10", 7: "C1234567", 19: "V5"}), "")) // after it

		if ack, _ := f.send(t, adtMsg("A28", "RG-REG", "RXX", pidSeg(n, "", "RXX", "PRICE", "ROSE", "19500101"))); ack.Code != hl7.AA {
			t.Fatalf("register: %+v", ack)
		}
		analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
		rep, err := f.e.ReprocessRange(ctx, analyst, f.iface.ID, from, to)
		if err != nil {
			t.Fatalf("reprocess range: %v", err)
		}
		if want := (crs.ReprocessReport{Tried: 4, Applied: 3, Failed: 1}); rep != want {
			t.Errorf("report %+v; want %+v", rep, want)
		}
		for ctrl, want := range map[string]string{"RG1": crs.MessageApplied, "RG2": crs.MessageApplied, "RG4": crs.MessageApplied,
			"RG3": crs.MessageFailed, "RG0": crs.MessageFailed, "RG5": crs.MessageFailed, "RG-LAB": crs.MessageFailed} {
			m := messageByControlID(t, db, org, ctrl)
			wantAttempts := 1
			if strings.Contains("RG1 RG2 RG3 RG4", ctrl) {
				wantAttempts = 2
			}
			if m.Status != want || m.Attempts != wantAttempts {
				t.Errorf("%s: status %q attempts %d; want %q %d", ctrl, m.Status, m.Attempts, want, wantAttempts)
			}
		}
		// Applied in order: admitted, transferred into the bay, discharged.
		p := findByNHS(t, db, f.trust, n)
		ip := store.NewInpatientService(db)
		spells, err := ip.FindSpells(ctx, f.trust.Actor(crs.RoleClerk), p.ID)
		if err != nil || len(spells) != 1 {
			t.Fatalf("spells of the patient: %d %v; want 1", len(spells), err)
		}
		sp, err := ip.FindSpell(ctx, f.trust.Actor(crs.RoleClerk), spells[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if sp.Status != crs.SpellDischarged || len(sp.Stays) != 2 || sp.Stays[1].BedID != locs["WD20/BAY1/B01"].ID ||
			!sp.DischargedAt.Equal(time.Date(2026, 3, 2, 8, 50, 0, 0, time.UTC)) {
			t.Errorf("spell after the range: %s, %d stays, discharged %s", sp.Status, len(sp.Stays), sp.DischargedAt)
		}
		// Nothing left: the range again tries only the message still wrong.
		rep, err = f.e.ReprocessRange(ctx, analyst, f.iface.ID, from, to)
		if want := (crs.ReprocessReport{Tried: 1, Failed: 1}); err != nil || rep != want {
			t.Errorf("range again: %+v %v; want %+v", rep, err, want)
		}
		if _, err := f.e.ReprocessRange(ctx, analyst, lab.ID, to, from); crs.ErrorField(err) != "to" {
			t.Errorf("a period ending before it starts: %v; want an error on to", err)
		}
	})
}
