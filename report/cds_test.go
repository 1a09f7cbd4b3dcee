package report_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// cdsTrust is the small hand-made trust of the CDS tests, on 2 March 2026
// (storetest.Epoch, 09:00; GMT, so London times are UTC times):
//
// Patients: P1 Ada, NHS number 999 000 0018 verified (01), postcode, GP
// A81001; P2 Ben, 999 000 0026 not traced (02); P3 Cal, verified but no
// postcode (a verified identity needs one: P3's records are rejected);
// P4 Dee, 999 000 0034 verified.
//
// A&E, department type 01:
//
//	E1 P1 06:00 emergency road ambulance, category 1, chest pain; triage 2
//	   at 06:10 (acuity very urgent), seen 06:40, decision to admit 07:30
//	   under 300, admitted 08:00 (S1): treatment completed, to a ward.
//	E2 P2 07:00 own transport, category 1; triage 4 at 07:15; discharged
//	   home at 08:30, treatment completed.
//	E3 P3 08:00 own transport, category 2: rejected, no postcode.
//
// Outpatients, clinic GS-MON (C1234567, 100), referrals received 2 Feb:
//
//	O1 P1 09:20 new, attended, discharged with RTT status 30 (the clock
//	   stops 2 March: RTT period 2026-02-02 to 2026-03-02).
//	O2 P2 09:40 new, did not attend (3).
//	O3 P4 10:00 new, cancelled by the patient (2).
//
// Inpatients:
//
//	S1 P1 from E1, 08:00 under C1234567 (300); care passes to C7654321
//	   (100) at 12:00; discharged home at 17:00. Episode 1 coded J18.9,
//	   I10 with E85.1; episode 2 coded K35.8 with H01.1 on 2 March.
//	S2 P4 10:00 (method 21), care passes at 11:00: episode 1 coded I10.
//	S3 P2 10:30 (method 21), care passes at 11:30: episode 1 not coded,
//	   rejected for want of a primary diagnosis.
type cdsTrust struct {
	db    *store.DB
	clock *crs.FixedClock
	tr    *storetest.Trust
	ed    *store.EDService
	ip    *store.InpatientService
	cs    *store.CodingService
	p     []*crs.Patient
	e     []*crs.EDAttendance
	s     []*crs.Spell
}

func newCDSTrust(t *testing.T, db *store.DB, clock *crs.FixedClock) *cdsTrust {
	t.Helper()
	ctx := context.Background()
	tr := storetest.NewTrust(t, db, "RCD")
	c := &cdsTrust{db: db, clock: clock, tr: tr, ed: store.NewEDService(db), ip: store.NewInpatientService(db), cs: store.NewCodingService(db)}
	admin, clerk, nurse, doctor := tr.Actor(crs.RoleAdmin), tr.Actor(crs.RoleClerk), tr.Actor(crs.RoleNurse), tr.Actor(crs.RoleDoctor)
	tr.AssignToED(t, db, nurse, doctor)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	orgs := store.NewOrganisationService(db)
	loc := func(parent string, kind crs.LocationKind, code string, edType string) *crs.Location {
		l := &crs.Location{ParentID: parent, Kind: kind, Code: code, Name: code, EDType: edType}
		if kind == crs.LocationWard {
			l.Sex, l.Specialty = crs.LocationSex("mixed"), "300"
		}
		must("location "+code, orgs.CreateLocation(ctx, admin, l))
		return l
	}
	site := loc("", crs.LocationSite, "MAIN", "")
	loc(site.ID, crs.LocationED, "ED", "01")
	ward := loc(site.ID, crs.LocationWard, "WD1", "")
	var beds []*crs.Location
	for i := 1; i <= 3; i++ {
		beds = append(beds, loc(ward.ID, crs.LocationBed, fmt.Sprintf("B%d", i), ""))
	}
	room := loc(site.ID, crs.LocationClinicRoom, "OPD1", "")
	for system, text := range map[string]string{nhs.ICD10: "J18.9,Pneumonia\nI10,Hypertension\nK35.8,Appendicitis\n", nhs.OPCS4: "E85.1,Ventilation\nH01.1,Appendicectomy\n"} {
		codes, err := nhs.ReadCodeList(strings.NewReader(text), system, system)
		must("codes", err)
		_, err = c.cs.LoadCodeList(ctx, admin, system, codes)
		must("load codes", err)
	}
	ps := store.NewPatientService(db)
	for i, spec := range []struct{ family, given, nhsNo, status, postcode string }{
		{"Ashby", "Ada", "9990000018", "01", "E1 1AA"}, {"Brown", "Ben", "9990000026", "02", "E2 2BB"},
		{"Cole", "Cal", "9990000042", "01", ""}, {"Drake", "Dee", "9990000034", "01", "E4 4DD"},
	} {
		p := &crs.Patient{FamilyName: spec.family, GivenName: spec.given, BirthDate: crs.NewDate(1950+10*i, 3, 10), NHSNumber: spec.nhsNo,
			NHSNumberStatus: nhs.NumberStatus(spec.status), Gender: "2", EthnicCategory: "A", GPPracticeCode: "A81001",
			Address: crs.Address{Lines: []string{"1 High Street"}, Postcode: spec.postcode}}
		must("register", ps.RegisterPatient(ctx, clerk, p))
		c.p = append(c.p, p)
	}
	day := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	arrive := func(p *crs.Patient, at time.Time, mode, cat, chief string) *crs.EDAttendance {
		e := &crs.EDAttendance{PatientID: p.ID, ArrivedAt: at, ArrivalMode: mode, AttendanceCategory: cat, ChiefComplaint: chief}
		must("arrive", c.ed.Arrive(ctx, nurse, e))
		c.e = append(c.e, e)
		return e
	}
	e1 := arrive(c.p[0], day(6, 0), "1048031000000100", "1", "29857009")
	must("triage", c.ed.Triage(ctx, nurse, e1.ID, 2, day(6, 10)))
	must("seen", c.ed.RecordSeen(ctx, doctor, e1.ID, "Dr Patel", day(6, 40)))
	must("dta", c.ed.DecideToAdmit(ctx, doctor, e1.ID, "300", day(7, 30)))
	e2 := arrive(c.p[1], day(7, 0), "1048071000000103", "1", "")
	must("triage", c.ed.Triage(ctx, nurse, e2.ID, 4, day(7, 15)))
	must("depart", c.ed.Depart(ctx, nurse, e2.ID, crs.EDDeparture{Kind: crs.EDDischarged, Status: "182992009", Destination: "306689006", At: day(8, 30)}))
	arrive(c.p[2], day(8, 0), "1048071000000103", "2", "")

	// Outpatients.
	refs, op := store.NewReferralService(db), store.NewOutpatientService(db)
	clinic := &crs.Clinic{Code: "GS-MON", Name: "General surgery", ConsultantCode: "C1234567", TreatmentFunction: "100", Specialty: "100", LocationID: room.ID,
		Sessions: []crs.ClinicSession{{Weekday: time.Monday, Start: "09:00", End: "12:00", SlotMinutes: 20, SlotType: crs.SlotNew}}}
	must("clinic", op.CreateClinic(ctx, admin, clinic))
	_, err := op.GenerateSlots(ctx, clerk, clinic.ID, crs.NewDate(2026, 3, 2), crs.NewDate(2026, 3, 2))
	must("slots", err)
	slots, err := op.FindSlots(ctx, clerk, crs.SlotQuery{ClinicID: clinic.ID, FreeOnly: true, Limit: 20, From: clock.Now()})
	must("find slots", err)
	book := func(p *crs.Patient, slot *crs.Slot) *crs.Appointment {
		r := &crs.Referral{PatientID: p.ID, Source: "03", ReferrerCode: "G1234567", ReferrerOrg: "A81001", ReceivedOn: crs.NewDate(2026, 2, 2),
			Priority: crs.PriorityRoutine, Specialty: "100", TreatmentFunction: "100", ConsultantCode: "C1234567", ConsultantLed: true}
		must("referral", refs.RecordReferral(ctx, clerk, r))
		ap, err := op.BookAppointment(ctx, clerk, crs.Booking{ReferralID: r.ID, SlotID: slot.ID})
		must("book", err)
		return ap
	}
	o1, o2, o3 := book(c.p[0], slots[1]), book(c.p[1], slots[2]), book(c.p[3], slots[3])
	must("cancel", op.CancelAppointment(ctx, clerk, o3.ID, crs.Cancellation{By: crs.CancelledByPatient, Reason: "on holiday"}))
	clock.Set(day(10, 30))
	must("attend", op.RecordAttendance(ctx, clerk, o1.ID, true, day(9, 25)))
	must("outcome", op.RecordOutcome(ctx, doctor, o1.ID, &crs.Outcome{RTTStatus: 30, NextStep: crs.NextDischarge}))
	must("dna", op.RecordAttendance(ctx, clerk, o2.ID, false, time.Time{}))

	// Inpatients.
	clock.Set(day(18, 0))
	admit := func(p *crs.Patient, ed string, at time.Time, bed int) *crs.Spell {
		sp, err := c.ip.Admit(ctx, clerk, &crs.Admission{PatientID: p.ID, EDAttendanceID: ed, Method: "21", Source: "19", WardID: ward.ID, BedID: beds[bed].ID,
			ConsultantCode: "C1234567", TreatmentFunction: "300", At: at})
		must("admit", err)
		c.s = append(c.s, sp)
		return sp
	}
	s1 := admit(c.p[0], e1.ID, day(8, 0), 0)
	must("ECDS of E1", c.ed.RecordECDS(ctx, nurse, e1.ID, crs.ECDSDetails{DischargeStatus: "182992009", DischargeDestination: "306706006"}))
	must("change consultant", c.ip.ChangeConsultant(ctx, clerk, s1.ID, "C7654321", "100", day(12, 0)))
	must("discharge", c.ip.Discharge(ctx, clerk, s1.ID, crs.Discharge{Method: "1", Destination: "19", At: day(17, 0)}))
	s2 := admit(c.p[3], "", day(10, 0), 1)
	must("change consultant", c.ip.ChangeConsultant(ctx, clerk, s2.ID, "C7654321", "100", day(11, 0)))
	s3 := admit(c.p[1], "", day(10, 30), 2)
	must("change consultant", c.ip.ChangeConsultant(ctx, clerk, s3.ID, "C7654321", "100", day(11, 30)))
	coder := tr.Actor(crs.RoleCoder)
	code := func(sp *crs.Spell, seq int, dx []string, px ...string) {
		got, err := c.ip.FindSpell(ctx, clerk, sp.ID)
		must("find spell", err)
		cd := &crs.EpisodeCoding{EpisodeID: got.Episodes[seq-1].ID, Diagnoses: dx}
		for _, p := range px {
			cd.Procedures = append(cd.Procedures, crs.ProcedureCode{Code: p})
		}
		must("code", c.cs.CodeEpisode(ctx, coder, cd))
	}
	code(s1, 1, []string{"J18.9", "I10"}, "E85.1")
	code(s1, 2, []string{"K35.8"}, "H01.1")
	code(s2, 1, []string{"I10"})
	return c
}

// cdsExtract writes one extract of 2 March 2026.
func (c *cdsTrust) extract(t *testing.T, typ string, bulk bool) ([]byte, *report.CDSResult) {
	t.Helper()
	return c.extractFrom(t, store.NewCDSSource(c.db), typ, bulk)
}

// extractFrom writes one extract of 2 March 2026 read from src.
func (c *cdsTrust) extractFrom(t *testing.T, src *store.CDSSource, typ string, bulk bool) ([]byte, *report.CDSResult) {
	t.Helper()
	var buf bytes.Buffer
	day := crs.NewDate(2026, 3, 2)
	res, err := report.WriteCDS(context.Background(), src, c.tr.Actor(crs.RoleAnalyst), report.CDSOptions{
		Type: typ, From: day, To: day, Bulk: bulk, Provider: "RCD", Commissioner: "15N", Now: c.clock.Now()}, &buf)
	if err != nil {
		t.Fatalf("extract %s: %v", typ, err)
	}
	return buf.Bytes(), res
}

// stableIDs replaces the record ids an extract carries (time-ordered ids
// made afresh by every run) with their order of appearance, so a golden
// file compares what matters.
func stableIDs(b []byte) []byte {
	seen := map[string]string{}
	re := regexp.MustCompile(`(<CDSUniqueIdentifier>[EOA])([0-9a-f]{32})<|(<(?:EmergencyCareAttendanceIdentifier|AttendanceIdentifier|HospitalProviderSpellNumber)>)([0-9A-Z]{12})<`)
	return re.ReplaceAllFunc(b, func(m []byte) []byte {
		sm := re.FindSubmatch(m)
		prefix, id := sm[1], sm[2]
		if len(prefix) == 0 {
			prefix, id = sm[3], sm[4]
		}
		k, ok := seen[string(id)]
		if !ok {
			k = fmt.Sprintf("ID%d", len(seen)+1)
			seen[string(id)] = k
		}
		return []byte(string(prefix) + k + "<")
	})
}

// validateEC validates an emergency care interchange against the official
// CDS-XML 6-2-2 schema with xmllint, or skips saying why it cannot.
func validateEC(t *testing.T, xml []byte) {
	t.Helper()
	xsd := filepath.Join("..", "..", "shared", "reference", "cds-xml", "CDS-XML_Message_Root-V6-2-2.xsd")
	if _, err := os.Stat(xsd); err != nil {
		t.Skipf("the CDS-XML schema is not at %s (the shared reference folder is absent): %v", xsd, err)
	}
	lint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (Debian package libxml2-utils): the schema check is skipped")
	}
	f := filepath.Join(t.TempDir(), "ecds.xml")
	if err := os.WriteFile(f, xml, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(lint, "--noout", "--schema", xsd, f).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

// TestCDSEmergencyCare writes the emergency care extract of the
// hand-made day: two records sent, E3 rejected for want of a postcode,
// every interchange valid against the official schema. A second net
// change sends nothing; a corrected destination sends E2 again; a bulk
// replacement sends both.
func TestCDSEmergencyCare(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := newCDSTrust(t, db, clock)
		xml, res := c.extract(t, crs.CDSEmergencyCare, false)
		if res.Records != 3 || res.Sent != 2 || res.Deleted != 0 || len(res.Rejected) != 1 {
			t.Fatalf("result = %+v, want 3 records: 2 sent, 1 rejected", res)
		}
		if rj := res.Rejected[0]; rj.Field != "PostcodeOfUsualAddress" || !strings.Contains(rj.Record, "MRN "+c.p[2].MRN) || !strings.Contains(rj.Rule, "verified") {
			t.Errorf("reject = %+v", rj)
		}
		validateEC(t, xml)
		golden(t, "cds_ecds.xml", stableIDs(xml))

		if again, res := c.extract(t, crs.CDSEmergencyCare, false); len(again) != 0 || res.Unchanged != 2 || res.Written {
			t.Fatalf("second net change = %+v, %d bytes; want nothing to send", res, len(again))
		}
		if err := c.ed.RecordECDS(context.Background(), c.tr.Actor(crs.RoleNurse), c.e[1].ID, crs.ECDSDetails{DischargeDestination: "306691003"}); err != nil {
			t.Fatal(err)
		}
		xml, res = c.extract(t, crs.CDSEmergencyCare, false)
		if res.Sent != 1 || res.Unchanged != 1 || !bytes.Contains(xml, []byte("306691003")) || !bytes.Contains(xml, []byte("<CDSUpdateType>9</CDSUpdateType>")) {
			t.Fatalf("net change after a correction = %+v\n%s", res, xml)
		}
		validateEC(t, xml)
		xml, res = c.extract(t, crs.CDSEmergencyCare, true)
		if res.Sent != 2 || !bytes.Contains(xml, []byte(`<CDSBulkGroup-160-Message CDSProtocolIdentifierCode="020" CDSBulkReplacementGroupCode="160" CDSTypeCode="011">`)) {
			t.Fatalf("bulk = %+v", res)
		}
		validateEC(t, xml)
		golden(t, "cds_ecds_bulk.xml", stableIDs(xml))
	})
}

// standardRecordsXSD defines the outpatient and admitted patient care
// records of cds.md from the standard data structures of CDS-XML 6-2-2:
// the official schemas of these types are not in the reference folder,
// so their records are validated structure by structure.
const standardRecordsXSD = `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="http://www.nhsia.nhs.uk/DataStandards/XMLschema/CDS/ns"
  xmlns:ns="http://www.nhsia.nhs.uk/DataStandards/XMLschema/CDS/ns" targetNamespace="http://www.nhsia.nhs.uk/DataStandards/XMLschema/CDS/ns"
  elementFormDefault="qualified" attributeFormDefault="unqualified">
  <xs:include schemaLocation="DIR/CDS-XML_Standard_Data_Elements-V6-2-2.xsd"/>
  <xs:include schemaLocation="DIR/CDS-XML_Standard_Data_Structures-V6-2-2.xsd"/>
  <xs:element name="Records">
    <xs:complexType>
      <xs:choice maxOccurs="unbounded">
        <xs:element name="Outpatient">
          <xs:complexType><xs:sequence>
            <xs:element name="PatientPathway" type="ns:PatientPathway_Structure" minOccurs="0"/>
            <xs:element name="PersonGroupPatient" type="ns:PersonGroupPatient_Outpatient_Structure"/>
            <xs:element name="GPRegistration" type="ns:GPRegistration_Structure" minOccurs="0"/>
            <xs:element name="CareEpisode" type="ns:CareEpisode_Structure"/>
            <xs:element name="CareAttendance" type="ns:CareAttendance_Structure"/>
            <xs:element name="OutpatientReferral" type="ns:OutpatientReferral_Structure" minOccurs="0"/>
          </xs:sequence></xs:complexType>
        </xs:element>
        <xs:element name="FinishedGeneralEpisode">
          <xs:complexType><xs:sequence>
            <xs:element name="PatientPathway" type="ns:PatientPathway_Structure" minOccurs="0"/>
            <xs:element name="PersonGroupPatient" type="ns:PersonGroupPatient_General_Structure"/>
            <xs:element name="GPRegistration" type="ns:GPRegistration_Structure" minOccurs="0"/>
            <xs:element name="HospitalProviderSpell" type="ns:HospitalProviderSpell_GeneralEpisode_Structure"/>
            <xs:element name="Episode" type="ns:FinishedGeneralEpisode_Structure"/>
          </xs:sequence></xs:complexType>
        </xs:element>
      </xs:choice>
    </xs:complexType>
  </xs:element>
</xs:schema>
`

// validateStandard checks an outpatient or admitted patient care
// interchange is well-formed and each of its records valid against the
// standard structures it is made of, with xmllint.
func validateStandard(t *testing.T, xml []byte, element string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "reference", "cds-xml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("the CDS-XML schemas are not at %s (the shared reference folder is absent): %v", dir, err)
	}
	lint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (Debian package libxml2-utils): the schema check is skipped")
	}
	tmp := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	whole := write("interchange.xml", xml)
	if out, err := exec.Command(lint, "--noout", whole).CombinedOutput(); err != nil {
		t.Fatalf("xmllint (well-formed): %v\n%s", err, out)
	}
	recs := regexp.MustCompile(`(?s)<`+element+`>.*?</`+element+`>`).FindAll(xml, -1)
	if len(recs) == 0 {
		t.Fatalf("no %s records in the interchange", element)
	}
	doc := []byte(`<Records xmlns="http://www.nhsia.nhs.uk/DataStandards/XMLschema/CDS/ns">` + "\n")
	for _, r := range recs {
		doc = append(append(doc, r...), '\n')
	}
	doc = append(doc, "</Records>\n"...)
	xsd := write("records.xsd", []byte(strings.ReplaceAll(standardRecordsXSD, "DIR", dir)))
	if out, err := exec.Command(lint, "--noout", "--schema", xsd, write("records.xml", doc)).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

// TestCDSOutpatient writes the outpatient extract of the hand-made day:
// O1 attended with its pathway (RTT period 2 February to 2 March, status
// 30), O2 a DNA, O3 cancelled by the patient.
func TestCDSOutpatient(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := newCDSTrust(t, db, clock)
		xml, res := c.extract(t, crs.CDSOutpatient, false)
		if res.Records != 3 || res.Sent != 3 || len(res.Rejected) != 0 {
			t.Fatalf("result = %+v, want 3 sent", res)
		}
		validateStandard(t, xml, "Outpatient")
		golden(t, "cds_outpatient.xml", stableIDs(xml))
	})
}

// TestCDSAdmitted writes the admitted patient care extract of the
// hand-made day: S1's two episodes and S2's first sent, S3's rejected as
// not coded. When S2's admission is cancelled the next net change deletes
// its episode; when S3's is coded it is sent.
func TestCDSAdmitted(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		c := newCDSTrust(t, db, clock)
		xml, res := c.extract(t, crs.CDSAdmitted, false)
		if res.Records != 4 || res.Sent != 3 || len(res.Rejected) != 1 || res.Rejected[0].Field != "PrimaryDiagnosis_ICD" {
			t.Fatalf("result = %+v, want 3 sent and S3 rejected as not coded", res)
		}
		validateStandard(t, xml, "FinishedGeneralEpisode")
		golden(t, "cds_apc.xml", stableIDs(xml))

		if err := c.ip.CancelAdmission(ctx, c.tr.Actor(crs.RoleClerk), c.s[1].ID, "admitted in error"); err != nil {
			t.Fatalf("cancel S2: %v", err)
		}
		sp, _ := c.ip.FindSpell(ctx, c.tr.Actor(crs.RoleClerk), c.s[2].ID)
		if err := c.cs.CodeEpisode(ctx, c.tr.Actor(crs.RoleCoder), &crs.EpisodeCoding{EpisodeID: sp.Episodes[0].ID, Diagnoses: []string{"J18.9"}}); err != nil {
			t.Fatal(err)
		}
		xml, res = c.extract(t, crs.CDSAdmitted, false)
		if res.Sent != 1 || res.Deleted != 1 || res.Unchanged != 2 || len(res.Rejected) != 0 {
			t.Fatalf("net change = %+v, want S3 sent, S2 deleted, S1 unchanged", res)
		}
		if !bytes.Contains(xml, []byte("<CDSUpdateType>1</CDSUpdateType>")) || !bytes.Contains(xml, []byte("<DeleteTransaction/>")) {
			t.Fatalf("no deletion in\n%s", xml)
		}
		golden(t, "cds_apc_netchange.xml", stableIDs(xml))
	})
}

// TestCDSPages writes each extract read a record a page and two records
// a page, and checks it is the interchange read in one page, byte for
// byte, with an A&E attendance arriving at the same minute as E2 (the
// page boundary between two records of one time). A net change read a
// record a page, then one read whole, finds nothing changed.
func TestCDSPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := newCDSTrust(t, db, clock)
		tie := &crs.EDAttendance{PatientID: c.p[0].ID, ArrivedAt: time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC), ArrivalMode: "1048071000000103", AttendanceCategory: "1"}
		if err := c.ed.Arrive(context.Background(), c.tr.Actor(crs.RoleNurse), tie); err != nil {
			t.Fatal(err)
		}
		paged := func(n int) *store.CDSSource {
			src := store.NewCDSSource(db)
			src.PageSize = n
			return src
		}
		// A reader that stops at the second record: the reading ahead
		// stops with it and the error is returned.
		errStop, n := errors.New("stop"), 0
		day := crs.NewDate(2026, 3, 2)
		err := paged(1).OutpatientRecords(context.Background(), c.tr.Actor(crs.RoleAnalyst), day, day, func(*crs.CDSOutpatientRecord) error {
			if n++; n == 2 {
				return errStop
			}
			return nil
		})
		if err != errStop || n != 2 {
			t.Fatalf("records read until the second says stop: %d read, %v; want 2, %v", n, err, errStop)
		}
		for typ, records := range map[string]int{crs.CDSEmergencyCare: 4, crs.CDSOutpatient: 3, crs.CDSAdmitted: 4} {
			// A file that fills up part way: the extract fails with the
			// file's error and records nothing as sent.
			_, err := report.WriteCDS(context.Background(), paged(1), c.tr.Actor(crs.RoleAnalyst), report.CDSOptions{Type: typ,
				From: crs.NewDate(2026, 3, 2), To: crs.NewDate(2026, 3, 2), Provider: "RCD", Commissioner: "15N", Now: clock.Now()}, &fullFile{room: 100})
			if !errors.Is(err, errFull) {
				t.Fatalf("%s: extract to a full file = %v, want %v", typ, err, errFull)
			}
			first, res := c.extractFrom(t, paged(1), typ, false)
			if len(first) == 0 || res.Sent == 0 || res.Records != records {
				t.Fatalf("%s: first net change read a record a page = %+v; want %d records, some sent", typ, res, records)
			}
			if again, res := c.extract(t, typ, false); len(again) != 0 || res.Sent != 0 || res.Unchanged != records-len(res.Rejected) {
				t.Errorf("%s: net change after one read a record a page = %+v, %d bytes; want nothing to send", typ, res, len(again))
			}
			whole, res := c.extract(t, typ, true)
			if res.Records != records {
				t.Fatalf("%s: %d records, want %d", typ, res.Records, records)
			}
			for _, n := range []int{1, 2} {
				if got, res := c.extractFrom(t, paged(n), typ, true); !bytes.Equal(got, whole) || res.Records != records {
					t.Errorf("%s read %d a page: %d records, interchange differs from the one read whole:\n%s\nwant\n%s", typ, n, res.Records, got, whole)
				}
			}
		}
	})
}

var errFull = errors.New("no space left on device")

// fullFile takes room bytes and then fails.
type fullFile struct{ room int }

func (f *fullFile) Write(b []byte) (int, error) {
	if len(b) > f.room {
		n := f.room
		f.room = 0
		return n, errFull
	}
	f.room -= len(b)
	return len(b), nil
}
