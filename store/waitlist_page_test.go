package store_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestWaitingListPage checks the admissions clerk's waiting list: each
// filter, the two orders, the waits counted from the RTT clock start,
// keyset paging and the trust boundary, on entries made here.
func TestWaitingListPage(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RAA", 5)
		type spec struct {
			name                          string
			received, decided             crs.Date
			priority, management, tf, con string
		}
		specs := []spec{
			{"hip", crs.NewDate(2026, 1, 5), crs.NewDate(2026, 2, 20), "P2", "1", "", "C1234567"},
			{"hernia", crs.NewDate(2026, 2, 2), crs.NewDate(2026, 2, 10), "P2", "2", "", "C1234567"},
			{"urgent", crs.NewDate(2026, 2, 10), crs.NewDate(2026, 2, 25), "P1b", "2", "101", "C7654321"},
			{"tci", crs.NewDate(2025, 12, 1), crs.NewDate(2026, 1, 15), "P3", "1", "", "C1234567"},
			{"away", crs.NewDate(2026, 1, 10), crs.NewDate(2026, 2, 1), "P3", "2", "", "C1234567"},
		}
		entries := map[string]*crs.WaitingListEntry{}
		names := map[string]string{}
		for i, sp := range specs {
			r := s.referral(t, s.patients[i], sp.received)
			e := &crs.WaitingListEntry{ReferralID: r.ID, DecidedOn: sp.decided, IntendedManagement: sp.management, ProcedureCode: "T201",
				Priority: sp.priority, ConsultantCode: sp.con, TreatmentFunction: sp.tf, ForTreatment: true}
			if err := s.wl.AddToWaitingList(ctx, s.clerk, e); err != nil {
				t.Fatalf("add %s: %v", sp.name, err)
			}
			entries[sp.name], names[e.ID] = e, sp.name
		}
		today := crs.LocalDate(clock.Now())
		offer := &crs.TCIOffer{Dates: []crs.Date{{Time: today.AddDate(0, 0, 22)}, {Time: today.AddDate(0, 0, 29)}}}
		if err := s.wl.OfferTCI(ctx, s.clerk, entries["tci"].ID, offer); err != nil {
			t.Fatalf("offer: %v", err)
		}
		if err := s.wl.RespondToTCI(ctx, s.clerk, offer.ID, crs.TCIResponse{Accept: true, Date: offer.Dates[0]}); err != nil {
			t.Fatalf("accept: %v", err)
		}
		if err := s.wl.Suspend(ctx, s.clerk, entries["away"].ID, crs.Date{Time: today.AddDate(0, 0, 14)}, "On holiday"); err != nil {
			t.Fatalf("suspend: %v", err)
		}

		list := func(q crs.WaitingListQuery) []string {
			t.Helper()
			page, err := s.wl.WaitingList(ctx, s.clerk, q)
			if err != nil {
				t.Fatalf("waiting list %+v: %v", q, err)
			}
			var got []string
			for _, r := range page.Rows {
				got = append(got, names[r.Entry.ID])
			}
			return got
		}
		for _, tc := range []struct {
			name string
			q    crs.WaitingListQuery
			want []string
		}{
			{"priority then longest wait", crs.WaitingListQuery{}, []string{"urgent", "hip", "hernia", "tci", "away"}},
			{"date added", crs.WaitingListQuery{Sort: crs.ListByAdded}, []string{"tci", "away", "hernia", "hip", "urgent"}},
			{"P1 finds P1b", crs.WaitingListQuery{Priority: "P1"}, []string{"urgent"}},
			{"priority P3", crs.WaitingListQuery{Priority: "P3"}, []string{"tci", "away"}},
			{"consultant", crs.WaitingListQuery{ConsultantCode: "c7654321"}, []string{"urgent"}},
			{"treatment function", crs.WaitingListQuery{TreatmentFunction: "100"}, []string{"hip", "hernia", "tci", "away"}},
			{"inpatient", crs.WaitingListQuery{IntendedManagement: "1"}, []string{"hip", "tci"}},
			{"day case", crs.WaitingListQuery{IntendedManagement: "2"}, []string{"urgent", "hernia", "away"}},
			{"no TCI date", crs.WaitingListQuery{NoTCIDate: true}, []string{"urgent", "hip", "hernia", "away"}},
			{"TCI agreed", crs.WaitingListQuery{Status: crs.ListViewTCIAgreed}, []string{"tci"}},
			{"waiting", crs.WaitingListQuery{Status: crs.ListViewWaiting}, []string{"urgent", "hip", "hernia"}},
			{"suspended", crs.WaitingListQuery{Status: crs.ListViewSuspended}, []string{"away"}},
			{"removed, none yet", crs.WaitingListQuery{Status: crs.ListViewRemoved}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := list(tc.q); !slices.Equal(got, tc.want) {
					t.Errorf("got %q, want %q", got, tc.want)
				}
			})
		}

		t.Run("waits from the clock start", func(t *testing.T) {
			page, err := s.wl.WaitingList(ctx, s.clerk, crs.WaitingListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Rows {
				sp := specs[slices.IndexFunc(specs, func(sp spec) bool { return sp.name == names[r.Entry.ID] })]
				want := int(today.Sub(sp.received.Time).Hours() / 24)
				if r.Days != want || !r.ClockStart.Equal(sp.received.Time) {
					t.Errorf("%s: %d days from %s, want %d from %s", sp.name, r.Days, r.ClockStart, want, sp.received)
				}
				if r.MRN == "" || r.Name == "" {
					t.Errorf("%s: row lacks the patient: %+v", sp.name, r)
				}
			}
		})

		t.Run("pages follow on in the same order", func(t *testing.T) {
			for _, sort := range []string{crs.ListByPriority, crs.ListByAdded} {
				all := list(crs.WaitingListQuery{Sort: sort})
				var got []string
				cursor := ""
				for i := 0; ; i++ {
					page, err := s.wl.WaitingList(ctx, s.clerk, crs.WaitingListQuery{Sort: sort, Cursor: cursor, Limit: 2})
					if err != nil || i > len(all) {
						t.Fatalf("page %d: %v", i, err)
					}
					for _, r := range page.Rows {
						got = append(got, names[r.Entry.ID])
					}
					if cursor = page.Next; cursor == "" {
						break
					}
				}
				if !slices.Equal(got, all) {
					t.Errorf("sort %q: pages give %q, want %q", sort, got, all)
				}
			}
		})

		t.Run("the export holds the list in its order", func(t *testing.T) {
			for _, q := range []crs.WaitingListQuery{{}, {Sort: crs.ListByAdded}, {Status: crs.ListViewTCIAgreed}, {IntendedManagement: "2"}} {
				var buf bytes.Buffer
				if err := report.New(store.NewReportSource(db)).ExportWaitingList(ctx, s.clerk, &buf, q); err != nil {
					t.Fatalf("export %+v: %v", q, err)
				}
				recs, err := csv.NewReader(&buf).ReadAll()
				if err != nil || len(recs) == 0 || recs[0][0] != "entry_id" || recs[0][14] != "weeks_waited" {
					t.Fatalf("export %+v: header %v, %v", q, recs, err)
				}
				page, err := s.wl.WaitingList(ctx, s.clerk, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(recs)-1 != len(page.Rows) {
					t.Fatalf("export %+v: %d rows, the page %d", q, len(recs)-1, len(page.Rows))
				}
				for i, row := range page.Rows {
					rec := recs[i+1]
					status := row.Entry.Status
					if names[row.Entry.ID] == "tci" {
						status = crs.ListViewTCIAgreed
					}
					want := []string{row.Entry.ID, row.MRN, row.Name, row.Entry.Priority, status, strconv.Itoa(row.Days), row.Entry.TCIDate.String()}
					got := []string{rec[0], rec[1], rec[3], rec[6], rec[10], rec[13], rec[15]}
					if !slices.Equal(got, want) {
						t.Errorf("export %+v row %d: %q, want %q", q, i, got, want)
					}
				}
			}
		})

		t.Run("removed entries leave the list", func(t *testing.T) {
			if err := s.wl.RemoveFromWaitingList(ctx, s.clerk, entries["hernia"].ID, crs.Removal{Reason: "4"}); err != nil {
				t.Fatalf("remove: %v", err)
			}
			if got := list(crs.WaitingListQuery{Status: crs.ListViewRemoved}); !slices.Equal(got, []string{"hernia"}) {
				t.Errorf("removed = %q, want [hernia]", got)
			}
			if got := list(crs.WaitingListQuery{}); slices.Contains(got, "hernia") {
				t.Errorf("live list %q still holds the removed entry", got)
			}
		})

		t.Run("bad filters, roles and trusts", func(t *testing.T) {
			_, err := s.wl.WaitingList(ctx, s.clerk, crs.WaitingListQuery{Status: "lost"})
			if crs.ErrorCode(err) != crs.EINVALID || crs.ErrorField(err) != "status" {
				t.Errorf("status lost: err = %v, want EINVALID on status", err)
			}
			_, err = s.wl.WaitingList(ctx, s.clerk, crs.WaitingListQuery{Cursor: "x"})
			if crs.ErrorCode(err) != crs.EINVALID {
				t.Errorf("bad cursor: err = %v, want EINVALID", err)
			}
			_, err = s.wl.WaitingList(ctx, s.tr.Actor(crs.RoleAnalyst), crs.WaitingListQuery{})
			if crs.ErrorCode(err) != crs.EFORBIDDEN {
				t.Errorf("analyst: err = %v, want EFORBIDDEN", err)
			}
			other := storetest.NewTrust(t, db, "RBB")
			page, err := s.wl.WaitingList(ctx, other.Actor(crs.RoleClerk), crs.WaitingListQuery{Status: crs.ListViewTCIAgreed})
			if err != nil || len(page.Rows) != 0 {
				t.Errorf("another trust sees %d rows (%v), want none", len(page.Rows), err)
			}
		})
	})
}
