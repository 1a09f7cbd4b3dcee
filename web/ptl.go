package web

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/opencrs/crs"
)

// ptlPage is the data of the patient tracking list page.
type ptlPage struct {
	pageData
	TF, Consultant, Flag, Sort, Cursor string
	Page                               *crs.PTLPage
	Query                              template.URL // the filters, encoded, for the CSV and next-page links
}

// ptlFilter reads the PTL's filters from the address.
func ptlFilter(r *http.Request, page *ptlPage) crs.PTLFilter {
	q := r.URL.Query()
	page.TF, page.Consultant, page.Flag, page.Sort, page.Cursor = q.Get("tf"), q.Get("consultant"), q.Get("flag"), q.Get("sort"), q.Get("cursor")
	v := url.Values{}
	for k, val := range map[string]string{"tf": page.TF, "consultant": page.Consultant, "flag": page.Flag, "sort": page.Sort} {
		if val != "" {
			v.Set(k, val)
		}
	}
	page.Query = template.URL(v.Encode()) // url.Values encodes every key and value
	return crs.PTLFilter{TreatmentFunction: page.TF, ConsultantCode: page.Consultant, Flag: page.Flag,
		ShortestFirst: page.Sort == "shortest", Cursor: page.Cursor, Limit: 100}
}

// handlePTL shows the patient tracking list: every pathway whose clock
// runs, longest wait first (or shortest), with its next event and
// validation flags, filtered by service and consultant, 100 to a page.
func (s *Server) handlePTL(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	page := &ptlPage{}
	f := ptlFilter(r, page)
	page.Title, page.Nav = "Patient tracking list", "ptl"
	res, err := s.Referrals.PTL(r.Context(), actorOf(r), f)
	if err != nil {
		if fe := crs.FieldErrors(err); crs.ErrorCode(err) == crs.EINVALID && len(fe) > 0 {
			page.Errors.addErr(err, nil)
			page.Page = &crs.PTLPage{}
			return s.reshow(w, r, "ptl", page, nil)
		}
		return err
	}
	page.Page = res
	if r.URL.Query().Get("partial") == "1" {
		return s.renderPartial(w, r, "ptl", "board", page)
	}
	return s.render(w, r, "ptl", page)
}

// handlePTLCSV streams the whole PTL matching the filters as CSV.
func (s *Server) handlePTLCSV(w http.ResponseWriter, r *http.Request) error {
	if err := s.needReports(); err != nil {
		return err
	}
	a := actorOf(r)
	if err := a.Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	f := ptlFilter(r, &ptlPage{})
	f.Cursor, f.Limit = "", 0
	cw := &csvWriter{w: w, name: "ptl-" + crs.LocalDate(s.now()).String() + ".csv"}
	err := s.Reports.ExportPTL(r.Context(), a, cw, f)
	if err != nil && !cw.started {
		return err
	}
	if err != nil {
		s.logger().Error("PTL export failed part way", "user", a.UserID, "err", err)
	}
	return nil
}

// csvWriter sets the CSV headers on the first write, so an error before
// any row is still shown as a page.
type csvWriter struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (c *csvWriter) Write(b []byte) (int, error) {
	if !c.started {
		c.started = true
		c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		c.w.Header().Set("Content-Disposition", `attachment; filename="`+c.name+`"`)
		c.w.WriteHeader(http.StatusOK)
	}
	return c.w.Write(b)
}
