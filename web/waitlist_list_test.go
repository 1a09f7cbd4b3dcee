package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// listEntry puts a patient of trust A on the waiting list through the
// services: a consultant-led referral received on received (the RTT
// clock start) and a decision to admit on decided.
func (e *env) listEntry(t *testing.T, family, nhsNo string, received, decided crs.Date, priority, management, consultant string) *crs.WaitingListEntry {
	t.Helper()
	ctx, clerk := context.Background(), e.a.Actor(crs.RoleClerk)
	p := e.register(e.a, family, "Pat", crs.NewDate(1975, 4, 5), nhsNo, "LS1 4AP")
	ref := &crs.Referral{PatientID: p.ID, Source: "03", ReceivedOn: received, Priority: crs.PriorityRoutine,
		TreatmentFunction: "100", ConsultantCode: consultant, ConsultantLed: true}
	if err := store.NewReferralService(e.db).RecordReferral(ctx, clerk, ref); err != nil {
		t.Fatalf("record referral: %v", err)
	}
	entry := &crs.WaitingListEntry{ReferralID: ref.ID, DecidedOn: decided, IntendedManagement: management, ProcedureCode: "T201",
		ProcedureName: "Hernia repair", Priority: priority, ConsultantCode: consultant, ForTreatment: true}
	if err := store.NewWaitingListService(e.db).AddToWaitingList(ctx, clerk, entry); err != nil {
		t.Fatalf("add to waiting list: %v", err)
	}
	return entry
}

// entryIDs lists the waiting list entries a page links to, in order.
func entryIDs(body string) []string {
	var ids []string
	for _, m := range entryLink.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestWaitingListPage(t *testing.T) {
	e := newEnv(t)
	e.setUp(e.a)
	ctx, clerk := context.Background(), e.a.Actor(crs.RoleClerk)
	wl := store.NewWaitingListService(e.db)
	alpha := e.listEntry(t, "Alpha", "9995000008", crs.NewDate(2026, 1, 5), crs.NewDate(2026, 2, 20), "P2", "1", "C1234567")
	bravo := e.listEntry(t, "Bravo", "9995000016", crs.NewDate(2026, 2, 10), crs.NewDate(2026, 2, 25), "P1", "2", "C7654321")
	charlie := e.listEntry(t, "Charlie", "9995000024", crs.NewDate(2026, 2, 2), crs.NewDate(2026, 2, 10), "P2", "2", "C1234567")
	delta := e.listEntry(t, "Delta", "9995000032", crs.NewDate(2025, 12, 1), crs.NewDate(2026, 1, 15), "P3", "1", "C1234567")
	today := crs.LocalDate(e.clock.Now())
	tci := crs.Date{Time: today.AddDate(0, 0, 22)}
	offer := &crs.TCIOffer{Dates: []crs.Date{tci, {Time: today.AddDate(0, 0, 29)}}}
	if err := wl.OfferTCI(ctx, clerk, charlie.ID, offer); err != nil {
		t.Fatalf("offer: %v", err)
	}
	if err := wl.RespondToTCI(ctx, clerk, offer.ID, crs.TCIResponse{Accept: true, Date: tci}); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if err := wl.Suspend(ctx, clerk, delta.ID, crs.Date{Time: today.AddDate(0, 0, 14)}, "On holiday"); err != nil {
		t.Fatalf("suspend: %v", err)
	}
	c := e.login(e.a, crs.RoleClerk)

	t.Run("the list, in priority then longest wait, as the service gives it", func(t *testing.T) {
		r := c.get("/waiting-list")
		wantStatus(t, "waiting list", r, http.StatusOK)
		want := []string{bravo.ID, alpha.ID, charlie.ID, delta.ID}
		if got := entryIDs(r.body); !slices.Equal(got, want) {
			t.Errorf("entries in order %q, want %q", got, want)
		}
		page, err := wl.WaitingList(ctx, clerk, crs.WaitingListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var fromService []string
		for _, row := range page.Rows {
			fromService = append(fromService, row.Entry.ID)
		}
		if !slices.Equal(fromService, want) {
			t.Errorf("service order %q, want %q", fromService, want)
		}
		wantBody(t, "waiting list", r, `href="/waiting-list" aria-current="page"`, "ALPHA, Pat", "999 500 0008", `Hernia repair <small class="code">T201</small>`,
			"TCI agreed", tci.Display(), "Suspended", "until "+crs.Date{Time: today.AddDate(0, 0, 14)}.Display())
		alphaRow := entryRow(r.body, alpha.ID)
		weeks := int(today.Sub(crs.NewDate(2026, 1, 5).Time).Hours()/24) / 7
		if !strings.Contains(alphaRow, "<strong>"+strconv.Itoa(weeks)+"</strong>") {
			t.Errorf("Alpha's row does not show %d weeks waited:\n%s", weeks, alphaRow)
		}
	})

	t.Run("filters and the date added order", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"sort=added", []string{delta.ID, charlie.ID, alpha.ID, bravo.ID}},
			{"priority=P1", []string{bravo.ID}},
			{"priority=P2", []string{alpha.ID, charlie.ID}},
			{"consultant=C7654321", []string{bravo.ID}},
			{"tf=100&management=1", []string{alpha.ID, delta.ID}},
			{"no_tci=yes", []string{bravo.ID, alpha.ID, delta.ID}},
			{"status=tci", []string{charlie.ID}},
			{"status=suspended", []string{delta.ID}},
			{"status=waiting", []string{bravo.ID, alpha.ID}},
			{"status=removed", nil},
		} {
			r := c.get("/waiting-list?" + tc.query)
			wantStatus(t, tc.query, r, http.StatusOK)
			if got := entryIDs(r.body); !slices.Equal(got, tc.want) {
				t.Errorf("%s: entries %q, want %q", tc.query, got, tc.want)
			}
		}
		r := c.get("/waiting-list?status=tci&no_tci=yes")
		wantBody(t, "nothing matches", r, "No waiting list entries match", `id="no_tci" name="no_tci" type="checkbox" value="yes" checked`)
	})

	t.Run("the CSV holds the filtered list", func(t *testing.T) {
		r := c.get("/waiting-list.csv?priority=P2&sort=added")
		wantStatus(t, "CSV", r, http.StatusOK)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q, want text/csv", ct)
		}
		recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil || len(recs) == 0 {
			t.Fatalf("CSV: %v\n%s", err, r.body)
		}
		var got []string
		for _, rec := range recs[1:] {
			got = append(got, rec[0])
		}
		if want := []string{charlie.ID, alpha.ID}; !slices.Equal(got, want) {
			t.Errorf("CSV entries %q, want %q", got, want)
		}
		wantBody(t, "list page", c.get("/waiting-list?priority=P2&sort=added"), `href="/waiting-list.csv?priority=P2&amp;sort=added"`)
		an := e.login(e.a, crs.RoleAnalyst)
		wantStatus(t, "analyst CSV", an.get("/waiting-list.csv"), http.StatusForbidden)
	})

	t.Run("a bad filter is shown beside its field", func(t *testing.T) {
		r := c.get("/waiting-list?status=lost")
		wantStatus(t, "bad status", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad status", r, `id="status-error"`, `href="#status"`, "is not waiting")
	})

	t.Run("roles and trusts", func(t *testing.T) {
		an := e.login(e.a, crs.RoleAnalyst)
		wantStatus(t, "analyst", an.get("/waiting-list"), http.StatusForbidden)
		if body := an.get("/patients").body; strings.Contains(body, `href="/waiting-list"`) {
			t.Errorf("the analyst's navigation links to the waiting list")
		}
		other := e.login(e.b, crs.RoleClerk)
		r := other.get("/waiting-list")
		wantStatus(t, "other trust", r, http.StatusOK)
		if ids := entryIDs(r.body); len(ids) != 0 {
			t.Errorf("trust B sees trust A's entries %q", ids)
		}
		wantStatus(t, "other trust's entry", other.get("/waiting-list/"+alpha.ID), http.StatusNotFound)
	})
}

// rowOf returns the table row that links to the entry.
func entryRow(body, entryID string) string {
	i := strings.Index(body, `href="/waiting-list/`+entryID+`"`)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<tr")
	end := strings.Index(body[i:], "</tr>")
	if start < 0 || end < 0 {
		return ""
	}
	return body[start : i+end]
}

// TestWaitingListPaging follows the next page links through a list longer
// than a page: every entry once, in the order the service gives.
func TestWaitingListPaging(t *testing.T) {
	e := newEnv(t)
	e.setUp(e.a)
	for i := range 53 {
		received := crs.Date{Time: crs.NewDate(2025, 10, 1).AddDate(0, 0, i%20)}
		e.listEntry(t, "Pager"+strconv.Itoa(i), "", received, crs.NewDate(2026, 2, 1), []string{"P2", "P3", "P4"}[i%3], "2", "C1234567")
	}
	all, err := store.NewWaitingListService(e.db).WaitingList(context.Background(), e.a.Actor(crs.RoleClerk), crs.WaitingListQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, row := range all.Rows {
		want = append(want, row.Entry.ID)
	}
	c := e.login(e.a, crs.RoleClerk)
	next := regexp.MustCompile(`<a href="(/waiting-list\?[^"]*cursor=[^"]+)" rel="next">`)
	var got []string
	addr := "/waiting-list?sort="
	for pages := 0; addr != ""; pages++ {
		if pages > 3 {
			t.Fatalf("more pages than 53 entries need")
		}
		r := c.get(addr)
		wantStatus(t, addr, r, http.StatusOK)
		got = append(got, entryIDs(r.body)...)
		addr = ""
		if m := next.FindStringSubmatch(r.body); m != nil {
			addr = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(want) != 53 || !slices.Equal(got, want) {
		t.Errorf("pages list %d entries, the service %d (of 53 made), or in another order", len(got), len(want))
	}
}
