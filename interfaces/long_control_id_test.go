package interfaces

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestLongControlID: a message whose MSH-10 is thousands of characters
// long (letters that do not compress, longer than an index entry may be
// on PostgreSQL) is applied and logged on both engines, found in the log
// by its control id, and when sent again gets the first answer and
// changes nothing: it was answered "could not be stored; send it again"
// on PostgreSQL, for ever.
func TestLongControlID(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		ctrl := storetest.Incompressible(7, 4000)
		n := testNHS(80)
		msg := adtMsg("A28", ctrl, "RXX", pidSeg(n, "", "RXX", "LONG", "AMY", "19800101"))
		first, raw := f.send(t, msg)
		if first.Code != hl7.AA {
			t.Fatalf("A28 with a long MSH-10: %s\n%.600s", first.Code, raw)
		}
		again, rawAgain := f.send(t, msg)
		if again.Code != hl7.AA || rawAgain != raw {
			t.Fatalf("sent again: %s\n%.300s\nwant the first answer\n%.300s", again.Code, rawAgain, raw)
		}
		if m := messageByControlID(t, db, f.trust.Org.ID, ctrl); m.Status != crs.MessageApplied || !strings.Contains(m.Raw, ctrl) {
			t.Fatalf("logged %s, raw holding the whole MSH-10 %v", m.Status, strings.Contains(m.Raw, ctrl))
		}
		if p := findByNHS(t, db, f.trust, n); p.FamilyName != "LONG" {
			t.Fatalf("patient %+v", p)
		}
	})
}
