package report

import (
	"context"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/opencrs/crs"
)

// KH03: the quarter's average available and occupied beds by sector.
//
// Overnight beds: occupied is the midnight census (patients in a bed at
// 23:59:59) of each night of the quarter whose census was taken, averaged
// over those nights; a patient on leave keeps their bed, so the census
// counts it occupied, as the KH03 guidance asks for beds held for patients
// on leave. Available is the ward's beds not closed or out of use, as
// they stand now (bed status is not kept night by night). Day-only wards
// are counted apart: their available beds, and their occupied beds as the
// average number of patients in one of their beds on each weekday.

// ParseQuarter reads a KH03 quarter written YYYY-Qn (see crs.ParseQuarter).
func ParseQuarter(s string) (first, last crs.Date, err error) { return crs.ParseQuarter(s) }

// KH03Return works out the KH03 return of the quarter from first to last.
func (s *Service) KH03Return(ctx context.Context, a crs.Actor, quarter string, first, last crs.Date) (*crs.KH03Return, error) {
	src, err := s.src.KH03Data(ctx, a, first, last)
	if err != nil {
		return nil, err
	}
	out := &crs.KH03Return{Quarter: quarter, From: first.String(), To: last.String(), Overnight: map[string]*crs.KH03Beds{}, DayOnly: map[string]*crs.KH03Beds{}}
	for _, sec := range crs.KH03Sectors {
		out.Overnight[sec], out.DayOnly[sec] = &crs.KH03Beds{}, &crs.KH03Beds{}
	}
	sector := map[string]string{}
	occupied := map[string]int{} // ward id: patient nights (overnight) or patient days (day-only)
	for _, w := range src.Wards {
		sector[w.WardID] = crs.KH03Sector(w.Specialty)
	}
	for d := first; !d.After(last.Time); d = (crs.Date{Time: d.AddDate(0, 0, 1)}) {
		out.Nights++
		wards, ok := src.Census[d.String()]
		if !ok {
			out.NightsMissing = append(out.NightsMissing, d.String())
			continue
		}
		out.NightsCounted++
		n := 0
		for ward, k := range wards {
			n += k
			occupied[ward] += k
			sec := sector[ward]
			if sec == "" {
				sec = crs.SectorGeneralAcute // a ward closed since
			}
			out.Overnight[sec].Occupied += float64(k)
		}
		out.ByNight = append(out.ByNight, crs.KH03Night{Night: d.String(), Occupied: n})
	}
	weekdays := 0
	dayOccupied := map[string]float64{}
	for d := first; !d.After(last.Time); d = (crs.Date{Time: d.AddDate(0, 0, 1)}) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		weekdays++
		from := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, crs.London)
		to := from.AddDate(0, 0, 1)
		seen := map[string]bool{}
		for _, st := range src.DayStays {
			if st.Start.Before(to) && (st.End.IsZero() || st.End.After(from)) && !seen[st.WardID+"/"+st.PatientID] {
				seen[st.WardID+"/"+st.PatientID] = true
				dayOccupied[st.WardID]++
			}
		}
	}
	avg := func(total float64, over int) float64 {
		if over == 0 {
			return 0
		}
		return math.Round(total/float64(over)*100) / 100
	}
	for _, w := range src.Wards {
		f := crs.KH03WardFigures{WardID: w.WardID, Code: w.Code, Sector: sector[w.WardID], DayOnly: w.DayOnly, Available: w.Available}
		if w.DayOnly {
			f.Occupied = avg(dayOccupied[w.WardID], weekdays)
			out.DayOnly[f.Sector].Available += float64(w.Available)
			out.DayOnly[f.Sector].Occupied += dayOccupied[w.WardID]
		} else {
			f.Occupied = avg(float64(occupied[w.WardID]), out.NightsCounted)
			out.Overnight[f.Sector].Available += float64(w.Available)
		}
		out.Wards = append(out.Wards, f)
	}
	for _, sec := range crs.KH03Sectors {
		for _, b := range []struct {
			beds *crs.KH03Beds
			over int
		}{{out.Overnight[sec], out.NightsCounted}, {out.DayOnly[sec], weekdays}} {
			if b.beds.Available > 0 && b.over > 0 {
				b.beds.Occupancy = math.Round(b.beds.Occupied/float64(b.over)/b.beds.Available*10000) / 10000
			}
			b.beds.Occupied = avg(b.beds.Occupied, b.over)
		}
	}
	return out, nil
}

// WriteKH03CSV writes the KH03 return as CSV: a line per sector, overnight
// then day-only, with the average available and occupied beds.
func WriteKH03CSV(w io.Writer, r *crs.KH03Return) error {
	cw := newCSVWriter(w)
	_ = cw.Write([]string{"quarter", "from", "to", "nights_counted", "beds", "sector", "available", "occupied", "occupancy"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
	for _, part := range []struct {
		name string
		m    map[string]*crs.KH03Beds
	}{{"overnight", r.Overnight}, {"day_only", r.DayOnly}} {
		for _, sec := range crs.KH03Sectors {
			b := part.m[sec]
			_ = cw.Write([]string{r.Quarter, r.From, r.To, strconv.Itoa(r.NightsCounted), part.name, sec, f(b.Available), f(b.Occupied),
				strconv.FormatFloat(b.Occupancy, 'f', 4, 64)})
		}
	}
	cw.Flush()
	return cw.Error()
}
