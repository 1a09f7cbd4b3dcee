package store

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// PutResources writes many resources in the command, as PutResource
// writes one: the new ones (version 1) together, with bulk INSERTs
// (insertRows) of their versions, current rows and index rows and one
// event and one audit record for them all; the next versions of
// resources already held one by one through PutResource.
func (tx *Tx) PutResources(rs []*crs.Resource, index [][]crs.ResourceIndexRow) error {
	if len(index) != len(rs) {
		return crs.Errorf(crs.EINTERNAL, "%d resources with %d lists of index rows", len(rs), len(index))
	}
	var news []*crs.Resource
	var newIndex [][]crs.ResourceIndexRow
	for i, r := range rs {
		if r.Version != 1 || r.Deleted {
			if err := tx.PutResource(r, index[i]); err != nil {
				return err
			}
			continue
		}
		if err := r.CheckText(); err != nil {
			return err
		}
		subscriptionWritten(tx, r.Type)
		news, newIndex = append(news, r), append(newIndex, index[i])
	}
	if len(news) == 0 {
		return nil
	}
	return tx.putNew(news, newIndex)
}

// putNew writes the first versions of resources the trust does not hold
// yet. Their ids are new (minted, or checked by the caller): a resource
// held already fails the insert of its current row, and the command with
// it.
//
// The command reads nothing of the inserts, so on PostgreSQL they go
// with its next statement or its commit (pg_pipeline.go) rather than
// each wait for the server: a FHIR transaction of a Patient and an
// Observation took seven round trips, four of them these inserts. A
// resource another command created meanwhile with the same id (one the
// caller checked before it was committed) then fails the commit, and the
// command is run again (writePooled), for the caller's check to find it
// this time.
func (tx *Tx) putNew(rs []*crs.Resource, index [][]crs.ResourceIndexRow) error {
	org := tx.actor.OrgID
	ev, data, what, listed := newResourcesEvent(rs)
	if err := tx.emitListed(ev, what, data, listed); err != nil {
		return err
	}
	orgN, err := tx.db.orgNumber(tx.ctx, tx, org)
	if err != nil {
		return err
	}
	rids, err := tx.newRIDs(len(rs))
	if err != nil {
		return err
	}
	versions := make([]any, 0, len(rs)*versionNCols)
	current := make([]any, 0, len(rs)*currentNCols)
	nrows := 0
	for _, x := range index {
		nrows += len(x)
	}
	rows := make([]any, 0, nrows*indexColumns) // at most: repeats are written once
	updated := formatTime(tx.now)
	for i, r := range rs {
		r.LastUpdated = tx.now
		r.Seq = crs.NewID()
		versions = versionArgs(versions, org, r, ev.ID, updated)
		current = currentArgs(current, rids[i], org, r, updated)
		rows = indexArgs(rows, orgN, rids[i], r, index[i])
	}
	about := rs[0].Type + "/" + rs[0].ID
	if len(rs) > 1 {
		about = strconv.Itoa(len(rs)) + " resources"
	}
	ctx := tx.deferrable(tx.ctx)
	if err := insertRowsIn(ctx, tx, "fhir_versions", versionCols, versionNCols, versions, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write %s: %w", about, err)
	}
	if err := insertRowsIn(ctx, tx, "fhir_current", currentCols, currentNCols, current, ""); err != nil {
		if isUniqueViolation(err) {
			return crs.Errorf(crs.ECONFLICT, "write %s: a resource of the same type and id is held already: %w", about, err)
		}
		return crs.Errorf(crs.EINTERNAL, "write %s: %w", about, err)
	}
	if err := insertRowsIn(ctx, tx, "fhir_index", indexCols, indexColumns, rows, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "index %s: %w", about, err)
	}
	tx.created += len(rs)
	return nil
}

// newResourcesEvent is the one event of resources created together, what
// its audit record says, and the patients the record names when they are
// more than one, and the event's data. One resource's event is that of PutResource; many are
// about the patient they share, or name each patient in the audit record
// (audit_listed) and none in the event.
func newResourcesEvent(rs []*crs.Resource) (ev *crs.Event, data any, what string, listed []string) {
	if len(rs) == 1 {
		r := rs[0]
		return &crs.Event{Type: crs.EventResourceWritten, PatientID: r.PatientID, SubjectID: r.Type + "/" + r.ID,
			Summary: fmt.Sprintf("%s/%s created (version 1)", r.Type, r.ID)}, writtenOf(r), "fhir " + r.Type, nil
	}
	byType := map[string]int{}
	written := make([]resourceWritten, len(rs))
	patients := make([]string, 0, len(rs))
	for i, r := range rs {
		byType[r.Type]++
		written[i] = writtenOf(r)
		patients = append(patients, r.PatientID)
	}
	kinds := make([]string, 0, len(byType))
	for _, t := range slices.Sorted(maps.Keys(byType)) {
		kinds = append(kinds, t+" "+strconv.Itoa(byType[t]))
	}
	summary := fmt.Sprintf("%d resources created (version 1): %s", len(rs), strings.Join(kinds, ", "))
	ev = &crs.Event{Type: crs.EventResourceWritten, Summary: summary}
	data = map[string]any{"resources": written}
	what = "fhir " + strconv.Itoa(len(rs)) + " resources: " + strings.Join(kinds, ", ")
	switch ids := listedIDs(patients); len(ids) {
	case 0:
	case 1:
		ev.PatientID = ids[0]
	default:
		return ev, data, listedWhat(what, ids), ids
	}
	return ev, data, what, nil
}
