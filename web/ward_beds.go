package web

import (
	"net/http"
	"net/url"

	"github.com/opencrs/crs"
)

// wardBedsPage is the data of one ward's board.
type wardBedsPage struct {
	pageData
	Ward    *crs.BedBoardWard
	Compact bool   // one line a bed
	Query   string // compact or not, for the live board's address
}

// handleWardBeds shows one ward's board as its ward clerk and nurse in
// charge use it: each bed, occupied or free, with the patient's sex,
// age, days in, expected discharge and flags, and the free beds by bay
// with the sex of the bay; a free bed is where the clerk admits the next
// patient. It can be shown compact. The ward and the view are
// remembered (bedsCookie), so the trust's board lists this ward first.
// It is live as the trust's board is: the page fetches ?partial=1 when
// a bed changes.
func (s *Server) handleWardBeds(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	ward, err := s.Inpatients.WardBoard(r.Context(), actorOf(r), r.PathValue("ward"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page := &wardBedsPage{Ward: ward, Compact: q.Get("compact") == "yes"}
	if q.Get("partial") != "1" {
		prefs := bedsPrefs(r)
		if prefs.Get("ward") != ward.WardID || (prefs.Get("compact") == "yes") != page.Compact {
			prefs.Set("ward", ward.WardID)
			prefs.Set("compact", q.Get("compact"))
			s.keepBedsPrefs(w, prefs)
		}
	}
	if page.Compact {
		page.Query = url.Values{"compact": {"yes"}}.Encode()
	}
	page.Title, page.Nav = ward.WardCode+" "+ward.WardName+" beds", "beds"
	if q.Get("partial") == "1" {
		return s.renderPartial(w, r, "ward_beds", "board", page)
	}
	return s.render(w, r, "ward_beds", page)
}

// bay is a group of beds on a ward's board: a bay or side room, or the
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
