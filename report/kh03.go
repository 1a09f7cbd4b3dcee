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
// on leave. Available is the ward's beds not closed or out of use as the
// census of the night found them, averaged over the same nights: the
// census keeps each ward's beds night by night (census_beds), so a bed
// closed or opened changes the nights after it and never a past one.
// Nights whose census was taken before the beds were kept night by night
// have no beds of their own: for them the beds as they stand now count,
// and the return lists those nights (NightsBedsFromNow). Day-only wards
// (as each night's beds say) are counted apart: their available beds
// averaged the same way, and their occupied beds as the average number
// of patients in one of their beds on each weekday.
//
// With basis.RecordedBy the census and beds of each night are those of the
// last census of the night taken by then (a census is taken again when
// late entries change who was in a bed): the return as submitted. The
// census job takes again only the nights it looks after (the last three):
// a correction older than that changes the return known now once that
// night's census is taken again by hand (RecordCensus). Day-only
// occupancy is read from the bed stays as they stand, as recorded too.

// ParseQuarter reads a KH03 quarter written YYYY-Qn (see crs.ParseQuarter).
func ParseQuarter(s string) (first, last crs.Date, err error) { return crs.ParseQuarter(s) }

// KH03Return works out the KH03 return of the quarter from first to last.
func (s *Service) KH03Return(ctx context.Context, a crs.Actor, quarter string, first, last crs.Date, basis crs.ReportBasis) (*crs.KH03Return, error) {
	src, err := s.src.KH03Data(ctx, a, first, last, basis)
	if err != nil {
		return nil, err
	}
	out := &crs.KH03Return{Quarter: quarter, From: first.String(), To: last.String(), Overnight: map[string]*crs.KH03Beds{}, DayOnly: map[string]*crs.KH03Beds{}}
	if !basis.RecordedBy.IsZero() {
		out.RecordedBy = basis.RecordedBy.UTC().Format(time.RFC3339)
	}
	for _, sec := range crs.KH03Sectors {
		out.Overnight[sec], out.DayOnly[sec] = &crs.KH03Beds{}, &crs.KH03Beds{}
	}
	sector := map[string]string{}
	occupied := map[string]int{}      // ward id: patient nights (overnight) or patient days (day-only)
	available := map[string]float64{} // ward id: available bed nights
	now := map[string]crs.KH03NightBeds{}
	for _, w := range src.Wards {
		sector[w.WardID] = crs.KH03Sector(w.Specialty)
		now[w.WardID] = crs.KH03NightBeds{Beds: w.Beds, Available: w.Available, DayOnly: w.DayOnly}
	}
	sectorOf := func(ward string) string {
		if sec := sector[ward]; sec != "" {
			return sec
		}
		return crs.SectorGeneralAcute // a ward closed since
	}
	for d := first; !d.After(last.Time); d = (crs.Date{Time: d.AddDate(0, 0, 1)}) {
		out.Nights++
		wards, ok := src.Census[d.String()]
		if !ok {
			out.NightsMissing = append(out.NightsMissing, d.String())
			continue
		}
		out.NightsCounted++
		beds := src.NightBeds[d.String()]
		if beds == nil {
			beds = now
			out.NightsBedsFromNow = append(out.NightsBedsFromNow, d.String())
		}
		night := crs.KH03Night{Night: d.String()}
		for ward, b := range beds {
			available[ward] += float64(b.Available)
			if b.DayOnly {
				out.DayOnly[sectorOf(ward)].Available += float64(b.Available)
				continue
			}
			night.Available += b.Available
			out.Overnight[sectorOf(ward)].Available += float64(b.Available)
		}
		for ward, k := range wards {
			night.Occupied += k
			occupied[ward] += k
			out.Overnight[sectorOf(ward)].Occupied += float64(k)
		}
		out.ByNight = append(out.ByNight, night)
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
		f := crs.KH03WardFigures{WardID: w.WardID, Code: w.Code, Sector: sector[w.WardID], DayOnly: w.DayOnly, Available: avg(available[w.WardID], out.NightsCounted)}
		if w.DayOnly {
			f.Occupied = avg(dayOccupied[w.WardID], weekdays)
			out.DayOnly[f.Sector].Occupied += dayOccupied[w.WardID]
		} else {
			f.Occupied = avg(float64(occupied[w.WardID]), out.NightsCounted)
		}
		out.Wards = append(out.Wards, f)
	}
	for _, sec := range crs.KH03Sectors {
		for _, b := range []struct {
			beds *crs.KH03Beds
			over int
		}{{out.Overnight[sec], out.NightsCounted}, {out.DayOnly[sec], weekdays}} {
			// Available is summed over the nights counted: its average is
			// over them too.
			if out.NightsCounted > 0 {
				b.beds.Available /= float64(out.NightsCounted)
			}
			if b.beds.Available > 0 && b.over > 0 {
				b.beds.Occupancy = math.Round(b.beds.Occupied/float64(b.over)/b.beds.Available*10000) / 10000
			}
			b.beds.Occupied = avg(b.beds.Occupied, b.over)
			b.beds.Available = math.Round(b.beds.Available*100) / 100
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
