package crs

import (
	"context"
	"regexp"
	"strconv"
	"time"
)

// KH03: the quarterly return of available and occupied beds, by ward
// sector, from the midnight census.

// KH03 bed sectors, the codes of nhs.KH03Sectors.
const (
	SectorGeneralAcute         = "General & Acute"
	SectorMentalIllness        = "Mental illness"
	SectorLearningDisabilities = "Learning disabilities"
	SectorMaternity            = "Maternity"
)

// KH03Sectors are the sectors of the KH03 return in its order.
var KH03Sectors = []string{SectorGeneralAcute, SectorMentalIllness, SectorLearningDisabilities, SectorMaternity}

// KH03Sector is the sector of the KH03 return whose beds a ward of the
// specialty (its ACTIVITY TREATMENT FUNCTION CODE) are counted in:
// learning disability (700); mental illness (the adult, child, forensic,
// old age and other mental health services, 710-730, and clinical
// psychology 656); maternity (obstetrics 501, midwifery 560); every other
// ward general and acute.
func KH03Sector(specialty string) string {
	switch {
	case specialty == "700":
		return SectorLearningDisabilities
	case specialty == "656" || (specialty >= "710" && specialty <= "730" && len(specialty) == 3):
		return SectorMentalIllness
	case specialty == "501" || specialty == "560":
		return SectorMaternity
	}
	return SectorGeneralAcute
}

// KH03Ward is a ward as the KH03 return counts it.
type KH03Ward struct {
	WardID    string
	Code      string
	Name      string
	Specialty string
	DayOnly   bool // open for day cases only, not overnight
	Beds      int  // active beds on the ward
	Available int  // of them, available (not closed or out of use) now
}

// KH03NightBeds is a ward's beds as the midnight census of a night found
// them: kept night by night, so a bed closed or opened later changes only
// the nights after it.
type KH03NightBeds struct {
	Beds      int
	Available int
	DayOnly   bool
}

// KH03Source is the record's wards, the midnight census of each night
// from first to last, and the bed stays on day-only wards.
type KH03Source struct {
	Wards []KH03Ward
	// Census holds, per night (YYYY-MM-DD) the census was taken, the
	// patients in a bed per ward id at 23:59:59.
	Census map[string]map[string]int
	// NightBeds holds, per night the census was taken, each ward's beds
	// that night by ward id; a night taken before the beds were kept
	// night by night has none.
	NightBeds map[string]map[string]KH03NightBeds
	// DayStays are the bed stays on day-only wards that overlap the
	// period.
	DayStays []BedStaySpan
}

// BedStaySpan is a patient's stay in a bed on a ward, from start to end
// (zero while they are still there).
type BedStaySpan struct {
	WardID    string
	PatientID string
	Start     time.Time
	End       time.Time
}

// KH03ReportSource is what the KH03 return reads from the record.
type KH03ReportSource interface {
	// KH03Data reads the wards, the census nights from first to last and
	// the day-only bed stays of those days. With basis.RecordedBy set,
	// each night's census is the last taken by then (what was submitted),
	// not the one that stands now. Checked and audited once.
	KH03Data(ctx context.Context, a Actor, first, last Date, basis ReportBasis) (*KH03Source, error)
}

// KH03Return is the quarterly KH03 return: the average daily number of
// available and occupied beds, overnight by sector (from the midnight
// census), and day-only beds apart.
type KH03Return struct {
	Quarter string `json:"quarter"`
	From    string `json:"from"`
	To      string `json:"to"`
	Nights  int    `json:"nights_in_quarter"`
	// NightsCounted is the nights whose census was taken; the averages
	// are over them. NightsMissing lists the others.
	NightsCounted int      `json:"nights_counted"`
	NightsMissing []string `json:"nights_missing,omitempty"`
	// NightsBedsFromNow lists the nights counted whose census was taken
	// before the beds were kept night by night: their available beds are
	// the beds as they stand now.
	NightsBedsFromNow []string `json:"nights_beds_from_current,omitempty"`
	// RecordedBy is, for the return as recorded, the time it was worked
	// out as of (RFC 3339); empty for the return known now.
	RecordedBy string               `json:"as_recorded_at,omitempty"`
	Overnight  map[string]*KH03Beds `json:"overnight"`
	DayOnly    map[string]*KH03Beds `json:"day_only"`
	// ByNight is the overnight beds occupied each night counted, for the
	// trust: what the census said.
	ByNight []KH03Night `json:"by_night"`
	// Wards is each ward's figures.
	Wards []KH03WardFigures `json:"wards"`
}

// KH03Beds is the average available and occupied beds of a sector.
type KH03Beds struct {
	Available float64 `json:"available"`
	Occupied  float64 `json:"occupied"`
	Occupancy float64 `json:"occupancy"` // occupied / available, 4 places
}

// KH03Night is the overnight beds occupied one night.
type KH03Night struct {
	Night     string `json:"night"`
	Occupied  int    `json:"occupied"`
	Available int    `json:"available"` // overnight beds available that night
}

// KH03WardFigures is one ward's line of the KH03 workings.
type KH03WardFigures struct {
	WardID    string  `json:"ward_id"`
	Code      string  `json:"code"`
	Sector    string  `json:"sector"`
	DayOnly   bool    `json:"day_only"`
	Available float64 `json:"average_available"`
	Occupied  float64 `json:"average_occupied"`
}

// KH03Setup records what the KH03 return needs to know of the estate
// beyond its wards and beds.
type KH03Setup interface {
	// SetWardDayOnly marks the ward with the code as open for day cases
	// only (or, with dayOnly false, open overnight): KH03 counts its beds
	// apart from the overnight beds.
	SetWardDayOnly(ctx context.Context, a Actor, wardCode string, dayOnly bool) error
}

var quarterPattern = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)

// ParseQuarter reads a KH03 quarter written YYYY-Qn, n the quarter of the
// NHS financial year that starts in April of YYYY: 2026-Q1 is April to
// June 2026, 2026-Q3 October to December 2026, 2026-Q4 January to March
// 2027. It returns the quarter's first and last days.
func ParseQuarter(s string) (first, last Date, err error) {
	m := quarterPattern.FindStringSubmatch(s)
	if m == nil {
		return first, last, FieldErrorf("quarter", "%q is not a quarter; write it as YYYY-Qn, e.g. 2026-Q3 (October to December 2026, the financial year 2026-27)", s)
	}
	y, _ := strconv.Atoi(m[1])
	q, _ := strconv.Atoi(m[2])
	first = NewDate(y, time.April, 1)
	first = Date{Time: first.AddDate(0, 3*(q-1), 0)}
	return first, Date{Time: first.AddDate(0, 3, -1)}, nil
}
