package store

import (
	"context"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// KH03Data reads what the KH03 return counts: the trust's wards with their
// beds, the midnight census of each night from first to last, and the bed
// stays on day-only wards in those days.
func (s *ReportSource) KH03Data(ctx context.Context, a crs.Actor, first, last crs.Date) (*crs.KH03Source, error) {
	out := &crs.KH03Source{Census: map[string]map[string]int{}}
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
			a.OrgID, first.String(), last.String()); err != nil {
			return "", err
		}
		// A night whose census found nobody leaves no row; the event the
		// census records says it was taken.
		if err := eachRow(ctx, q, func(r scanner) error {
			var subject string
			if err := r.Scan(&subject); err != nil {
				return err
			}
			if night := strings.TrimPrefix(subject, "census:"); out.Census[night] == nil {
				out.Census[night] = map[string]int{}
			}
			return nil
		}, `SELECT DISTINCT subject_id FROM events WHERE org_id = $1 AND subject_id >= $2 AND subject_id <= $3 AND type = $4`,
			a.OrgID, "census:"+first.String(), "census:"+last.String(), crs.EventCensusRecorded); err != nil {
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
