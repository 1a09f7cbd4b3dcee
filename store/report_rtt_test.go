package store_test

import (
	"context"
	"testing"
	"time"

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
		_, e := s.listedForTreatment(t, today, 40)
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

// TestRTTReturnAsRecordedKeepsCancelledAdmission admits a patient for
// treatment, then cancels the admission as entered in error an hour
// later: the return as recorded before the cancellation still counts the
// completed pathway, the return now counts it waiting, and the comparison
// explains it with the removed event.
func TestRTTReturnAsRecordedKeepsCancelledAdmission(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RCA", 1)
		today := crs.LocalDate(clock.Now())
		r, e := s.listedForTreatment(t, today, 40)
		sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{EntryID: e.ID, Method: "11", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID})
		if err != nil {
			t.Fatalf("admit: %v", err)
		}
		admitted := clock.Now()
		clock.Set(admitted.Add(time.Hour))
		if err := s.ip.CancelAdmission(ctx, s.clerk, sp.ID, "entered in error"); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		svc, analyst := report.New(store.NewReportSource(db)), s.tr.Actor(crs.RoleAnalyst)
		then, err := svc.RTTReturn(ctx, analyst, today, report.RTTReturnOptions{Basis: crs.ReportBasis{RecordedBy: admitted}})
		if err != nil {
			t.Fatal(err)
		}
		now, err := svc.RTTReturn(ctx, analyst, today, report.RTTReturnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if then.Parts[crs.RTTCompletedAdmitted].Total != 1 || then.Parts[crs.RTTIncompletePart].Total != 0 {
			t.Errorf("as recorded at the admission: completed admitted %d, incomplete %d; want 1 and 0",
				then.Parts[crs.RTTCompletedAdmitted].Total, then.Parts[crs.RTTIncompletePart].Total)
		}
		if now.Parts[crs.RTTCompletedAdmitted].Total != 0 || now.Parts[crs.RTTIncompletePart].Total != 1 {
			t.Errorf("as at now: completed admitted %d, incomplete %d; want 0 and 1",
				now.Parts[crs.RTTCompletedAdmitted].Total, now.Parts[crs.RTTIncompletePart].Total)
		}
		c, err := svc.RTTReturnCompare(ctx, analyst, today, admitted, report.RTTReturnOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Pathways) != 1 || len(c.Pathways[0].Events) != 1 || c.Pathways[0].Events[0].RemovedAt == "" || c.Pathways[0].Events[0].Kind != "admitted for treatment" {
			t.Errorf("comparison: %+v; want the pathway explained by the removed admission", c.Pathways)
		}
		// The clock itself no longer sees the removed admission.
		if ptl := ptlRow(t, s, r.PathwayID); ptl == nil {
			t.Errorf("the pathway is not back on the PTL after the admission was cancelled")
		}
	})
}

// listedForTreatment refers the site's first patient days before today
// and adds them to the waiting list for treatment today.
func (s *site) listedForTreatment(t *testing.T, today crs.Date, days int) (*crs.Referral, *crs.WaitingListEntry) {
	t.Helper()
	r := s.referral(t, s.patients[0], crs.Date{Time: today.AddDate(0, 0, -days)})
	e := &crs.WaitingListEntry{ReferralID: r.ID, DecidedOn: today, IntendedManagement: "1", ProcedureCode: "W401", Priority: "P4", ConsultantCode: "C1234567", ForTreatment: true}
	if err := s.wl.AddToWaitingList(context.Background(), s.clerk, e); err != nil {
		t.Fatalf("add to the waiting list: %v", err)
	}
	return r, e
}
