package interfaces

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestTolerantCodes checks non-key coded fields: an unknown value is
// applied with an AA carrying W warnings and a data-quality entry per
// value, on an interface that is not strict; a strict interface holds
// the message, which the mapping and a reprocess then apply with the
// mapped codes.
func TestTolerantCodes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		locs := wards(t, db, f.trust)
		org := f.trust.Org.ID
		analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
		strict := f.addConfigured(t, &crs.Interface{SendingApplication: "STRICT", SendingFacility: "RXX", Strict: true})
		a01 := func(app, ctrl, nhsNo string) string {
			return vendorMsg(app, "RXX", "", "RXX", "ADT^A01", ctrl, "2.4", "EVN|A01|20260302090000",
				"PID|1||"+nhsNo+"^^^NHS^NH||KEY^KATE||19800101|Q||||||||||||||ZZ",
				pv1(map[int]string{2: "I", 3: "WD10", 4: "EM", 7: "DRWHO^WHO^DOCTOR", 10: "GENMED", 14: "1", 44: "20260302080000"}))
		}
		ack, raw := f.send(t, a01("PAS", "T1", testNHS(80)))
		if ack.Code != hl7.AA {
			t.Fatalf("tolerant interface: %s %+v, want AA", ack.Code, ack.Errors)
		}
		var fields []string
		for _, e := range ack.Errors {
			if e.Severity != hl7.SeverityWarning {
				t.Errorf("ERR %+v, want severity W", e)
			}
			fields = append(fields, e.Segment+"-"+strconv.Itoa(e.Field))
		}
		if got := strings.Join(fields, " "); got != "PID-8 PID-22 PV1-7 PV1-10 PV1-4" {
			t.Errorf("warnings on %s, want PID-8 PID-22 PV1-7 PV1-10 PV1-4\n%s", got, raw)
		}
		p := findByNHS(t, db, f.trust, testNHS(80))
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM data_quality_issues WHERE org_id = $1 AND patient_id = $2 AND message_id = $3 AND interface_id = $4`,
			org, p.ID, messageByControlID(t, db, org, "T1").ID, f.iface.ID).Scan(&n); err != nil || n != 5 {
			t.Errorf("data-quality entries of the message: %d, %v; want 5", n, err)
		}
		sps, _ := store.NewInpatientService(db).FindSpells(ctx, f.trust.Actor(crs.RoleClerk), p.ID)
		if len(sps) != 1 || sps[0].ConsultantCode != "DRWHO" || sps[0].AdmissionMethod != "99" || sps[0].WardID != locs["WD10"].ID {
			t.Errorf("spell %+v, want consultant DRWHO as received, method 99 (not known), on WD10", sps)
		}
		un, err := f.e.UnmappedCodes(ctx, analyst, f.iface.ID)
		if err != nil || len(un) != 5 {
			t.Errorf("unmapped codes: %+v, %v; want the 5 received", un, err)
		}

		// The strict interface holds the same message for its first unknown code.
		ack, _ = f.send(t, a01("STRICT", "T2", testNHS(81)))
		if ack.Code != hl7.AE || !strings.Contains(ack.Errors[0].Text, "strict") || messageByControlID(t, db, org, "T2").Status != crs.MessageHeld {
			t.Fatalf("strict interface: %s %+v, want AE, held", ack.Code, ack.Errors)
		}
		for _, m := range []crs.CodeMap{{Table: crs.MapSex, From: "Q", To: "F"}, {Table: crs.MapEthnicCategory, From: "ZZ", To: "Z"},
			{Table: crs.MapConsultant, From: "DRWHO", To: "C1234567"}, {Table: crs.MapTreatmentFunction, From: "GENMED", To: "300"},
			{Table: crs.MapAdmissionMethod, From: "EM", To: "21"}} {
			m.InterfaceID = strict.ID
			if err := f.e.SetCodeMap(ctx, analyst, &m); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Minute)
		if rep, err := f.e.ReprocessHeld(ctx, analyst, strict.ID, time.Time{}); err != nil || rep.Applied != 1 {
			t.Fatalf("reprocess after mapping: %+v, %v", rep, err)
		}
		p = findByNHS(t, db, f.trust, testNHS(81))
		sps, _ = store.NewInpatientService(db).FindSpells(ctx, f.trust.Actor(crs.RoleClerk), p.ID)
		if p.Gender != "2" || p.EthnicCategory != "Z" || len(sps) != 1 || sps[0].ConsultantCode != "C1234567" || sps[0].TreatmentFunction != "300" || sps[0].AdmissionMethod != "21" {
			t.Errorf("mapped: gender %s ethnic %s spells %+v", p.Gender, p.EthnicCategory, sps)
		}
		if m := messageByControlID(t, db, org, "T2"); m.Status != crs.MessageApplied || len(m.Errors) != 0 {
			t.Errorf("T2 after reprocess: %s %+v, want applied with no warnings", m.Status, m.Errors)
		}
	})
}

// TestCodeMapImport checks the CSV import: all or nothing, each error
// with the file and line.
func TestCodeMapImport(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
		bad := "from,to\nA,WD10\n\nB\nC,WD20\nA,WD30\nD^1,WD10\n"
		_, err := f.e.ImportCodeMaps(ctx, analyst, f.iface.ID, crs.MapLocation, strings.NewReader(bad), "wards.csv")
		msg := crs.ErrorMessage(err)
		for _, want := range []string{"wards.csv:4: 1 fields", "wards.csv:6: A is mapped already on line 2", "wards.csv:7:"} {
			if !strings.Contains(msg, want) {
				t.Errorf("import error %q lacks %q", msg, want)
			}
		}
		if ms, _ := f.e.ListCodeMaps(ctx, analyst, f.iface.ID, "", ""); len(ms) != 0 {
			t.Fatalf("a refused file set %d mappings", len(ms))
		}
		n, err := f.e.ImportCodeMaps(ctx, analyst, f.iface.ID, crs.MapLocation, strings.NewReader("# wards\nA,WD10\nb , wd20\n"), "wards.csv")
		if err != nil || n != 2 {
			t.Fatalf("import: %d, %v", n, err)
		}
		ms, err := f.e.ListCodeMaps(ctx, analyst, f.iface.ID, crs.MapLocation, "wd2")
		if err != nil || len(ms) != 1 || ms[0].From != "B" || ms[0].To != "WD20" {
			t.Fatalf("search wd2: %+v, %v", ms, err)
		}
		if _, err := f.e.ListCodeMaps(ctx, f.trust.Actor(crs.RoleClerk), f.iface.ID, "", ""); crs.ErrorCode(err) != crs.EFORBIDDEN && crs.ErrorCode(err) != crs.EUNAUTHORIZED {
			t.Errorf("a clerk lists code maps: %v, want refused", err)
		}
	})
}
