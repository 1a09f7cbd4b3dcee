package fhir

import (
	"context"

	"github.com/opencrs/crs"
)

// reindexBatch is how many resources one command of a reindex reads and
// writes the rows of.
const reindexBatch = 500

// ReindexCount is how far a reindex has gone: the current resources it
// looked at and those whose search index rows it wrote again, in all
// and of the type it is at.
type ReindexCount struct {
	Type                        string
	Looked, Rewritten           int // of Type
	TotalLooked, TotalRewritten int
}

// Reindex writes again the search index rows of the trust's current
// resources from their bodies, with what this version of OpenCRS
// extracts of each search parameter, where they differ from the rows
// kept: after an upgrade changed what the index holds (a parameter
// indexed that was not, a value kept differently), searches find the
// resources written before it as they find those written after, without
// the resources being written again. Each batch of a type is a command
// of its own through the write path, its event and audit record saying
// how many were looked at and rewritten; no resource gets a new version.
// types limits it to those types (nil: every type). progress, when
// given, is told after each batch. A reindex stopped part of the way is
// run again from the start: what it had done is found unchanged. A
// reindex of every type records, once done, that the trust's resources
// are indexed under this version's fingerprint (IndexFingerprint).
func Reindex(ctx context.Context, st crs.Store, a crs.Actor, types []string, progress func(ReindexCount)) (ReindexCount, error) {
	every := types == nil
	if every {
		types = resourceTypes
	}
	var n ReindexCount
	for _, typ := range types {
		if !IsResourceType(typ) {
			return n, crs.Errorf(crs.EINVALID, "%s is not a resource type of FHIR R4", typ)
		}
		n.Type, n.Looked, n.Rewritten = typ, 0, 0
		for after := ""; ; {
			var looked, rewritten int
			var last string
			err := st.Write(ctx, a, crs.ActAdministerSettings, func(tx crs.Tx) error {
				rs, err := tx.SearchResources(crs.ResourceQuery{Type: typ, Count: reindexBatch, After: after})
				if err != nil {
					return err
				}
				looked, rewritten, last = len(rs), 0, ""
				if len(rs) == 0 {
					return errNothingToReindex
				}
				index := make([][]crs.ResourceIndexRow, len(rs))
				for i, r := range rs {
					res, err := Decode(r.Body)
					if err != nil {
						return crs.Errorf(crs.EINTERNAL, "%s/%s as kept does not decode: %w", r.Type, r.ID, err)
					}
					if index[i], err = reindexRows(tx, res); err != nil {
						return err
					}
				}
				last = rs[len(rs)-1].ID
				rewritten, err = tx.ReindexResources(rs, index)
				return err
			})
			if err == errNothingToReindex {
				break
			}
			if err != nil {
				return n, err
			}
			n.Looked += looked
			n.Rewritten += rewritten
			n.TotalLooked += looked
			n.TotalRewritten += rewritten
			if progress != nil {
				progress(n)
			}
			if looked < reindexBatch {
				break
			}
			after = last
		}
	}
	if every {
		return n, RecordIndexCurrent(ctx, st, a)
	}
	return n, nil
}

// errNothingToReindex ends a reindex's command that found no resource
// left of its type: it writes nothing.
var errNothingToReindex = crs.Errorf(crs.ENOTFOUND, "no resource left to reindex")

// reindexRows are the index rows of a resource as kept. A Patient of the
// patient index keeps in the resource store only what a system sent
// beside the PMI's record, indexed as the whole Patient is served (see
// putKept): its rows are made from the record and what is kept.
func reindexRows(tx crs.Tx, res Resource) ([]crs.ResourceIndexRow, error) {
	if res.Type() == "Patient" {
		pat, err := tx.GetPatient(res.ID())
		switch {
		case err == nil:
			kept := Resource{}
			for k, v := range res {
				if k != "resourceType" && k != "id" {
					kept[k] = v
				}
			}
			return IndexRows(patientResource(pat, kept)), nil
		case crs.ErrorCode(err) != crs.ENOTFOUND:
			return nil, err
		}
	}
	return IndexRows(res), nil
}
