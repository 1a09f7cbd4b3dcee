package web

import (
	"net/http"
	"net/url"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// bedBoardPage is the data of the bed board.
type bedBoardPage struct {
	pageData
	Wards      []*crs.BedBoardWard // the wards shown, after the filter
	Sites      []nhs.Code          // every site with wards, for the filter
	WardList   []nhs.Code          // every ward (of the chosen site), for the filter
	Site, Ward string              // the filter: a site's id, a ward's id
	Compact    bool                // one line a bed
	Query      string              // the filter, for the live board's address
}

// bedsCookie remembers a user's bed board filter on their browser, so the
// board opens on their own ward.
const bedsCookie = "crs_beds"

// handleBedBoard shows every ward's beds, occupied or free, with the
// patient's sex, age, days in, expected discharge and flags, and the
// free beds by bay with the sex of the bay. It can be filtered by site
// and ward (remembered in a cookie) and shown compact. It is live: the
// page listens on /live?topic=beds and fetches ?partial=1 (the board
// alone) when a bed changes; without the script the Refresh link reloads
// it.
func (s *Server) handleBedBoard(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	wards, err := s.Inpatients.BedBoard(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if _, ok := q["site"]; !ok {
		if c, err := r.Cookie(bedsCookie); err == nil {
			q, _ = url.ParseQuery(c.Value)
		}
	} else if q.Get("partial") != "1" {
		keep := url.Values{"site": {q.Get("site")}, "ward": {q.Get("ward")}, "compact": {q.Get("compact")}}
		s.setCookie(w, bedsCookie, keep.Encode(), "/beds", 60*60*24*365)
	}
	page := &bedBoardPage{Site: q.Get("site"), Ward: q.Get("ward"), Compact: q.Get("compact") == "yes"}
	seen := map[string]bool{}
	for _, wd := range wards {
		if wd.SiteID != "" && !seen[wd.SiteID] {
			seen[wd.SiteID] = true
			page.Sites = append(page.Sites, nhs.Code{Code: wd.SiteID, Description: wd.SiteName})
		}
		if page.Site != "" && wd.SiteID != page.Site {
			continue
		}
		page.WardList = append(page.WardList, nhs.Code{Code: wd.WardID, Description: wd.WardCode + " " + wd.WardName})
		if page.Ward == "" || wd.WardID == page.Ward {
			page.Wards = append(page.Wards, wd)
		}
	}
	v := url.Values{"site": {page.Site}, "ward": {page.Ward}}
	if page.Compact {
		v.Set("compact", "yes")
	}
	page.Query = v.Encode()
	page.Title, page.Nav = "Bed board", "beds"
	if q.Get("partial") == "1" || r.URL.Query().Get("partial") == "1" {
		return s.renderPartial(w, r, "bedboard", "board", page)
	}
	return s.render(w, r, "bedboard", page)
}

// bay is a group of beds on the bed board: a bay or side room, or the
// beds of the open ward.
type bay struct {
	Code string
	Beds []*crs.BedBoardBed
	Sex  string // "Female", "Male", "Mixed" or "" when empty, from the patients in it
}

// bays groups a ward's beds by bay, in the order the beds come, with the
// sex of each bay from the patients in it.
func bays(beds []*crs.BedBoardBed) []*bay {
	var out []*bay
	byCode := map[string]*bay{}
	for _, b := range beds {
		g := byCode[b.BayID]
		if g == nil {
			g = &bay{Code: b.BayCode}
			byCode[b.BayID] = g
			out = append(out, g)
		}
		g.Beds = append(g.Beds, b)
		if b.SpellID == "" {
			continue
		}
		sex := map[string]string{"1": "Male", "2": "Female"}[b.Gender]
		switch {
		case g.Sex == "":
			g.Sex = sex
		case sex != g.Sex:
			g.Sex = "Mixed"
		}
		if sex == "" {
			g.Sex = "Mixed"
		}
	}
	return out
}

func init() {
	funcs["bays"] = bays
	// bedFlag names a flag of the clinical record on a bed (Isolation).
	funcs["bedFlag"] = crs.BedFlagName
	// daysIn counts the nights a patient has been in, as the board shows it.
	funcs["daysIn"] = func(p pager, b *crs.BedBoardBed) int {
		return int(crs.LocalDate(p.page().Now).Sub(crs.LocalDate(b.AdmittedAt).Time).Hours() / 24)
	}
	// pastEDD reports whether the expected discharge date has passed.
	funcs["pastEDD"] = func(p pager, d crs.Date) bool { return !d.IsZero() && d.Before(crs.LocalDate(p.page().Now).Time) }
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
