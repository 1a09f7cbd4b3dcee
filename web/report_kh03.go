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
	ret, err := s.Reports.KH03Return(r.Context(), actorOf(r), q, first, last, crs.ReportBasis{})
	if err != nil {
		return err
	}
	page := &kh03ReportPage{Quarter: q, Return: ret, Sectors: crs.KH03Sectors}
	page.Title, page.Nav = "KH03 "+q, "reports"
	var bars []svgBar
	for _, n := range ret.ByNight {
		bars = append(bars, svgBar{Label: n.Night, Value: float64(n.Occupied)})
	}
	page.Nights = barChart("Overnight beds occupied at midnight", bars, "beds")
	return s.render(w, r, "report_kh03", page)
}
