package interfaces

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// SetCodeMap adds or changes one mapping of one of the trust's inbound
// interfaces: the sender's code m.From in table m.Table means our code
// m.To. The actor needs the manage-interfaces activity. Held messages
// waiting for the code are not applied by this: reprocess them
// (ReprocessHeld), so the analyst decides when.
func (e *Engine) SetCodeMap(ctx context.Context, a crs.Actor, m *crs.CodeMap) error {
	if err := e.authorize(a); err != nil {
		return err
	}
	return e.DB.Write(ctx, a, crs.ActManageInterfaces, func(tx crs.Tx) error { return tx.SetCodeMap(m) })
}

// ImportCodeMaps reads mappings of one table of an interface from CSV
// (from,to per line; a first line from,to is a header; blank lines and
// lines starting # are skipped) and sets them all in one command: all
// or nothing. name is the file's name for the errors, each of which
// says the file and line. It returns how many lines were set.
func (e *Engine) ImportCodeMaps(ctx context.Context, a crs.Actor, interfaceID, table string, r io.Reader, name string) (int, error) {
	if err := e.authorize(a); err != nil {
		return 0, err
	}
	if !crs.ValidCodeMapTable(table) {
		return 0, crs.FieldErrorf("table", "table %q is not one of %s", table, strings.Join(crs.CodeMapTables, ", "))
	}
	maps, err := readCodeMapCSV(r, name, interfaceID, table)
	if err != nil {
		return 0, err
	}
	if len(maps) == 0 {
		return 0, crs.Errorf(crs.EINVALID, "%s: no mappings in the file (write from,to on each line)", name)
	}
	err = e.DB.Write(ctx, a, crs.ActManageInterfaces, func(tx crs.Tx) error {
		for _, l := range maps {
			if err := tx.SetCodeMap(l.m); err != nil {
				return crs.Errorf(crs.ErrorCode(err), "%s:%d: %s", name, l.line, crs.ErrorMessage(err))
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(maps), nil
}

type csvMap struct {
	line int
	m    *crs.CodeMap
}

// readCodeMapCSV reads and checks every line before any is set, so one
// bad line refuses the file with its line number.
func readCodeMapCSV(r io.Reader, name, interfaceID, table string) ([]csvMap, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	var out []csvMap
	var errs []string
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, crs.Errorf(crs.EINVALID, "%s:%d: %v", name, line, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(out) == 0 && len(errs) == 0 && len(rec) >= 2 && strings.EqualFold(strings.TrimSpace(rec[0]), "from") && strings.EqualFold(strings.TrimSpace(rec[1]), "to") {
			continue
		}
		if len(rec) != 2 {
			errs = append(errs, fmt.Sprintf("%s:%d: %d fields, want 2 (from,to)", name, line, len(rec)))
			continue
		}
		m := &crs.CodeMap{InterfaceID: interfaceID, Table: table, From: rec[0], To: rec[1]}
		m.Normalize()
		if err := m.Validate(); err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %s", name, line, crs.ErrorMessage(err)))
			continue
		}
		if prev, ok := seen[m.From]; ok {
			errs = append(errs, fmt.Sprintf("%s:%d: %s is mapped already on line %d", name, line, m.From, prev))
			continue
		}
		seen[m.From] = line
		out = append(out, csvMap{line, m})
	}
	if len(errs) > 0 {
		return nil, crs.Errorf(crs.EINVALID, "%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

// ListCodeMaps lists the mappings of one of the trust's interfaces, of
// one table ("" for all), whose codes contain search.
func (e *Engine) ListCodeMaps(ctx context.Context, a crs.Actor, interfaceID, table, search string) ([]*crs.CodeMap, error) {
	if err := e.authorize(a); err != nil {
		return nil, err
	}
	return e.DB.ListCodeMaps(ctx, a.OrgID, interfaceID, table, search)
}

// UnmappedCodes lists the codes one of the trust's interfaces sent that
// no mapping knows: how many messages each holds, and how many were
// applied with the value stored as received.
func (e *Engine) UnmappedCodes(ctx context.Context, a crs.Actor, interfaceID string) ([]crs.UnmappedCode, error) {
	if err := e.authorize(a); err != nil {
		return nil, err
	}
	return e.DB.UnmappedCodes(ctx, a.OrgID, interfaceID)
}

// ReprocessHeld applies again, in the order they arrived, the held
// messages of one of the trust's interfaces received since the time
// given: once the codes they wait for are mapped (or the patients they
// name are known), they are applied, each after the earlier messages of
// its patient. A message still missing something stays held, and those
// of its patient behind it. It reports how many were tried, applied and
// are still not applied.
func (e *Engine) ReprocessHeld(ctx context.Context, a crs.Actor, interfaceID string, since time.Time) (crs.ReprocessReport, error) {
	var rep crs.ReprocessReport
	if err := e.authorize(a); err != nil {
		return rep, err
	}
	if _, err := e.DB.FindInboundInterface(ctx, a.OrgID, interfaceID); err != nil {
		return rep, err
	}
	ids, err := e.DB.HeldMessageIDs(ctx, a.OrgID, interfaceID, since, "", "")
	if err != nil {
		return rep, err
	}
	return e.reprocessAll(ctx, a, ids, false)
}
