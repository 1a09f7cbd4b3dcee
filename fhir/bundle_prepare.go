package fhir

import (
	"bytes"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// preparedCreate is an unconditional create of a transaction Bundle made
// ready on the request before its command runs: its references to the
// Bundle's other new resources resolved, its body encoded and its search
// index rows found. The command, which writes one at a time on SQLite,
// then only stamps the command's time into the body and writes it.
type preparedCreate struct {
	body    []byte
	at      int // where meta.lastUpdated's placeholder is in body
	rows    []crs.ResourceIndexRow
	patient string // the Patient the resource is about
}

// unstamped stands in for meta.lastUpdated until the command's time is
// known; it is as long as any time written as instant in UTC.
const unstamped = "0000-00-00T00:00:00.000Z"

// prepareCreates gives a transaction's unconditional creates their ids
// and prepares each whose references resolve without the store: none
// conditional (Type?params), none to an entry created conditionally
// (whose resource is known only in the command). A Patient of the
// patient index is registered by its own rules in the command, as
// before; what can be done without the store, its references resolved
// and the resource mapped to the record, is done here.
func prepareCreates(entries []*txEntry) {
	refs := map[string]string{}
	pending := map[string]bool{} // fullUrls of conditional creates and updates
	for _, e := range entries {
		if e.method == "PUT" && e.match != "" && e.fullURL != "" {
			pending[e.fullURL] = true // what it names is found in the command
		}
		if e.method != "POST" || e.outcome != nil {
			continue
		}
		if e.criteria != "" {
			if e.fullURL != "" {
				pending[e.fullURL] = true
			}
			continue
		}
		if e.held == nil {
			e.newID = crs.NewID() // one of the PAS's records has its own, prefixed (heldCreateOf)
		}
		if e.fullURL != "" {
			refs[e.fullURL] = e.typ + "/" + e.newID
		}
	}
	// What is found of one resource is made in these, and what is kept of
	// it copied out at its length, so that it is not grown piece by piece.
	var (
		local []localReference
		body  []byte
		rows  []crs.ResourceIndexRow
	)
	for _, e := range entries {
		if e.newID == "" || e.resource == nil || e.held != nil {
			continue // one of the PAS's records is written by its command
		}
		var alone bool
		if local, alone = localReferences(local[:0], map[string]any(e.resource), refs, pending); !alone {
			continue // the command resolves them, with the store
		}
		for _, l := range local {
			l.holder["reference"] = l.to
		}
		resolveLinks(map[string]any(e.resource), refs)
		if e.pmi {
			pat := &crs.Patient{ID: e.newID}
			if kept, err := patientFromResource(e.resource, pat); err == nil {
				e.patient = &newPatient{pat: pat, kept: kept}
			} // else the command maps it again and answers the error
			continue
		}
		setMeta(e.resource, e.newID, 1, unstamped)
		var err error
		if body, err = appendJSONObject(body[:0], e.resource); err != nil {
			continue // the command writes it again and answers the error
		}
		at := bytes.Index(body, []byte(unstamped))
		if at < 0 || bytes.Contains(body[at+len(unstamped):], []byte(unstamped)) {
			continue // the placeholder is also in the resource's own text
		}
		rows = appendIndexRows(rows[:0], e.resource, nil)
		kept := slices.Clone(rows)
		if len(kept) == 0 {
			kept = nil
		}
		e.prepared = &preparedCreate{body: bytes.Clone(body), at: at, rows: kept, patient: patientOf(e.typ, e.newID, kept)}
	}
}

// localReference is a reference to another entry of a transaction
// (its fullUrl), in the object that holds it, and what it becomes.
type localReference struct {
	holder map[string]any
	to     string
}

// localReferences appends to local each reference in v that is one of
// refs, and says whether v's references resolve without the store: each
// other names no entry of the transaction and is not conditional.
func localReferences(local []localReference, v any, refs map[string]string, pending map[string]bool) ([]localReference, bool) {
	alone := eachReference(v, func(holder map[string]any, s string) bool {
		if to, ok := refs[s]; ok {
			local = append(local, localReference{holder, to})
			return true
		}
		typ, _, conditional := strings.Cut(s, "?")
		return !pending[s] && !strings.HasPrefix(s, "urn:uuid:") && !(conditional && isResource[typ])
	})
	return local, alone
}

// put writes the prepared create as e's resource inside the command,
// stamped with the command's time.
func (p *preparedCreate) put(tx crs.Tx, e *txEntry) (*crs.Resource, error) {
	at := tx.Now().UTC().Format(instant)
	copy(p.body[p.at:p.at+len(unstamped)], at)
	if meta, _ := e.resource["meta"].(map[string]any); meta != nil {
		meta["lastUpdated"] = at
	}
	stored := &crs.Resource{Type: e.typ, ID: e.newID, Version: 1, Body: p.body, PatientID: p.patient}
	if err := tx.PutResource(stored, p.rows); err != nil {
		return nil, err
	}
	return stored, notifyWritten(tx, stored)
}
