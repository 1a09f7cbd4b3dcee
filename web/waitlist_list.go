package web

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// waitingListPage is the data of the admissions clerk's waiting list.
type waitingListPage struct {
	pageData
	TF, Consultant, Priority, Management, Status, Sort, Cursor string
	NoTCI                                                      bool
	Page                                                       *crs.WaitingListPage
	Query                                                      template.URL // the filters, encoded, for the CSV and next-page links
}

// waitingListStatuses are the status filter's choices.
var waitingListStatuses = []nhs.Code{
	{Code: crs.ListViewWaiting, Description: "Waiting, no TCI date"}, {Code: crs.ListViewTCIAgreed, Description: "TCI agreed"},
	{Code: crs.ListViewSuspended, Description: "Suspended"}, {Code: crs.ListViewAdmitted, Description: "Admitted"},
	{Code: crs.ListViewRemoved, Description: "Removed"},
}

func init() {
	journeyLists["wlstatus"] = waitingListStatuses
}

// waitingListQuery reads the list's filters from the address.
func waitingListQuery(r *http.Request, page *waitingListPage) crs.WaitingListQuery {
	q := r.URL.Query()
	page.TF, page.Consultant, page.Priority, page.Management = q.Get("tf"), q.Get("consultant"), q.Get("priority"), q.Get("management")
	page.Status, page.Sort, page.Cursor, page.NoTCI = q.Get("status"), q.Get("sort"), q.Get("cursor"), q.Get("no_tci") == "yes"
	v := url.Values{}
	for k, val := range map[string]string{"tf": page.TF, "consultant": page.Consultant, "priority": page.Priority,
		"management": page.Management, "status": page.Status, "sort": page.Sort} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if page.NoTCI {
		v.Set("no_tci", "yes")
	}
	page.Query = template.URL(v.Encode()) // url.Values encodes every key and value
	return crs.WaitingListQuery{TreatmentFunction: page.TF, ConsultantCode: page.Consultant, Priority: page.Priority,
		IntendedManagement: page.Management, Status: page.Status, NoTCIDate: page.NoTCI, Sort: page.Sort, Cursor: page.Cursor, Limit: 50}
}

// handleWaitingList shows the trust's elective waiting list for the
// admissions clerk: filtered by service, consultant, priority, intended
// management, status and "no TCI date yet", ordered by clinical priority
// then longest RTT wait (or by date added), 50 to a page.
func (s *Server) handleWaitingList(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	page := &waitingListPage{}
	q := waitingListQuery(r, page)
	page.Title, page.Nav = "Waiting list", "waitinglist"
	res, err := s.WaitingList.WaitingList(r.Context(), actorOf(r), q)
	if err != nil {
		if crs.ErrorCode(err) == crs.EINVALID && len(crs.FieldErrors(err)) > 0 {
			page.Errors.addErr(err, nil)
			page.Page = &crs.WaitingListPage{}
			return s.reshow(w, r, "waitinglist", page, nil)
		}
		return err
	}
	page.Page = res
	return s.render(w, r, "waitinglist", page)
}

// handleWaitingListCSV streams the whole waiting list matching the
// filters as CSV, in the page's order.
func (s *Server) handleWaitingListCSV(w http.ResponseWriter, r *http.Request) error {
	if err := s.needReports(); err != nil {
		return err
	}
	a := actorOf(r)
	if err := a.Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	q := waitingListQuery(r, &waitingListPage{})
	q.Cursor, q.Limit = "", 0
	cw := &csvWriter{w: w, name: "waiting-list-" + crs.LocalDate(s.now()).String() + ".csv"}
	err := s.Reports.ExportWaitingList(r.Context(), a, cw, q)
	if err != nil && !cw.started {
		return err
	}
	if err != nil {
		s.logger().Error("waiting list export failed part way", "user", a.UserID, "err", err)
	}
	return nil
}
