package fhir

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// A search of encounters, episodes of care, appointments or referrals
// that names no patient reads the hospital's tables a batch at a time
// (crs.RecordScan), each table in the order of patient then record, the
// tables of a type merged in the order of the resources' ids, so the
// trust's records come in the order a search of each patient in turn
// gives. What of the search a table's columns answer (a status, a date
// on the record's start) narrows the read, so rows that cannot match
// are not served; the matcher (matchesQuery) still judges every record
// read.

// coreTable is one table of the PAS a type of the typed core is read
// from across the trust's patients.
type coreTable struct {
	// prefix starts the ids of the resources served from the table.
	prefix string
	// list reads a batch of the table's records, each served, and the
	// cursor of the next batch ("" after the last).
	list func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Resource, string, error)
	// status maps each status of the records to the resource's status;
	// only lists the statuses of the records served at all (nil: all).
	status map[string]string
	only   []string
	// date says what the search parameter date is of the record's start
	// column: "instant" (Appointment.start), "period" (the start of
	// Encounter.period) or "" (not the start: not narrowed).
	date string
	// order reads the table in the order of its resources' date (the
	// search parameter's start, to the second): ScanByStart where that is
	// the start column, ScanByArrival where it is when the patient
	// arrived; "" where no order does.
	order crs.ScanOrder
	// class is the v3 ActCode every resource of the table has as its
	// class (an Encounter's: IMP, EMER, AMB); "" for a type without one.
	class string
	// count counts the table's records a read would list (its cursor,
	// order and limit aside), without reading them.
	count func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error)
}

// Statuses of the PAS's records as the resources' statuses.
var (
	spellStatus = map[string]string{crs.SpellAdmitted: "in-progress", crs.SpellOnLeave: "onleave", crs.SpellDischarged: "finished",
		crs.SpellCancelled: "entered-in-error"}
	attendanceStatus  = map[string]string{crs.EDInDepartment: "in-progress", crs.EDDeparted: "finished"}
	outpatientStatus  = map[string]string{crs.AppointmentCheckedIn: "arrived", crs.AppointmentAttended: "finished"}
	appointmentStatus = map[string]string{crs.AppointmentBooked: "booked", crs.AppointmentCheckedIn: "arrived", crs.AppointmentAttended: "fulfilled",
		crs.AppointmentDNA: "noshow", crs.AppointmentCancelled: "cancelled"}
	referralStatus = map[string]string{crs.ReferralOpen: "active", crs.ReferralClosed: "completed"}
	clockStatus    = map[string]string{crs.ClockNone: "planned", crs.ClockRunning: "active", crs.ClockMonitoring: "onhold",
		crs.ClockStopped: "finished", crs.ClockNullified: "cancelled", crs.ClockTransferred: "finished"}
)

// listed serves a batch a listing read.
func listed[T any](xs []T, next string, err error, serve func(T) (*crs.Resource, error)) ([]*crs.Resource, string, error) {
	if err != nil {
		return nil, "", err
	}
	rs, err := mapAll(xs, serve, nil)
	return rs, next, err
}

// coreTables are the tables each type is read from, in the order of
// their prefixes.
var coreTables = map[string][]coreTable{
	"Encounter": {
		{prefix: prefixAttendance, status: attendanceStatus, date: "period", order: crs.ScanByStart, class: "EMER",
			count: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
				return s.Core.ED.CountAttendances(ctx, a, q)
			},
			list: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Resource, string, error) {
				xs, next, err := s.Core.ED.ListAttendances(ctx, a, q)
				return listed(xs, next, err, attendanceEncounter)
			}},
		{prefix: prefixSpell, status: spellStatus, date: "period", order: crs.ScanByStart, class: "IMP",
			count: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
				return s.Core.Inpatients.CountSpells(ctx, a, q)
			},
			list: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Resource, string, error) {
				xs, next, err := s.Core.Inpatients.ListSpells(ctx, a, q)
				if err != nil {
					return nil, "", err
				}
				rs, err := spellEncounters(s, ctx, a, xs)
				return rs, next, err
			}},
		{prefix: prefixOutpatient, status: outpatientStatus, only: []string{crs.AppointmentCheckedIn, crs.AppointmentAttended}, order: crs.ScanByArrival, class: "AMB",
			count: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
				return s.Core.Outpatients.CountAppointments(ctx, a, q)
			},
			list: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Resource, string, error) {
				xs, next, err := s.Core.Outpatients.ListAppointments(ctx, a, q)
				if err != nil {
					return nil, "", err
				}
				nm, err := clinicNames(s, ctx, a, xs)
				return listed(xs, next, err, nm.outpatientEncounter)
			}},
	},
	"EpisodeOfCare": {{status: clockStatus,
		count: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
			return s.Core.Referrals.CountPathways(ctx, a, q)
		},
		list: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Resource, string, error) {
			xs, next, err := s.Core.Referrals.ListPathways(ctx, a, q)
			return listed(xs, next, err, pathwayEpisode)
		}}},
	"Appointment": {{status: appointmentStatus, date: "instant", order: crs.ScanByStart,
		count: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
			return s.Core.Outpatients.CountAppointments(ctx, a, q)
		},
		list: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Resource, string, error) {
			xs, next, err := s.Core.Outpatients.ListAppointments(ctx, a, q)
			if err != nil {
				return nil, "", err
			}
			rs, err := appointmentsServed(s, ctx, a, xs)
			return rs, next, err
		}}},
	"ServiceRequest": {{prefix: prefixReferral, status: referralStatus,
		count: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
			return s.Core.Referrals.CountReferrals(ctx, a, q)
		},
		list: func(s *Server, ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Resource, string, error) {
			xs, next, err := s.Core.Referrals.ListReferrals(ctx, a, q)
			return listed(xs, next, err, referralResource)
		}}},
}

// tableBatch is how many records of each table a scan reads at a time
// at most, firstTableBatch the fewest its first read asks for.
const (
	tableBatch      = 500
	firstTableBatch = 20
)

// narrowed returns the read of the table that search q needs: the
// statuses and the range of starts a record must have to match, as far
// as the table's columns say; ok is false when no record of the table
// can match.
func (t *coreTable) narrowed(q *crs.ResourceQuery) (rq crs.RecordScan, ok bool) {
	statuses := t.only
	for _, g := range q.All {
		if codes, isStatus := statusCodes(g); isStatus && t.status != nil {
			var kept []string
			for st, code := range t.status {
				if slices.Contains(codes, code) && (statuses == nil || slices.Contains(statuses, st)) {
					kept = append(kept, st)
				}
			}
			if len(kept) == 0 {
				return rq, false
			}
			slices.Sort(kept)
			statuses = kept
		}
	}
	if t.class != "" {
		for _, g := range q.All {
			if codes, isClass := classCodes(g); isClass && !slices.Contains(codes, t.class) {
				return rq, false // Encounter?class=IMP reads no A&E or outpatient attendance
			}
		}
	}
	var lo, hi time.Time // zero: unbounded
	if t.date != "" {
		span := time.Duration(0)
		if t.date == "instant" {
			span = time.Second
		}
		if lo, hi, ok = startRange(q, "date", span); !ok {
			return rq, false
		}
	}
	return crs.RecordScan{Status: statuses, From: lo, Before: hi}, true
}

// startRange returns the range of starts [lo, hi) a resource must have
// to match every group of a search's date conditions on param (zero:
// unbounded; see startBounds); ok is false when none can.
func startRange(q *crs.ResourceQuery, param string, span time.Duration) (lo, hi time.Time, ok bool) {
	for _, g := range q.All {
		if glo, ghi, isDate := startBounds(g, param, span); isDate {
			if !glo.IsZero() && glo.After(lo) {
				lo = glo
			}
			if !ghi.IsZero() && (hi.IsZero() || ghi.Before(hi)) {
				hi = ghi
			}
		}
	}
	if !lo.IsZero() && !hi.IsZero() && !lo.Before(hi) {
		return lo, hi, false
	}
	return lo, hi, true
}

// statusCodes returns the codes a group of conditions names when every
// one is a plain status code (status=a,b), the group matched by a
// resource with any of them.
func statusCodes(g []crs.ResourceCondition) ([]string, bool) {
	var codes []string
	for _, c := range g {
		if c.Param != "status" || c.Kind != "token" || c.System != nil || c.Code == "" || !plainGroup([]crs.ResourceCondition{c}) {
			return nil, false
		}
		codes = append(codes, c.Code)
	}
	return codes, len(codes) > 0
}

// countTables counts the matches of a search of a type read from the
// PAS's tables without reading them, where every condition of the search
// is one the tables' reads answer exactly (a status, a class); ok is
// false where a match must be read to be known (a date, whose read is
// widened at its edges, or any other parameter), and the search is
// counted by reading its matches.
func (s *Server) countTables(ctx context.Context, p *Principal, q *search) (n int, ok bool, err error) {
	tables := coreTables[q.query.Type]
	if tables == nil || len(q.checks) > 0 || len(q.query.IDs) > 0 || len(q.query.Not) > 0 || len(q.query.Missing) > 0 ||
		len(q.query.Words) > 0 || len(q.query.RefersTo) > 0 || q.query.LastN != nil || q.in != "" {
		return 0, false, nil
	}
	for _, g := range q.query.All {
		if _, isStatus := statusCodes(g); isStatus {
			continue
		}
		if _, isClass := classCodes(g); isClass {
			continue
		}
		return 0, false, nil
	}
	for i := range tables {
		t := &tables[i]
		rq, match := t.narrowed(&q.query)
		if !match {
			continue
		}
		if t.count == nil || t.status == nil && len(q.query.All) > 0 {
			return 0, false, nil
		}
		c, err := t.count(s, ctx, p.Actor, rq)
		if crs.ErrorCode(err) == crs.EFORBIDDEN && p.Actor.Can(crs.ActSearchPatients) {
			return 0, true, nil // as scanTables: a role that may not open the records is shown none
		}
		if err != nil {
			return 0, false, err
		}
		n += c
	}
	return n, true, nil
}

// classCodes returns the v3 ActCodes a group of conditions names when
// every one is a plain class code (class=IMP,AMB, with or without the
// ActCode system), the group matched by a resource of any of them.
func classCodes(g []crs.ResourceCondition) ([]string, bool) {
	var codes []string
	for _, c := range g {
		if c.Param != "class" || c.Kind != "token" || c.Op != crs.MatchEq || c.System != nil && *c.System != csActCode || c.Code == "" || !plainGroup([]crs.ResourceCondition{c}) {
			return nil, false
		}
		codes = append(codes, c.Code)
	}
	return codes, len(codes) > 0
}

// startSlack widens the range of starts a date group keeps, so that a
// start held to the microsecond and served to the second is never left
// out at the range's edge.
const startSlack = 2 * time.Second

// startBounds returns the range of record starts [lo, hi) a group of
// date conditions on param can match (zero: unbounded), when every
// condition is one; span is how long the resource's date is when it is
// the start itself (a second for an instant, a day for a date), 0 for
// the start of a period that may run on. A resource's date range
// [Lo, Hi) matches a condition as rowMatches says; the bounds on Lo
// follow from that.
func startBounds(g []crs.ResourceCondition, param string, span time.Duration) (lo, hi time.Time, ok bool) {
	instant := span > 0
	loOpen, hiOpen := false, false
	for i, c := range g {
		if c.Param != param || c.Kind != "date" || !plainGroup([]crs.ResourceCondition{c}) {
			return time.Time{}, time.Time{}, false
		}
		var clo, chi time.Time // zero: unbounded
		switch c.Op {
		case crs.MatchEq, "":
			clo, chi = c.Lo, c.Hi
		case crs.MatchLt, crs.MatchEb:
			chi = c.Lo
		case crs.MatchLe:
			chi = c.Hi
		case crs.MatchSa:
			clo = c.Hi
		case crs.MatchAp:
			chi = c.Hi
			if instant {
				clo = c.Lo.Add(-span)
			}
		case crs.MatchGe:
			if instant {
				clo = c.Lo.Add(-span)
			}
		case crs.MatchGt:
			if instant {
				clo = c.Hi.Add(-span)
			}
		}
		// The group keeps what any of its conditions keeps: the hull.
		if clo.IsZero() {
			loOpen = true
		} else if clo = clo.Add(-startSlack); i == 0 || clo.Before(lo) {
			lo = clo
		}
		if chi.IsZero() {
			hiOpen = true
		} else if chi = chi.Add(startSlack); i == 0 || chi.After(hi) {
			hi = chi
		}
	}
	if loOpen {
		lo = time.Time{}
	}
	if hiOpen {
		hi = time.Time{}
	}
	return lo, hi, len(g) > 0
}

// cursorIn returns where a table's read resumes after a scan's cursor
// (see crs.RecordScan): after the record the cursor names when it is
// the table's; after every record of the cursor's patient when the
// table's resources come before the record's; from the patient's first
// when they come after.
func (t *coreTable) cursorIn(cursor string) string {
	pid, rid, ok := strings.Cut(cursor, "|")
	switch {
	case !ok:
		return pid
	case strings.HasPrefix(rid, t.prefix):
		return pid + "|" + strings.TrimPrefix(rid, t.prefix)
	case t.prefix < rid:
		return pid
	default:
		return pid + "|"
	}
}

// scanTables reads the records of the type's tables after cursor, a
// batch of each, merged in the order of patient then resource id. Of a
// table with more to read, those past its batch's last are read again
// in the batch after, so the merged batch leaves none out.
func (s *Server) scanTables(tables []coreTable, q *crs.ResourceQuery) coreScan {
	// The first read of each table is of about a page, each read after
	// it four times the last, up to tableBatch: a first page of 20
	// reads and serves some 20 records of each table, not 500, and a
	// search that reads on (a count, a sort, a selective match) reaches
	// full batches after a few reads.
	limit := min(tableBatch, max(q.Count+1, firstTableBatch))
	return func(ctx context.Context, p *Principal, cursor string) ([]scanned, bool, error) {
		batch := limit
		limit = min(4*limit, tableBatch)
		var out []scanned
		more := false
		var bound *crs.Resource // the least of the last records of the tables with more
		for i := range tables {
			t := &tables[i]
			rq, ok := t.narrowed(q)
			if !ok {
				continue
			}
			rq.After, rq.Limit = t.cursorIn(cursor), batch
			rs, next, err := t.list(s, ctx, p.Actor, rq)
			if crs.ErrorCode(err) == crs.EFORBIDDEN && p.Actor.Can(crs.ActSearchPatients) {
				// A role that finds patients but may not open their
				// records is shown none of them.
				return nil, false, nil
			}
			if err != nil {
				return nil, false, err
			}
			for _, r := range rs {
				out = append(out, scanned{res: r, cursor: r.PatientID + "|" + r.ID})
			}
			if next != "" && len(rs) > 0 {
				more = true
				if last := rs[len(rs)-1]; bound == nil || byPatient(last, bound) < 0 {
					bound = last
				}
			}
		}
		slices.SortFunc(out, func(a, b scanned) int { return byPatient(a.res, b.res) })
		if bound != nil {
			out = slices.DeleteFunc(out, func(it scanned) bool { return byPatient(it.res, bound) > 0 })
		}
		return out, more, nil
	}
}

// byPatient orders records by their patient, then their id.
func byPatient(a, b *crs.Resource) int {
	if c := strings.Compare(a.PatientID, b.PatientID); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
