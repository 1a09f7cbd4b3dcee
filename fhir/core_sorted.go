package fhir

import (
	"context"
	"slices"

	"github.com/opencrs/crs"
)

// A sorted search of the trust's encounters or appointments by date that
// names no patient (the latest finished encounters, the next
// appointments) reads each of the type's tables in the order of the
// records' starts, from the latest when sorted from the latest
// (crs.RecordScan's Order, backed by an index of each table), and merges
// them in the order of the sort, each record judged by the matcher as it
// comes, until the page's end and one more are found: a page reads about
// what it holds, however many records the trust has. A date is served to
// the second, so the records that start in the same second are read
// together and ordered by the sort's further keys, then id, as
// sortServed orders them; a record with no start (none, in practice)
// comes last, as it does there.

// orderedTables returns the tables a sorted search of its type reads in
// the order of its sort, or nil when a table is not read in that order
// (its first key is not the date, or a table has no order for it): that
// search reads every match (scanSorted).
func orderedTables(q *search) []coreTable {
	by := q.query.SortBy
	if len(by) == 0 || by[0].Param != "date" || by[0].Kind != "date" || len(by[0].Also) > 0 {
		return nil
	}
	tables := coreTables[q.query.Type]
	for _, t := range tables {
		if t.order == "" {
			return nil
		}
	}
	return tables
}

// sortedRead is one table read in the order of a sort.
type sortedRead struct {
	t      *coreTable
	rq     crs.RecordScan
	read   []sortedRecord // read and not yet taken; the first ready in the sort's order
	ready  int
	done   bool // the table is read to its end
	offset int  // of read, those taken
}

// sortedRecord is a record served, with the values it sorts by.
type sortedRecord struct {
	res  *crs.Resource
	vals []sortValue
}

// sortedBatch is how many records of a table the first read of a sorted
// search reads at the least; each read after reads twice as many as the
// one before, up to tableBatch.
const sortedBatch = 20

// readSorted returns the first want matches of a search (unsorted: its
// _sort in by) in the order of by, reading tables in that order.
func (s *Server) readSorted(ctx context.Context, p *Principal, q *search, tables []coreTable, by []crs.ResourceSort, want int) ([]*crs.Resource, error) {
	var reads []*sortedRead
	for i := range tables {
		t := &tables[i]
		rq, ok := t.narrowed(&q.query)
		if !ok {
			continue
		}
		rq.Order, rq.Desc, rq.Limit = t.order, by[0].Desc, min(max(want+1, sortedBatch), tableBatch)
		reads = append(reads, &sortedRead{t: t, rq: rq})
	}
	var found []*crs.Resource
	var undated []sortedRecord // records without a date, sorted after every other
	match := func(res *crs.Resource) (bool, error) {
		return s.scanMatch(ctx, p, scanned{res: res}, q, false)
	}
	for len(found) < want {
		var next *sortedRead
		for _, rd := range reads {
			more, err := rd.fill(s, ctx, p, by, &undated)
			if err != nil {
				return nil, err
			}
			if more && (next == nil || compareRecords(by, rd.head(), next.head()) < 0) {
				next = rd
			}
		}
		if next == nil {
			break
		}
		rec := next.take()
		ok, err := match(rec.res)
		if err != nil {
			return nil, err
		}
		if ok {
			found = append(found, rec.res)
		}
	}
	if len(found) < want {
		slices.SortFunc(undated, func(a, b sortedRecord) int { return compareRecords(by, a, b) })
		for _, rec := range undated {
			if len(found) == want {
				break
			}
			ok, err := match(rec.res)
			if err != nil {
				return nil, err
			}
			if ok {
				found = append(found, rec.res)
			}
		}
	}
	return found, nil
}

// compareRecords orders two records as sortServed does.
func compareRecords(by []crs.ResourceSort, a, b sortedRecord) int {
	return compareSorted(by, a.vals, b.vals, a.res.ID, b.res.ID)
}

// head is the next record of the read in the sort's order.
func (rd *sortedRead) head() sortedRecord { return rd.read[rd.offset] }

// take takes the read's next record.
func (rd *sortedRead) take() sortedRecord {
	rec := rd.read[rd.offset]
	rd.read[rd.offset] = sortedRecord{}
	rd.offset++
	return rec
}

// fill reads the table on until a record is ready to be taken in the
// sort's order, and reports whether one is (false: the table is read to
// its end). The records read with no date go to undated. Read by their
// start to the microsecond, the records of the last second read may
// continue in the batch after: those are ready only once a later
// second's record is read, or the table's end.
func (rd *sortedRead) fill(s *Server, ctx context.Context, p *Principal, by []crs.ResourceSort, undated *[]sortedRecord) (bool, error) {
	for rd.offset == rd.ready && !rd.done {
		rs, next, err := rd.t.list(s, ctx, p.Actor, rd.rq)
		if crs.ErrorCode(err) == crs.EFORBIDDEN && p.Actor.Can(crs.ActSearchPatients) {
			// A role that finds patients but may not open their records
			// is shown none of them.
			rd.done, rd.read, rd.offset, rd.ready = true, nil, 0, 0
			return false, nil
		}
		if err != nil {
			return false, err
		}
		rd.read = slices.Delete(rd.read, 0, rd.offset)
		rd.ready -= rd.offset
		rd.offset = 0
		for _, res := range rs {
			vals, err := sortValues(res, by)
			if err != nil {
				return false, err
			}
			rec := sortedRecord{res: res, vals: vals}
			if !vals[0].ok {
				*undated = append(*undated, rec)
				continue
			}
			rd.read = append(rd.read, rec)
		}
		rd.rq.After, rd.done = next, next == ""
		rd.rq.Limit = min(2*rd.rq.Limit, tableBatch)
		ready := len(rd.read)
		if !rd.done {
			// The last second read may go on in the next batch.
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
