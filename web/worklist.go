package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// worklists names the referral worklists, in the order of their tabs.
var worklists = []struct {
	List  crs.Worklist
	Title string
	Act   string // what to do with each referral
}{
	{crs.WorklistToBook, "Referrals not yet booked", "Book"},
	{crs.WorklistToOutcome, "Attendances not yet outcomed", "Record outcome"},
	{crs.WorklistFollowUpDue, "Follow-ups due, not booked", "Book follow-up"},
}

// worklistPage is the data of the worklists page.
type worklistPage struct {
	pageData
	List  crs.Worklist
	Act   string
	TF    string
	Tabs  []worklistTab
	Items []*crs.WorklistItem
}

type worklistTab struct {
	List    crs.Worklist
	Title   string
	Current bool
}

// handleWorklists shows one referral worklist (?list=to_book,
// to_outcome or follow_up_due), oldest first, with a link to act on each.
func (s *Server) handleWorklists(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	page := &worklistPage{List: crs.Worklist(r.URL.Query().Get("list")), TF: r.URL.Query().Get("tf")}
	if page.List == "" {
		page.List = crs.WorklistToBook
	}
	for _, wl := range worklists {
		cur := wl.List == page.List
		if cur {
			page.Title, page.Act = wl.Title, wl.Act
		}
		page.Tabs = append(page.Tabs, worklistTab{List: wl.List, Title: wl.Title, Current: cur})
	}
	if page.Act == "" {
		return errNoPage
	}
	items, err := s.Referrals.Worklist(r.Context(), a, page.List, crs.WorklistFilter{TreatmentFunction: page.TF})
	if err != nil {
		return err
	}
	page.Items, page.Nav = items, "worklists"
	return s.render(w, r, "worklists", page)
}
