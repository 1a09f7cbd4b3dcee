package store

// A merge moves the clinical record kept in the resource store too: every
// resource that names the merged-away record (an allergy, a problem, a
// result, a note) gets a new version naming the surviving record, so the
// survivor's pages and searches show it; its earlier versions keep the
// old subject in the history. An unmerge moves back the resources its
// merge moved.

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/opencrs/crs"
)

// resourceKey names one resource of the resource store.
type resourceKey struct{ Type, ID string }

// resourceInstant is how a version's lastUpdated is written in its meta.
const resourceInstant = "2006-01-02T15:04:05.000Z07:00"

// resourcesReferring lists the current resources of the trust that refer
// to the patient or are about them, but for the patient's own Patient
// resource (what the PMI keeps beside the record, which stays with it).
func resourcesReferring(tx *Tx, patientID string) ([]resourceKey, error) {
	orgN, err := tx.db.orgNumber(tx.ctx, tx, tx.actor.OrgID)
	if err != nil {
		return nil, err
	}
	keys, err := queryRows(tx.ctx, tx, scanResourceKey, `SELECT c.type, c.id FROM fhir_index x JOIN fhir_current c ON c.rid = x.rid
		WHERE x.org_n = $4 AND `+refersRow+` AND x.text = $3 AND x.system = 'Patient' AND x.code = $2
		UNION SELECT c.type, c.id FROM fhir_current c WHERE c.org_id = $1 AND c.patient_id = $3 AND c.deleted = 0
		ORDER BY 1, 2`, tx.actor.OrgID, "Patient/"+patientID, patientID, orgN)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "find resources of the record: %w", err)
	}
	out := keys[:0]
	for _, k := range keys {
		if k.Type != "Patient" || k.ID != patientID {
			out = append(out, k)
		}
	}
	return out, nil
}

func scanResourceKey(r scanner) (resourceKey, error) {
	var k resourceKey
	err := r.Scan(&k.Type, &k.ID)
	return k, err
}

// moveResources gives each resource a new version in which every
// reference to Patient/from reads Patient/to, with its search index
// following, through the write path (its event and audit record). It
// returns the resources it changed: a deleted one, or one with nothing
// naming from any longer, is left as it is.
func moveResources(tx *Tx, keys []resourceKey, from, to string) ([]resourceKey, error) {
	var moved []resourceKey
	for _, k := range keys {
		cur, err := tx.GetResource(k.Type, k.ID)
		if err != nil {
			return nil, err
		}
		if cur.Deleted {
			continue
		}
		body, changed, err := movedBody(cur.Body, from, to, cur.Version+1, tx.now.UTC().Format(resourceInstant))
		if err != nil {
			return nil, crs.Errorf(crs.EINTERNAL, "move %s/%s: %w", k.Type, k.ID, err)
		}
		index, indexChanged, err := movedIndex(tx, k, from, to)
		if err != nil {
			return nil, err
		}
		patientID := cur.PatientID
		if patientID == from {
			patientID = to
		}
		if !changed && !indexChanged && patientID == cur.PatientID {
			continue
		}
		next := &crs.Resource{Type: k.Type, ID: k.ID, Version: cur.Version + 1, PatientID: patientID, Body: body}
		if err := tx.PutResource(next, index); err != nil {
			return nil, err
		}
		moved = append(moved, k)
	}
	return moved, nil
}

// movedReference is ref pointing to Patient/to when it points to
// Patient/from, relative or absolute; a version of the old record
// (/_history/n) becomes the new record itself.
func movedReference(ref, from, to string) (string, bool) {
	base, _, _ := strings.Cut(ref, "/_history/")
	if base == "Patient/"+from || strings.HasSuffix(base, "/Patient/"+from) {
		return strings.TrimSuffix(base, from) + to, true
	}
	return ref, false
}

// movedBody is a resource's JSON with its references to Patient/from
// moved to Patient/to and its meta naming the version it becomes.
func movedBody(body []byte, from, to string, version int, at string) ([]byte, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers are written back as they came
	var r map[string]any
	if err := dec.Decode(&r); err != nil {
		return nil, false, err
	}
	changed := false
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for key, x := range v {
				if s, ok := x.(string); ok && key == "reference" {
					if m, ok := movedReference(s, from, to); ok {
						v[key], changed = m, true
					}
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(r)
	if meta, ok := r["meta"].(map[string]any); ok {
		meta["versionId"] = itoa(version)
		meta["lastUpdated"] = at
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, false, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), changed, nil
}

// movedIndex is the search index of a resource's current version with
// its references to Patient/from reading Patient/to.
func movedIndex(tx *Tx, k resourceKey, from, to string) ([]crs.ResourceIndexRow, bool, error) {
	rows, err := tx.Query(`SELECT x.param, x.system, x.code, x.text, x.lo, x.hi, x.num FROM fhir_index x JOIN fhir_current c ON c.rid = x.rid
		WHERE c.org_id = $1 AND c.type = $2 AND c.id = $3 ORDER BY x.n`, tx.actor.OrgID, k.Type, k.ID)
	if err != nil {
		return nil, false, crs.Errorf(crs.EINTERNAL, "read index of %s/%s: %w", k.Type, k.ID, err)
	}
	defer rows.Close()
	var out []crs.ResourceIndexRow
	changed := false
	for rows.Next() {
		var x crs.ResourceIndexRow
		var lo, hi string
		var num sql.NullFloat64
		if err := rows.Scan(&x.Param, &x.System, &x.Code, &x.Text, &lo, &hi, &num); err != nil {
			return nil, false, crs.Errorf(crs.EINTERNAL, "read index of %s/%s: %w", k.Type, k.ID, err)
		}
		if hi != "" {
			x.Lo, x.Hi = parseTime(lo), parseTime(hi)
		}
		if num.Valid {
			x.Num = &num.Float64
		}
		if x.System == "Patient" && x.Code == "Patient/"+from {
			x.Code, x.Text, changed = "Patient/"+to, to, true
		}
		out = append(out, x)
	}
	return out, changed, rows.Err()
}

// recordMergedResources keeps which resources the merge (its event)
// moved.
func recordMergedResources(tx *Tx, mergeID string, keys []resourceKey) error {
	for _, k := range keys {
		if _, err := tx.Exec(`INSERT INTO merged_resources (org_id, merge_id, type, id) VALUES ($1, $2, $3, $4)`, tx.actor.OrgID, mergeID, k.Type, k.ID); err != nil {
			return crs.Errorf(crs.EINTERNAL, "record the resources merged: %w", err)
		}
	}
	return nil
}

// mergedResources lists the resources the merge (its event) moved.
func mergedResources(tx *Tx, mergeID string) ([]resourceKey, error) {
	keys, err := queryRows(tx.ctx, tx, scanResourceKey, `SELECT type, id FROM merged_resources WHERE org_id = $1 AND merge_id = $2 ORDER BY type, id`, tx.actor.OrgID, mergeID)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read the resources merged: %w", err)
	}
	return keys, nil
}
