package interfaces

import (
	"context"
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

// TestConcurrentRegistrationsOfOneNumber sends eight different A28s for
// the same hospital number, not yet known, on eight connections at once:
// each is answered AA, one registers the patient and the others update
// that record; no message is refused for a number another registered
// while it ran.
func TestConcurrentRegistrationsOfOneNumber(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RCN")
		ctx := context.Background()
		const n = 8
		codes := make([]string, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := &mllp.Client{Addr: f.addr, Timeout: 20 * time.Second}
				defer c.Close()
				msg := adtMsg("A28", fmt.Sprintf("CN-%d", i), "RCN", pidSeg("", "CN0001", "RCN", "SAME", "SARA", "19750101"))
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
				codes[i] = ack.Code + " " + ack.Text
			}(i)
		}
		close(start)
		wg.Wait()
		for i, c := range codes {
			if c[:2] != hl7.AA {
				t.Errorf("message %d: %s; want AA", i, c)
			}
		}
		var patients, logged int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE org_id = $1 AND mrn = 'CN0001'`, f.trust.Org.ID).Scan(&patients); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM hl7_messages WHERE org_id = $1 AND control_id LIKE 'CN-%' AND status = $2`, f.trust.Org.ID, crs.MessageApplied).Scan(&logged); err != nil {
			t.Fatal(err)
		}
		if patients != 1 || logged != n {
			t.Errorf("patients with hospital number CN0001 = %d, messages applied = %d; want 1 and %d", patients, logged, n)
		}
	})
}
