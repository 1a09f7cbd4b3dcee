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
	code, out, errs = runCLI(t, "report", "rtt-incomplete", "--db", dsn, "--ods", "RCL", "--census", "2026-02-28", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "census_date,group,code,total,") || !strings.Contains(out, "\n2026-02-28,trust,,2,2,1.0000,0,0,") {
		t.Errorf("csv at 2026-02-28: exit %d\n%s%s", code, out, errs)
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
	if code, out, _ := runCLI(t, "report", "list"); code != 0 || !strings.Contains(out, "rtt-incomplete") {
		t.Errorf("crs report list: exit %d\n%s", code, out)
	}
}
