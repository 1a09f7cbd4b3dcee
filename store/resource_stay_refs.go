package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// spellPrefix is how the API's id of a spell's Encounter begins
// (fhir.prefixSpell): Encounter/ip-[spell id].
const spellPrefix = "ip-"

// referStaysAsServed rewrites the references to a spell written as
// Encounter/[spell id] to Encounter/ip-[spell id] (migration 0148). The
// resources that hold one are found by the search index, whose rows
// name every reference of a resource: a row referring to an Encounter by
// the id of a spell of the same trust that no Encounter of the resource
// store has. Each such resource's body, current and of each version kept
// whole, and its index rows are rewritten in place; no version is added:
// the reference is mended to what it should always have been.
func referStaysAsServed(ctx context.Context, tx *sql.Tx) error {
	type found struct {
		rid            int64
		orgID, typ, id string
		spellID        string
	}
	rows, err := queryRows(ctx, tx, func(r scanner) (found, error) {
		var f found
		return f, r.Scan(&f.rid, &f.orgID, &f.typ, &f.id, &f.spellID)
	}, `SELECT DISTINCT c.rid, c.org_id, c.type, c.id, x.text FROM fhir_index x
		JOIN organisations o ON o.n = x.org_n
		JOIN spells s ON s.id = x.text AND s.org_id = o.id
		JOIN fhir_current c ON c.rid = x.rid
		WHERE x.system = 'Encounter' AND x.code = 'Encounter/' || x.text
		AND NOT EXISTS (SELECT 1 FROM fhir_current e WHERE e.org_id = o.id AND e.type = 'Encounter' AND e.id = x.text)
		ORDER BY c.rid`)
	if err != nil {
		return fmt.Errorf("find references to stays by spell id: %w", err)
	}
	for _, f := range rows {
		old, served := `"Encounter/`+f.spellID+`"`, `"Encounter/`+spellPrefix+f.spellID+`"`
		var body string
		if err := tx.QueryRowContext(ctx, `SELECT body FROM fhir_current WHERE rid = $1`, f.rid).Scan(&body); err != nil {
			return fmt.Errorf("read %s/%s: %w", f.typ, f.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fhir_current SET body = $1 WHERE rid = $2`, strings.ReplaceAll(body, old, served), f.rid); err != nil {
			return fmt.Errorf("mend the reference to a stay of %s/%s: %w", f.typ, f.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fhir_versions SET body = replace(body, $1, $2) WHERE org_id = $3 AND type = $4 AND id = $5 AND body <> ''`,
			old, served, f.orgID, f.typ, f.id); err != nil {
			return fmt.Errorf("mend the reference to a stay in the versions of %s/%s: %w", f.typ, f.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fhir_index SET code = $1, text = $2 WHERE rid = $3 AND system = 'Encounter' AND text = $4`,
			"Encounter/"+spellPrefix+f.spellID, spellPrefix+f.spellID, f.rid, f.spellID); err != nil {
			return fmt.Errorf("mend the search index of %s/%s: %w", f.typ, f.id, err)
		}
	}
	return nil
}
