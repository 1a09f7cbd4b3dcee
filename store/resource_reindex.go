package store

import (
	"database/sql"
	"fmt"

	"github.com/opencrs/crs"
)

// reindexed is the data of a resource.reindexed event: how many current
// versions a command looked at and how many of them had their index
// rows rewritten, by type.
type reindexed struct {
	Looked    int            `json:"looked"`
	Rewritten int            `json:"rewritten"`
	Types     map[string]int `json:"types,omitempty"`
	// Fingerprint, of the event that ends a reindex of every type, is
	// the search index the trust's resources are now indexed under.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// ReindexResources replaces the search index rows of current versions
// where those given differ from those kept (crs.ResourceTx). The rows
// given are compared with the kept ones as they would be written
// (indexArgs: values cut, dates formatted, repeats dropped), so a
// resource whose rows are already those is left alone, and so is one
// written since it was read (another version current, or deleted),
// whose rows the write path wrote.
func (tx *Tx) ReindexResources(rs []*crs.Resource, index [][]crs.ResourceIndexRow) (int, error) {
	if len(rs) != len(index) {
		return 0, crs.Errorf(crs.EINTERNAL, "reindex: %d resources and %d sets of index rows", len(rs), len(index))
	}
	orgN, err := tx.db.orgNumber(tx.ctx, tx, tx.actor.OrgID)
	if err != nil {
		return 0, err
	}
	data := reindexed{Looked: len(rs)}
	for i, r := range rs {
		var rid int64
		var version, deleted int
		err := tx.QueryRow(`SELECT rid, version, deleted FROM fhir_current WHERE org_id = $1 AND type = $2 AND id = $3`,
			tx.actor.OrgID, r.Type, r.ID).Scan(&rid, &version, &deleted)
		if err != nil {
			return 0, notFound(err, "%s/%s is not in the resource store", r.Type, r.ID)
		}
		if version != r.Version || deleted != 0 {
			continue // written since it was read: its rows are the write path's
		}
		want := indexArgs(nil, orgN, rid, r, index[i])
		same, err := tx.indexRowsAre(rid, want)
		if err != nil {
			return 0, crs.Errorf(crs.EINTERNAL, "read the index of %s/%s: %w", r.Type, r.ID, err)
		}
		if same {
			continue
		}
		if err := tx.reindex(rid, r, index[i]); err != nil {
			return 0, err
		}
		data.Rewritten++
		if data.Types == nil {
			data.Types = map[string]int{}
		}
		data.Types[r.Type]++
	}
	ev := &crs.Event{Type: crs.EventResourcesReindexed,
		Summary: fmt.Sprintf("Search index rows written again from their resources: %d of %d resources", data.Rewritten, data.Looked)}
	if err := tx.EmitData(ev, fmt.Sprintf("fhir reindex of %d resources, %d rewritten", data.Looked, data.Rewritten), data); err != nil {
		return 0, err
	}
	return data.Rewritten, nil
}

// ResourceIndexFingerprint is the fingerprint of the search index the
// trust's resources were last wholly indexed under; "" for a trust never
// checked.
func (tx *Tx) ResourceIndexFingerprint() (string, error) {
	var fp string
	if err := tx.QueryRow(`SELECT fhir_index_fingerprint FROM organisations WHERE id = $1`, tx.actor.OrgID).Scan(&fp); err != nil {
		return "", notFound(err, "organisation %s", tx.actor.OrgID)
	}
	return fp, nil
}

// SetResourceIndexFingerprint records the fingerprint of the search
// index every current resource of the trust is indexed under, with its
// event.
func (tx *Tx) SetResourceIndexFingerprint(fingerprint string) error {
	if _, err := tx.Exec(`UPDATE organisations SET fhir_index_fingerprint = $1 WHERE id = $2`, fingerprint, tx.actor.OrgID); err != nil {
		return crs.Errorf(crs.EINTERNAL, "record the search index fingerprint: %w", err)
	}
	ev := &crs.Event{Type: crs.EventResourcesReindexed,
		Summary: "Every resource of the trust indexed under search index " + fingerprint}
	return tx.EmitData(ev, "fhir reindex of every type done: search index "+fingerprint, reindexed{Fingerprint: fingerprint})
}

// indexRowsAre reports whether the index rows kept for the resource rid
// are want, the values of its rows as indexArgs gives them.
func (tx *Tx) indexRowsAre(rid int64, want []any) (bool, error) {
	rows, err := tx.Query(`SELECT param, system, code, text, lo, hi, num, n FROM fhir_index WHERE rid = $1 ORDER BY n`, rid)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	same, i := true, 0
	for rows.Next() {
		var param, system, code, text, lo, hi string
		var num sql.NullFloat64
		var n int
		if err := rows.Scan(&param, &system, &code, &text, &lo, &hi, &num, &n); err != nil {
			return false, err
		}
		if i+indexColumns > len(want) {
			same = false
			continue
		}
		w := want[i : i+indexColumns]
		var wantNum sql.NullFloat64
		if f, ok := w[9].(float64); ok {
			wantNum = sql.NullFloat64{Float64: f, Valid: true}
		}
		if param != w[3] || system != w[4] || code != w[5] || text != w[6] || lo != w[7] || hi != w[8] || num != wantNum || n != w[10] {
			same = false
		}
		i += indexColumns
	}
	return same && i == len(want), rows.Err()
}
