package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestClinicalAccess checks the one clinical access check on both
// engines: each kind of legitimate relationship, its start and end,
// claims and break-glass that run out, seals, and the alerts raised.
func TestClinicalAccess(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RAC", 5)
		acc := store.NewAccessService(db)
		admin, doctor, nurse := s.tr.Actor(crs.RoleAdmin), s.doctor, s.tr.Actor(crs.RoleNurse)
		p := s.patients
		today := crs.LocalDate(clock.Now())
		check := func(what string, a crs.Actor, patient *crs.Patient, want string) {
			t.Helper()
			if got := crs.ErrorCode(acc.CheckClinical(ctx, a, patient.ID)); got != want {
				t.Errorf("%s: code %q, want %q", what, got, want)
			}
		}
		assign := func(a crs.Actor, kind crs.AssignmentKind, value string, from, to crs.Date) *crs.Assignment {
			t.Helper()
			as := &crs.Assignment{UserID: a.UserID, Kind: kind, Value: value, StartsOn: from, EndsOn: to}
			if err := acc.Assign(ctx, admin, as); err != nil {
				t.Fatalf("assign %s %s: %v", kind, value, err)
			}
			return as
		}

		check("doctor with no assignment", doctor, p[0], crs.ENORELATIONSHIP)
		check("clerk (no clinical role)", s.clerk, p[0], crs.EFORBIDDEN)
		check("interface (a system)", crs.Actor{UserID: "x", OrgID: s.tr.Org.ID, Role: crs.RoleInterface}, p[0], "")

		// Ward: the patient in a bed on the doctor's ward, from admission.
		assign(doctor, crs.AssignWard, "wd1", today, crs.Date{})
		check("doctor's ward, patient not admitted", doctor, p[0], crs.ENORELATIONSHIP)
		if _, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: p[0].ID, Method: "21", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID, ConsultantCode: "C7654321"}); err != nil {
			t.Fatalf("admit: %v", err)
		}
		check("patient on the doctor's ward", doctor, p[0], "")
		check("nurse not assigned", nurse, p[0], crs.ENORELATIONSHIP)
		why, err := acc.Relationship(ctx, doctor, p[0].ID)
		if err != nil || why != "in a bed on your ward WD1, or discharged from it in the last 7 days" {
			t.Errorf("relationship = %q, %v", why, err)
		}
		// An assignment that ended yesterday or starts tomorrow gives none.
		assign(nurse, crs.AssignWard, "WD1", crs.Date{Time: today.AddDate(0, 0, -30)}, crs.Date{Time: today.AddDate(0, 0, -1)})
		assign(nurse, crs.AssignWard, "WD1", crs.Date{Time: today.AddDate(0, 0, 1)}, crs.Date{})
		check("nurse's ward assignment ended or not begun", nurse, p[0], crs.ENORELATIONSHIP)

		// Team (consultant), specialty and department.
		assign(nurse, crs.AssignTeam, "C7654321", today, crs.Date{})
		check("patient under the nurse's consultant", nurse, p[0], "")
		s.referral(t, p[1], today)
		check("doctor, patient referred elsewhere", doctor, p[1], crs.ENORELATIONSHIP)
		assign(doctor, crs.AssignSpecialty, "100", today, crs.Date{})
		check("patient referred to the doctor's specialty", doctor, p[1], "")
		e := &crs.EDAttendance{PatientID: p[2].ID, ArrivalMode: "1048071000000103", AttendanceCategory: "1", ArrivedAt: clock.Now().Add(-time.Hour)}
		if err := s.ed.Arrive(ctx, s.clerk, e); err != nil {
			t.Fatalf("arrive: %v", err)
		}
		check("doctor not in A&E", doctor, p[2], crs.ENORELATIONSHIP)
		edNurse := assign(nurse, crs.AssignDepartment, "ED", today, crs.Date{})
		check("patient in the nurse's department", nurse, p[2], "")
		if err := acc.EndAssignment(ctx, admin, edNurse.ID, crs.Date{Time: today.AddDate(0, 0, -1)}); err != nil {
			t.Fatalf("end assignment: %v", err)
		}
		check("department assignment ended", nurse, p[2], crs.ENORELATIONSHIP)

		// The one check guards the clinical services: results.
		if _, err := (&fhir.ResultService{Store: db, Resources: store.NewResourceService(db)}).FindResults(ctx, doctor, p[3].ID); crs.ErrorCode(err) != crs.ENORELATIONSHIP {
			t.Errorf("results without a relationship: %v, want %s", err, crs.ENORELATIONSHIP)
		}

		// Break-glass: a reason, 8 hours, an alert.
		if _, err := acc.GrantAccess(ctx, doctor, p[3].ID, crs.GrantBreakGlass, "short"); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("break-glass with a short reason: %v, want EINVALID", err)
		}
		g, err := acc.GrantAccess(ctx, doctor, p[3].ID, crs.GrantBreakGlass, "Collapsed in the car park, unconscious")
		if err != nil {
			t.Fatalf("break glass: %v", err)
		}
		if got := g.EndsAt.Sub(g.StartedAt); got != 8*time.Hour {
			t.Errorf("break-glass lasts %v, want 8h", got)
		}
		check("after breaking the glass", doctor, p[3], "")
		if _, err := acc.GrantAccess(ctx, nurse, p[4].ID, crs.GrantClaim, "Asked to review by the patient's GP"); err != nil {
			t.Fatalf("claim: %v", err)
		}
		check("after a self-claim", nurse, p[4], "")

		// Seals: nobody without the override; the doctor with a reason.
		po := s.tr.Actor(crs.RolePrivacyOfficer)
		if err := acc.SealRecord(ctx, doctor, p[0].ID, crs.SealSexualHealth, "patient asked"); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("doctor seals: %v, want EFORBIDDEN", err)
		}
		if err := acc.SealRecord(ctx, po, p[0].ID, crs.SealSexualHealth, "Sexual health clinic record"); err != nil {
			t.Fatalf("seal: %v", err)
		}
		check("sealed, doctor on the ward", doctor, p[0], crs.ESEALED)
		check("sealed, nurse in the team (no override)", nurse, p[0], crs.EFORBIDDEN)
		if _, err := acc.GrantAccess(ctx, nurse, p[0].ID, crs.GrantSealed, "I want to see the whole record"); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("nurse opens a sealed record: %v, want EFORBIDDEN", err)
		}
		if _, err := acc.GrantAccess(ctx, doctor, p[0].ID, crs.GrantSealed, "Prescribing: need to check interactions"); err != nil {
			t.Fatalf("open sealed: %v", err)
		}
		check("sealed, opened with a reason", doctor, p[0], "")

		// Identity: a doctor opening a record at their surname and postcode.
		if err := acc.SetStaffIdentity(ctx, admin, doctor.UserID, crs.StaffIdentity{NHSNumber: "123"}); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("identity with a bad NHS number: %v", err)
		}
		if err := acc.SetStaffIdentity(ctx, admin, doctor.UserID, crs.StaffIdentity{FamilyName: "Harker", Postcode: "ls1 4ab"}); err != nil {
			t.Fatalf("identity: %v", err)
		}
		rel := newPatient("HARKER", "Mina", crs.NewDate(1960, 5, 5), "", "LS1 4AB", "2")
		if err := store.NewPatientService(db).RegisterPatient(ctx, s.clerk, rel); err != nil {
			t.Fatal(err)
		}
		s.referral(t, rel, today)
		check("doctor opens a record at their surname and postcode", doctor, rel, "")

		alerts, err := acc.Alerts(ctx, po)
		if err != nil {
			t.Fatalf("alerts: %v", err)
		}
		kinds := map[string]int{}
		for _, al := range alerts {
			kinds[al.Kind]++
		}
		want := map[string]int{crs.AlertBreakGlass: 1, crs.AlertClaim: 1, crs.AlertSealed: 1, crs.AlertSameAddress: 1}
		for k, n := range want {
			if kinds[k] != n {
				t.Errorf("alerts of kind %s: %d, want %d (all: %v)", k, kinds[k], n, kinds)
			}
		}
		if _, err := acc.Alerts(ctx, doctor); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("doctor reads the alerts: %v", err)
		}

		// Claims and break-glass run out.
		clock.Advance(9 * time.Hour)
		check("break-glass after 9 hours", doctor, p[3], crs.ENORELATIONSHIP)
		check("claim after 9 hours", nurse, p[4], "")
		clock.Advance(16 * time.Hour)
		check("claim after 25 hours", nurse, p[4], crs.ENORELATIONSHIP)

		// Who accessed p0, visit by visit.
		visits, err := acc.AccessReport(ctx, po, p[0].ID)
		if err != nil {
			t.Fatalf("access report: %v", err)
		}
		if len(visits) == 0 {
			t.Fatalf("no visits")
		}
		for _, v := range visits {
			if v.Name == "" || len(v.Records) == 0 || v.To.Before(v.From) {
				t.Errorf("visit %+v", v)
			}
		}
	})
}

// TestRoleProfiles checks multiple roles, the role chosen for a session
// and that the interface role never belongs to a person.
func TestRoleProfiles(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RRP")
		acc, us := store.NewAccessService(db), store.NewUserService(db)
		admin := tr.Actor(crs.RoleAdmin)
		if err := us.CreateUser(ctx, admin, &crs.User{Username: "robot", Name: "Robot", Role: crs.RoleInterface}, storetest.Password); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("administrator creates an interface user: %v, want EINVALID", err)
		}
		if _, err := us.Authenticate(ctx, tr.Users[crs.RoleInterface].Username, storetest.Password); crs.ErrorCode(err) != crs.EUNAUTHORIZED {
			t.Errorf("interface user logs in: %v, want EUNAUTHORIZED", err)
		}
		doc := tr.Users[crs.RoleDoctor]
		if err := acc.SetUserRoles(ctx, admin, doc.ID, []crs.Role{crs.RoleDoctor, crs.RoleInterface}); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("give a person the interface role: %v, want EINVALID", err)
		}
		if err := acc.SetUserRoles(ctx, admin, doc.ID, []crs.Role{crs.RoleDoctor, crs.RoleClerk}); err != nil {
			t.Fatalf("set roles: %v", err)
		}
		u, err := us.Authenticate(ctx, doc.Username, storetest.Password)
		if err != nil {
			t.Fatalf("authenticate: %v", err)
		}
		if u.Role != "" || len(u.Roles) != 2 {
			t.Fatalf("user with two roles: role %q roles %v, want none chosen of two", u.Role, u.Roles)
		}
		sess, err := us.CreateSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if _, su, err := us.FindSession(ctx, sess.ID); err != nil || su.Role != "" {
			t.Fatalf("session before choosing: role %q, %v", su.Role, err)
		}
		if err := acc.ChooseSessionRole(ctx, sess.ID, crs.RoleAnalyst); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("choose a role not held: %v, want EINVALID", err)
		}
		if err := acc.ChooseSessionRole(ctx, sess.ID, crs.RoleClerk); err != nil {
			t.Fatalf("choose clerk: %v", err)
		}
		_, su, err := us.FindSession(ctx, sess.ID)
		if err != nil || su.Role != crs.RoleClerk {
			t.Fatalf("session role = %q, %v; want clerk", su.Role, err)
		}
		if crs.ActorFor(su, "").Can(crs.ActViewClinical) {
			t.Errorf("a doctor acting as clerk can view the clinical record")
		}
	})
}

// TestListedPatientsAudited checks that every patient shown in a list is
// audited against their own record, with the list they appeared in.
func TestListedPatientsAudited(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RLA", 3)
		p := s.patients
		if _, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: p[0].ID, Method: "21", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID, ConsultantCode: "C1234567"}); err != nil {
			t.Fatal(err)
		}
		if err := s.ed.Arrive(ctx, s.clerk, &crs.EDAttendance{PatientID: p[1].ID, ArrivalMode: "1048071000000103", AttendanceCategory: "1"}); err != nil {
			t.Fatal(err)
		}
		s.referral(t, p[2], crs.LocalDate(clock.Now()))
		if _, err := s.ip.BedBoard(ctx, s.clerk); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ed.TrackingBoard(ctx, s.clerk); err != nil {
			t.Fatal(err)
		}
		if _, err := s.refs.PTL(ctx, s.clerk, crs.PTLFilter{}); err != nil {
			t.Fatal(err)
		}
		if err := store.NewReportSource(db).EachPTLRow(ctx, s.clerk, crs.PTLFilter{}, func(*crs.PTLRow) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := store.NewPatientService(db).SearchPatients(ctx, s.clerk, crs.PatientQuery{MRN: p[1].MRN}); err != nil {
			t.Fatal(err)
		}
		db.Flush(ctx)
		officer := s.tr.Actor(crs.RolePrivacyOfficer)
		for _, tc := range []struct {
			patient *crs.Patient
			what    string
		}{
			{p[0], "bed board"}, {p[1], "A&E tracking board"}, {p[1], "search result"},
			{p[2], "patient tracking list"}, {p[2], "patient tracking list export"},
		} {
			if n := listRecords(t, db, s.tr.Org.ID, tc.what); n != 1 {
				t.Errorf("%d audit records of the %s, want 1", n, tc.what)
			}
			if !trailShows(t, db, officer, tc.patient.ID, s.clerk.UserID, tc.what) {
				t.Errorf("%s's access trail does not show the %s that listed them", tc.patient.FamilyName, tc.what)
			}
		}
	})
}

// TestHighVolumeAlert checks the computed alert of a user who viewed far
// more patients than the users of their role.
func TestHighVolumeAlert(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RHV")
		us := store.NewUserService(db)
		nurses := []crs.Actor{tr.Actor(crs.RoleNurse)}
		for _, name := range []string{"nurse2", "nurse3", "nurse4"} {
			u := &crs.User{Username: name, Name: name, Role: crs.RoleNurse}
			if err := us.CreateUser(ctx, tr.System, u, storetest.Password); err != nil {
				t.Fatal(err)
			}
			nurses = append(nurses, crs.ActorFor(u, "direct care"))
		}
		for i, n := range nurses {
			views := 5
			if i == 0 {
				views = 30
			}
			for j := 0; j < views; j++ {
				db.Audit(n, fmt.Sprintf("patient-%d-%d", i, j), crs.AuditView, "demographics")
			}
		}
		clock.Advance(8 * 24 * time.Hour) // out of the 7 days: an old burst is not flagged
		db.Audit(nurses[1], "patient-late", crs.AuditView, "demographics")
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		alerts, err := store.NewAccessService(db).Alerts(ctx, tr.Actor(crs.RolePrivacyOfficer))
		if err != nil {
			t.Fatal(err)
		}
		if len(alerts) != 0 {
			t.Errorf("alerts after the 7 days: %+v, want none", alerts[0])
		}
		clock.Advance(-8 * 24 * time.Hour)
		alerts, err = store.NewAccessService(db).Alerts(ctx, tr.Actor(crs.RolePrivacyOfficer))
		if err != nil {
			t.Fatal(err)
		}
		var flagged []string
		for _, a := range alerts {
			if a.Kind == crs.AlertHighVolume {
				flagged = append(flagged, a.Username)
			}
		}
		if len(flagged) != 1 || flagged[0] != nurses[0].Username {
			t.Errorf("flagged %v, want only %s (30 patients against a median of 5)", flagged, nurses[0].Username)
		}
	})
}

// TestWardRelationshipAfterDischarge checks that a ward's staff keep
// their relationship with a patient discharged from the ward for seven
// days (the discharge summary, results that come back), and lose it after.
func TestWardRelationshipAfterDischarge(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RAW", 1)
		acc := store.NewAccessService(db)
		nurse := s.tr.Actor(crs.RoleNurse)
		today := crs.LocalDate(clock.Now())
		if err := acc.Assign(ctx, s.tr.Actor(crs.RoleAdmin), &crs.Assignment{UserID: nurse.UserID, Kind: crs.AssignWard, Value: "WD1", StartsOn: crs.Date{Time: today.AddDate(0, 0, -30)}}); err != nil {
			t.Fatal(err)
		}
		p := s.patients[0]
		sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: p.ID, Method: "21", Source: "19", WardID: s.ward.ID, BedID: s.beds[0].ID, ConsultantCode: "C7654321"})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(24 * time.Hour)
		if err := s.ip.Discharge(ctx, s.clerk, sp.ID, crs.Discharge{Method: "1", Destination: "19"}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(6 * 24 * time.Hour)
		if err := acc.CheckClinical(ctx, nurse, p.ID); err != nil {
			t.Errorf("six days after discharge from the nurse's ward: %v, want related", err)
		}
		clock.Advance(2 * 24 * time.Hour)
		if got := crs.ErrorCode(acc.CheckClinical(ctx, nurse, p.ID)); got != crs.ENORELATIONSHIP {
			t.Errorf("eight days after discharge: code %q, want %q", got, crs.ENORELATIONSHIP)
		}
	})
}
