package interfaces

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestInboundTextPolicy sends patients whose text breaks the text policy
// the web forms and FHIR API keep to: each message is refused AE with an
// ERR naming the field and what is wrong, and nothing is registered.
func TestInboundTextPolicy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		pid := func(n int, family string) string { return pidSeg(testNHS(n), "", "RXX", family, "ANNE", "19800101") }
		for _, tc := range []struct {
			name, msg string
			field     int
			says      string
		}{
			{"a direction override in the family name", adtMsg("A28", "T1", "RXX", pid(40, "SMITH\u202eEXE")), 5, "reorders"},
			{"a family name too long", adtMsg("A28", "T2", "RXX", pid(41, strings.Repeat("A", 101))), 5, "longer than 100"},
			{"a phone number with letters", adtMsg("A28", "T3", "RXX", strings.Replace(pid(42, "SMITH"), "020 7946 0000", "RING AFTER 6", 1)), 13, "not a phone number"},
			{"a practice code of the wrong shape", adtMsg("A28", "T4", "RXX", pid(43, "SMITH"), "PD1|||LINDAS TEST ORGANIZATION^^SIISCLIENT818"), 0, "GP practice code"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ack, raw := f.send(t, tc.msg)
				if ack.Code != hl7.AE || len(ack.Errors) == 0 {
					t.Fatalf("got %s, want AE with ERR: %s", ack.Code, raw)
				}
				e := ack.Errors[0]
				if (tc.field != 0 && (e.Segment != "PID" || e.Field != tc.field)) || !strings.Contains(e.Text, tc.says) {
					t.Errorf("ERR %s-%d %q, want PID-%d saying %q", e.Segment, e.Field, e.Text, tc.field, tc.says)
				}
			})
		}
	})
}
