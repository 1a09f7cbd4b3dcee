package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// entryPage is the data of a waiting list entry's page: the decision,
// its TCI offers and the forms to offer dates, answer and remove.
type entryPage struct {
	pageData
	Entry                *crs.WaitingListEntry
	OfferedOn            string // the offer form
	RemovalReason, Note  string // the removal form
	RemovalStatus        string
	DeclineNote          string
	Until, Reason        string // the suspension form
	ReasonableNoticeDays int
}

func (s *Server) loadEntry(r *http.Request, page *entryPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	e, err := s.WaitingList.FindWaitingListEntry(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, e.PatientID)
	if err != nil {
		return err
	}
	page.Entry, page.Banner, page.Title, page.ReasonableNoticeDays = e, b, "Waiting list entry", 21
	if page.OfferedOn == "" {
		page.OfferedOn = crs.LocalDate(s.now()).String()
	}
	return nil
}

// handleEntry shows a waiting list entry.
func (s *Server) handleEntry(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	return s.render(w, r, "entry", page)
}

// offerDateLabels are the legends of the date inputs of an offer to come
// in, date1 to date3.
var offerDateLabels = []string{"First date offered", "Second date offered", "Third date offered"}
