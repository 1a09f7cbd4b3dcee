package fhir

import (
	"context"
	"errors"

	"github.com/opencrs/crs"
)

// errCarriedAlready stops the carrying of a result whose report is in
// the resource store already; nothing of its transaction is kept.
var errCarriedAlready = errors.New("the result is in the resource store already")

// CarryResults files into the resource store the results a trust
// received before results were kept only there (package store's
// TypedResults: every version of each order's report, oldest first), so
// the resource store is their one record. Each order's reports are
// carried in one transaction, as a DiagnosticReport whose versions are
// the reports, tagged "carried" (not put on the worklist of results to
// acknowledge: they were read where they were) and linked to their order,
// which is left as it is. An order whose report the resource store
// holds already (filed there when it arrived, or carried before) is
// skipped, so carrying again changes nothing. It returns how many
// orders' reports were carried and how many skipped.
func (s *ResultService) CarryResults(ctx context.Context, a crs.Actor, chains [][]*crs.Result) (carried, skipped int, err error) {
	for _, chain := range chains {
		if len(chain) == 0 {
			continue
		}
		err := s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
			key := chain[0].OrderKey()
			if key == "" {
				key = "unsolicited " + chain[0].ID
			}
			cur, err := findByIdentifier(tx, "DiagnosticReport", ResultOrderSystem, key)
			if err != nil {
				return err
			}
			if cur != nil {
				return errCarriedAlready
			}
			for _, r := range chain {
				c := *r
				if err := s.fileResult(tx, &c, true); err != nil {
					return crs.Errorf(crs.ErrorCode(err), "result %s: %w", r.ID, err)
				}
			}
			return nil
		})
		switch {
		case errors.Is(err, errCarriedAlready):
			skipped++
		case err != nil:
			return carried, skipped, err
		default:
			carried++
		}
	}
	return carried, skipped, nil
}
