package report_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestRTTCoursesEqualEvents seeds patient journeys, then in three rounds
// an hour apart records late events of every kind and status on
// pathways picked at random (back-dated up to half a year) and cancels
// admissions as entered in error. After each round, the monthly return,
// the incomplete figures and the comparison worked out from the clock
// courses the write path keeps equal, to the last pathway, those worked
// out from the events: as at now and as recorded at every earlier time.
func TestRTTCoursesEqualEvents(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RCE")
		orgs, admin := store.NewOrganisationService(db), tr.Actor(crs.RoleAdmin)
		site := &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main"}
		if err := orgs.CreateLocation(ctx, admin, site); err != nil {
			t.Fatal(err)
		}
		ward := &crs.Location{ParentID: site.ID, Kind: crs.LocationWard, Code: "WD1", Name: "Ward 1"}
		if err := orgs.CreateLocation(ctx, admin, ward); err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			if err := orgs.CreateLocation(ctx, admin, &crs.Location{ParentID: ward.ID, Kind: crs.LocationBed, Code: fmt.Sprintf("B%02d", i), Name: "Bed"}); err != nil {
				t.Fatal(err)
			}
		}
		gen := demo.NewGenerator(31)
		ps := make([]*crs.Patient, 120)
		for i := range ps {
			ps[i] = gen.Patient()
		}
		if _, err := db.LoadPatients(ctx, tr.System, ps, crs.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := demo.SeedJourney(ctx, storetest.Journey(db), tr.System, demo.JourneyOptions{Referrals: 160, Workers: 1, Seed: 31}); err != nil {
			t.Fatal(err)
		}
		svc, analyst := report.New(store.NewReportSource(db)), tr.Actor(crs.RoleAnalyst)
		refs, ip := store.NewReferralService(db), store.NewInpatientService(db)
		rng := rand.New(rand.NewSource(15))
		today := crs.LocalDate(clock.Now())
		months := []crs.Date{}
		for i := -4; i <= 0; i++ {
			months = append(months, crs.Date{Time: crs.NewDate(today.Year(), today.Month(), 1).AddDate(0, i, 0)})
		}
		times := []time.Time{clock.Now()}
		var pathways []string
		r, err := svc.RTTIncomplete(ctx, analyst, today, report.RTTIncompleteOptions{Pathways: true, Basis: crs.ReportBasis{FromEvents: true}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range r.Pathways {
			pathways = append(pathways, p.PathwayID)
		}
		ret, err := svc.RTTReturn(ctx, analyst, months[len(months)-1], report.RTTReturnOptions{Patients: true, Basis: crs.ReportBasis{FromEvents: true}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range ret.Patients {
			pathways = append(pathways, c.PathwayID)
		}
		// A ward kept empty by the journey, for admissions from the
		// waiting list that are then cancelled as entered in error.
		ward2 := &crs.Location{ParentID: site.ID, Kind: crs.LocationWard, Code: "WD2", Name: "Ward 2"}
		if err := orgs.CreateLocation(ctx, admin, ward2); err != nil {
			t.Fatal(err)
		}
		var beds []string
		for i := range 9 {
			b := &crs.Location{ParentID: ward2.ID, Kind: crs.LocationBed, Code: fmt.Sprintf("C%02d", i), Name: "Bed"}
			if err := orgs.CreateLocation(ctx, admin, b); err != nil {
				t.Fatal(err)
			}
			beds = append(beds, b.ID)
		}
		var entries []string
		rows, err := db.Reader().QueryContext(ctx, `SELECT id FROM waiting_list_entries WHERE org_id = $1 AND status = 'waiting' ORDER BY id`, tr.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			entries = append(entries, id)
		}
		rows.Close()
		if len(pathways) == 0 || len(entries) < len(beds) {
			t.Fatalf("%d pathways and %d waiting list entries seeded; the test proves nothing", len(pathways), len(entries))
		}
		var spells []string
		statuses := []rtt.Status{0, 0, 10, 11, 20, 21, 30, 31, 32, 33, 34, 35, 36, 90, 98, 99}
		recorded, removed := 0, 0
		for round := 1; round <= 3; round++ {
			clock.Set(times[0].Add(time.Duration(round) * time.Hour))
			for range 60 {
				e := crs.PathwayEvent{Date: crs.Date{Time: today.AddDate(0, 0, -rng.Intn(180))}, Kind: rtt.Kind(1 + rng.Intn(40)), Status: statuses[rng.Intn(len(statuses))], Note: "late entry"}
				if !e.Kind.Valid() {
					e.Kind = rtt.KindAttended
				}
				err := refs.RecordPathwayEvent(ctx, tr.System, pathways[rng.Intn(len(pathways))], e)
				switch {
				case err == nil:
					recorded++
				case crs.ErrorCode(err) != crs.EINVALID && crs.ErrorCode(err) != crs.ECONFLICT:
					t.Fatalf("record %+v: %v", e, err)
				}
			}
			for range 3 {
				b := beds[0]
				beds = beds[1:]
				sp, err := ip.Admit(ctx, tr.Actor(crs.RoleClerk), &crs.Admission{EntryID: entries[0], Method: "11", Source: "19", WardID: ward2.ID, BedID: b})
				entries = entries[1:]
				if err != nil {
					t.Fatalf("admit from the waiting list: %v", err)
				}
				spells = append(spells, sp.ID)
			}
			if err := ip.CancelAdmission(ctx, tr.Actor(crs.RoleClerk), spells[len(spells)-2], "entered in error"); err != nil {
				t.Fatalf("cancel admission: %v", err)
			}
			removed++
			times = append(times, clock.Now())
			bases := []crs.ReportBasis{{}}
			for _, at := range times[:len(times)-1] {
				bases = append(bases, crs.ReportBasis{RecordedBy: at}, crs.ReportBasis{RecordedBy: at.Add(30 * time.Minute)})
			}
			standard, err := svc.RTTStandardByMonth(ctx, analyst, months[len(months)-1], len(months))
			if err != nil {
				t.Fatal(err)
			}
			differ := 0
			for m, month := range months {
				for _, b := range bases {
					fromEvents := b
					fromEvents.FromEvents = true
					want, err := svc.RTTReturn(ctx, analyst, month, report.RTTReturnOptions{Basis: fromEvents, Patients: true})
					if err != nil {
						t.Fatal(err)
					}
					got, err := svc.RTTReturn(ctx, analyst, month, report.RTTReturnOptions{Basis: b, Patients: true})
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("round %d, %s return recorded by %v: from the courses differs from the events (-events +courses):\n%s", round, month.Format("2006-01"), b.RecordedBy, diff)
					}
					end := crs.Date{Time: month.AddDate(0, 1, -1)}
					wantInc, err := svc.RTTIncomplete(ctx, analyst, end, report.RTTIncompleteOptions{Basis: fromEvents, Pathways: true})
					if err != nil {
						t.Fatal(err)
					}
					gotInc, err := svc.RTTIncomplete(ctx, analyst, end, report.RTTIncompleteOptions{Basis: b, Pathways: true})
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(wantInc, gotInc); diff != "" {
						t.Fatalf("round %d, incomplete at %s recorded by %v: from the courses differs from the events (-events +courses):\n%s", round, end, b.RecordedBy, diff)
					}
					if st := standard[m]; b.RecordedBy.IsZero() && (st.Total != wantInc.Total || st.Within != wantInc.Within18Weeks) {
						t.Fatalf("round %d, standard at %s: %d of %d within 18 weeks; from the events %d of %d", round, end, st.Within, st.Total, wantInc.Within18Weeks, wantInc.Total)
					}
					if b.RecordedBy.IsZero() {
						continue
					}
					wantCmp, err := svc.RTTReturnCompare(ctx, analyst, month, b.RecordedBy, report.RTTReturnOptions{Basis: crs.ReportBasis{FromEvents: true}})
					if err != nil {
						t.Fatal(err)
					}
					gotCmp, err := svc.RTTReturnCompare(ctx, analyst, month, b.RecordedBy, report.RTTReturnOptions{})
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(wantCmp, gotCmp); diff != "" {
						t.Fatalf("round %d, %s comparison with %v: from the courses differs from the events (-events +courses):\n%s", round, month.Format("2006-01"), b.RecordedBy, diff)
					}
					differ += len(gotCmp.Pathways)
				}
			}
			if differ == 0 {
				t.Fatalf("round %d: no pathway is counted differently now from as recorded; the test proves nothing", round)
			}
		}
		t.Logf("%d late events recorded, %d admissions cancelled", recorded, removed)
		if recorded == 0 || removed == 0 {
			t.Fatalf("%d late events recorded and %d admissions cancelled; the test proves too little", recorded, removed)
		}
	})
}
