package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// bedBoardPage is the data of the trust's bed board: a line a ward.
type bedBoardPage struct {
	pageData
	Wards []*crs.WardSummary // the wards shown, after the filter: the user's own first
	Own   map[string]bool    // the user's own wards by id: assigned to them, or the one they last opened
	Total crs.WardSummary    // the sums of the wards shown
	Sites []nhs.Code         // every site with wards, for the filter
	Site  string             // the filter: a site's id
	Query string             // the filter, for the live board's address
}

// bedsCookie remembers a user's bed board on their browser: the site of
// the trust's board, and the ward they last opened and how (compact), so
// the board puts their own ward first.
const bedsCookie = "crs_beds"

// bedsPrefs reads the remembered bed board of the request.
func bedsPrefs(r *http.Request) url.Values {
	if c, err := r.Cookie(bedsCookie); err == nil {
		if v, err := url.ParseQuery(c.Value); err == nil {
			return v
		}
	}
	return url.Values{}
}

// keepBedsPrefs remembers v as the user's bed board.
func (s *Server) keepBedsPrefs(w http.ResponseWriter, v url.Values) {
	keep := url.Values{"site": {v.Get("site")}, "ward": {v.Get("ward")}, "compact": {v.Get("compact")}}
	s.setCookie(w, bedsCookie, keep.Encode(), "/beds", 60*60*24*365)
}

// handleBedBoard shows the trust's bed board as the bed manager uses it:
// each ward's beds, occupied, free and closed, and its patients awaiting
// discharge and without a bed, each ward linking to its own board
// (handleWardBeds). The user's own wards (assigned to them, or the one
// they last opened) come first. It can be filtered by site (remembered
// in a cookie). It is live: the page listens on /live?topic=beds and
// fetches ?partial=1 (the board alone) when a bed changes; without the
// script the Refresh link reloads it. /beds?ward=ID, the old address of
// a ward's board, leads to it.
func (s *Server) handleBedBoard(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	q := r.URL.Query()
	if ward := q.Get("ward"); ward != "" && q.Get("partial") != "1" {
		to := "/beds/" + url.PathEscape(ward)
		if q.Get("compact") == "yes" {
			to += "?compact=yes"
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	a := actorOf(r)
	wards, err := s.Inpatients.WardSummaries(r.Context(), a)
	if err != nil {
		return err
	}
	prefs := bedsPrefs(r)
	if _, ok := q["site"]; !ok {
		q.Set("site", prefs.Get("site"))
	} else if q.Get("partial") != "1" {
		prefs.Set("site", q.Get("site"))
		s.keepBedsPrefs(w, prefs)
	}
	page := &bedBoardPage{Site: q.Get("site"), Own: map[string]bool{}}
	if err := s.ownWards(r, a, prefs.Get("ward"), wards, page.Own); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, wd := range wards {
		if wd.SiteID != "" && !seen[wd.SiteID] {
			seen[wd.SiteID] = true
			page.Sites = append(page.Sites, nhs.Code{Code: wd.SiteID, Description: wd.SiteName})
		}
		if page.Site != "" && wd.SiteID != page.Site {
			continue
		}
		page.Wards = append(page.Wards, wd)
		t := &page.Total
		t.Beds, t.Occupied, t.Free, t.Closed = t.Beds+wd.Beds, t.Occupied+wd.Occupied, t.Free+wd.Free, t.Closed+wd.Closed
		t.AwaitingDischarge, t.Unbedded = t.AwaitingDischarge+wd.AwaitingDischarge, t.Unbedded+wd.Unbedded
	}
	// The user's own wards first, the rest in ward code order as read.
	slices.SortStableFunc(page.Wards, func(x, y *crs.WardSummary) int {
		switch ox, oy := page.Own[x.WardID], page.Own[y.WardID]; {
		case ox && !oy:
			return -1
		case oy && !ox:
			return 1
		}
		return 0
	})
	page.Query = url.Values{"site": {page.Site}}.Encode()
	page.Title, page.Nav = "Bed board", "beds"
	if q.Get("partial") == "1" {
		return s.renderPartial(w, r, "bedboard", "board", page)
	}
	return s.render(w, r, "bedboard", page)
}

// ownWards marks in own the wards that are the user's: those they are
// assigned to today (by ward code) and last, the one they last opened.
func (s *Server) ownWards(r *http.Request, a crs.Actor, last string, wards []*crs.WardSummary, own map[string]bool) error {
	if last != "" {
		own[last] = true
	}
	if s.Access == nil {
		return nil
	}
	as, err := s.Access.Assignments(r.Context(), a, a.UserID)
	if err != nil {
		return err
	}
	today := crs.LocalDate(s.now())
	for _, x := range as {
		if x.Kind != crs.AssignWard || !x.ActiveOn(today) {
			continue
		}
		for _, wd := range wards {
			if wd.WardCode == x.Value {
				own[wd.WardID] = true
			}
		}
	}
	return nil
}

// boardField is the data of a filter select of the bed board.
type boardField struct {
	Name, Label, Value, Empty string
	Options                   []nhs.Code
}

func init() {
	funcs["boardSelect"] = func(opts []nhs.Code, empty string, nlv []string) boardField {
		return boardField{Name: nlv[0], Label: nlv[1], Value: nlv[2], Empty: empty, Options: opts}
	}
}
