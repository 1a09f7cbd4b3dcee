package interfaces

import (
	"context"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestOutboundBay checks that the bay a bed stands in goes out in
// PV1-3.2, and the bay left in PV1-6.2: a patient admitted to a bed in a
// bay, moved to a bed on a ward without bays, then moved back by
// cancelling the transfer.
func TestOutboundBay(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, locs, d, clerk, p := wardFeedFixture(t, db, "Bay", 51)
		ctx := context.Background()
		ips := store.NewInpatientService(db)
		at := storetest.Epoch.Add(-2 * time.Hour)
		sp, err := ips.Admit(ctx, clerk, &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: locs["WD20"].ID,
			BedID: locs["WD20/BAY1/B01"].ID, ConsultantCode: "C1234567", TreatmentFunction: "300", At: at})
		if err != nil {
			t.Fatal(err)
		}
		if err := ips.Transfer(ctx, clerk, sp.ID, crs.Transfer{WardID: locs["WD10"].ID, BedID: locs["WD10/B02"].ID, At: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := ips.CancelTransfer(ctx, clerk, sp.ID, "wrong patient moved"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			trig       string
			pv13, pv16 string
		}{
			{"A01", "WD20^BAY1^B01^RXX", ""},
			{"A02", "WD10^^B02^RXX", "WD20^BAY1^B01"},
			{"A12", "WD20^BAY1^B01^RXX", "WD10^^B02"},
		}
		for _, tc := range tests {
			t.Run(tc.trig, func(t *testing.T) {
				ms, err := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: d.ID, Type: tc.trig})
				if err != nil || len(ms) != 1 {
					t.Fatalf("%s on the feed: got %d, err %v", tc.trig, len(ms), err)
				}
				m, err := hl7.Parse([]byte(ms[0].Raw))
				if err != nil {
					t.Fatal(err)
				}
				if got := m.Get("PV1-3"); got != tc.pv13 {
					t.Errorf("PV1-3: got %q, want %q", got, tc.pv13)
				}
				if got := m.Get("PV1-6"); got != tc.pv16 {
					t.Errorf("PV1-6: got %q, want %q", got, tc.pv16)
				}
				if t.Failed() {
					t.Logf("%s sent:\n%s", tc.trig, hl7.Pretty(m))
				}
			})
		}
	})
}
