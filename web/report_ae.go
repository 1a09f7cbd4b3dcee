package web

import (
	"maps"
	"net/http"
	"slices"

	"github.com/opencrs/crs"
)

// aeReportPage is the data of the monthly A&E return page.
type aeReportPage struct {
	pageData
	Month  string
	Return *crs.AEReturn
	Lines  []aeLine
	Form   asRecordedForm
}

// aeLine is one line of the A&E return: the trust or a department type.
type aeLine struct {
	Name string
	G    *crs.AEGroup
}

// handleReportAE shows the month's A&E return, known now or, with
// ?as_recorded_at=, as the system gave it then beside the return known
// now, with the attendances counted differently and why.
func (s *Server) handleReportAE(w http.ResponseWriter, r *http.Request) error {
	if err := s.needAnalyst(r); err != nil {
		return err
	}
	month, m, err := s.monthParam(r)
	if err != nil {
		return err
	}
	recordedBy, choice, err := asRecordedParam(r)
	if err != nil {
		return err
	}
	var ret *crs.AEReturn
	if recordedBy.IsZero() {
		ret, err = s.Reports.AEReturn(r.Context(), actorOf(r), month, s.now(), crs.AEReturnOptions{})
	} else {
		var cmp *crs.ReturnComparison[*crs.AEReturn]
		if cmp, err = s.Reports.AEReturnCompare(r.Context(), actorOf(r), month, s.now(), recordedBy); err == nil {
			ret, choice.Differences, choice.Changes = cmp.AsRecorded, cmp.Differences, cmp.Changes
		}
	}
	if err != nil {
		return err
	}
	page := &aeReportPage{Month: m, Return: ret, Lines: []aeLine{{"All types", &ret.Total}},
		Form: asRecordedForm{Action: "/reports/ae", PeriodName: "month", Period: m, Choice: choice}}
	for _, k := range slices.Sorted(maps.Keys(ret.ByDepartmentType)) {
		page.Lines = append(page.Lines, aeLine{"Type " + k, ret.ByDepartmentType[k]})
	}
	page.Title, page.Nav = "A&E return "+m, "reports"
	return s.render(w, r, "report_ae", page)
}
