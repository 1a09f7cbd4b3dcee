package interfaces

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestOutboxPMILoad checks a bulk load of the patient index, which
// appends one event for each batch, still sends every loaded patient's
// registration to the destinations subscribed to it, each message in its
// own name and naming the batch's event.
func TestOutboxPMILoad(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXL")
		ctx := context.Background()
		a28 := &crs.Destination{Name: "PAS-A28", Addr: "127.0.0.1:9", Triggers: []string{"A28"}}
		a04 := &crs.Destination{Name: "RIS-A04", Addr: "127.0.0.1:9", UseA04: true}
		other := &crs.Destination{Name: "ADMITS", Addr: "127.0.0.1:9", Triggers: []string{"A01"}}
		for _, d := range []*crs.Destination{a28, a04, other} {
			if err := f.e.AddDestination(ctx, f.trust.System, d); err != nil {
				t.Fatal(err)
			}
		}
		ps := []*crs.Patient{
			{GivenName: "Ann", FamilyName: "Loaded", Gender: "2", BirthDate: crs.NewDate(1950, 1, 2), NHSNumber: testNHS(60)},
			{GivenName: "Bob", FamilyName: "Loaded", Gender: "1", BirthDate: crs.NewDate(1960, 3, 4)},
			{GivenName: "Cat", FamilyName: "Loaded", Gender: "2", BirthDate: crs.NewDate(1970, 5, 6), MRN: "LEG0042"},
		}
		if n, err := db.LoadPatients(ctx, f.trust.System, ps, crs.LoadOptions{BatchSize: 2}); err != nil || n != 3 {
			t.Fatalf("load: %d, %v", n, err)
		}
		db.Flush(ctx)
		for _, c := range []struct {
			d    *crs.Destination
			want string
		}{{a28, "ADT^A28"}, {a04, "ADT^A04"}, {other, ""}} {
			ms, err := db.SearchMessages(ctx, f.trust.Org.ID, crs.MessageQuery{Direction: crs.DirectionOut, ChannelID: c.d.ID, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				if len(ms) != 0 {
					t.Errorf("%s, subscribed to A01 only, got %d messages", c.d.Name, len(ms))
				}
				continue
			}
			if len(ms) != len(ps) {
				t.Fatalf("%s got %d messages, want one for each of the %d loaded patients", c.d.Name, len(ms), len(ps))
			}
			byPatient := map[string]*crs.Message{}
			events := map[string]bool{}
			for _, m := range ms {
				byPatient[m.PatientID] = m
				events[m.EventID] = true
			}
			if len(events) != 2 {
				t.Errorf("%s: messages name %d events, want the 2 batches'", c.d.Name, len(events))
			}
			for _, p := range ps {
				m := byPatient[p.ID]
				if m == nil {
					t.Fatalf("%s: no message for %s", c.d.Name, p.MRN)
				}
				msg, err := hl7.Parse([]byte(m.Raw))
				if err != nil {
					t.Fatal(err)
				}
				if msg.Type() != c.want || msg.Get("PID-5.1") != "Loaded" || msg.Get("PID-5.2") != p.GivenName || m.MRN != p.MRN ||
					m.NHSNumber != p.NHSNumber || msg.Get("PID-7") != p.BirthDate.Time.Format("20060102") {
					t.Errorf("%s: message for %s:\n%s", c.d.Name, p.MRN, hl7.Pretty(msg))
				}
			}
		}
	})
}
