package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// KH03Data reads what the KH03 return counts: the trust's wards with their
// beds, the midnight census of each night from first to last, and the bed
// stays on day-only wards in those days. With basis.RecordedBy, each
// night's census and beds are those of the last census of the night
// taken by then, read from its event.
func (s *ReportSource) KH03Data(ctx context.Context, a crs.Actor, first, last crs.Date, basis crs.ReportBasis) (*crs.KH03Source, error) {
	out := &crs.KH03Source{Census: map[string]map[string]int{}, NightBeds: map[string]map[string]crs.KH03NightBeds{}}
	err := s.db.view(ctx, a, crs.ActViewReports, "midnight census for KH03", func(q Querier) (string, error) {
		var err error
		out.Wards, err = queryRows(ctx, q, func(r scanner) (w crs.KH03Ward, err error) {
			var dayOnly int
			err = r.Scan(&w.WardID, &w.Code, &w.Name, &w.Specialty, &dayOnly, &w.Beds, &w.Available)
			w.DayOnly = dayOnly == 1
			return w, err
		}, `SELECT w.id, w.code, w.name, w.specialty, w.day_only,
			(SELECT COUNT(*) FROM locations b LEFT JOIN locations bay ON bay.id = b.parent_id
				WHERE b.org_id = w.org_id AND b.kind = 'bed' AND b.active = 1 AND (b.parent_id = w.id OR (bay.kind = 'bay' AND bay.parent_id = w.id))),
			(SELECT COUNT(*) FROM locations b LEFT JOIN locations bay ON bay.id = b.parent_id
				WHERE b.org_id = w.org_id AND b.kind = 'bed' AND b.active = 1 AND b.status = 'available' AND (b.parent_id = w.id OR (bay.kind = 'bay' AND bay.parent_id = w.id)))
			FROM locations w WHERE w.org_id = $1 AND w.kind = 'ward' AND w.active = 1 ORDER BY w.code`, a.OrgID)
		if err != nil {
			return "", err
		}
		if !basis.RecordedBy.IsZero() {
			if err := censusAsRecorded(ctx, q, a.OrgID, first, last, basis.RecordedBy, out); err != nil {
				return "", err
			}
		} else if err := censusNow(ctx, q, a.OrgID, first, last, out); err != nil {
			return "", err
		}
		from := formatTime(londonMidnight(first))
		to := formatTime(londonMidnight(crs.Date{Time: last.AddDate(0, 0, 1)}))
		out.DayStays, err = queryRows(ctx, q, func(r scanner) (st crs.BedStaySpan, err error) {
			var start, end string
			err = r.Scan(&st.WardID, &st.PatientID, &start, &end)
			st.Start, st.End = parseTime(start), parseTime(end)
			return st, err
		}, `SELECT bs.ward_id, bs.patient_id, bs.start_at, bs.end_at FROM bed_stays bs JOIN locations w ON w.id = bs.ward_id
			WHERE bs.org_id = $1 AND w.day_only = 1 AND bs.cancelled = 0 AND bs.start_at < $2 AND (bs.end_at = '' OR bs.end_at > $3)`,
			a.OrgID, to, from)
		return "", err
	})
	return out, err
}

// londonMidnight is the start of the day in the UK.
func londonMidnight(d crs.Date) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, crs.London)
}

// censusNow reads the census of each night from first to last as it
// stands now, with the wards' beds kept with it.
func censusNow(ctx context.Context, q Querier, orgID string, first, last crs.Date, out *crs.KH03Source) error {
	if err := eachRow(ctx, q, func(r scanner) error {
		var night, ward string
		var n int
		if err := r.Scan(&night, &ward, &n); err != nil {
			return err
		}
		if out.Census[night] == nil {
			out.Census[night] = map[string]int{}
		}
		out.Census[night][ward] = n
		return nil
	}, `SELECT night, ward_id, COUNT(*) FROM census WHERE org_id = $1 AND night >= $2 AND night <= $3 GROUP BY night, ward_id`,
		orgID, first.String(), last.String()); err != nil {
		return err
	}
	if err := eachRow(ctx, q, func(r scanner) error {
		var night, ward string
		var b crs.KH03NightBeds
		var dayOnly int
		if err := r.Scan(&night, &ward, &b.Beds, &b.Available, &dayOnly); err != nil {
			return err
		}
		b.DayOnly = dayOnly == 1
		if out.NightBeds[night] == nil {
			out.NightBeds[night] = map[string]crs.KH03NightBeds{}
		}
		out.NightBeds[night][ward] = b
		return nil
	}, `SELECT night, ward_id, beds, available, day_only FROM census_beds WHERE org_id = $1 AND night >= $2 AND night <= $3`,
		orgID, first.String(), last.String()); err != nil {
		return err
	}
	// A night whose census found nobody leaves no row; the event the
	// census records says it was taken.
	return eachRow(ctx, q, func(r scanner) error {
		var subject string
		if err := r.Scan(&subject); err != nil {
			return err
		}
		if night := strings.TrimPrefix(subject, "census:"); out.Census[night] == nil {
			out.Census[night] = map[string]int{}
		}
		return nil
	}, `SELECT DISTINCT subject_id FROM events WHERE org_id = $1 AND subject_id >= $2 AND subject_id <= $3 AND type = $4 AND `+subjectIndexed(""),
		orgID, "census:"+first.String(), "census:"+last.String(), crs.EventCensusRecorded)
}

// censusAsRecorded reads the census of each night from first to last as
// the last census of the night taken by recordedBy found it, from the
// census events. Wards are named there by code; a ward no longer in use
// keeps its code for an id.
func censusAsRecorded(ctx context.Context, q Querier, orgID string, first, last crs.Date, recordedBy time.Time, out *crs.KH03Source) error {
	ids := map[string]string{}
	if err := eachRow(ctx, q, func(r scanner) error {
		var id, code string
		err := r.Scan(&id, &code)
		ids[code] = id
		return err
	}, `SELECT id, code FROM locations WHERE org_id = $1 AND kind = 'ward' ORDER BY active, code`, orgID); err != nil {
		return err
	}
	id := func(code string) string {
		if id := ids[code]; id != "" {
			return id
		}
		return code
	}
	return eachRow(ctx, q, func(r scanner) error {
		var data string
		if err := r.Scan(&data); err != nil {
			return err
		}
		var d censusData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return crs.Errorf(crs.EINTERNAL, "census event: %w", err)
		}
		wards := map[string]int{}
		for code, n := range d.Occupied {
			if n > 0 {
				wards[id(code)] = n
			}
		}
		out.Census[d.Night] = wards
		delete(out.NightBeds, d.Night)
		if d.Beds != nil {
			beds := map[string]crs.KH03NightBeds{}
			for code, n := range d.Beds {
				beds[id(code)] = crs.KH03NightBeds{Beds: n, Available: d.Available[code], DayOnly: slices.Contains(d.DayOnly, code)}
			}
			out.NightBeds[d.Night] = beds
		}
		return nil
	}, `SELECT data FROM events WHERE org_id = $1 AND subject_id >= $2 AND subject_id <= $3 AND type = $4 AND `+subjectIndexed("")+` AND recorded_at <= $5
		ORDER BY recorded_at, id`, orgID, "census:"+first.String(), "census:"+last.String(), crs.EventCensusRecorded, formatTime(recordedBy))
}
