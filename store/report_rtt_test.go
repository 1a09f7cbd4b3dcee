package store_test

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestRTTReturnReportsUnderStoppingFunction admits for treatment under
// urology (101) a patient on a general surgery (100) pathway: the
// completed pathway is reported under 101, the function of the activity
// that stopped the clock, not the pathway's 100 (guidance s10.1.4).
func TestRTTReturnReportsUnderStoppingFunction(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RSF", 1)
		today := crs.LocalDate(clock.Now())
		r := s.referral(t, s.patients[0], crs.Date{Time: today.AddDate(0, 0, -40)})
		e := &crs.WaitingListEntry{ReferralID: r.ID, DecidedOn: today, IntendedManagement: "1", ProcedureCode: "W401", Priority: "P4", ConsultantCode: "C1234567", ForTreatment: true}
		if err := s.wl.AddToWaitingList(ctx, s.clerk, e); err != nil {
			t.Fatalf("add: %v", err)
		}
		if _, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{EntryID: e.ID, Method: "11", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID, TreatmentFunction: "101"}); err != nil {
			t.Fatalf("admit: %v", err)
		}
		ret, err := report.New(store.NewReportSource(db)).RTTReturn(ctx, s.tr.Actor(crs.RoleAnalyst), today, report.RTTReturnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p := ret.Parts[crs.RTTCompletedAdmitted]
		if p.Total != 1 || p.ByRTTLine["101"] == nil || p.Bands[5] != 1 {
			t.Errorf("completed admitted: %d, by line %v, bands %v; want 1 under 101 in band 5-6 (40 days)", p.Total, p.ByRTTLine, p.Bands)
		}
	})
}
