package interfaces

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/mllp"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestConcurrentResends sends the same message on 16 connections at once,
// as a sender retrying on every link does: it is applied once, and every
// copy gets the answer the first got.
func TestConcurrentResends(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RCR")
		ctx := context.Background()
		known := testNHS(41)
		seeded := f.registered(t, adtMsg("A28", "CR-SEED", "RCR", pidSeg(known, "CR0001", "RCR", "KNOWN", "KATE", "19700101")), known)
		for _, tc := range []struct {
			name, ctrl, nhs, msg string
			version              int // the patient's version after the message
		}{
			{"registration", "CR-A28", testNHS(42), adtMsg("A28", "CR-A28", "RCR", pidSeg(testNHS(42), "CR0002", "RCR", "NEW", "NINA", "19800101")), 1},
			{"update", "CR-A31", known, adtMsg("A31", "CR-A31", "RCR", pidSeg(known, "CR0001", "RCR", "KNOWN", "KATHERINE", "19700101")), seeded.Version + 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				msgs := make([]string, 16)
				for i := range msgs {
					msgs[i] = tc.msg
				}
				codes, acks := sendAtOnce(ctx, f.addr, msgs)
				for i := range codes {
					if codes[i] != hl7.AA || acks[i] != acks[0] {
						t.Errorf("copy %d: %s, answer %q; want AA, the first answer %q", i, codes[i], acks[i], acks[0])
					}
				}
				var patients, logged int
				if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE org_id = $1 AND nhs_number = $2`, f.trust.Org.ID, tc.nhs).Scan(&patients); err != nil {
					t.Fatal(err)
				}
				if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM hl7_messages WHERE control_id = $1 AND direction = 'in'`, tc.ctrl).Scan(&logged); err != nil {
					t.Fatal(err)
				}
				if patients != 1 || logged != 1 {
					t.Errorf("patients with NHS number %s = %d, messages logged = %d; want 1 and 1", tc.nhs, patients, logged)
				}
				if p := findByNHS(t, db, f.trust, tc.nhs); p.Version != tc.version {
					t.Errorf("patient version = %d, want %d (the message applied once)", p.Version, tc.version)
				}
			})
		}
	})
}

// registered sends msg, a registration that must be answered AA, and
// returns the patient it registered with NHS number n.
func (f *fixture) registered(t *testing.T, msg, n string) *crs.Patient {
	t.Helper()
	if ack, _ := f.send(t, msg); ack.Code != hl7.AA {
		t.Fatalf("registration: %s %s", ack.Code, ack.Text)
	}
	return findByNHS(t, f.db, f.trust, n)
}

// sendAtOnce sends each message on a connection of its own, all at
// once, and returns the code of each answer (or what went wrong) and the
// answer.
func sendAtOnce(ctx context.Context, addr string, msgs []string) (codes, acks []string) {
	codes, acks = make([]string, len(msgs)), make([]string, len(msgs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, msg := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &mllp.Client{Addr: addr, Timeout: 20 * time.Second}
			defer c.Close()
			<-start
			reply, err := c.Send(ctx, []byte(msg))
			if err != nil {
				codes[i] = "send: " + err.Error()
				return
			}
			ack, err := hl7.ParseACK(reply)
			if err != nil {
				codes[i] = "parse: " + err.Error()
				return
			}
			codes[i], acks[i] = ack.Code, string(reply)
		}()
	}
	close(start)
	wg.Wait()
	return codes, acks
}

// TestConcurrentRegistrationsOfOneNumber sends eight different A28s for
// the same hospital number, not yet known, on eight connections at once:
// each is answered AA, one registers the patient and the others update
// that record; no message is refused for a number another registered
// while it ran.
func TestConcurrentRegistrationsOfOneNumber(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RCN")
		ctx := context.Background()
		msgs := make([]string, 8)
		for i := range msgs {
			msgs[i] = adtMsg("A28", fmt.Sprintf("CN-%d", i), "RCN", pidSeg("", "CN0001", "RCN", "SAME", "SARA", "19750101"))
		}
		codes, acks := sendAtOnce(ctx, f.addr, msgs)
		for i, c := range codes {
			if c != hl7.AA {
				t.Errorf("message %d: %s; want AA\n%s", i, c, acks[i])
			}
		}
		var patients, logged int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE org_id = $1 AND mrn = 'CN0001'`, f.trust.Org.ID).Scan(&patients); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM hl7_messages WHERE org_id = $1 AND control_id LIKE 'CN-%' AND status = $2`, f.trust.Org.ID, crs.MessageApplied).Scan(&logged); err != nil {
			t.Fatal(err)
		}
		if patients != 1 || logged != len(msgs) {
			t.Errorf("patients with hospital number CN0001 = %d, messages applied = %d; want 1 and %d", patients, logged, len(msgs))
		}
	})
}

// TestFeedOrderUnderConcurrentWriters has 16 writers change 50 patients
// at once while two destinations are fed, and checks each destination
// receives every patient's messages once each, in the order the changes
// committed: the patient's version, carried in each message's event,
// counts up by one from the registration.
func TestFeedOrderUnderConcurrentWriters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RFO")
		ctx := context.Background()
		peers := []*peer{newPeer(t, nil), newPeer(t, nil)}
		for i, p := range peers {
			d := &crs.Destination{Name: fmt.Sprintf("FEED%d", i), Addr: p.ln.Addr().String(), ACKTimeout: 10 * time.Second}
			if err := f.e.AddDestination(ctx, f.trust.System, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		ps := store.NewPatientService(db)
		clerk := f.trust.Actor(crs.RoleClerk)
		const patients, writers, updates = 50, 16, 30
		pts := make([]*crs.Patient, patients)
		for i := range pts {
			pts[i] = &crs.Patient{GivenName: "Ann", FamilyName: fmt.Sprintf("Order%02d", i), BirthDate: crs.NewDate(1980, 1, 1), NHSNumber: testNHS(200 + i)}
			if err := ps.RegisterPatient(ctx, clerk, pts[i]); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, writers*updates)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for j := 0; j < updates; j++ {
					p := *pts[(w*7+j)%patients]
					p.GivenName, p.Version = fmt.Sprintf("W%dU%d", w, j), 0
					if err := ps.UpdatePatient(ctx, clerk, &p); err != nil {
						errs <- err
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("update: %v", err)
		}
		total := patients + writers*updates
		deadline := time.Now().Add(2 * time.Minute)
		for _, p := range peers {
			for {
				p.mu.Lock()
				n := len(p.acked)
				p.mu.Unlock()
				if n >= total || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		// Each message's patient and version, by MSH-10.
		rows, err := db.Reader().QueryContext(ctx, `SELECT m.control_id, m.patient_id, e.data FROM hl7_messages m JOIN events e ON e.id = m.event_id
			WHERE m.org_id = $1 AND m.direction = 'out'`, f.trust.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		type change struct {
			patient string
			version int
		}
		changes := map[string]change{}
		for rows.Next() {
			var ctrl, pid, data string
			if err := rows.Scan(&ctrl, &pid, &data); err != nil {
				t.Fatal(err)
			}
			var ev struct{ Patient struct{ Version int } }
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatal(err)
			}
			changes[ctrl] = change{pid, ev.Patient.Version}
		}
		rows.Close()
		for i, p := range peers {
			p.mu.Lock()
			acked := append([]string(nil), p.acked...)
			p.mu.Unlock()
			if len(acked) != total {
				t.Errorf("destination %d received %d messages, want %d", i, len(acked), total)
			}
			next := map[string]int{} // the version each patient's next message must carry
			for _, ctrl := range acked {
				c, ok := changes[ctrl]
				if !ok {
					t.Errorf("destination %d received %s, which was never queued", i, ctrl)
					continue
				}
				if want := next[c.patient] + 1; c.version != want {
					t.Errorf("destination %d: patient %s: received version %d, want %d", i, c.patient, c.version, want)
				}
				next[c.patient] = c.version
			}
		}
	})
}

// TestConcurrentMessagesOfOnePatient sends, on eight connections at
// once, different messages about one patient: registrations (A04 and
// A28) of one NHS number, each with a hospital number of its own or all
// with the same, and updates (A08) of a patient registered before. Every
// message is answered AA, or AE or AR with an ERR segment saying why,
// and logged once with the outcome its answer gave; the NHS number ends
// with one live patient; updates are each applied, one after another.
func TestConcurrentMessagesOfOnePatient(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RCP")
		ctx := context.Background()
		updated := testNHS(61)
		seeded := f.registered(t, adtMsg("A28", "CP-SEED", "RCP", pidSeg(updated, "CP0000", "RCP", "SEED", "SUE", "19650101")), updated)
		const n = 8
		for _, tc := range []struct {
			name    string
			nhs     string
			msg     func(i int, ctrl string) string // the i-th message, with MSH-10 ctrl
			allAA   bool                            // every message must be applied
			version int                             // the patient's version after them, when known
		}{
			{"registrations of one NHS number, each with its own hospital number", testNHS(62), func(i int, ctrl string) string {
				return adtMsg([]string{"A04", "A28"}[i%2], ctrl, "RCP", pidSeg(testNHS(62), fmt.Sprintf("CPA%03d", i), "RCP", "SAME", "SAL", "19750101"))
			}, false, 0},
			{"registrations of one NHS number and hospital number", testNHS(63), func(i int, ctrl string) string {
				return adtMsg([]string{"A04", "A28"}[i%2], ctrl, "RCP", pidSeg(testNHS(63), "CPB001", "RCP", "SAME", fmt.Sprintf("SAL%c", 'A'+i), "19750101"))
			}, true, 0},
			{"updates of one patient", updated, func(i int, ctrl string) string {
				return adtMsg("A08", ctrl, "RCP", pidSeg(updated, "CP0000", "RCP", "SEED", fmt.Sprintf("SUE%c", 'A'+i), "19650101"))
			}, true, seeded.Version + n},
		} {
			t.Run(tc.name, func(t *testing.T) {
				prefix := fmt.Sprintf("CP-%s-", tc.nhs)
				msgs := make([]string, n)
				for i := range msgs {
					msgs[i] = tc.msg(i, fmt.Sprintf("%s%d", prefix, i))
				}
				codes, acks := sendAtOnce(ctx, f.addr, msgs)
				want := map[string]string{hl7.AA: crs.MessageApplied, hl7.AE: crs.MessageFailed, hl7.AR: crs.MessageRejected}
				for i, code := range codes {
					ack, err := hl7.ParseACK([]byte(acks[i]))
					switch {
					case want[code] == "" || err != nil:
						t.Errorf("message %d: %s; want AA, AE or AR\n%s", i, code, acks[i])
						continue
					case code != hl7.AA && len(ack.Errors) == 0:
						t.Errorf("message %d: %s without an ERR segment\n%s", i, code, acks[i])
					case code != hl7.AA && tc.allAA:
						t.Errorf("message %d: %s; want AA\n%s", i, code, acks[i])
					}
					ms, err := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{ControlID: prefix + fmt.Sprint(i), Direction: crs.DirectionIn})
					if err != nil || len(ms) != 1 || ms[0].Status != want[code] {
						var status []string
						for _, m := range ms {
							status = append(status, m.Status)
						}
						t.Errorf("message %d, answered %s, logged %d times %v (%v); want once, %s", i, code, len(ms), status, err, want[code])
					}
				}
				var live int
				if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE org_id = $1 AND nhs_number = $2 AND merged_into = ''`, f.trust.Org.ID, tc.nhs).Scan(&live); err != nil {
					t.Fatal(err)
				}
				if live != 1 {
					t.Errorf("live patients with NHS number %s = %d, want 1", tc.nhs, live)
				}
				if p := findByNHS(t, db, f.trust, tc.nhs); tc.version != 0 && p.Version != tc.version {
					t.Errorf("patient version = %d, want %d (each update applied once)", p.Version, tc.version)
				}
			})
		}
	})
}
