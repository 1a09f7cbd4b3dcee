package demo_test

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/news2"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSeedObservations seeds a demo trust's journey with observations
// and checks the wards have patients at every NEWS2 risk, and that a
// second run adds no more.
func TestSeedObservations(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a demo trust's journey")
	}
	ctx := context.Background()
	clock := crs.NewFixedClock(storetest.Epoch)
	db := storetest.OpenSQLite(t, clock)
	res, err := demo.Seed(ctx, services(db), demo.Options{Patients: 300, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	sys := crs.SystemActor(res.Trusts[0].Org.ID)
	obs := &fhir.ObservationService{Store: db, Resources: store.NewResourceService(db)}
	sv := storetest.Journey(db)
	sv.Observations = obs
	opts := demo.JourneyOptions{Referrals: 10, EDPatients: 1}
	if err := demo.SeedJourney(ctx, sv, sys, opts); err != nil {
		t.Fatal(err)
	}
	wards, err := sv.Inpatients.BedBoard(ctx, sys)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, w := range wards {
		for _, b := range w.Beds {
			if b.SpellID != "" {
				ids = append(ids, b.PatientID)
			}
		}
	}
	latest, err := obs.LatestNEWS2(ctx, sys, ids)
	if err != nil {
		t.Fatal(err)
	}
	risks, overdue := map[news2.Risk]int{}, 0
	for _, v := range latest {
		risks[v.Score.Risk]++
		if clock.Now().After(v.Due()) {
			overdue++
		}
	}
	for _, r := range []news2.Risk{news2.RiskLow, news2.RiskLowMedium, news2.RiskMedium, news2.RiskHigh} {
		if risks[r] == 0 {
			t.Errorf("no inpatient at %s risk: %v", r, risks)
		}
	}
	if overdue == 0 {
		t.Errorf("no inpatient is overdue observations")
	}
	before := len(latest)
	if err := demo.SeedJourney(ctx, sv, sys, opts); err != nil {
		t.Fatal(err)
	}
	sets, _ := obs.VitalSigns(ctx, sys, ids[0], storetest.Epoch.AddDate(0, 0, -2), 50)
	if len(sets) > 3 {
		t.Errorf("a second run added sets: %d, want at most 3", len(sets))
	}
	if again, _ := obs.LatestNEWS2(ctx, sys, ids); len(again) < before {
		t.Errorf("patients with a score went from %d to %d", before, len(again))
	}
}
