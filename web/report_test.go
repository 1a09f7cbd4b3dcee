package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestAnalystArea walks the information analyst's area on both engines:
// the RTT return with its charts, the patients behind a figure (each
// audited), a download recorded in the submission history with its
// checksum, KH03, and the diagnostic request form a clerk fills in.
func TestAnalystArea(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		e := newEnvOn(t, db, clock)
		ctx := context.Background()
		p := e.register(e.a, "Waiter", "Wendy", crs.NewDate(1960, 2, 2), "", "LS1 1AA")
		r := &crs.Referral{PatientID: p.ID, Source: "03", ReceivedOn: crs.NewDate(2025, 12, 1), Priority: crs.PriorityRoutine, TreatmentFunction: "100", ConsultantLed: true}
		if err := store.NewReferralService(db).RecordReferral(ctx, e.a.Actor(crs.RoleClerk), r); err != nil {
			t.Fatal(err)
		}
		an := e.login(e.a, crs.RoleAnalyst)
		wantBody(t, "returns", an.get("/reports"), "RTT monthly return", "No return generated yet")
		page := an.get("/reports/rtt?month=2026-02")
		wantStatus(t, "RTT return", page, http.StatusOK)
		wantBody(t, "RTT return", page, "Incomplete (Part 2)", `<svg`, `href="/reports/rtt/patients?month=2026-02&amp;part=incomplete"`, "Share of incomplete pathways within 18 weeks")
		wantBody(t, "patients behind the figure", an.get("/reports/rtt/patients?month=2026-02&part=incomplete"), "Waiter, Wendy", `href="/patients/`+p.ID+`"`)
		db.Flush(ctx)
		audit, err := store.NewAuditService(db).PatientAccess(ctx, e.a.Actor(crs.RolePrivacyOfficer), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var viewed bool
		for _, rec := range audit {
			viewed = viewed || rec.Username == e.a.Users[crs.RoleAnalyst].Username
		}
		if !viewed {
			t.Errorf("the analyst's view of the patients behind a figure is not in the patient's audit")
		}
		dl := an.get("/reports/download?report=rtt&period=2026-02&format=csv")
		wantStatus(t, "download", dl, http.StatusOK)
		sum := dl.header.Get("X-Checksum-SHA256")
		if len(sum) != 64 || !strings.Contains(dl.body, "2026-02,incomplete,unknown,100,1,") {
			t.Errorf("download: checksum %q\n%s", sum, dl.body)
		}
		wantBody(t, "submission history", an.get("/reports"), sum, "rtt", "2026-02")
		wantStatus(t, "unknown return", an.get("/reports/download?report=nope&period=2026-02&format=csv"), http.StatusNotFound)
		wantBody(t, "KH03", an.get("/reports/kh03?quarter=2025-Q4"), "KH03 beds, 2025-Q4", "General &amp; Acute", `<svg`)
		wantBody(t, "KH03 as recorded", an.get("/reports/kh03?quarter=2025-Q4&as_recorded_at=2026-01-01"), `id="as-recorded"`, "No figure differs")
		// The A&E return as recorded before a departure was entered late,
		// beside the return known now: the attendance and its departure.
		ed := store.NewEDService(db)
		att := &crs.EDAttendance{PatientID: p.ID, ArrivedAt: clock.Now().Add(-time.Hour), ArrivalMode: "1048021000000102", AttendanceCategory: "1"}
		if err := ed.Arrive(ctx, e.a.Actor(crs.RoleNurse), att); err != nil {
			t.Fatal(err)
		}
		said := clock.Now().Add(5 * time.Minute)
		left := clock.Now().Add(-20 * time.Minute)
		clock.Advance(10 * time.Minute)
		if err := ed.Depart(ctx, e.a.Actor(crs.RoleNurse), att.ID, crs.EDDeparture{Kind: crs.EDDischarged, Status: "182992009", Destination: "306689006", At: left}); err != nil {
			t.Fatal(err)
		}
		wantBody(t, "A&E return", an.get("/reports/ae?month=2026-03"), "A&amp;E return, 2026-03", "All types", `name="as_recorded_at"`)
		asRec := an.get("/reports/ae?month=2026-03&as_recorded_at=" + url.QueryEscape(said.In(crs.London).Format("2006-01-02 15:04")))
		wantStatus(t, "A&E as recorded", asRec, http.StatusOK)
		wantBody(t, "A&E as recorded", asRec, `id="as-recorded"`, `id="differences"`, "still_in_department", `id="changes"`, att.ID, "Left A&amp;E: discharged")
		badTime := an.get("/reports/ae?month=2026-03&as_recorded_at=nope")
		if badTime.status == http.StatusOK || !strings.Contains(badTime.body, "is not a time") {
			t.Errorf("a bad time: %d\n%s", badTime.status, badTime.body)
		}
		// A clerk may not see the returns.
		clerk := e.login(e.a, crs.RoleClerk)
		wantStatus(t, "clerk on returns", clerk.get("/reports"), http.StatusForbidden)

		// Diagnostic requests by hand: a bad one shown beside its field,
		// a good one listed, then done.
		bad := clerk.post("/patients/"+p.ID+"/diagnostics", url.Values{"test": {"XRAY"}, "requested_on": {"2026-02-30"}})
		wantStatus(t, "bad diagnostic request", bad, http.StatusUnprocessableEntity)
		wantBody(t, "bad diagnostic request", bad, `id="test-error"`, `id="requested_on-error"`)
		good := clerk.post("/patients/"+p.ID+"/diagnostics", url.Values{"test": {"MRI"}, "requested_on": {"2026-02-01"}})
		wantStatus(t, "diagnostic request", good, http.StatusSeeOther)
		list := clerk.get("/patients/" + p.ID + "/diagnostics")
		wantBody(t, "diagnostic requests", list, "MRI", "Done today")
		reqs, err := store.NewDiagnosticService(db).FindDiagnosticRequests(ctx, e.a.Actor(crs.RoleClerk), p.ID)
		if err != nil || len(reqs) != 1 {
			t.Fatalf("requests: %v, %v", reqs, err)
		}
		wantStatus(t, "done", clerk.post("/diagnostics/"+reqs[0].ID+"/done", url.Values{"patient_id": {p.ID}}), http.StatusSeeOther)
		if reqs, _ := store.NewDiagnosticService(db).FindDiagnosticRequests(ctx, e.a.Actor(crs.RoleClerk), p.ID); reqs[0].PerformedOn.IsZero() {
			t.Errorf("the request is not done")
		}
	})
}
