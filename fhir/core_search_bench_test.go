package fhir_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/rtt"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// BenchmarkPatientScan measures the searches of patients no index leads,
// on a trust of 10,000 patients: a page of those of one gender (the
// scan stops at the page), a city no patient lives in (the scan reads
// the trust), and a count of every patient.
func BenchmarkPatientScan(b *testing.B) {
	srv, _ := benchPMI(b, 10000, 12)
	for _, bc := range []struct{ name, query string }{
		{"gender-page", "gender=female&_count=50"},
		{"city-none", "address-city=Nowhere"},
		{"count-all", "_summary=count"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, srv.URL+"/fhir/Patient?"+bc.query, "t")
			}
		})
	}
}

// BenchmarkCoreScan measures the trust-wide searches of the typed core
// (no patient named) on a trust of 10,000 patients, each with a referral
// and its pathway and an appointment, a third with an A&E attendance and
// a fifth with a spell: encounters of a class none has (every table read
// to the end), the appointments of the last few days (a handful), a
// count of the referrals and a first page of encounters.
func BenchmarkCoreScan(b *testing.B) {
	srv, last := benchCore(b, 10000)
	for _, bc := range []struct{ name, query string }{
		{"encounter-none", "Encounter?class=HH"},
		{"appointment-few", "Appointment?date=ge" + last.Add(-50*time.Minute).UTC().Format(time.RFC3339)},
		{"referral-count", "ServiceRequest?_summary=count"},
		{"encounter-page", "Encounter?_count=20"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, srv.URL+"/fhir/"+bc.query, "t")
			}
		})
	}
}

// benchCore starts a server with the typed core of a trust of n
// synthetic patients (see BenchmarkCoreScan), loaded through the legacy
// migration's commands; it returns when the last appointment starts.
func benchCore(b *testing.B, n int) (*httptest.Server, time.Time) {
	srv, db, tr := benchServerWith(b, func(s *fhir.Server, db *store.DB) {
		s.Patients = store.NewPatientService(db)
		s.Core = &fhir.Core{Referrals: store.NewReferralService(db), Inpatients: store.NewInpatientService(db),
			ED: store.NewEDService(db), Outpatients: store.NewOutpatientService(db), Orgs: store.NewOrganisationService(db)}
	})
	return srv, loadCore(b, db, tr, n, 1)
}

// loadCore loads the typed core of a trust of n synthetic patients
// through the legacy migration's commands, each with a referral and its
// pathway and per appointments in two clinics (every other attended), a
// third with an A&E attendance and a fifth with a spell; it returns when
// the last appointment starts. Records start together, within a second,
// in pairs (two appointments in the two clinics, two attendances), the
// later of a pair to the second the first made, and spells, attendances
// and appointments start together now and then.
func loadCore(tb testing.TB, db *store.DB, tr *storetest.Trust, n, per int) time.Time {
	ctx := context.Background()
	gen := demo.NewGenerator(21)
	ps := make([]*crs.Patient, n)
	for i := range ps {
		ps[i] = gen.Patient()
	}
	if _, err := db.LoadPatients(ctx, tr.System, ps, crs.LoadOptions{}); err != nil {
		tb.Fatal(err)
	}
	ids, err := db.LivePatientIDs(ctx, tr.Org.ID, n)
	if err != nil {
		tb.Fatal(err)
	}
	n = len(ids) // the load keeps one of the generator's rare duplicates
	orgs := store.NewOrganisationService(db)
	admin := tr.Actor(crs.RoleAdmin)
	site := &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main site"}
	if err := orgs.CreateLocation(ctx, admin, site); err != nil {
		tb.Fatal(err)
	}
	ward := &crs.Location{ParentID: site.ID, Kind: crs.LocationWard, Code: "WD1", Name: "Ward 1"}
	if err := orgs.CreateLocation(ctx, admin, ward); err != nil {
		tb.Fatal(err)
	}
	clerk := tr.Actor(crs.RoleClerk)
	clinics := []*crs.Clinic{{Code: "GS1", Name: "General Surgery", ConsultantCode: "C1000001", TreatmentFunction: "100"},
		{Code: "GS2", Name: "General Surgery 2", ConsultantCode: "C1000001", TreatmentFunction: "100"}}
	if err := db.Write(ctx, clerk, crs.ActManagePathways, func(tx crs.Tx) error {
		if err := tx.MigrateClinics(clinics, []string{"MAIN", "MAIN"}); err != nil {
			return err
		}
		return tx.Emit(&crs.Event{Type: crs.EventRecordMigrated, Summary: "clinic"}, "clinic")
	}); err != nil {
		tb.Fatal(err)
	}
	base := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	var last time.Time
	for lo := 0; lo < n; lo += 500 {
		var refs []*crs.Referral
		var pws []*crs.Pathway
		var evs [][]crs.PathwayEvent
		var aps []crs.MigratedAppointment
		var eds []*crs.EDAttendance
		var sps []*crs.Spell
		for i := lo; i < min(lo+500, n); i++ {
			pid := ids[i]
			received := crs.DateOf(base.AddDate(0, 0, i%300))
			r := &crs.Referral{ID: crs.NewID(), PathwayID: crs.NewID(), PatientID: pid, Source: "03", ReceivedOn: received,
				Priority: crs.PriorityRoutine, TreatmentFunction: "100", ConsultantLed: true, Status: crs.ReferralOpen}
			refs = append(refs, r)
			pws = append(pws, &crs.Pathway{ID: r.PathwayID, PatientID: pid, PPI: fmt.Sprintf("RBN%010d", i+1), PPIIssuer: "RBN", ReferralID: r.ID,
				TreatmentFunction: "100", Priority: r.Priority, ClockState: crs.ClockRunning, ClockStart: received, LastStatus: 10})
			evs = append(evs, []crs.PathwayEvent{{Date: received, Kind: rtt.KindReferralReceived, Status: 10}})
			for j := 0; j < per; j++ {
				k := i*per + j
				start := base.Add(time.Duration(k/2) * 10 * time.Minute)
				if k%2 == (k/2)%2 {
					// The later of the pair by id starts first, within
					// the second, every other pair.
					start = start.Add(300 * time.Millisecond)
				}
				if start.After(last) {
					last = start
				}
				ap := &crs.Appointment{PatientID: pid, ReferralID: r.ID, PathwayID: r.PathwayID, ClinicID: clinics[k%2].ID, Start: start,
					Kind: crs.SlotNew, Status: crs.AppointmentBooked}
				if i%2 == 0 {
					ap.Status, ap.AttendedAt = crs.AppointmentAttended, start
				}
				aps = append(aps, crs.MigratedAppointment{Appointment: ap, SlotEnd: start.Add(10 * time.Minute), SlotType: crs.SlotNew})
			}
			if i%3 == 0 {
				at := base.Add(time.Duration(i/6) * 7 * time.Minute)
				if i%2 == 0 {
					at = at.Add(500 * time.Millisecond)
				}
				eds = append(eds, &crs.EDAttendance{PatientID: pid, ArrivedAt: at, ArrivalMode: "1048071000000103", AttendanceCategory: "1",
					TriageCategory: 3, TriagedAt: at.Add(10 * time.Minute), DepartedAt: at.Add(3 * time.Hour), Departure: crs.EDDischarged})
			}
			if i%5 == 0 {
				at := base.Add(time.Duration(i) * 13 * time.Minute)
				sps = append(sps, &crs.Spell{PatientID: pid, VisitNumber: fmt.Sprintf("V%09d", i), AdmissionMethod: "21", AdmissionSource: "19",
					AdmittedAt: at, WardID: ward.ID, ConsultantCode: "C1000001", TreatmentFunction: "100", DischargedAt: at.Add(48 * time.Hour),
					DischargeMethod: "1", DischargeDestination: "19"})
			}
		}
		if err := db.Write(ctx, clerk, crs.ActManagePathways, func(tx crs.Tx) error {
			if err := tx.MigrateReferrals(refs); err != nil {
				return err
			}
			if err := tx.MigratePathways(pws, evs, trues(len(pws))); err != nil {
				return err
			}
			if err := tx.MigrateAppointments(aps); err != nil {
				return err
			}
			if err := tx.MigrateEDAttendances(eds); err != nil {
				return err
			}
			if err := tx.MigrateDischargedSpells(sps, nil); err != nil {
				return err
			}
			return tx.Emit(&crs.Event{Type: crs.EventRecordMigrated, Summary: "journey"}, "journey")
		}); err != nil {
			tb.Fatal(err)
		}
	}
	return last
}

// trues is n trues: each migrated pathway its referral's current one.
func trues(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = true
	}
	return out
}

// BenchmarkSortedEncounterSearch measures a page of the trust's finished
// encounters sorted by date, from the latest, that names no patient, on
// a trust of 20,000 patients (about 20,600 encounters): the first page
// and a page 5,000 matches in, each read in the order of the records'
// starts up to the page ("ordered") and by reading every match
// ("every-match").
func BenchmarkSortedEncounterSearch(b *testing.B) {
	srv, _ := benchCore(b, 20000)
	benchSorted(b, srv, "Encounter?status=finished&_sort=-date&_count=10", "Encounter?status=finished&_sort=-date&_count=10&_offset=5000")
}

// benchSorted measures a sorted search's first page and one further in,
// each read in order (ordered) and reading every match (every-match).
func benchSorted(b *testing.B, srv *httptest.Server, first, further string) {
	for _, bc := range []struct{ name, query string }{{"first-page", first}, {"offset-5000", further}} {
		for _, every := range []bool{false, true} {
			name := bc.name + "/ordered"
			if every {
				name = bc.name + "/every-match"
			}
			b.Run(name, func(b *testing.B) {
				if every {
					defer fhir.ReadEveryMatch()()
				}
				for i := 0; i < b.N; i++ {
					benchGet(b, srv.URL+"/fhir/"+bc.query, "t")
				}
			})
		}
	}
}

// BenchmarkSortedPatientSearch measures a search of a trust of 10,000
// patients sorted by family name that no index leads (a range of birth
// dates), its first page and one 5,000 in, read in the order of the
// folded family names (ordered) and reading every match (every-match).
func BenchmarkSortedPatientSearch(b *testing.B) {
	srv, _ := benchPMI(b, 10000, 12)
	benchSorted(b, srv, "Patient?birthdate=ge1900&_sort=family&_count=10", "Patient?birthdate=ge1900&_sort=-family&_count=10&_offset=5000")
}

// BenchmarkSortedPatientSearchByGiven measures the same search sorted by
// given name: its first page, from the first given names, and one 5,000
// in from the last, read in the order of the folded given names
// (ordered) and reading every match (every-match).
func BenchmarkSortedPatientSearchByGiven(b *testing.B) {
	srv, _ := benchPMI(b, 10000, 12)
	benchSorted(b, srv, "Patient?birthdate=ge1900&_sort=given&_count=10", "Patient?birthdate=ge1900&_sort=-given&_count=10&_offset=5000")
}
