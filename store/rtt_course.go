package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// The clock course of each RTT pathway (rtt.Course), kept in
// rtt_clock_courses by the write path in the transaction of every RTT
// event recorded or removed, a row per version of the pathway's events:
// the returns read one row per pathway instead of every event.

// courseEvent is one RTT event of a pathway as a course is worked out
// from it: the event, the treatment function of the activity it was
// recorded at (as the returns read it), and when it was recorded and
// removed ("" if it stands).
type courseEvent struct {
	event             rtt.Event
	tf                string
	recorded, removed string
}

// courseVersion is the course of a pathway's events as they stood from
// recorded until superseded ("" while it stands).
type courseVersion struct {
	recorded, superseded, course string
}

// courseVersions works out the course of every version of a pathway's
// events: one at each time an event was recorded or removed, where the
// course changed. The version standing at a time T is exactly the
// events recorded by T and not removed by T, as the event-based returns
// read them.
func courseVersions(evs []courseEvent) []courseVersion {
	var times []string
	for _, e := range evs {
		times = append(times, e.recorded)
		if e.removed != "" {
			times = append(times, e.removed)
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	var out []courseVersion
	events := make([]rtt.Event, 0, len(evs))
	tfs := make([]string, 0, len(evs))
	for _, t := range times {
		events, tfs = events[:0], tfs[:0]
		for _, e := range evs {
			if e.recorded <= t && (e.removed == "" || e.removed > t) {
				events, tfs = append(events, e.event), append(tfs, e.tf)
			}
		}
		c := encodeCourse(rtt.Course(events), tfs)
		if n := len(out); n > 0 && out[n-1].course == c {
			continue
		}
		if n := len(out); n > 0 {
			out[n-1].superseded = t
		}
		out = append(out, courseVersion{recorded: t, course: c})
	}
	return out
}

// encodeCourse writes a course as text, stage after stage, each
// "from,period,start,stop,days,flags,N:TF;" where TF is the N bytes of
// the treatment function a completed period is reported under (the
// activity's of tfs, "" for the pathway's).
func encodeCourse(stages []rtt.Stage, tfs []string) string {
	b := make([]byte, 0, 32*len(stages))
	for _, s := range stages {
		for _, n := range [...]int32{s.From, s.Period, s.Start, s.Stop, s.Days, int32(s.Flags)} {
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, ',')
		}
		tf := ""
		if s.StopEvent >= 0 && int(s.StopEvent) < len(tfs) {
			tf = tfs[s.StopEvent]
		}
		b = strconv.AppendInt(b, int64(len(tf)), 10)
		b = append(b, ':')
		b = append(b, tf...)
		b = append(b, ';')
	}
	return string(b)
}

var errCourse = errors.New("malformed RTT clock course")

// decodeCourse reads a course written by encodeCourse into dst (reused),
// taking each treatment function from intern so that a million rows
// share a few strings.
func decodeCourse(b []byte, dst *crs.ClockCourse, intern map[string]string) error {
	dst.Stages, dst.StopTreatmentFunctions = dst.Stages[:0], dst.StopTreatmentFunctions[:0]
	num := func() (int32, bool) {
		neg, n, i := false, int32(0), 0
		if len(b) > 0 && b[0] == '-' {
			neg, i = true, 1
		}
		start := i
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			n = n*10 + int32(b[i]-'0')
		}
		if i == start || i >= len(b) {
			return 0, false
		}
		b = b[i+1:] // the separator
		if neg {
			n = -n
		}
		return n, true
	}
	for len(b) > 0 {
		var v [7]int32
		for i := range v {
			n, ok := num()
			if !ok {
				return errCourse
			}
			v[i] = n
		}
		if v[6] < 0 || int(v[6])+1 > len(b) || b[v[6]] != ';' {
			return errCourse
		}
		tf := b[:v[6]]
		b = b[v[6]+1:]
		dst.Stages = append(dst.Stages, rtt.Stage{From: v[0], Period: v[1], Start: v[2], Stop: v[3], Days: v[4], Flags: rtt.StageFlags(v[5]), StopEvent: -1})
		dst.StopTreatmentFunctions = append(dst.StopTreatmentFunctions, intern1(intern, tf))
	}
	return nil
}

// courseEventSelect reads RTT events with what a course needs, joined to
// the activity as pathwayHistorySelect joins it.
const courseEventSelect = `SELECT e.pathway_id, e.event_date, e.kind, e.status, COALESCE(sp.treatment_function, c.treatment_function, ''), e.recorded_at, e.removed_at
	FROM rtt_events e
	LEFT JOIN spells sp ON e.status BETWEEN 30 AND 36 AND sp.id = e.ref
	LEFT JOIN appointments ap ON e.status BETWEEN 30 AND 36 AND ap.id = e.ref
	LEFT JOIN clinics c ON c.id = ap.clinic_id`

// readCourseEvents reads the events of the query, grouped by pathway, in
// the order asked.
func readCourseEvents(ctx context.Context, q Querier, query string, args ...any) (ids []string, evs [][]courseEvent, err error) {
	var id, date, kind, tf, rec, rem string
	var st int
	err = eachRow(ctx, q, func(r scanner) error {
		if err := r.Scan(&id, &date, &kind, &st, &tf, &rec, &rem); err != nil {
			return err
		}
		if n := len(ids); n == 0 || ids[n-1] != id {
			ids, evs = append(ids, id), append(evs, nil)
		}
		e := courseEvent{event: rtt.Event{Date: parseDate(date).Time, Kind: rttKinds[kind], Status: rtt.Status(st)}, tf: tf, recorded: rec, removed: rem}
		evs[len(evs)-1] = append(evs[len(evs)-1], e)
		return nil
	}, query, args...)
	return ids, evs, err
}

// writeCourses replaces the course rows of the pathways with the
// versions of their events (what each is reported under is set by
// syncCourseHeads).
func writeCourses(ctx context.Context, q Querier, orgID string, ids []string, evs [][]courseEvent) error {
	for i, id := range ids {
		if _, err := q.ExecContext(ctx, `DELETE FROM rtt_clock_courses WHERE pathway_id = $1`, id); err != nil {
			return err
		}
		for _, v := range courseVersions(evs[i]) {
			if _, err := q.ExecContext(ctx, `INSERT INTO rtt_clock_courses (pathway_id, org_id, recorded_at, superseded_at, course) VALUES ($1, $2, $3, $4, $5)`,
				id, orgID, v.recorded, v.superseded, v.course); err != nil {
				return err
			}
		}
	}
	return nil
}

// courseHeadsUpdate sets, on the course rows of the pathways the
// condition names (on pw, from $2), what the returns report each under:
// the pathway's PPI, patient and treatment function and the patient's GP
// practice, as they stand. The rows are found by their pathway ids and
// each is given its pathway's values by a lookup of its own, so that
// neither engine reads more pathways than the condition names (SQLite,
// joining the pathways in an UPDATE ... FROM, read every pathway of the
// trust for each change).
const courseHeadsUpdate = `UPDATE rtt_clock_courses SET (ppi, patient_id, treatment_function, gp_practice_code) =
	(SELECT pw.ppi, pw.patient_id, pw.treatment_function, p.gp_practice_code FROM pathways pw JOIN patients p ON p.id = pw.patient_id
		WHERE pw.id = rtt_clock_courses.pathway_id)
	WHERE org_id = $1 AND pathway_id IN (SELECT pw.id FROM pathways pw WHERE pw.org_id = $1 AND `

// syncCourseHeads keeps the course rows of the pathways cond names (on
// pw, with args from $2) true to their pathway and patient, in the
// transaction that changed them.
func syncCourseHeads(ctx context.Context, q Querier, orgID, cond string, args ...any) error {
	_, err := q.ExecContext(ctx, courseHeadsUpdate+cond+`)`, append([]any{orgID}, args...)...)
	return err
}

// backfillCourseHeads sets what every course row is reported under,
// the Go step of migration 0078, which may be run again without harm.
func backfillCourseHeads(ctx context.Context, tx *sql.Tx) error {
	orgs, err := queryRows(ctx, tx, scanString, `SELECT DISTINCT org_id FROM rtt_clock_courses`)
	if err != nil {
		return err
	}
	for _, org := range orgs {
		if err := syncCourseHeads(ctx, tx, org, `1 = 1`); err != nil {
			return err
		}
	}
	return nil
}

// syncCourseHeadsOf keeps the course rows of the pathways true, a few
// hundred pathways a statement, after a bulk load wrote them.
func syncCourseHeadsOf(ctx context.Context, q Querier, orgID string, ids []string) error {
	const chunk = 500
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		var b strings.Builder
		args := make([]any, n)
		b.WriteString("pw.id IN (")
		for i, id := range ids[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("$" + strconv.Itoa(i+2))
			args[i] = id
		}
		b.WriteByte(')')
		if err := syncCourseHeads(ctx, q, orgID, b.String(), args...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// refreshCourse rewrites the clock course of a pathway from every
// version of its events, in the transaction that changed them.
func refreshCourse(tx *Tx, pathwayID string) error {
	ids, evs, err := readCourseEvents(tx.ctx, tx, courseEventSelect+` WHERE e.pathway_id = $1 AND e.org_id = $2 ORDER BY e.seq`, pathwayID, tx.actor.OrgID)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		ids, evs = []string{pathwayID}, [][]courseEvent{nil}
	}
	if err := writeCourses(tx.ctx, tx, tx.actor.OrgID, ids, evs); err != nil {
		return err
	}
	return syncCourseHeads(tx.ctx, tx, tx.actor.OrgID, `pw.id = $2`, pathwayID)
}

// refreshCoursesStoppedAt rewrites the courses of the pathways whose
// clock an activity (a spell, an appointment) may have stopped, when the
// treatment function it is reported under changed.
func refreshCoursesStoppedAt(tx *Tx, ref string) error {
	ids, err := queryRows(tx.ctx, tx, scanString, `SELECT DISTINCT pathway_id FROM rtt_events WHERE org_id = $1 AND ref = $2 AND status BETWEEN 30 AND 36`, tx.actor.OrgID, ref)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := refreshCourse(tx, id); err != nil {
			return err
		}
	}
	return nil
}

// courseHead is what a pathway's course rows say it is reported under:
// its PPI, patient and treatment function, and the patient's GP practice.
type courseHead struct {
	ppi, patient, treatmentFunction, gpPractice string
}

// courseArgs are the rows of rtt_clock_courses for pathways recorded
// whole at one time, such as a bulk load: courseColumns, courseWidth
// values a row.
func courseArgs(args []any, orgID, pathwayID, recorded string, h courseHead, events []rtt.Event) []any {
	evs := make([]courseEvent, len(events))
	for i, e := range events {
		evs[i] = courseEvent{event: e, recorded: recorded}
	}
	for _, v := range courseVersions(evs) {
		args = append(args, pathwayID, orgID, v.recorded, v.superseded, v.course, h.ppi, h.patient, h.treatmentFunction, h.gpPractice)
	}
	return args
}

const (
	courseColumns = `pathway_id, org_id, recorded_at, superseded_at, course, ppi, patient_id, treatment_function, gp_practice_code`
	courseWidth   = 9
)

// backfillCourses works out the course of every pathway that has RTT
// events and no course yet, a few thousand pathways at a time: the Go
// step of migration 0073, which may be run again without harm.
func backfillCourses(ctx context.Context, tx *sql.Tx) error {
	after := ""
	for {
		ids, err := queryRows(ctx, tx, scanString, `SELECT DISTINCT e.pathway_id FROM rtt_events e WHERE e.pathway_id > $1
			AND NOT EXISTS (SELECT 1 FROM rtt_clock_courses s WHERE s.pathway_id = e.pathway_id) ORDER BY e.pathway_id LIMIT 2000`, after)
		if err != nil || len(ids) == 0 {
			return err
		}
		last := ids[len(ids)-1]
		pids, evs, err := readCourseEvents(ctx, tx, courseEventSelect+` WHERE e.pathway_id >= $1 AND e.pathway_id <= $2 ORDER BY e.pathway_id, e.seq`, ids[0], last)
		if err != nil {
			return err
		}
		orgs, err := queryRows(ctx, tx, func(r scanner) ([2]string, error) {
			var v [2]string
			return v, r.Scan(&v[0], &v[1])
		}, `SELECT id, org_id FROM pathways WHERE id >= $1 AND id <= $2`, ids[0], last)
		if err != nil {
			return err
		}
		org := make(map[string]string, len(orgs))
		for _, o := range orgs {
			org[o[0]] = o[1]
		}
		for i, id := range pids {
			if _, has := slices.BinarySearch(ids, id); !has {
				continue
			}
			if err := writeCourses(ctx, tx, org[id], pids[i:i+1], evs[i:i+1]); err != nil {
				return err
			}
		}
		after = last
	}
}

// courseSelect reads each pathway's course with what the returns report
// it under, from the course rows alone (rtt_clock_courses_heads).
const courseSelect = `SELECT s.pathway_id, s.ppi, s.patient_id, s.treatment_function, s.gp_practice_code, s.course, %s
	FROM rtt_clock_courses s
	WHERE s.org_id = $1`

// EachPathwayCourse calls fn with each RTT pathway of the trust and its
// clock course (now, as recorded by basis.RecordedBy, or both), from one
// query in pathway id order; then explain with every version of the
// events of the pathways fn asked about.
func (s *ReportSource) EachPathwayCourse(ctx context.Context, a crs.Actor, basis crs.ReportBasis, fn func(*crs.PathwayCourse) (bool, error), explain func(*crs.PathwayHistory) error) error {
	return s.db.view(ctx, a, crs.ActViewReports, "RTT pathways for a return", func(q Querier) (string, error) {
		// Only the comparison needs each row's times.
		versions := "'', ''"
		if basis.AllVersions {
			versions = "s.recorded_at, s.superseded_at"
		}
		query, args := fmt.Sprintf(courseSelect, versions), []any{a.OrgID}
		at := formatTime(basis.RecordedBy)
		switch {
		case basis.AllVersions:
			query += ` AND (s.superseded_at = '' OR (s.recorded_at <= $2 AND s.superseded_at > $2)) ORDER BY s.pathway_id, s.recorded_at`
			args = append(args, at)
		case basis.RecordedBy.IsZero():
			query += ` AND s.superseded_at = '' ORDER BY s.pathway_id`
		default:
			query += ` AND s.recorded_at <= $2 AND (s.superseded_at = '' OR s.superseded_at > $2) ORDER BY s.pathway_id`
			args = append(args, at)
		}
		var c crs.PathwayCourse
		var now, then crs.ClockCourse
		var hasThen bool
		var asked []string
		intern := map[string]string{}
		var id, ppi, patient, rec, sup string
		var course, tf, gp sql.RawBytes
		flush := func() error {
			c.Now, c.Then = now, nil
			if hasThen {
				c.Then = &then
			}
			ask, err := fn(&c)
			if ask {
				asked = append(asked, c.PathwayID)
			}
			return err
		}
		err := eachRow(ctx, q, func(r scanner) error {
			if err := r.Scan(&id, &ppi, &patient, &tf, &gp, &course, &rec, &sup); err != nil {
				return err
			}
			if id != c.PathwayID {
				if c.PathwayID != "" {
					if err := flush(); err != nil {
						return err
					}
				}
				c = crs.PathwayCourse{PathwayID: id, PPI: ppi, PatientID: patient, TreatmentFunction: intern1(intern, tf), GPPracticeCode: intern1(intern, gp)}
				hasThen = false
			}
			isNow := sup == ""
			isThen := basis.AllVersions && rec <= at && (sup == "" || sup > at)
			if !basis.AllVersions || isNow {
				if err := decodeCourse(course, &now, intern); err != nil {
					return crs.Errorf(crs.EINTERNAL, "pathway %s: %w", id, err)
				}
			}
			if isThen {
				hasThen = true
				if err := decodeCourse(course, &then, intern); err != nil {
					return crs.Errorf(crs.EINTERNAL, "pathway %s: %w", id, err)
				}
			}
			return nil
		}, query, args...)
		if err == nil && c.PathwayID != "" {
			err = flush()
		}
		if err != nil {
			return "", err
		}
		for _, id := range asked {
			if err := eachHistory(ctx, q, a.OrgID, crs.ReportBasis{AllVersions: true}, id, explain); err != nil {
				return "", err
			}
		}
		return "", nil
	})
}

// intern1 returns b as a string held in intern, adding it the first
// time.
func intern1(intern map[string]string, b []byte) string {
	if v, ok := intern[string(b)]; ok {
		return v
	}
	s := string(b)
	intern[s] = s
	return s
}
