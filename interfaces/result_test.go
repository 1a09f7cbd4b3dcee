package interfaces

import (
	"context"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// labORU writes an ORU^R01 as a hospital laboratory system sends it: v2.4,
// its own sending application, ORC before each OBR, NTE comments after
// an OBR and after an OBX, units as CE, abnormal flags, and a Z segment.
func labORU(ctrl, nhsNo string, segs ...string) string {
	head := []string{"MSH|^~\\&|WINPATH|RXXLAB|OPENCRS|RXX|20260302101500||ORU^R01^ORU_R01|" + ctrl + "|P|2.4|||AL|NE|GBR",
		"PID|1||" + nhsNo + "^^^NHS^NH||SMITH^ANNE^^^MRS||19800101|F", "PV1|1|O|OPD"}
	return strings.Join(append(head, segs...), "\r") + "\r"
}

// senderFixture is a running engine with trust RXX, its PAS and the
// sending system app at facility configured, and one patient, SMITH Anne,
// registered by the PAS with the n-th test NHS number, which it returns.
func senderFixture(t *testing.T, db *store.DB, app, facility string, n int) (*fixture, string) {
	t.Helper()
	f := newFixture(t, db, "RXX")
	f.addInterface(t, f.trust, app, facility)
	nhsNo := testNHS(n)
	if ack, _ := f.send(t, adtMsg("A28", "REG-"+nhsNo, "RXX", pidSeg(nhsNo, "", "RXX", "SMITH", "ANNE", "19800101"))); ack.Code != hl7.AA {
		t.Fatalf("register: %+v", ack)
	}
	return f, nhsNo
}

// segment writes a segment with the fields given by number.
func segment(name string, fields map[int]string) string {
	n := 0
	for k := range fields {
		n = max(n, k)
	}
	f := make([]string, n+1)
	f[0] = name
	for k, v := range fields {
		f[k] = v
	}
	return strings.Join(f, "|")
}

// TestResultsAsLabsSendThem files a report with two orders, comments and
// flags over MLLP, then a correction of one value, and reads them back as
// a clinician, the history kept.
func TestResultsAsLabsSendThem(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, n := senderFixture(t, db, "WINPATH", "RXXLAB", 21)
		p := findByNHS(t, db, f.trust, n)
		searches := &searchLog{ResourceStore: store.NewResourceService(db)}
		svc := &fhir.ResultService{Store: db, Resources: searches}
		doctor := f.trust.Actor(crs.RoleDoctor)
		storetest.Relate(t, db, doctor, p.ID) // the doctor caring for the patient reads what was filed
		ctx := context.Background()

		ack, _ := f.send(t, labORU("LAB1", n,
			"ORC|RE|PL1|FL1",
			segment("OBR", map[int]string{1: "1", 2: "PL1", 3: "FL1^WINPATH", 4: "FBC^Full blood count^WP", 7: "20260302083000", 14: "20260302084500",
				16: "C1234567^GREY^ANN^^^DR", 22: "20260302100000", 24: "HM", 25: "F"}),
			"NTE|1|L|Sample slightly haemolysed",
			"OBX|1|NM|HB^Haemoglobin^WP||135|g/L^grams per litre|115-165|N|||F",
			"OBX|2|NM|WBC^White cell count^WP||11.2|10*9/L|4.0-11.0|H|||F",
			"NTE|1||Mild leucocytosis.~Repeat in one week.",
			"ORC|RE|PL2|FL2",
			segment("OBR", map[int]string{1: "1", 2: "PL2", 3: "FL2^WINPATH", 4: "UE^Urea and electrolytes^WP", 7: "20260302083000", 24: "CH", 25: "F"}),
			"OBX|1|NM|NA^Sodium^WP||128|mmol/L|133-146|L|||F",
			"OBX|2|NM|K^Potassium^WP||4.1|mmol/L|3.5-5.3|N|||F",
			"OBX|3|CE|HAEM^Haemolysis index^WP||SL^Slight^WP||||||F",
			"ZWP|1|LAB-INTERNAL-42"))
		if ack.Code != hl7.AA || len(ack.Errors) != 0 {
			t.Fatalf("ORU: got %s %+v, want a plain AA", ack.Code, ack.Errors)
		}
		rs, err := svc.FindResults(ctx, doctor, p.ID)
		if err != nil || len(rs) != 2 {
			t.Fatalf("results: got %d, err %v; want 2", len(rs), err)
		}
		// The results page reads the 5 Observations the reports name, not
		// all of the patient's.
		for _, q := range searches.queries {
			if q.Type == "Observation" && (len(q.IDs) == 0 || q.Count > len(q.IDs)) {
				t.Errorf("results read Observations with %+v, not by the ids the reports name", q)
			}
		}
		by := map[string]*crs.Result{}
		for _, r := range rs {
			by[r.ServiceCode] = r
		}
		fbc, ue := by["FBC"], by["UE"]
		if fbc == nil || ue == nil {
			t.Fatalf("results by test: %v", by)
		}
		if fbc.FillerOrder != "FL1" || fbc.Status != "F" || fbc.Section != "HM" || fbc.OrderedBy != "C1234567 DR ANN GREY" ||
			fbc.ReportedAt.IsZero() || len(fbc.Comments) != 1 || fbc.Comments[0] != "Sample slightly haemolysed" || fbc.Version != 1 {
			t.Errorf("FBC report: %+v", fbc)
		}
		hb, wbc := fbc.Observations[0], fbc.Observations[1]
		if hb.Value != "135" || hb.Units != "g/L" || hb.Range != "115-165" || hb.Abnormal() {
			t.Errorf("haemoglobin: %+v", hb)
		}
		if wbc.Flags != "H" || !wbc.Abnormal() || strings.Join(wbc.Comments, "|") != "Mild leucocytosis.\nRepeat in one week." {
			t.Errorf("white cells: %+v (comments %q)", wbc, wbc.Comments)
		}
		if len(ue.Observations) != 3 || ue.Observations[0].Flags != "L" || ue.Observations[2].Value != "Slight" {
			t.Errorf("U&E observations: %+v", ue.Observations)
		}

		// The laboratory corrects the sodium only (OBX-11 and OBR-25 C).
		ack, _ = f.send(t, labORU("LAB2", n,
			segment("OBR", map[int]string{1: "1", 2: "PL2", 3: "FL2^WINPATH", 4: "UE^Urea and electrolytes^WP", 7: "20260302083000", 24: "CH", 25: "C"}),
			"OBX|1|NM|NA^Sodium^WP||138|mmol/L|133-146|N|||C",
			"NTE|1||Corrected: earlier sample mislabelled."))
		if ack.Code != hl7.AA {
			t.Fatalf("correction: got %s %+v", ack.Code, ack.Errors)
		}
		rs, err = svc.FindResults(ctx, doctor, p.ID)
		if err != nil || len(rs) != 2 {
			t.Fatalf("results after the correction: got %d, err %v; want still 2", len(rs), err)
		}
		for _, r := range rs {
			if r.ServiceCode == "UE" {
				ue = r
			}
		}
		if ue.Version != 2 || ue.Status != "C" || len(ue.Observations) != 3 || ue.Observations[0].Value != "138" || ue.Observations[0].Status != "C" ||
			ue.Observations[1].Value != "4.1" || ue.Observations[2].Value != "Slight" {
			t.Errorf("corrected U&E: version %d status %s observations %+v", ue.Version, ue.Status, ue.Observations)
		}
		hist, err := svc.ResultHistory(ctx, doctor, p.ID, ue.ID)
		if err != nil || len(hist) != 2 {
			t.Fatalf("history: got %d, err %v; want 2 versions", len(hist), err)
		}
		if hist[0].ID != ue.ID || hist[1].Observations[0].Value != "128" || hist[1].SupersededBy != ue.ID || hist[0].Replaces != hist[1].ID {
			t.Errorf("history: current %+v, earlier %+v", hist[0], hist[1])
		}
		// The earlier version's id finds the same history.
		if h2, err := svc.ResultHistory(ctx, doctor, p.ID, hist[1].ID); err != nil || len(h2) != 2 || h2[0].ID != ue.ID {
			t.Errorf("history from the earlier version: %d versions, err %v", len(h2), err)
		}
		// A clerk may not read the clinical record; another patient's id finds nothing.
		if _, err := svc.FindResults(ctx, f.trust.Actor(crs.RoleClerk), p.ID); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("clerk reading results: got %v, want EFORBIDDEN", err)
		}
		if _, err := svc.ResultHistory(ctx, doctor, crs.NewID(), ue.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("result of another patient: got %v, want ENOTFOUND", err)
		}
	})
}

// TestResultRefusals checks what a result that cannot be filed gets.
func TestResultRefusals(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, n := senderFixture(t, db, "WINPATH", "RXXLAB", 22)
		for _, tc := range []struct {
			name, msg  string
			seg        string
			seq, field int
			want       string
		}{
			{"OBX before OBR", labORU("BAD1", n, "OBX|1|NM|NA^Sodium||140|mmol/L"), "OBX", 1, 1, "before any OBR"},
			{"bad report time", labORU("BAD2", n, "OBR|1||F1|UE|||20260302", segment("OBR", map[int]string{1: "2", 3: "F2", 4: "FBC", 22: "2026-03-02", 25: "F"})), "OBR", 2, 22, "OBR-22"},
			{"unknown patient", labORU("BAD3", testNHS(23), "OBR|1||F1|UE", "OBX|1|NM|NA||140"), "PID", 1, 3, "unknown patient"},
			{"no OBR", labORU("BAD4", n), "OBR", 1, 0, "no OBR"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ack, _ := f.send(t, tc.msg)
				if ack.Code != hl7.AE || len(ack.Errors) == 0 {
					t.Fatalf("got %s %+v, want AE", ack.Code, ack.Errors)
				}
				e := ack.Errors[0]
				if e.Segment != tc.seg || e.Sequence != tc.seq || e.Field != tc.field || !strings.Contains(e.Text, tc.want) {
					t.Errorf("ERR: got %s[%d]-%d %q, want %s[%d]-%d containing %q", e.Segment, e.Sequence, e.Field, e.Text, tc.seg, tc.seq, tc.field, tc.want)
				}
			})
		}
		// An engine with no result filing set up refuses results, never
		// drops them.
		ack, _ := hl7.ParseACK(New(db, nil).Handle(context.Background(), []byte(labORU("BAD5", n, "OBR|1||F5|UE", "OBX|1|NM|NA||140"))))
		if ack.Code != hl7.AE || len(ack.Errors) == 0 || !strings.Contains(ack.Errors[0].Text, "no result filing") {
			t.Errorf("no result filing: got %s %+v, want AE saying so", ack.Code, ack.Errors)
		}
		if rs, _ := findResults(context.Background(), db, f.trust.Org.ID, findByNHS(t, db, f.trust, n).ID); len(rs) != 0 {
			t.Errorf("refused reports filed %d results", len(rs))
		}
	})
}

// searchLog is the resource store with a record of the searches run on
// it, to see what a reader asks for.
type searchLog struct {
	crs.ResourceStore
	queries []crs.ResourceQuery
}

func (l *searchLog) SearchResources(ctx context.Context, a crs.Actor, q crs.ResourceQuery) ([]*crs.Resource, int, error) {
	l.queries = append(l.queries, q)
	return l.ResourceStore.SearchResources(ctx, a, q)
}
