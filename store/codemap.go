package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match"
)

// mapCode translates a sender's code by an interface's table. The
// interface's maps are read whole once and kept in the settings cache
// (every message asks, and maps change rarely); an interface with more
// than maxCachedMaps maps is asked code by code.
func mapCode(tx *Tx, interfaceID, table, from string) (string, bool, error) {
	from = strings.ToUpper(strings.TrimSpace(from))
	maps, err := cachedSetting(tx, "codes|"+tx.actor.OrgID+"|"+interfaceID, func() (map[string]string, bool, error) {
		return readCodeMaps(tx, interfaceID)
	})
	if err != nil {
		return "", false, err
	}
	if maps != nil {
		to, ok := maps[table+"|"+from]
		return to, ok, nil
	}
	var to string
	err = tx.QueryRow(`SELECT to_code FROM hl7_code_maps WHERE org_id = $1 AND interface_id = $2 AND code_table = $3 AND from_code = $4`,
		tx.actor.OrgID, interfaceID, table, from).Scan(&to)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return to, err == nil, err
}

// maxCachedMaps is the most code maps of an interface kept in memory.
const maxCachedMaps = 5000

// readCodeMaps reads the interface's code maps by table and code
// ("table|FROM"), or nil when it has more than maxCachedMaps.
func readCodeMaps(tx *Tx, interfaceID string) (map[string]string, bool, error) {
	rows, err := tx.Query(`SELECT code_table, from_code, to_code FROM hl7_code_maps WHERE org_id = $1 AND interface_id = $2 LIMIT $3`,
		tx.actor.OrgID, interfaceID, maxCachedMaps+1)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	maps := map[string]string{}
	for rows.Next() {
		var table, from, to string
		if err := rows.Scan(&table, &from, &to); err != nil {
			return nil, false, err
		}
		maps[table+"|"+from] = to
	}
	if len(maps) > maxCachedMaps {
		maps = nil
	}
	return maps, true, rows.Err()
}

// reverseMapCode finds the sender's code for our code.
func reverseMapCode(tx *Tx, interfaceID, table, to string) (string, bool, error) {
	var from string
	err := tx.QueryRow(`SELECT from_code FROM hl7_code_maps WHERE org_id = $1 AND interface_id = $2 AND code_table = $3 AND to_code = $4
		ORDER BY created_at, id LIMIT 1`, tx.actor.OrgID, interfaceID, table, strings.ToUpper(strings.TrimSpace(to))).Scan(&from)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return from, err == nil, err
}

// setCodeMap adds or changes one mapping of an interface of the trust,
// appending an EventCodeMapSet.
func setCodeMap(tx *Tx, m *crs.CodeMap) error {
	m.Normalize()
	if err := m.Validate(); err != nil {
		return err
	}
	m.OrgID = tx.actor.OrgID
	settingsChanged(tx)
	var name string
	if err := tx.QueryRow(`SELECT name FROM hl7_interfaces WHERE id = $1 AND org_id = $2`, m.InterfaceID, m.OrgID).Scan(&name); err != nil {
		return notFound(err, "no inbound interface %s in this trust", m.InterfaceID)
	}
	var id, created, old string
	err := tx.QueryRow(`SELECT id, created_at, to_code FROM hl7_code_maps WHERE org_id = $1 AND interface_id = $2 AND code_table = $3 AND from_code = $4`,
		m.OrgID, m.InterfaceID, m.Table, m.From).Scan(&id, &created, &old)
	switch {
	case err == nil:
		if old == m.To {
			m.ID, m.CreatedAt, m.UpdatedAt = id, parseTime(created), parseTime(created)
			return tx.EmitData(&crs.Event{Type: crs.EventCodeMapSet, SubjectID: m.InterfaceID, Summary: name + " " + m.Table + " " + m.From + " already maps to " + m.To}, "code map", m)
		}
		m.ID, m.CreatedAt, m.UpdatedAt = id, parseTime(created), tx.now
		if _, err := tx.Exec(`UPDATE hl7_code_maps SET to_code = $1, updated_at = $2 WHERE id = $3`, m.To, formatTime(tx.now), id); err != nil {
			return err
		}
	case errors.Is(err, sql.ErrNoRows):
		m.ID, m.CreatedAt, m.UpdatedAt = crs.NewID(), tx.now, tx.now
		if _, err := tx.Exec(`INSERT INTO hl7_code_maps (id, org_id, interface_id, code_table, from_code, to_code, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, m.ID, m.OrgID, m.InterfaceID, m.Table, m.From, m.To, formatTime(tx.now)); err != nil {
			return err
		}
	default:
		return err
	}
	return tx.EmitData(&crs.Event{Type: crs.EventCodeMapSet, SubjectID: m.InterfaceID, Summary: name + " " + m.Table + " " + m.From + " maps to " + m.To}, "code map", m)
}

// recordDataQuality records a data-quality issue of a message.
func recordDataQuality(tx *Tx, d *crs.DataQualityIssue) error {
	d.ID, d.OrgID, d.CreatedAt = crs.NewID(), tx.actor.OrgID, tx.now
	_, err := tx.Exec(`INSERT INTO data_quality_issues (id, org_id, interface_id, message_id, patient_id, spell_id, code_table, field, code, what, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, d.ID, d.OrgID, d.InterfaceID, d.MessageID, d.PatientID, d.SpellID, d.Table, d.Field, d.Code, d.What, formatTime(tx.now))
	return err
}

// holdMessage records why a message is held, replacing an earlier hold
// of the same message.
func holdMessage(tx *Tx, h *crs.MessageHold) error {
	h.OrgID, h.CreatedAt = tx.actor.OrgID, tx.now
	settingsChanged(tx)
	if _, err := tx.Exec(`DELETE FROM hl7_holds WHERE message_id = $1 AND org_id = $2`, h.MessageID, h.OrgID); err != nil {
		return err
	}
	_, err := tx.Exec(`INSERT INTO hl7_holds (message_id, org_id, interface_id, code_table, code, behind, nhs_number, mrn, xref, patient_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, h.MessageID, h.OrgID, h.InterfaceID, h.Table, h.Code, h.Behind, h.NHSNumber, h.MRN, h.Xref,
		h.PatientID, formatTime(tx.now))
	return err
}

// releaseHold forgets the hold of a message applied at last.
func releaseHold(tx *Tx, messageID string) error {
	settingsChanged(tx)
	_, err := tx.Exec(`DELETE FROM hl7_holds WHERE message_id = $1 AND org_id = $2`, messageID, tx.actor.OrgID)
	return err
}

// earlierHold returns the id of the interface's earliest message still
// held, before messageID ("" for any), naming the patient by one of h's
// identifiers.
func earlierHold(tx *Tx, interfaceID, messageID string, h *crs.MessageHold) (string, error) {
	if h.NHSNumber == "" && h.MRN == "" && h.Xref == "" && h.PatientID == "" {
		return "", nil
	}
	// Most interfaces hold nothing most of the time: whether this one
	// holds any message is kept in the settings cache, asked first (the
	// one writer of SQLite asks it for every inbound message).
	held, err := cachedSetting(tx, "holds|"+tx.actor.OrgID+"|"+interfaceID, func() (bool, bool, error) {
		var one int
		err := tx.QueryRow(`SELECT 1 FROM hl7_holds WHERE org_id = $1 AND interface_id = $2 LIMIT 1`, tx.actor.OrgID, interfaceID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, true, nil
		}
		return err == nil, true, err
	})
	if err != nil || !held {
		return "", err
	}
	var conds []string
	args := []any{tx.actor.OrgID, interfaceID}
	for _, c := range []struct{ col, v string }{{"nhs_number", h.NHSNumber}, {"mrn", h.MRN}, {"xref", h.Xref}, {"patient_id", h.PatientID}} {
		if c.v != "" {
			args = append(args, c.v)
			conds = append(conds, c.col+" = $"+itoa(len(args)))
		}
	}
	q := `SELECT message_id FROM hl7_holds WHERE org_id = $1 AND interface_id = $2 AND (` + strings.Join(conds, " OR ") + `)`
	if messageID != "" {
		args = append(args, messageID)
		q += ` AND message_id < $` + itoa(len(args))
	}
	var id string
	err = tx.QueryRow(q+` ORDER BY message_id LIMIT 1`, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// likelyDuplicates scores the trust's live patients against p.
func likelyDuplicates(tx *Tx, p *crs.Patient) ([]crs.PatientMatch, error) {
	return findDuplicates(tx.ctx, tx, tx.actor.OrgID, p)
}

// findDuplicates scores the trust's live patients against p and returns
// those at or above match.Likely, best first, at most 10. It reads those
// with the same NHS number, the same date of birth, or the same sounding
// family name and postcode: each through its own index, and only those
// p has (a patient with no NHS number looks for none), since SQLite
// without statistics reads the whole trust for the three as one
// condition, and every record without an NHS number for an empty one
// (30 ms a look in a trust of 20,000 patients).
func findDuplicates(ctx context.Context, q Querier, orgID string, p *crs.Patient) ([]crs.PatientMatch, error) {
	c := *p
	c.Normalize()
	args := []any{orgID, c.ID}
	arg := paramAdder(&args)
	found := `SELECT id FROM patients WHERE org_id = $1 AND birth_date = ` + arg(formatDate(c.BirthDate))
	if c.NHSNumber != "" {
		found += ` UNION SELECT id FROM patients WHERE org_id = $1 AND nhs_number = ` + arg(c.NHSNumber)
	}
	if pc := strings.ReplaceAll(c.Address.Postcode, " ", ""); pc != "" {
		found += ` UNION SELECT id FROM patients WHERE org_id = $1 AND family_key = ` + arg(match.Key(c.FamilyName)) + ` AND postcode_norm = ` + arg(pc)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+patientColumns+` FROM patients WHERE org_id = $1 AND merged_into = '' AND id <> $2 AND id IN (`+found+`) LIMIT 2000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []crs.PatientMatch
	for rows.Next() {
		cand, err := scanPatient(rows)
		if err != nil {
			return nil, err
		}
		if score, why := match.Duplicate(&c, cand); score >= match.Likely {
			out = append(out, crs.PatientMatch{Patient: cand, Score: score, Reasons: why})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	match.Sort(crs.PatientQuery{FamilyName: c.FamilyName, GivenName: c.GivenName}, out)
	if len(out) > 10 {
		out = out[:10]
	}
	return out, nil
}

// ListCodeMaps lists an interface's mappings of one table ("" for all)
// whose codes contain search, by table and code.
func (db *DB) ListCodeMaps(ctx context.Context, orgID, interfaceID, table, search string) ([]*crs.CodeMap, error) {
	like := "%" + strings.ToUpper(strings.TrimSpace(search)) + "%"
	return queryRows(ctx, db.read, func(r scanner) (*crs.CodeMap, error) {
		var m crs.CodeMap
		var created, updated string
		err := r.Scan(&m.ID, &m.OrgID, &m.InterfaceID, &m.Table, &m.From, &m.To, &created, &updated)
		m.CreatedAt, m.UpdatedAt = parseTime(created), parseTime(updated)
		return &m, err
	}, `SELECT id, org_id, interface_id, code_table, from_code, to_code, created_at, updated_at FROM hl7_code_maps
		WHERE org_id = $1 AND interface_id = $2 AND ($3 = '' OR code_table = $3) AND (from_code LIKE $4 OR to_code LIKE $4)
		ORDER BY code_table, from_code`, orgID, interfaceID, table, like)
}

// UnmappedCodes lists the codes of an interface no mapping knew: those
// holding messages and those stored as received, most messages first.
// A code mapped since is left out.
func (db *DB) UnmappedCodes(ctx context.Context, orgID, interfaceID string) ([]crs.UnmappedCode, error) {
	return queryRows(ctx, db.read, func(r scanner) (crs.UnmappedCode, error) {
		var u crs.UnmappedCode
		err := r.Scan(&u.Table, &u.Code, &u.Held, &u.Received)
		return u, err
	}, `SELECT code_table, code, SUM(held), SUM(received) FROM (
			SELECT code_table, code, 1 AS held, 0 AS received FROM hl7_holds
				WHERE org_id = $1 AND interface_id = $2 AND code <> '' AND code_table NOT IN ('patient', 'duplicate') AND behind = ''
			UNION ALL
			SELECT code_table, code, 0, 1 FROM data_quality_issues WHERE org_id = $1 AND interface_id = $2 AND code <> '' AND code_table <> ''
		) u
		WHERE NOT EXISTS (SELECT 1 FROM hl7_code_maps m WHERE m.org_id = $1 AND m.interface_id = $2 AND m.code_table = u.code_table AND m.from_code = u.code)
		GROUP BY code_table, code ORDER BY SUM(held) + SUM(received) DESC, code_table, code`, orgID, interfaceID)
}

// HeldMessageIDs lists an interface's held messages that arrived at or
// after since, in arrival order, optionally only those waiting for a code.
func (db *DB) HeldMessageIDs(ctx context.Context, orgID, interfaceID string, since time.Time, table, code string) ([]string, error) {
	return queryRows(ctx, db.read, scanString, `SELECT h.message_id FROM hl7_holds h JOIN hl7_messages m ON m.id = h.message_id
		WHERE h.org_id = $1 AND h.interface_id = $2 AND m.created_at >= $3 AND ($4 = '' OR h.code_table = $4) AND ($5 = '' OR h.code = $5)
		ORDER BY h.message_id`, orgID, interfaceID, formatTime(since), table, code)
}

// MapCode translates the sender's code by the interface's table.
func (tx *Tx) MapCode(interfaceID, table, from string) (string, bool, error) {
	return mapCode(tx, interfaceID, table, from)
}

// ReverseMapCode finds the sender's code for our code.
func (tx *Tx) ReverseMapCode(interfaceID, table, to string) (string, bool, error) {
	return reverseMapCode(tx, interfaceID, table, to)
}

// SetCodeMap adds or changes one mapping of an interface of the trust.
func (tx *Tx) SetCodeMap(m *crs.CodeMap) error { return setCodeMap(tx, m) }

// RecordDataQuality records a data-quality issue of a message.
func (tx *Tx) RecordDataQuality(d *crs.DataQualityIssue) error { return recordDataQuality(tx, d) }

// HoldMessage records why a message logged as held waits.
func (tx *Tx) HoldMessage(h *crs.MessageHold) error { return holdMessage(tx, h) }

// ReleaseHold forgets the hold of a message applied at last.
func (tx *Tx) ReleaseHold(messageID string) error { return releaseHold(tx, messageID) }

// EarlierHold returns the id of an earlier held message of the same patient.
func (tx *Tx) EarlierHold(interfaceID, messageID string, h *crs.MessageHold) (string, error) {
	return earlierHold(tx, interfaceID, messageID, h)
}

// LikelyDuplicates scores the trust's live patients against p.
func (tx *Tx) LikelyDuplicates(p *crs.Patient) ([]crs.PatientMatch, error) {
	return likelyDuplicates(tx, p)
}
