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

// addConfigured adds an interface with conventions to the fixture's trust.
func (f *fixture) addConfigured(t *testing.T, i *crs.Interface) *crs.Interface {
	t.Helper()
	if i.Name == "" {
		i.Name = i.SendingApplication + " at " + i.SendingFacility
	}
	i.UserID = f.trust.Users[crs.RoleInterface].ID
	if err := f.e.AddInterface(context.Background(), f.trust.System, i); err != nil {
		t.Fatalf("add interface: %v", err)
	}
	return i
}

// vendorMsg writes a message from app at facility addressed to rcv, with
// the segments given.
func vendorMsg(app, facility, rcvApp, rcv, typ, ctrl, version string, segs ...string) string {
	h := "MSH|^~\\&|" + app + "|" + facility + "|" + rcvApp + "|" + rcv + "|20260302090000||" + typ + "|" + ctrl + "|P|" + version
	return strings.Join(append([]string{h}, segs...), "\r") + "\r"
}

// TestInterfaceConventions checks an interface's own conventions: the
// receiving facility values it is configured with, a sender configured
// for one trust whatever MSH-6 holds (but never another trust's ODS
// code), the NHS number conventions of UK feeds, and an NHS number that
// fails its check digit: not stored, with a warning.
func TestInterfaceConventions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		storetest.NewTrust(t, db, "ROO")
		conf := f.addConfigured(t, &crs.Interface{SendingApplication: "EPR", SendingFacility: "SITE1",
			ReceivingFacilities: []string{"MAINHOSP"}, NHSIDs: []crs.IDConvention{{Authority: "NHSNO"}}, UnknownPatient: crs.UnknownPatientHold, Strict: true})

		is, err := db.FindInterfaces(ctx, f.trust.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := crs.FindInterface(is, "EPR@SITE1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != conf.ID || len(got.ReceivingFacilities) != 1 || got.ReceivingFacilities[0] != "MAINHOSP" || len(got.NHSIDs) != 1 ||
			got.NHSIDs[0].Authority != "NHSNO" || got.UnknownPatient != crs.UnknownPatientHold || !got.Strict {
			t.Fatalf("interface read back: %+v, want the conventions it was added with", got)
		}
		if _, err := crs.FindInterface(is, "nope"); crs.ErrorCode(err) != crs.ENOTFOUND || !strings.Contains(crs.ErrorMessage(err), "EPR@SITE1") {
			t.Errorf("unknown interface: %v, want ENOTFOUND naming the choices", err)
		}

		pid := func(cx string) string {
			return "PID|1||" + cx + "||JONES^MARY^^^MRS||19700101|F"
		}
		cases := []struct {
			name, msg, code string
			nhs             string
			warn            bool
		}{
			{"configured receiving facility", vendorMsg("EPR", "SITE1", "PAS", "MAINHOSP", "ADT^A28", "C1", "2.4", "EVN|A28", pid(testNHS(40)+"^^^NHS^NH")), hl7.AA, testNHS(40), false},
			{"sender of one trust, its own name for us", vendorMsg("PAS", "RXX", "X", "WHATEVER", "ADT^A28", "C2", "2.4", "EVN|A28", pid(testNHS(41)+"^^^NHS^NH")), hl7.AA, testNHS(41), false},
			{"no MSH-4: found by MSH-3", vendorMsg("PAS", "", "X", "RXX", "ADT^A28", "C2B", "2.4", "EVN|A28", pid(testNHS(47)+"^^^NHS^NH")), hl7.AA, testNHS(47), false},
			{"another trust's ODS code", vendorMsg("PAS", "RXX", "X", "ROO", "ADT^A28", "C3", "2.4", "EVN|A28", pid(testNHS(42)+"^^^NHS^NH")), hl7.AR, "", false},
			{"NHS^NHS", vendorMsg("EPR", "SITE1", "", "RXX", "ADT^A28", "C4", "2.3", "EVN|A28", pid(testNHS(43)+"^^^NHS^NHS")), hl7.AA, testNHS(43), false},
			{"NHSNBR^NHSNMBR", vendorMsg("EPR", "SITE1", "", "RXX", "ADT^A28", "C5", "2.4", "EVN|A28", pid(testNHS(44)+"^^^NHSNBR^NHSNMBR")), hl7.AA, testNHS(44), false},
			{"NHS number OID", vendorMsg("EPR", "SITE1", "", "RXX", "ADT^A28", "C6", "2.5", "EVN|A28", pid(testNHS(45)+"^^^&2.16.840.1.113883.2.1.4.1&ISO")), hl7.AA, testNHS(45), false},
			{"the interface's own convention", vendorMsg("EPR", "SITE1", "", "RXX", "ADT^A28", "C7", "2.5.1", "EVN|A28", pid(testNHS(46)+"^^^NHSNO^XX")), hl7.AA, testNHS(46), false},
			{"failing Modulus 11 beside a hospital number", vendorMsg("EPR", "SITE1", "", "RXX", "ADT^A28", "C8", "2.4", "EVN|A28", pid("9990000001^^^NHS^NH~R000777^^^RXX^MR")), hl7.AA, "", true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ack, raw := f.send(t, tc.msg)
				if ack.Code != tc.code {
					t.Fatalf("got %s %+v, want %s", ack.Code, ack.Errors, tc.code)
				}
				if tc.nhs != "" {
					if p := findByNHS(t, db, f.trust, tc.nhs); p.FamilyName != "JONES" {
						t.Errorf("patient %s: family name %q, want JONES", tc.nhs, p.FamilyName)
					}
				}
				if tc.warn {
					if len(ack.Errors) != 1 || ack.Errors[0].Severity != hl7.SeverityWarning || ack.Errors[0].Field != 3 || !strings.Contains(ack.Errors[0].Text, "not stored") {
						t.Fatalf("ACK errors %+v, want one W warning on PID-3 (%s)", ack.Errors, raw)
					}
					p, err := store.NewPatientService(db).FindPatientByIdentifier(ctx, f.trust.Actor(crs.RoleClerk), "mrn", "R000777")
					if err != nil {
						t.Fatal(err)
					}
					if p.NHSNumber != "" {
						t.Errorf("NHS number %q stored though it fails the check digit", p.NHSNumber)
					}
				}
			})
		}
	})
}

// TestIDConvention checks how AUTHORITY^TYPE conventions read and match.
func TestIDConvention(t *testing.T) {
	for _, tc := range []struct {
		in         string
		auth, typ  string
		matchAuths []string
		matchType  string
		want       bool
		bad        bool
	}{
		{in: "RX1^PI", auth: "RX1", typ: "PI", matchAuths: []string{"rx1", ""}, matchType: "pi", want: true},
		{in: "RX1^PI", auth: "RX1", typ: "PI", matchAuths: []string{"RX1", ""}, matchType: "MR", want: false},
		{in: "^MR", typ: "MR", matchAuths: []string{"ANY", ""}, matchType: "MR", want: true},
		{in: "LAB", auth: "LAB", matchAuths: []string{"", "LAB"}, matchType: "", want: true},
		{in: "^", bad: true},
		{in: "A^B^C", bad: true},
	} {
		c, err := crs.ParseIDConvention(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseIDConvention(%q): no error, want one", tc.in)
			}
			continue
		}
		if err != nil || c.Authority != tc.auth || c.Type != tc.typ {
			t.Errorf("ParseIDConvention(%q) = %+v, %v; want %s^%s", tc.in, c, err, tc.auth, tc.typ)
		}
		if got := c.Matches(tc.matchAuths, tc.matchType); got != tc.want {
			t.Errorf("%s matches %v %s: got %v, want %v", tc.in, tc.matchAuths, tc.matchType, got, tc.want)
		}
	}
}

// TestUnconfiguredIdentifiers checks that a PID-3 holding only
// identifiers of conventions the interface does not know is refused with
// the conventions it holds named, for the analyst to configure.
func TestUnconfiguredIdentifiers(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RXX")
		ack, _ := f.send(t, vendorMsg("PAS", "RXX", "", "RXX", "ADT^A28", "UC1", "2.4", "EVN|A28", "PID|1||E123^^^EPI^MR~77^^^&1.2.3&ISO^PN||X^Y||19800101|F"))
		if ack.Code != hl7.AE || len(ack.Errors) != 1 || !strings.Contains(ack.Errors[0].Text, "marked EPI^MR, 1.2.3^PN") {
			t.Fatalf("got %s %+v, want AE naming EPI^MR and 1.2.3^PN", ack.Code, ack.Errors)
		}
	})
}

// TestUpdateInterface checks that an interface's conventions can be
// changed, and that its next message is read by the new ones.
func TestUpdateInterface(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		f := newFixture(t, db, "RXX")
		i := f.addConfigured(t, &crs.Interface{SendingApplication: "LAB", SendingFacility: "RXX"})
		msg := func(ctrl string) string {
			return vendorMsg("LAB", "RXX", "", "RXX", "ADT^A28", ctrl, "2.4", "EVN|A28", "PID|1||L77^^^LABSYS^PN||UP^DATE||19800101|F")
		}
		if ack, _ := f.send(t, msg("UP1")); ack.Code != hl7.AE {
			t.Fatalf("before: %s, want AE (PID-3 holds nothing known)", ack.Code)
		}
		upd := &crs.Interface{ID: i.ID, Name: "Lab system", LocalIDs: []crs.IDConvention{{Authority: "LABSYS", Type: "PN"}}, Strict: true}
		if err := f.e.UpdateInterface(ctx, f.trust.System, upd); err != nil {
			t.Fatal(err)
		}
		if ack, raw := f.send(t, msg("UP2")); ack.Code != hl7.AA {
			t.Fatalf("after the update: %s, want AA\n%s", raw, ack.Code)
		}
		is, _ := db.FindInterfaces(ctx, f.trust.Org.ID)
		got, _ := crs.FindInterface(is, "LAB@RXX")
		if got.Name != "Lab system" || !got.Strict || len(got.LocalIDs) != 1 || got.SendingApplication != "LAB" {
			t.Errorf("read back %+v", got)
		}
		if err := f.e.UpdateInterface(ctx, f.trust.System, &crs.Interface{ID: i.ID, Name: "x", UnknownPatient: "perhaps"}); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("a bad unknown-patient: %v, want EINVALID", err)
		}
	})
}

// TestAmbiguousReceiver checks that a message with neither MSH-4 nor
// MSH-6 from an application two trusts have configured is applied to
// neither.
func TestAmbiguousReceiver(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := newFixture(t, db, "RAA")
		trB := storetest.NewTrust(t, db, "RBB")
		f.addInterface(t, trB, "PAS", "RBB")
		ack, _ := f.send(t, vendorMsg("PAS", "", "", "", "ADT^A28", "AMB1", "2.4", "EVN|A28", "PID|1||"+testNHS(48)+"^^^NHS^NH||AMB^IG||19800101|F"))
		if ack.Code != hl7.AR {
			t.Fatalf("got %s %+v, want AR: the message could be either trust's", ack.Code, ack.Errors)
		}
	})
}
