package interfaces

import (
	"context"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestReferrerMap checks PV1-8, the referring doctor, against the
// interface's referrer map: an unknown code is a W warning, a
// data-quality entry keeping the code as received and an unmapped code;
// a mapped or national code is taken without a warning; a strict
// interface holds the message.
func TestReferrerMap(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		wards(t, db, f.trust)
		org := f.trust.Org.ID
		analyst := f.trust.Actor(crs.RoleInterfaceAnalyst)
		f.addConfigured(t, &crs.Interface{SendingApplication: "STRICT", SendingFacility: "RXX", Strict: true})
		a01 := func(app, ctrl, nhsNo, ref string) string {
			return vendorMsg(app, "RXX", "", "RXX", "ADT^A01", ctrl, "2.4", "EVN|A01|20260302090000",
				"PID|1||"+nhsNo+"^^^NHS^NH||REF^RITA||19800101|F",
				pv1(map[int]string{2: "I", 3: "WD10", 4: "21", 7: "C1234567", 8: ref, 10: "300", 14: "19", 44: "20260302080000"}))
		}
		referrerWarnings := func(ack hl7.ACK) (n int) {
			for _, e := range ack.Errors {
				if e.Segment == "PV1" && e.Field == 8 {
					if e.Severity != hl7.SeverityWarning {
						t.Errorf("PV1-8 ERR %+v, want severity W", e)
					}
					n++
				}
			}
			return n
		}
		ack, raw := f.send(t, a01("PAS", "R1", testNHS(90), "DRREF^REFER^ROY"))
		if ack.Code != hl7.AA || referrerWarnings(ack) != 1 {
			t.Fatalf("unknown referrer: %s %+v, want AA with one W on PV1-8\n%s", ack.Code, ack.Errors, raw)
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM data_quality_issues WHERE org_id = $1 AND message_id = $2 AND code_table = $3 AND code = $4`,
			org, messageByControlID(t, db, org, "R1").ID, crs.MapReferrer, "DRREF").Scan(&n); err != nil || n != 1 {
			t.Errorf("data-quality entry of the referrer: %d, %v; want 1", n, err)
		}
		un, err := f.e.UnmappedCodes(ctx, analyst, f.iface.ID)
		found := false
		for _, u := range un {
			found = found || (u.Table == crs.MapReferrer && u.Code == "DRREF")
		}
		if err != nil || !found {
			t.Errorf("unmapped codes %+v, %v; want referrer DRREF", un, err)
		}

		// Mapped, or national: no warning.
		if err := f.e.SetCodeMap(ctx, analyst, &crs.CodeMap{InterfaceID: f.iface.ID, Table: crs.MapReferrer, From: "DRREF", To: "G1234567"}); err != nil {
			t.Fatal(err)
		}
		for i, ref := range []string{"DRREF", "G7654321"} {
			ctrl := "R2" + ref
			if ack, raw := f.send(t, a01("PAS", ctrl, testNHS(91+i), ref)); ack.Code != hl7.AA || referrerWarnings(ack) != 0 {
				t.Fatalf("referrer %s: %s %+v, want AA with no warning on PV1-8\n%s", ref, ack.Code, ack.Errors, raw)
			}
		}

		// The strict interface holds an unknown referrer.
		ack, raw = f.send(t, a01("STRICT", "R4", testNHS(95), "OTHERDOC"))
		if ack.Code != hl7.AE || messageByControlID(t, db, org, "R4").Status != crs.MessageHeld {
			t.Fatalf("strict, unknown referrer: %s %+v, want AE held\n%s", ack.Code, ack.Errors, raw)
		}
	})
}

// TestUnknownCodeKeptWithSpell checks that a sender's own code in a
// non-key field the record holds as a national code (here the admission
// source, stored as 99 not known) is kept as received on a data-quality
// entry that names the spell of the admission, and the warning says so.
func TestUnknownCodeKeptWithSpell(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		wards(t, db, f.trust)
		org := f.trust.Org.ID
		ack, raw := f.send(t, vendorMsg("PAS", "RXX", "", "RXX", "ADT^A01", "U1", "2.4", "EVN|A01|20260302090000",
			"PID|1||"+testNHS(96)+"^^^NHS^NH||SOURCE^SAL||19800101|F",
			pv1(map[int]string{2: "I", 3: "WD10", 4: "21", 7: "C1234567", 10: "300", 14: "HOMEX", 44: "20260302080000"})))
		if ack.Code != hl7.AA || len(ack.Errors) != 1 || ack.Errors[0].Field != 14 || ack.Errors[0].Severity != hl7.SeverityWarning ||
			!strings.Contains(ack.Errors[0].Text, "kept on the data-quality entry") {
			t.Fatalf("unknown admission source: %s %+v, want AA with one W on PV1-14 saying the code is kept\n%s", ack.Code, ack.Errors, raw)
		}
		p := findByNHS(t, db, f.trust, testNHS(96))
		sps, err := store.NewInpatientService(db).FindSpells(ctx, f.trust.Actor(crs.RoleClerk), p.ID)
		if err != nil || len(sps) != 1 || sps[0].AdmissionSource != "99" {
			t.Fatalf("spells %+v, %v; want one with source 99 (not known)", sps, err)
		}
		var code, table string
		if err := db.Reader().QueryRowContext(ctx, `SELECT code, code_table FROM data_quality_issues WHERE org_id = $1 AND spell_id = $2`, org, sps[0].ID).Scan(&code, &table); err != nil || code != "HOMEX" || table != crs.MapAdmissionSource {
			t.Fatalf("data-quality entry of the spell: %q in %q, %v; want HOMEX in %s", code, table, err, crs.MapAdmissionSource)
		}
	})
}
