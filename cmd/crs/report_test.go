package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestReportRTTIncomplete runs crs report rtt-incomplete on a trust with
// two referrals: one waiting at the census date, one received after it;
// and checks the figures, the CSV and the errors of a wrong command line.
func TestReportRTTIncomplete(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "crs.db")
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Clock = crs.NewFixedClock(storetest.Epoch) // 2026-03-02
	tr := storetest.NewTrust(t, db, "RCL")
	ps := []*crs.Patient{demo.NewGenerator(5).Patient(), demo.NewGenerator(6).Patient()}
	if _, err := db.LoadPatients(ctx, tr.System, ps, crs.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, received := range []crs.Date{crs.NewDate(2026, 1, 1), crs.NewDate(2026, 2, 20)} {
		r := &crs.Referral{PatientID: ps[i].ID, Source: "03", ReceivedOn: received, Priority: crs.PriorityRoutine, TreatmentFunction: "101", ConsultantLed: true}
		if err := store.NewReferralService(db).RecordReferral(ctx, tr.Actor(crs.RoleClerk), r); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	// At 2026-01-31 one pathway waits, 30 days: band 4-5, within 18 weeks.
	code, out, errs := runCLI(t, "report", "rtt-incomplete", "--db", dsn, "--ods", "rcl", "--census", "2026-01-31", "--pathways")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Census   string         `json:"census_date"`
		Total    int            `json:"total"`
		Share    float64        `json:"share_within_18_weeks"`
		ByBand   map[string]int `json:"by_band"`
		Pathways []struct {
			Days int    `json:"days"`
			Band string `json:"band"`
		} `json:"pathways"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if got.Census != "2026-01-31" || got.Total != 1 || got.Share != 1 || got.ByBand["4-5"] != 1 || len(got.Pathways) != 1 || got.Pathways[0].Days != 30 {
		t.Errorf("figures at 2026-01-31: %+v; want one pathway of 30 days in band 4-5", got)
	}
	code, out, errs = runCLI(t, "report", "rtt-incomplete", "--db", dsn, "--ods", "RCL", "--as-at", "2026-02-28", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "census_date,group,code,total,") || !strings.Contains(out, "\n2026-02-28,trust,,2,2,1.0000,0,0,") {
		t.Errorf("csv at 2026-02-28: exit %d\n%s%s", code, out, errs)
	}
	// Worked out from the events, the reference, the figures are the same.
	ref, refOut, refErrs := runCLI(t, "report", "rtt-incomplete", "--db", dsn, "--ods", "RCL", "--as-at", "2026-02-28", "--format", "csv", "--from-events")
	if ref != 0 || refOut != out {
		t.Errorf("csv at 2026-02-28 from the events: exit %d\n%s%s\nwant\n%s", ref, refOut, refErrs, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ods", "RCL"}, "--census is required"},
		{[]string{"--ods", "RCL", "--census", "31st"}, "--census: \"31st\" is not a date"},
		{[]string{"--ods", "RCL", "--census", "2026-01-31", "--format", "xml"}, `--format: "xml" is not json or csv`},
		{[]string{"--ods", "RCL", "--census", "2026-01-31", "--as-recorded-at", "yesterday"}, "--as-recorded-at: \"yesterday\" is not a time"},
		{[]string{"--ods", "RZZ", "--census", "2026-01-31"}, "no trust with ODS code RZZ"},
	} {
		code, _, errs := runCLI(t, append([]string{"report", "rtt-incomplete", "--db", dsn}, tc.args...)...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("crs report rtt-incomplete %v: exit %d, %q; want an error saying %q", tc.args, code, errs, tc.want)
		}
	}
	// The January return: the pathway received on 1 January is a new
	// period and still waiting at the month's end; the patient's practice
	// is commissioned by QKK.
	dir := t.TempDir()
	comms := filepath.Join(dir, "commissioners.csv")
	os.WriteFile(comms, []byte("practice_code,commissioner_code\n"+ps[0].GPPracticeCode+",QKK\n"), 0o600)
	code, out, errs = runCLI(t, "report", "rtt", "--db", dsn, "--ods", "RCL", "--month", "2026-01", "--commissioners", comms)
	var ret crs.RTTReturn
	if err := json.Unmarshal([]byte(out), &ret); code != 0 || err != nil {
		t.Fatalf("report rtt: exit %d, %v\n%s%s", code, err, out, errs)
	}
	if ret.NewPeriods.Total != 1 || ret.Parts[crs.RTTIncompletePart].Total != 1 || ret.Parts[crs.RTTIncompletePart].ByCommissioner["QKK"] == nil {
		t.Errorf("January return: new periods %d, incomplete %+v; want 1 and 1 under QKK", ret.NewPeriods.Total, ret.Parts[crs.RTTIncompletePart])
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("practice_code,commissioner_code\nY00001\n"), 0o600)
	if code, _, errs := runCLI(t, "report", "rtt", "--db", dsn, "--ods", "RCL", "--month", "2026-01", "--commissioners", bad); code == 0 || !strings.Contains(errs, "bad.csv:2:") {
		t.Errorf("a bad commissioners file: exit %d, %q; want an error naming bad.csv:2", code, errs)
	}
	if code, _, errs := runCLI(t, "report", "rtt", "--db", dsn, "--ods", "RCL", "--month", "Jan"); code == 0 || !strings.Contains(errs, "--month: \"Jan\" is not a month") {
		t.Errorf("--month Jan: exit %d, %q", code, errs)
	}
	// Before anything was recorded the return was empty; the comparison
	// explains the difference with the referral recorded since.
	code, out, errs = runCLI(t, "report", "rtt", "--db", dsn, "--ods", "RCL", "--month", "2026-01", "--as-recorded-at", "2026-03-01T12:00", "--compare")
	var c crs.RTTReturnComparison
	if err := json.Unmarshal([]byte(out), &c); code != 0 || err != nil {
		t.Fatalf("report rtt --compare: exit %d, %v\n%s%s", code, err, out, errs)
	}
	if c.AsRecorded.Parts[crs.RTTIncompletePart].Total != 0 || c.AsAt.Parts[crs.RTTIncompletePart].Total != 1 || len(c.Pathways) != 1 || len(c.Pathways[0].Events) != 1 {
		t.Errorf("comparison: as recorded %d, as at %d, %d pathways changed; want 0, 1 and one explained by its referral",
			c.AsRecorded.Parts[crs.RTTIncompletePart].Total, c.AsAt.Parts[crs.RTTIncompletePart].Total, len(c.Pathways))
	}
	if code, _, errs := runCLI(t, "report", "rtt", "--db", dsn, "--ods", "RCL", "--month", "2026-01", "--compare"); code != 2 || !strings.Contains(errs, "--compare needs --as-recorded-at") {
		t.Errorf("--compare alone: exit %d, %q", code, errs)
	}
	code, out, errs = runCLI(t, "report", "ae", "--db", dsn, "--ods", "RCL", "--month", "2026-02", "--format", "csv")
	if code != 0 || !strings.Contains(out, "\n2026-02,all,0,0,0,0.0000,false,0,0,0\n") {
		t.Errorf("report ae on a trust with no attendances: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "report", "kh03", "--db", dsn, "--ods", "RCL", "--quarter", "2025-Q4", "--format", "csv")
	if code != 0 || !strings.Contains(out, "\n2025-Q4,2026-01-01,2026-03-31,0,overnight,General & Acute,0.00,0.00,0.0000\n") {
		t.Errorf("report kh03 on a trust with no wards: exit %d\n%s%s", code, out, errs)
	}
	// As recorded, and compared: the command reads the time and the
	// comparison names its period and time.
	code, out, errs = runCLI(t, "report", "ae", "--db", dsn, "--ods", "RCL", "--month", "2026-02", "--as-recorded-at", "2026-03-01T12:00", "--compare")
	var ac crs.ReturnComparison[*crs.AEReturn]
	if err := json.Unmarshal([]byte(out), &ac); code != 0 || err != nil || ac.Report != "ae" || ac.Period != "2026-02" || ac.RecordedBy != "2026-03-01T12:00:00Z" || ac.AsRecorded == nil {
		t.Errorf("report ae --compare: exit %d, %v, %+v\n%s", code, err, ac, errs)
	}
	code, out, errs = runCLI(t, "report", "kh03", "--db", dsn, "--ods", "RCL", "--quarter", "2025-Q4", "--as-recorded-at", "2026-03-01", "--compare", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "period,as_recorded_at,line,figure,as_at,as_recorded,difference\n") {
		t.Errorf("report kh03 --compare as CSV: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "report", "kh03", "--db", dsn, "--ods", "RCL", "--quarter", "2025-Q4", "--as-recorded-at", "2026-03-01T12:00")
	var kr crs.KH03Return
	if err := json.Unmarshal([]byte(out), &kr); code != 0 || err != nil || kr.RecordedBy != "2026-03-01T12:00:00Z" {
		t.Errorf("report kh03 --as-recorded-at: exit %d, %v, %q\n%s", code, err, kr.RecordedBy, errs)
	}
	for _, kind := range [][]string{{"ae", "--month", "2026-02"}, {"kh03", "--quarter", "2025-Q4"}} {
		if code, _, errs := runCLI(t, append([]string{"report", kind[0], "--db", dsn, "--ods", "RCL", "--compare"}, kind[1:]...)...); code != 2 || !strings.Contains(errs, "--compare needs --as-recorded-at") {
			t.Errorf("%s --compare alone: exit %d, %q", kind[0], code, errs)
		}
		if code, _, errs := runCLI(t, append([]string{"report", kind[0], "--db", dsn, "--ods", "RCL", "--as-recorded-at", "soon"}, kind[1:]...)...); code != 2 || !strings.Contains(errs, "--as-recorded-at: \"soon\" is not a time") {
			t.Errorf("%s --as-recorded-at soon: exit %d, %q", kind[0], code, errs)
		}
	}
	if code, _, errs := runCLI(t, "report", "kh03", "--db", dsn, "--ods", "RCL", "--quarter", "2025-3"); code != 2 || !strings.Contains(errs, "--quarter: \"2025-3\" is not a quarter") {
		t.Errorf("--quarter 2025-3: exit %d, %q", code, errs)
	}
	if code, _, errs := runCLI(t, "report", "kh03-day-only", "--db", dsn, "--ods", "RCL", "--ward", "NOPE"); code != 1 || !strings.Contains(errs, "no ward with code NOPE") {
		t.Errorf("kh03-day-only of an unknown ward: exit %d, %q", code, errs)
	}
	// The two patients the demo generator made are checked; every line
	// links to a page.
	code, out, errs = runCLI(t, "report", "dq", "--db", dsn, "--ods", "RCL", "--as-of", "2026-03-02")
	var dq crs.DQReport
	if err := json.Unmarshal([]byte(out), &dq); code != 0 || err != nil || dq.AsOf != "2026-03-02" || len(dq.Counts) != len(crs.DQChecks) {
		t.Errorf("report dq: exit %d, %v\n%s%s", code, err, out, errs)
	}
	for _, it := range dq.Items {
		if !strings.HasPrefix(it.Link, "/") || it.RecordID == "" {
			t.Errorf("data quality item without a page: %+v", it)
		}
	}
	// A diagnostic request recorded by hand is on the DM01 waiting list.
	if code, out, errs := runCLI(t, "diagnostic", "add", "--db", dsn, "--ods", "RCL", "--mrn", ps[0].MRN, "--test", "MRI", "--requested", "2026-01-10"); code != 0 || !strings.Contains(out, "MRI requested for") {
		t.Fatalf("diagnostic add: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runCLI(t, "diagnostic", "add", "--db", dsn, "--ods", "RCL", "--mrn", ps[0].MRN, "--test", "XRAY", "--requested", "2026-01-10"); code == 0 || !strings.Contains(errs, `--test: test "XRAY" is not one of the DM01 tests`) {
		t.Errorf("diagnostic add of an unknown test: exit %d, %q", code, errs)
	}
	code, out, errs = runCLI(t, "report", "dm01", "--db", dsn, "--ods", "RCL", "--month", "2026-02", "--format", "csv")
	if code != 0 || !strings.Contains(out, "\n2026-02,MRI,Magnetic Resonance Imaging,1,1,1.0000,") {
		t.Errorf("report dm01: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ := runCLI(t, "report", "list"); code != 0 || !strings.Contains(out, "rtt-incomplete") {
		t.Errorf("crs report list: exit %d\n%s", code, out)
	}
}
