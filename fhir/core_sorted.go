package fhir

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/opencrs/crs"
)

// A sorted search of the trust's encounters or appointments by date, or
// of its slots by start, that names no patient (the latest finished
// encounters, the next appointments, the latest slots), or of the PMI's
// patients by birth date, family or given name that no index leads
// (those born before 1940, the youngest first; those of a town by family
// name), reads the records in the order of the sort's first key, from
// the latest when sorted from the latest: each of the type's tables by its
// records' starts (crs.RecordScan's Order), the slots by start
// (crs.SlotQuery), the patients by birth date, folded family name or
// folded given name (crs.PatientScan's ByBirth, ByFamily, ByGiven), each
// backed by an index. The reads are
// merged in the order of the sort, each record judged by the matcher as
// it comes, until the page's end and one more are found: a page reads
// about what it holds, however many records the trust has. A start is
// served to the second, so the records of one second (or patients born
// on one day, or of one name) are read together and ordered by the sort's further keys,
// then id, as sortServed orders them; a record without the first key
// comes last, as it does there.

// orderedReads returns the reads of a sorted search (unsorted: the same
// without its _sort) that give its records in the order of its first
// key, or nil when none does: that search reads every match
// (scanSorted). Encounters and appointments are read so by date, each of
// the type's tables in the order of its records' starts; slots by
// start; the patients of the PMI by birthdate, in the order of their
// birth dates, by family, in the order of their folded family names, and
// by given, in the order of the given or middle name of each that comes
// first in the sort's order, folded.
func (s *Server) orderedReads(q, unsorted *search) []*sortedRead {
	by := q.query.SortBy
	if len(by) == 0 || len(by[0].Also) > 0 || readEveryMatch {
		return nil
	}
	if s.pmi(q.query.Type) && (by[0].Param == "family" || by[0].Param == "given") {
		// A patient of the PMI sorts by the one family name its search
		// shows, or by the given or middle name that comes first in the
		// sort's order, folded as the PMI keeps them in order.
		return []*sortedRead{s.patientsRead(q, crs.PatientScan{ByFamily: by[0].Param == "family", ByGiven: by[0].Param == "given", Desc: by[0].Desc})}
	}
	if by[0].Kind != "date" {
		return nil
	}
	if s.pmi(q.query.Type) {
		if by[0].Param != "birthdate" {
			return nil
		}
		lo, hi, ok := startRange(&q.query, "birthdate", 24*time.Hour)
		if !ok {
			return []*sortedRead{} // none can match
		}
		scan := crs.PatientScan{ByBirth: true, Desc: by[0].Desc}
		if !lo.IsZero() {
			scan.BornFrom = crs.DateOf(lo)
		}
		if !hi.IsZero() {
			scan.BornBefore = crs.DateOf(hi.Add(24*time.Hour - time.Nanosecond))
		}
		return []*sortedRead{s.patientsRead(q, scan)}
	}
	if q.query.Type == "Slot" {
		if by[0].Param != "start" {
			return nil
		}
		return s.slotsByStart(&unsorted.query, by[0].Desc)
	}
	tables := coreTables[q.query.Type]
	if by[0].Param != "date" || len(tables) == 0 || slices.ContainsFunc(tables, func(t coreTable) bool { return t.order == "" }) {
		return nil
	}
	reads := []*sortedRead{}
	for i := range tables {
		t := &tables[i]
		rq, ok := t.narrowed(&unsorted.query)
		if !ok {
			continue
		}
		rq.Order, rq.Desc = t.order, by[0].Desc
		reads = append(reads, &sortedRead{next: func(ctx context.Context, p *Principal, limit int) ([]scanned, bool, error) {
			rq.Limit = limit
			rs, next, err := t.list(s, ctx, p.Actor, rq)
			if crs.ErrorCode(err) == crs.EFORBIDDEN && p.Actor.Can(crs.ActSearchPatients) {
				// A role that finds patients but may not open their
				// records is shown none of them.
				return nil, false, nil
			}
			if err != nil {
				return nil, false, err
			}
			rq.After = next
			out := make([]scanned, len(rs))
			for i, r := range rs {
				out[i] = scanned{res: r}
			}
			return out, next != "", nil
		}})
	}
	return reads
}

// patientsRead returns the read of the trust's patients in the order of
// scan (by birth date or family name), from its first page on, for the
// search q (audited as scannedFor says).
func (s *Server) patientsRead(q *search, scan crs.PatientScan) *sortedRead {
	scan.For = scannedFor(q)
	return &sortedRead{next: func(ctx context.Context, p *Principal, limit int) ([]scanned, bool, error) {
		scan.Limit = limit
		batch, next, err := s.scanPatients(ctx, p, q, scan)
		if err != nil {
			return nil, false, err
		}
		scan.After = next
		return batch, next != "", nil
	}}
}

// slotsByStart returns the read of the trust's slots by start, the
// earliest first or with desc the latest, within the starts a search's
// conditions on start allow (FindSlots lists the slots of every clinic
// in that order). Each batch resumes at the start of the last slot read
// (the edge), leaving out those of that start it read; a batch that
// holds only slots of one start is read again twice as long.
func (s *Server) slotsByStart(q *crs.ResourceQuery, desc bool) []*sortedRead {
	lo, hi, ok := startRange(q, "start", time.Second)
	if !ok {
		return []*sortedRead{}
	}
	from, to := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if !lo.IsZero() {
		from = lo
	}
	if !hi.IsZero() {
		to = hi
	}
	var edge time.Time // the start of the last slot read
	var seen []string  // the slots read that start at edge
	return []*sortedRead{{next: func(ctx context.Context, p *Principal, limit int) ([]scanned, bool, error) {
		for {
			sq := crs.SlotQuery{From: from, To: to, Limit: limit, Desc: desc}
			switch {
			case edge.IsZero():
			case desc:
				sq.To = edge.Add(time.Microsecond) // the store keeps starts to the microsecond
			default:
				sq.From = edge
			}
			sls, err := s.Core.Outpatients.FindSlots(ctx, p.Actor, sq)
			if err != nil {
				return nil, false, err
			}
			more := len(sls) == limit
			if more && sls[len(sls)-1].Start.Equal(edge) && limit < maxSlotRead {
				limit = min(2*limit, maxSlotRead)
				continue
			}
			if len(sls) == 0 {
				return nil, false, nil
			}
			last := sls[len(sls)-1].Start
			var out []scanned
			var at []string
			for _, sl := range sls {
				if sl.Start.Equal(edge) && slices.Contains(seen, sl.ID) {
					continue
				}
				r, err := slotResource(sl)
				if err != nil {
					return nil, false, err
				}
				out = append(out, scanned{res: r})
				if sl.Start.Equal(last) {
					at = append(at, sl.ID)
				}
			}
			if !last.Equal(edge) {
				seen = nil
			}
			edge = last
			seen = append(seen, at...)
			return out, more, nil
		}
	}}}
}

// maxSlotRead is the most slots FindSlots lists at once.
const maxSlotRead = 5000

// readEveryMatch makes every sorted search read every match, as one no
// read orders does: what the ordered reads are measured against.
var readEveryMatch bool

// sortedRead is one read of records in the order of a sort's first key.
type sortedRead struct {
	// next reads the next batch of at most limit records, and whether
	// more follow.
	next   func(ctx context.Context, p *Principal, limit int) ([]scanned, bool, error)
	limit  int
	read   []sortedRecord // read and not yet taken, from offset; those before ready in the sort's order
	offset int
	ready  int
	done   bool // read to the end
}

// sortedRecord is a record read, with the values it sorts by.
type sortedRecord struct {
	it   scanned
	vals []sortValue
}

// sortedBatch is how many records a read of a sorted search reads at
// first at the least; each read after reads twice as many as the one
// before, up to tableBatch.
const sortedBatch = 20

// readSorted returns the first want matches of a search (unsorted: its
// _sort in by) in the order of by, from reads in the order of its first
// key.
func (s *Server) readSorted(ctx context.Context, p *Principal, q *search, reads []*sortedRead, by []crs.ResourceSort, want int) ([]*crs.Resource, error) {
	whole := s.readsWhole(p, q)
	var found []*crs.Resource
	var undated []sortedRecord // records without the first key, sorted after every other
	take := func(rec sortedRecord) error {
		ok, err := s.scanMatch(ctx, p, rec.it, q, whole)
		if ok {
			found = append(found, rec.it.res)
		}
		return err
	}
	for _, rd := range reads {
		rd.limit = min(max(want+1, sortedBatch), tableBatch)
	}
	for len(found) < want {
		var next *sortedRead
		for _, rd := range reads {
			more, err := rd.fill(ctx, p, by, &undated)
			if err != nil {
				return nil, err
			}
			if more && (next == nil || compareRecords(by, rd.read[rd.offset], next.read[next.offset]) < 0) {
				next = rd
			}
		}
		if next == nil {
			break
		}
		rec := next.read[next.offset]
		next.read[next.offset] = sortedRecord{}
		next.offset++
		if err := take(rec); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(undated, func(a, b sortedRecord) int { return compareRecords(by, a, b) })
	for _, rec := range undated {
		if len(found) == want {
			break
		}
		if err := take(rec); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// compareRecords orders two records as sortServed does.
func compareRecords(by []crs.ResourceSort, a, b sortedRecord) int {
	return compareSorted(by, a.vals, b.vals, a.it.res.ID, b.it.res.ID)
}

// fill reads on until a record is ready to be taken in the sort's order,
// and reports whether one is (false: all are read and taken). The
// records read without the first key go to undated. Read by a start to
// the microsecond and sorted by it to the second, the records of the
// last second read may go on in the batch after: those are ready only
// once a later second's record is read, or the end.
func (rd *sortedRead) fill(ctx context.Context, p *Principal, by []crs.ResourceSort, undated *[]sortedRecord) (bool, error) {
	for rd.offset == rd.ready && !rd.done {
		batch, more, err := rd.next(ctx, p, rd.limit)
		if err != nil {
			return false, err
		}
		rd.read = slices.Delete(rd.read, 0, rd.offset)
		rd.ready -= rd.offset
		rd.offset = 0
		for _, it := range batch {
			vals, err := sortValuesOf(it, by)
			if err != nil {
				return false, err
			}
			rec := sortedRecord{it: it, vals: vals}
			if !vals[0].ok {
				*undated = append(*undated, rec)
				continue
			}
			rd.read = append(rd.read, rec)
		}
		rd.done = !more
		rd.limit = min(2*rd.limit, tableBatch)
		ready := len(rd.read)
		if !rd.done {
			for ready > 0 && compareSortValue(rd.read[ready-1].vals[0], rd.read[len(rd.read)-1].vals[0]) == 0 {
				ready--
			}
		}
		if ready > rd.ready {
			slices.SortFunc(rd.read[rd.ready:ready], func(a, b sortedRecord) int { return compareRecords(by, a, b) })
			rd.ready = ready
		}
	}
	return rd.offset < rd.ready, nil
}

// sortValuesOf are the values a record read sorts by; a patient of the
// PMI read without a Body by what its search shows of it.
func sortValuesOf(it scanned, by []crs.ResourceSort) ([]sortValue, error) {
	res := it.res
	if res.Body == nil && it.r != nil {
		body, err := json.Marshal(it.r)
		if err != nil {
			return nil, err
		}
		c := *res
		c.Body = body
		res = &c
	}
	return sortValues(res, by)
}
