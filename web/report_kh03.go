package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// kh03ReportPage is the data of the KH03 page.
type kh03ReportPage struct {
	pageData
	Quarter string
	Return  *crs.KH03Return
	Sectors []string
	Nights  svgChart // overnight beds occupied, night by night
	Form    asRecordedForm
}

// asRecordedForm is the data of the "as recorded at" form of a return's
// page.
type asRecordedForm struct {
	Action, PeriodName, Period string
	Choice                     asRecordedChoice
}

// quarterOf names the financial-year quarter a date falls in, YYYY-Qn.
func quarterOf(d time.Time) string {
	y, q := d.Year(), (int(d.Month())-4+12)%12/3+1
	if d.Month() < 4 {
		y--
	}
	return fmt.Sprintf("%d-Q%d", y, q)
}

// handleReportKH03 shows the quarter's KH03 return with the beds occupied
// night by night.
func (s *Server) handleReportKH03(w http.ResponseWriter, r *http.Request) error {
	if err := s.needAnalyst(r); err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("quarter"))
	if q == "" {
		q = quarterOf(crs.LocalDate(s.now()).AddDate(0, -3, 0))
	}
	first, last, err := crs.ParseQuarter(q)
	if err != nil {
		return err
	}
	recordedBy, choice, err := asRecordedParam(r)
	if err != nil {
		return err
	}
	var ret *crs.KH03Return
	if recordedBy.IsZero() {
		ret, err = s.Reports.KH03Return(r.Context(), actorOf(r), q, first, last, crs.ReportBasis{})
	} else {
		var cmp *crs.ReturnComparison[*crs.KH03Return]
		if cmp, err = s.Reports.KH03ReturnCompare(r.Context(), actorOf(r), q, first, last, recordedBy); err == nil {
			ret, choice.Differences, choice.Changes = cmp.AsRecorded, cmp.Differences, cmp.Changes
		}
	}
	if err != nil {
		return err
	}
	page := &kh03ReportPage{Quarter: q, Return: ret, Sectors: crs.KH03Sectors,
		Form: asRecordedForm{Action: "/reports/kh03", PeriodName: "quarter", Period: q, Choice: choice}}
	page.Title, page.Nav = "KH03 "+q, "reports"
	var bars []svgBar
	for _, n := range ret.ByNight {
		bars = append(bars, svgBar{Label: n.Night, Value: float64(n.Occupied)})
	}
	page.Nights = barChart("Overnight beds occupied at midnight", bars, "beds")
	return s.render(w, r, "report_kh03", page)
}
