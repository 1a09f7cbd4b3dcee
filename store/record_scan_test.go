package store_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// recordKey is a record as a listing across patients orders it.
type recordKey struct{ patient, id string }

// journeySite is a site of newSite with a journey seeded through it.
func journeySite(t *testing.T, db *store.DB, ods string, patients int) *site {
	t.Helper()
	s := newSite(t, db, ods, patients)
	if err := demo.SeedJourney(context.Background(), storetest.Journey(db), s.tr.System,
		demo.JourneyOptions{Referrals: 14, EDPatients: 3, Occupancy: 1, Workers: 1}); err != nil {
		t.Fatalf("seed journey: %v", err)
	}
	return s
}

// listAll pages through a listing by limit and returns the keys listed
// in order, failing on a batch past its limit or a record of another
// trust.
func listAll[T any](t *testing.T, orgID string, limit int, list func(crs.RecordScan) ([]T, string, error), key func(T) (org, patient, id string)) []recordKey {
	t.Helper()
	var out []recordKey
	cursor := ""
	for range 1000 {
		batch, next, err := list(crs.RecordScan{After: cursor, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) > limit {
			t.Fatalf("a batch of %d, limit %d", len(batch), limit)
		}
		for _, r := range batch {
			org, p, id := key(r)
			if org != orgID {
				t.Errorf("listed %s of another trust", id)
			}
			out = append(out, recordKey{p, id})
		}
		if next == "" {
			return out
		}
		cursor = next
	}
	t.Fatal("more than 1000 batches")
	return nil
}

// TestListRecordsAcrossPatients lists a trust's spells, A&E attendances,
// referrals, pathways and appointments across its patients a batch at
// a time: every record its patient's own lists hold, once, in the order
// of patient then id; another trust's never; narrowed by status and by
// start; a patient's cursor alone resuming after that patient; a record
// added while paging found later; a role that may not open patients'
// records refused; each batch audited as a list of the patients in it.
func TestListRecordsAcrossPatients(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := journeySite(t, db, "RLA", 8)
		other := journeySite(t, db, "RLB", 3)
		a := s.clerk
		pats, _, err := store.NewPatientService(db).ScanPatients(ctx, a, crs.PatientScan{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		// What each patient's own lists hold, patient by patient.
		var spells, atts, refs, pws, appts []recordKey
		var appt []*crs.Appointment
		byID := func(ks []recordKey) []recordKey {
			slices.SortFunc(ks, func(x, y recordKey) int {
				if x.patient != y.patient {
					return strings.Compare(x.patient, y.patient)
				}
				return strings.Compare(x.id, y.id)
			})
			return ks
		}
		for _, p := range pats {
			var sp, at, rf, pw, ap []recordKey
			xs, err := s.ip.FindSpells(ctx, a, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range xs {
				sp = append(sp, recordKey{p.ID, x.ID})
			}
			es, err := s.ed.FindAttendances(ctx, a, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range es {
				at = append(at, recordKey{p.ID, x.ID})
			}
			rs, err := s.refs.FindReferrals(ctx, a, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				rf = append(rf, recordKey{p.ID, r.ID})
				if r.PathwayID != "" {
					pw = append(pw, recordKey{p.ID, r.PathwayID})
				}
				as, err := s.op.FindAppointments(ctx, a, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range as {
					ap = append(ap, recordKey{p.ID, x.ID})
					appt = append(appt, x)
				}
			}
			spells, atts, refs = append(spells, byID(sp)...), append(atts, byID(at)...), append(refs, byID(rf)...)
			pws, appts = append(pws, byID(pw)...), append(appts, byID(ap)...)
		}
		for name, n := range map[string]int{"spells": len(spells), "attendances": len(atts), "referrals": len(refs), "pathways": len(pws), "appointments": len(appts)} {
			if n < 2 {
				t.Fatalf("the journey made %d %s, want at least 2", n, name)
			}
		}
		org := s.tr.Org.ID
		for _, tc := range []struct {
			name string
			want []recordKey
			list func(a crs.Actor, limit int) []recordKey
		}{
			{"spells", spells, func(a crs.Actor, limit int) []recordKey {
				return listAll(t, a.OrgID, limit, func(q crs.RecordScan) ([]*crs.Spell, string, error) { return s.ip.ListSpells(ctx, a, q) },
					func(x *crs.Spell) (string, string, string) { return x.OrgID, x.PatientID, x.ID })
			}},
			{"attendances", atts, func(a crs.Actor, limit int) []recordKey {
				return listAll(t, a.OrgID, limit, func(q crs.RecordScan) ([]*crs.EDAttendance, string, error) { return s.ed.ListAttendances(ctx, a, q) },
					func(x *crs.EDAttendance) (string, string, string) { return x.OrgID, x.PatientID, x.ID })
			}},
			{"referrals", refs, func(a crs.Actor, limit int) []recordKey {
				return listAll(t, a.OrgID, limit, func(q crs.RecordScan) ([]*crs.Referral, string, error) { return s.refs.ListReferrals(ctx, a, q) },
					func(x *crs.Referral) (string, string, string) { return x.OrgID, x.PatientID, x.ID })
			}},
			{"pathways", pws, func(a crs.Actor, limit int) []recordKey {
				return listAll(t, a.OrgID, limit, func(q crs.RecordScan) ([]*crs.Pathway, string, error) { return s.refs.ListPathways(ctx, a, q) },
					func(x *crs.Pathway) (string, string, string) { return x.OrgID, x.PatientID, x.ID })
			}},
			{"appointments", appts, func(a crs.Actor, limit int) []recordKey {
				return listAll(t, a.OrgID, limit, func(q crs.RecordScan) ([]*crs.Appointment, string, error) { return s.op.ListAppointments(ctx, a, q) },
					func(x *crs.Appointment) (string, string, string) { return x.OrgID, x.PatientID, x.ID })
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, limit := range []int{1, 3, 1000} {
					if got := tc.list(a, limit); !slices.Equal(got, tc.want) {
						t.Errorf("listed by %d:\n%v,\nwant %v", limit, got, tc.want)
					}
				}
				for _, k := range tc.list(other.clerk, 1000) {
					if slices.Contains(tc.want, k) {
						t.Errorf("trust B listed trust A's %v", k)
					}
				}
			})
		}
		// Narrowed by status and by start.
		booked, _, err := s.op.ListAppointments(ctx, a, crs.RecordScan{Status: []string{crs.AppointmentBooked}, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var wantBooked []string
		for _, k := range appts {
			for _, x := range appt {
				if x.ID == k.id && x.Status == crs.AppointmentBooked {
					wantBooked = append(wantBooked, x.ID)
				}
			}
		}
		if got := idsOfRecords(booked, func(x *crs.Appointment) string { return x.ID }); !slices.Equal(got, wantBooked) || len(got) == 0 {
			t.Errorf("booked appointments %v, want %v", got, wantBooked)
		}
		mid := appt[len(appt)/2].Start
		later, _, err := s.op.ListAppointments(ctx, a, crs.RecordScan{From: mid, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var wantLater []string
		for _, k := range appts {
			for _, x := range appt {
				if x.ID == k.id && !x.Start.Before(mid) {
					wantLater = append(wantLater, x.ID)
				}
			}
		}
		if got := idsOfRecords(later, func(x *crs.Appointment) string { return x.ID }); !slices.Equal(got, wantLater) || len(got) == 0 {
			t.Errorf("appointments from %s: %v, want %v", mid, got, wantLater)
		}
		// A patient's id alone resumes after every record of theirs.
		first := refs[0].patient
		after, _, err := s.refs.ListReferrals(ctx, a, crs.RecordScan{After: first, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range after {
			if r.PatientID <= first {
				t.Errorf("after patient %s, listed %s of patient %s", first, r.ID, r.PatientID)
			}
		}
		// A referral made while paging, of the last patient, is listed
		// on a later batch; none repeats.
		batch, next, err := s.refs.ListReferrals(ctx, a, crs.RecordScan{Limit: 2})
		if err != nil || next == "" {
			t.Fatalf("first batch: %d, next %q, %v", len(batch), next, err)
		}
		last := pats[len(pats)-1]
		late := &crs.Referral{PatientID: last.ID, Source: "03", ReceivedOn: crs.LocalDate(clock.Now()), Priority: crs.PriorityRoutine,
			TreatmentFunction: "100", ConsultantLed: true}
		if err := s.refs.RecordReferral(ctx, a, late); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, r := range batch {
			seen[r.ID] = true
		}
		for cursor := next; cursor != ""; {
			batch, cursor, err = s.refs.ListReferrals(ctx, a, crs.RecordScan{After: cursor, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range batch {
				if seen[r.ID] {
					t.Errorf("referral %s listed twice", r.ID)
				}
				seen[r.ID] = true
			}
		}
		if !seen[late.ID] || len(seen) != len(refs)+1 {
			t.Errorf("listed %d referrals (the late one: %v), want %d with it", len(seen), seen[late.ID], len(refs)+1)
		}
		if _, _, err := s.refs.ListReferrals(ctx, a, crs.RecordScan{After: "a|b|c"}); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("a bad cursor: %v, want EINVALID", err)
		}
		// A role that may not open patients' records lists none.
		if _, _, err := s.ip.ListSpells(ctx, s.tr.Actor(crs.RoleAdmin), crs.RecordScan{}); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("the administrator listed spells: %v, want EFORBIDDEN", err)
		}
		// Each batch is one audit record of a list, in the trail of each
		// patient it held.
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if n := listRecords(t, db, org, "referrals list"); n < 2 {
			t.Errorf("%d audit records of referral lists, want one a batch", n)
		}
		if !trailShows(t, db, s.tr.Actor(crs.RolePrivacyOfficer), last.ID, a.UserID, "referrals list") {
			t.Errorf("the trail of patient %s does not show the list of their referrals", last.ID)
		}
	})
}

// idsOfRecords are the ids of records, in order.
func idsOfRecords[T any](xs []T, id func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

// TestListRecordsInStartOrder lists a trust's spells, A&E attendances
// and appointments by their start (an appointment also by when the
// patient arrived), either way, a few at a time: every record once, in
// the order of start then id, the latest first and the highest id first
// when descending; referrals are not listed so.
func TestListRecordsInStartOrder(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := journeySite(t, db, "RLA", 8)
		journeySite(t, db, "RLB", 3)
		a := s.clerk
		org := s.tr.Org.ID
		// at keys a record by when it starts (to the microsecond, as
		// held), then its id.
		at := func(tm time.Time) string { return tm.UTC().Format("2006-01-02T15:04:05.000000") }
		arrived := func(x *crs.Appointment) time.Time {
			if !x.CheckedInAt.IsZero() {
				return x.CheckedInAt
			}
			return x.AttendedAt
		}
		lists := []struct {
			name  string
			order crs.ScanOrder
			list  func(q crs.RecordScan) []recordKey
		}{
			{"spells", crs.ScanByStart, func(q crs.RecordScan) []recordKey {
				return listAll(t, org, q.Limit, func(p crs.RecordScan) ([]*crs.Spell, string, error) {
					p.Order, p.Desc = q.Order, q.Desc
					return s.ip.ListSpells(ctx, a, p)
				}, func(x *crs.Spell) (string, string, string) { return x.OrgID, at(x.AdmittedAt), x.ID })
			}},
			{"attendances", crs.ScanByStart, func(q crs.RecordScan) []recordKey {
				return listAll(t, org, q.Limit, func(p crs.RecordScan) ([]*crs.EDAttendance, string, error) {
					p.Order, p.Desc = q.Order, q.Desc
					return s.ed.ListAttendances(ctx, a, p)
				}, func(x *crs.EDAttendance) (string, string, string) { return x.OrgID, at(x.ArrivedAt), x.ID })
			}},
			{"appointments", crs.ScanByStart, func(q crs.RecordScan) []recordKey {
				return listAll(t, org, q.Limit, func(p crs.RecordScan) ([]*crs.Appointment, string, error) {
					p.Order, p.Desc = q.Order, q.Desc
					return s.op.ListAppointments(ctx, a, p)
				}, func(x *crs.Appointment) (string, string, string) { return x.OrgID, at(x.Start), x.ID })
			}},
			{"appointments by arrival", crs.ScanByArrival, func(q crs.RecordScan) []recordKey {
				return listAll(t, org, q.Limit, func(p crs.RecordScan) ([]*crs.Appointment, string, error) {
					p.Order, p.Desc = q.Order, q.Desc
					return s.op.ListAppointments(ctx, a, p)
				}, func(x *crs.Appointment) (string, string, string) {
					if arrived(x).IsZero() {
						return x.OrgID, "", x.ID
					}
					return x.OrgID, at(arrived(x)), x.ID
				})
			}},
		}
		for _, l := range lists {
			// Every record, listed in patient order and put in order
			// here.
			want := l.list(crs.RecordScan{Limit: 1000})
			slices.SortFunc(want, func(x, y recordKey) int {
				return cmp.Or(strings.Compare(x.patient, y.patient), strings.Compare(x.id, y.id))
			})
			if len(want) < 2 {
				t.Fatalf("%s: %d listed, want at least 2", l.name, len(want))
			}
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s desc %v", l.name, desc), func(t *testing.T) {
					w := slices.Clone(want)
					if desc {
						slices.Reverse(w)
					}
					if got := l.list(crs.RecordScan{Order: l.order, Desc: desc, Limit: 3}); !slices.Equal(got, w) {
						t.Errorf("listed in order\n%v,\nwant\n%v", got, w)
					}
				})
			}
		}
		if _, _, err := s.refs.ListReferrals(ctx, a, crs.RecordScan{Order: crs.ScanByStart}); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("referrals by start: %v, want EINVALID", err)
		}
	})
}
