package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/news2"
	"github.com/opencrs/crs/nhs"
)

// errNoObservations is the error of an observations page on a server set
// up without them.
var errNoObservations = crs.Errorf(crs.ENOTFOUND, "Observations are not switched on in this service.")

// observationsPage is the data of a patient's observations page: the
// latest NEWS2 score, the chart of recent sets, every set in a table and
// the form to record a set.
type observationsPage struct {
	pageData
	Sets   []*crs.VitalSigns
	Latest *crs.VitalSigns // the latest scored set not entered in error
	Scale  *crs.SpO2ScaleDecision
	Chart  *obsChart
	Form   vitalsForm
	// ErrorSet is the set whose entered-in-error form was sent back.
	ErrorSet string
}

// OnScale2 reports whether the patient is on SpO2 scale 2 now.
func (p *observationsPage) OnScale2() bool { return p.Scale != nil && p.Scale.OnScale2 }

// vitalsForm is the record-a-set form as typed.
type vitalsForm struct {
	TakenAt, RespirationRate, SpO2, AirOrOxygen, Systolic, Diastolic, Pulse, Consciousness, Temperature string
}

// vitalsFields lists the form's fields in page order.
var vitalsFields = []string{"taken_at", "respiration_rate", "spo2", "air_or_oxygen", "systolic", "diastolic", "pulse", "consciousness", "temperature"}

// chartSets is how many sets the chart shows, and how far back the
// page looks.
const (
	chartSets = 12
	listSince = 14 * 24 * time.Hour
)

// observationsPage fills the page around the form.
func (s *Server) observationsPage(r *http.Request, page *observationsPage) error {
	if s.Observations == nil {
		return errNoObservations
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	a := actorOf(r)
	page.Title, page.Banner = "Observations", b
	if page.Sets, err = s.Observations.VitalSigns(r.Context(), a, b.ID, s.now().Add(-listSince), 50); err != nil {
		return err
	}
	switch d, err := s.Observations.SpO2Scale(r.Context(), a, b.ID); crs.ErrorCode(err) {
	case "":
		page.Scale = d
	case crs.ENOTFOUND:
	default:
		return err
	}
	var charted []*crs.VitalSigns
	for _, v := range page.Sets {
		if v.EnteredInError {
			continue
		}
		if page.Latest == nil && v.Score != nil {
			page.Latest = v
		}
		if len(charted) < chartSets {
			charted = append(charted, v)
		}
	}
	page.Chart = newObsChart(charted, page.OnScale2())
	if page.Form.TakenAt == "" {
		page.Form.TakenAt = dateTimeValue(s.now())
	}
	return nil
}

// handleObservations shows the patient's observations and NEWS2 chart,
// with the form to record a set for those who may.
func (s *Server) handleObservations(w http.ResponseWriter, r *http.Request) error {
	page := &observationsPage{}
	if err := s.observationsPage(r, page); err != nil {
		return err
	}
	return s.render(w, r, "observations", page)
}

// obsChart is the NEWS2 chart of a patient's recent sets as the SVG
// draws it: a row per parameter, a column per set (oldest on the left),
// each value in a cell shaded by the score it earns, and the NEWS2 total
// in the last row.
type obsChart struct {
	Title         string
	Width, Height int
	Rows          []chartLabel
	Cols          []chartLabel
	Cells         []chartCell
}

// chartLabel is a row's or column's heading at its place.
type chartLabel struct {
	X, Y int
	Text string
	Sub  string
}

// chartCell is one value on the chart.
type chartCell struct {
	X, Y, W, H int
	Score      int // -1 for a cell that is not scored
	Text       string
	Title      string
}

// Fill is the cell's shade: white for 0, yellow for 1, orange for 2 and
// red for 3, as the chart's bands are coloured.
func (c chartCell) Fill() string {
	switch c.Score {
	case 1:
		return "#fff3a6"
	case 2:
		return "#ffb366"
	case 3:
		return "#d5281b"
	}
	return "#ffffff"
}

// Ink is the colour of the cell's text.
func (c chartCell) Ink() string {
	if c.Score == 3 {
		return "#ffffff"
	}
	return "#212b32"
}

const (
	chartLabelW = 150
	chartColW   = 70
	chartRowH   = 30
	chartHeadH  = 44
)

var chartRows = []string{"Respiration rate", "SpO2", "Air or oxygen", "Systolic BP", "Pulse", "Consciousness", "Temperature", "NEWS2 total"}

// newObsChart draws sets (newest first) oldest on the left; nil when
// there are none.
func newObsChart(sets []*crs.VitalSigns, scale2 bool) *obsChart {
	if len(sets) == 0 {
		return nil
	}
	c := &obsChart{Title: fmt.Sprintf("NEWS2 chart of the last %s", crs.Count(len(sets), "set of observations", "sets of observations")),
		Width: chartLabelW + chartColW*len(sets) + 2, Height: chartHeadH + chartRowH*len(chartRows) + 2}
	rows := append([]string(nil), chartRows...)
	if scale2 {
		rows[1] = "SpO2 (scale 2)"
	}
	for i, name := range rows {
		c.Rows = append(c.Rows, chartLabel{X: 6, Y: chartHeadH + i*chartRowH + 20, Text: name})
	}
	for col := range sets {
		v := sets[len(sets)-1-col]
		x := chartLabelW + col*chartColW
		t := v.EffectiveAt.In(crs.London)
		c.Cols = append(c.Cols, chartLabel{X: x + chartColW/2, Y: 18, Text: t.Format("02-Jan"), Sub: t.Format("15:04")})
		for row, cell := range setCells(v) {
			cell.X, cell.Y, cell.W, cell.H = x, chartHeadH+row*chartRowH, chartColW, chartRowH
			cell.Title = fmt.Sprintf("%s %s at %s: %s", rows[row], cell.Text, showDateTime(t), scoreWord(cell.Score))
			if row == len(rows)-1 && v.Score != nil {
				cell.Title = fmt.Sprintf("NEWS2 %d at %s: %s clinical risk", v.Score.Total, showDateTime(t), v.Score.Risk)
			}
			c.Cells = append(c.Cells, cell)
		}
	}
	return c
}

func scoreWord(score int) string {
	if score < 0 {
		return "not scored"
	}
	return "scores " + fmt.Sprint(score)
}

// setCells are a set's values in the chart's rows, each with its score
// (-1 where not taken).
func setCells(v *crs.VitalSigns) []chartCell {
	cells := make([]chartCell, len(chartRows))
	for i := range cells {
		cells[i] = chartCell{Score: -1, Text: "–"}
	}
	scale := v.Scale
	if v.Score != nil {
		scale = v.Score.Scale
	}
	onO2 := v.OnOxygen != nil && *v.OnOxygen
	set := func(i int, text string, score int) { cells[i] = chartCell{Score: score, Text: text} }
	if v.RespirationRate != nil {
		set(0, fmt.Sprint(*v.RespirationRate), news2.RespirationRate(*v.RespirationRate))
	}
	if v.SpO2 != nil {
		score := news2.SpO2Scale1(*v.SpO2)
		if scale == news2.Scale2 {
			score = news2.SpO2Scale2(*v.SpO2, onO2)
		}
		set(1, fmt.Sprintf("%d%%", *v.SpO2), score)
	}
	if v.OnOxygen != nil {
		if onO2 {
			set(2, "O₂", 2)
		} else {
			set(2, "Air", 0)
		}
	}
	if v.Systolic != nil {
		set(3, fmt.Sprint(*v.Systolic), news2.Systolic(*v.Systolic))
	}
	if v.Pulse != nil {
		set(4, fmt.Sprint(*v.Pulse), news2.Pulse(*v.Pulse))
	}
	if v.Consciousness != "" {
		set(5, string(v.Consciousness), news2.ConsciousnessScore(v.Consciousness))
	}
	if v.Temperature != nil {
		set(6, fmt.Sprintf("%.1f", *v.Temperature), news2.Temperature(*v.Temperature))
	}
	if v.Score != nil {
		score := 0
		switch v.Score.Risk {
		case news2.RiskLowMedium:
			score = 1
		case news2.RiskMedium:
			score = 2
		case news2.RiskHigh:
			score = 3
		}
		set(7, fmt.Sprint(v.Score.Total), score)
	}
	return cells
}

func init() {
	funcs["add"] = func(a, b int) int { return a + b }
	funcs["celsius"] = func(t *float64) string {
		if t == nil {
			return ""
		}
		return fmt.Sprintf("%.1f", *t)
	}
	funcs["news2Risk"] = func(s *news2.Score) string { return sentence(riskName(s)) }
	funcs["news2Frequency"] = func(s *news2.Score) string { return (&wardPatient{Latest: &crs.VitalSigns{Score: s}}).Frequency() }
	funcs["scaleName"] = func(scale2 bool) string {
		if scale2 {
			return "2"
		}
		return "1"
	}
	funcs["airOxygen"] = func() []nhs.Code {
		return []nhs.Code{{Code: "air", Description: "Air"}, {Code: "oxygen", Description: "Oxygen"}}
	}
	funcs["acvpu"] = func() []nhs.Code {
		var out []nhs.Code
		for _, l := range news2.Levels {
			out = append(out, nhs.Code{Code: string(l), Description: string(l) + " – " + l.Name()})
		}
		return out
	}
}
