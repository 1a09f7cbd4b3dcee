package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// rttReportPage is the data of the monthly RTT return page.
type rttReportPage struct {
	pageData
	Month    string
	Return   *crs.RTTReturn
	Parts    []rttPartRow
	Bands    svgChart // weeks waiting of the incomplete pathways
	Standard svgChart // share within 18 weeks at each month's end, two years
}

// rttPartRow is one part of the return as the page shows it.
type rttPartRow struct {
	Part, Name string
	S          *crs.RTTPartSummary
	Link       template.URL
}

var rttPartNames = map[string]string{crs.RTTCompletedAdmitted: "Completed, admitted (Part 1a)", crs.RTTCompletedNonAdmitted: "Completed, non-admitted (Part 1b)",
	crs.RTTIncompletePart: "Incomplete (Part 2)", crs.RTTIncompleteDTA: "Incomplete with a decision to admit (Part 2a)"}

// monthParam reads ?month=YYYY-MM, or the last full month.
func (s *Server) monthParam(r *http.Request) (crs.Date, string, error) {
	m := strings.TrimSpace(r.URL.Query().Get("month"))
	if m == "" {
		m = crs.LocalDate(s.now()).AddDate(0, -1, 0).Format("2006-01")
	}
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return crs.Date{}, m, crs.Errorf(crs.EINVALID, "%q is not a month; write it as YYYY-MM, e.g. 2026-10", m)
	}
	return crs.Date{Time: t}, m, nil
}

// handleReportRTT shows the month's RTT return: each part's total, share
// within 18 weeks, median and 92nd centile, the weeks waited by the
// incomplete pathways and the standard by month over two years. Each
// total links to the patients behind it.
func (s *Server) handleReportRTT(w http.ResponseWriter, r *http.Request) error {
	if err := s.needAnalyst(r); err != nil {
		return err
	}
	month, m, err := s.monthParam(r)
	if err != nil {
		return err
	}
	a := actorOf(r)
	ret, err := s.Reports.RTTReturn(r.Context(), a, month, crs.RTTReturnOptions{})
	if err != nil {
		return err
	}
	byMonth, err := s.Reports.RTTStandardByMonth(r.Context(), a, month, 24)
	if err != nil {
		return err
	}
	page := &rttReportPage{Month: m, Return: ret}
	page.Title, page.Nav = "RTT return "+m, "reports"
	for _, p := range crs.RTTParts {
		page.Parts = append(page.Parts, rttPartRow{Part: p, Name: rttPartNames[p], S: ret.Parts[p],
			Link: template.URL("/reports/rtt/patients?month=" + m + "&part=" + p)})
	}
	inc := ret.Parts[crs.RTTIncompletePart]
	var bars []svgBar
	for b := 0; b <= crs.TopBand; b++ {
		bars = append(bars, svgBar{Label: crs.BandLabel(b), Value: float64(inc.Bands[b]), Breach: b >= 18})
	}
	page.Bands = barChart("Incomplete pathways by weeks waiting", bars, "weeks waiting")
	var pts []svgBar
	for _, x := range byMonth {
		pts = append(pts, svgBar{Label: x.Month, Value: x.Share * 100, Breach: x.Share < 0.92})
	}
	page.Standard = lineChart("Share of incomplete pathways within 18 weeks (%), standard 92%", pts, 92)
	return s.render(w, r, "report_rtt", page)
}

// rttPatientsPage lists the patients behind one figure of the return.
type rttPatientsPage struct {
	pageData
	Month, Part, Name string
	Rows              []rttPatientRow
	Total             int // pathways counted; Rows holds the first maxFigurePatients
}

// maxFigurePatients is how many patients behind a figure one page shows.
const maxFigurePatients = 500

type rttPatientRow struct {
	Patient *crs.Patient
	PPI     string
	Line    string
	Comm    string
	Days    int
}

// handleReportRTTPatients lists the patients counted in one part of the
// month's return. Each patient is read through the patient service, so
// each is checked for access and audited as a view of their record.
func (s *Server) handleReportRTTPatients(w http.ResponseWriter, r *http.Request) error {
	if err := s.needAnalyst(r); err != nil {
		return err
	}
	month, m, err := s.monthParam(r)
	if err != nil {
		return err
	}
	part := r.URL.Query().Get("part")
	if _, ok := rttPartNames[part]; !ok {
		return crs.Errorf(crs.ENOTFOUND, "no part %q of the RTT return", part)
	}
	a := actorOf(r)
	ret, err := s.Reports.RTTReturn(r.Context(), a, month, crs.RTTReturnOptions{Patients: true})
	if err != nil {
		return err
	}
	page := &rttPatientsPage{Month: m, Part: part, Name: rttPartNames[part]}
	page.Title, page.Nav = fmt.Sprintf("RTT return %s: %s", m, page.Name), "reports"
	for _, c := range ret.Patients {
		if c.Part != part {
			continue
		}
		if page.Total++; page.Total > maxFigurePatients {
			continue
		}
		p, err := s.Patients.FindPatient(r.Context(), a, c.PatientID)
		if err != nil {
			return err
		}
		page.Rows = append(page.Rows, rttPatientRow{Patient: p, PPI: c.PPI, Line: c.RTTLine, Comm: c.Commissioner, Days: c.Days})
	}
	return s.render(w, r, "report_patients", page)
}
