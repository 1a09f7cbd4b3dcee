package interfaces

import (
	"context"
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
		if ack, _ := f.send(t, adtMsg("A28", "CR-SEED", "RCR", pidSeg(known, "CR0001", "RCR", "KNOWN", "KATE", "19700101"))); ack.Code != hl7.AA {
			t.Fatalf("seed: %s %s", ack.Code, ack.Text)
		}
		seeded := findByNHS(t, db, f.trust, known)
		for _, tc := range []struct {
			name, ctrl, nhs, msg string
			version              int // the patient's version after the message
		}{
			{"registration", "CR-A28", testNHS(42), adtMsg("A28", "CR-A28", "RCR", pidSeg(testNHS(42), "CR0002", "RCR", "NEW", "NINA", "19800101")), 1},
			{"update", "CR-A31", known, adtMsg("A31", "CR-A31", "RCR", pidSeg(known, "CR0001", "RCR", "KNOWN", "KATHERINE", "19700101")), seeded.Version + 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				const n = 16
				codes := make([]string, n)
				acks := make([]string, n)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := 0; i < n; i++ {
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						c := &mllp.Client{Addr: f.addr, Timeout: 20 * time.Second}
						defer c.Close()
						<-start
						reply, err := c.Send(ctx, []byte(tc.msg))
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
					}(i)
				}
				close(start)
				wg.Wait()
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
