package store_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestDataQualityHandMade plants one record for each check and checks the
// data quality report finds each, with its page. The site's two patients
// (P0, P1) have no NHS number, ethnicity, GP or postcode; P2 has all.
//
//	P0's NHS number is set to 999 000 0019 (fails Modulus 11) with status 01: invalid, not untraced
//	P1: untraced (no NHS number)
//	P0, P1: missing ethnicity, GP and postcode (2 each)
//	P2 attends a new appointment, no outcome: 1 unoutcomed attendance
//	P1 attends, outcome follow-up in 1 week, not booked; 10 days on: 1 overdue follow-up
//	P1's second referral taken off its worklist with nothing booked: 1 on no worklist,
//	    and its pathway's last status blanked: 1 open pathway without status
//	P2 admitted and discharged 40 days before: 1 admission not coded
func TestDataQualityHandMade(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RDQ", 2)
		p2 := newPatient("Clean", "Pat", crs.NewDate(1970, 5, 5), "999 000 0018", "E1 6AN", "2")
		p2.NHSNumberStatus, p2.GPPracticeCode, p2.EthnicCategory = "01", "Y00001", "A"
		if err := store.NewPatientService(db).RegisterPatient(ctx, s.clerk, p2); err != nil {
			t.Fatal(err)
		}
		today := crs.LocalDate(clock.Now())
		// The admission 40 days ago.
		clock.Set(storetest.Epoch.AddDate(0, 0, -40))
		sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: p2.ID, Method: "21", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID, ConsultantCode: "C1234567"})
		if err != nil {
			t.Fatal(err)
		}
		clock.Set(storetest.Epoch.AddDate(0, 0, -39))
		if err := s.ip.Discharge(ctx, s.clerk, sp.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
			t.Fatal(err)
		}
		clock.Set(storetest.Epoch)
		slots := s.freeSlots(t, db, crs.SlotNew)
		attend := func(p *crs.Patient, slot *crs.Slot) *crs.Appointment {
			t.Helper()
			r := s.referral(t, p, today)
			ap, err := s.op.BookAppointment(ctx, s.clerk, crs.Booking{ReferralID: r.ID, SlotID: slot.ID})
			if err != nil {
				t.Fatal(err)
			}
			clock.Set(slot.Start.Add(5 * time.Minute))
			if err := s.op.RecordAttendance(ctx, s.clerk, ap.ID, true, time.Time{}); err != nil {
				t.Fatal(err)
			}
			return ap
		}
		unoutcomed := attend(p2, slots[0])
		fu := attend(s.patients[1], slots[1])
		if err := s.op.RecordOutcome(ctx, s.doctor, fu.ID, &crs.Outcome{RTTStatus: 20, NextStep: crs.NextFollowUp, FollowUpWeeks: 1}); err != nil {
			t.Fatal(err)
		}
		lost := s.referral(t, s.patients[1], today)
		for _, q := range []string{
			`UPDATE patients SET nhs_number = '9990000019', nhs_status = '01' WHERE id = '` + s.patients[0].ID + `'`,
			`UPDATE referrals SET worklist = '' WHERE id = '` + lost.ID + `'`,
			`UPDATE pathways SET last_status = 0 WHERE id = '` + lost.PathwayID + `'`,
		} {
			if err := db.ExecSchema(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		asOf := crs.Date{Time: crs.LocalDate(slots[1].Start).AddDate(0, 0, 10)}
		got, err := report.New(store.NewReportSource(db)).DataQuality(ctx, s.tr.Actor(crs.RoleAnalyst), asOf)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{crs.DQNHSNumberUntraced: 1, crs.DQNHSNumberInvalid: 1, crs.DQNoEthnicity: 2, crs.DQNoGP: 2, crs.DQNoPostcode: 2,
			crs.DQUnoutcomed: 1, crs.DQPathwayNoStatus: 1, crs.DQReferralNoWorklist: 1, crs.DQFollowUpOverdue: 1, crs.DQAdmissionUncoded: 1}
		for c, n := range want {
			if got.Counts[c] != n {
				t.Errorf("%s: %d, want %d", c, got.Counts[c], n)
			}
		}
		links := map[string]string{}
		for _, it := range got.Items {
			links[it.Check] = it.Link
		}
		for c, link := range map[string]string{crs.DQNHSNumberInvalid: "/patients/" + s.patients[0].ID, crs.DQNHSNumberUntraced: "/patients/" + s.patients[1].ID,
			crs.DQUnoutcomed: "/appointments/" + unoutcomed.ID, crs.DQFollowUpOverdue: "/referrals/" + fu.ReferralID,
			crs.DQReferralNoWorklist: "/referrals/" + lost.ID, crs.DQPathwayNoStatus: "/pathways/" + lost.PathwayID, crs.DQAdmissionUncoded: "/spells/" + sp.ID} {
			if links[c] != link {
				t.Errorf("%s links to %q, want %q", c, links[c], link)
			}
		}

		// Once a clinical coder codes the spell's episode, the admission is
		// off the list.
		cs := store.NewCodingService(db)
		loadSampleCodes(t, cs, s.tr.Actor(crs.RoleAdmin))
		coder := s.tr.Actor(crs.RoleCoder)
		work, err := cs.Worklist(ctx, coder, 100)
		if err != nil {
			t.Fatal(err)
		}
		coded := 0
		for _, ep := range work {
			if ep.SpellID == sp.ID {
				if err := cs.CodeEpisode(ctx, coder, &crs.EpisodeCoding{EpisodeID: ep.EpisodeID, Diagnoses: []string{"J18.9"}}); err != nil {
					t.Fatal(err)
				}
				coded++
			}
		}
		if coded == 0 {
			t.Fatalf("the discharged spell's episode is not on the coding worklist (%d episodes)", len(work))
		}
		got, err = report.New(store.NewReportSource(db)).DataQuality(ctx, s.tr.Actor(crs.RoleAnalyst), asOf)
		if err != nil {
			t.Fatal(err)
		}
		if n := got.Counts[crs.DQAdmissionUncoded]; n != 0 {
			t.Errorf("%s after coding: %d, want 0", crs.DQAdmissionUncoded, n)
		}
	})
}

// TestDataQualityNoNameOrBirthDate checks that a record another system
// registered without a family name, given name or date of birth
// (crs.Patient.PartsUnknown) is held, and listed by the data quality
// report with what it lacks, while a clerk's registration still needs
// all three.
func TestDataQualityNoNameOrBirthDate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RDN", 0)
		pmi := store.NewPatientService(db)
		if err := pmi.RegisterPatient(ctx, s.clerk, &crs.Patient{FamilyName: "Unknown"}); err == nil {
			t.Fatal("a clerk registered a patient with no given name or date of birth")
		}
		lacking := map[string]*crs.Patient{
			"no date of birth": {FamilyName: "Doe", GivenName: "Jo", PartsUnknown: true},
			"no family name":   {GivenName: "Jo", BirthDate: crs.NewDate(1980, 1, 2), PartsUnknown: true},
			"no given name":    {FamilyName: "Doe", BirthDate: crs.NewDate(1980, 1, 2), PartsUnknown: true},
		}
		whole := &crs.Patient{FamilyName: "Doe", GivenName: "Jo", BirthDate: crs.NewDate(1980, 1, 2), PartsUnknown: true}
		for _, p := range append(slices.Collect(maps.Values(lacking)), whole) {
			if err := pmi.RegisterPatient(ctx, s.clerk, p); err != nil {
				t.Fatal(err)
			}
		}
		got, err := report.New(store.NewReportSource(db)).DataQuality(ctx, s.tr.Actor(crs.RoleAnalyst), crs.LocalDate(clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		listed := map[string]string{}
		for _, it := range got.Items {
			if it.Check == crs.DQNoNameOrBirthDate {
				listed[it.Detail] = it.PatientID
			}
		}
		for detail, p := range lacking {
			if listed[detail] != p.ID {
				t.Errorf("%s: listed %q, want %s", detail, listed[detail], p.ID)
			}
		}
		if n := got.Counts[crs.DQNoNameOrBirthDate]; n != len(lacking) {
			t.Errorf("%d records listed, want %d", n, len(lacking))
		}
	})
}
