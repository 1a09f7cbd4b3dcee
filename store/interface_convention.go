package store

import (
	"encoding/json"

	"strings"

	"github.com/opencrs/crs"
)

// conventionColumns are the columns of an inbound interface that hold
// its sender's conventions (migration 0015).
const conventionColumns = `receiving_facilities, nhs_ids, local_ids, unknown_patient, strict`

// conventionCols scans conventionColumns.
type conventionCols struct {
	receiving, nhsIDs, localIDs, unknown string
	strict                               int
}

func (c *conventionCols) dest() []any {
	return []any{&c.receiving, &c.nhsIDs, &c.localIDs, &c.unknown, &c.strict}
}

// fill sets the interface's conventions from the columns read.
func (c *conventionCols) fill(i *crs.Interface) {
	_ = json.Unmarshal([]byte(c.receiving), &i.ReceivingFacilities)
	_ = json.Unmarshal([]byte(c.nhsIDs), &i.NHSIDs)
	_ = json.Unmarshal([]byte(c.localIDs), &i.LocalIDs)
	i.UnknownPatient, i.Strict = c.unknown, c.strict == 1
}

// interfaceConventionArgs are the values of conventionColumns for i.
func interfaceConventionArgs(i *crs.Interface) []any {
	js := func(v any) string {
		b, _ := json.Marshal(v)
		if string(b) == "null" {
			return "[]"
		}
		return string(b)
	}
	strict := 0
	if i.Strict {
		strict = 1
	}
	return []any{js(i.ReceivingFacilities), js(i.NHSIDs), js(i.LocalIDs), i.UnknownPatient, strict}
}

// validateConventions checks an interface's conventions, tidying them.
func validateConventions(i *crs.Interface) crs.Errors {
	var es crs.Errors
	switch i.UnknownPatient {
	case "", crs.UnknownPatientRegister, crs.UnknownPatientHold:
	default:
		es = append(es, crs.FieldErrorf("unknown_patient", "unknown patient %q: say register or hold", i.UnknownPatient))
	}
	var rcv []string
	for _, v := range i.ReceivingFacilities {
		if v = strings.TrimSpace(v); v != "" {
			rcv = append(rcv, v)
		}
	}
	i.ReceivingFacilities = rcv
	for _, list := range []struct {
		field string
		cs    []crs.IDConvention
	}{{"nhs_ids", i.NHSIDs}, {"local_ids", i.LocalIDs}} {
		for n, c := range list.cs {
			if c.Authority == "" && c.Type == "" {
				es = append(es, crs.FieldErrorf(list.field, "identifier convention %d is empty: give AUTHORITY^TYPE", n+1))
			}
		}
	}
	for _, l := range i.LocalIDs {
		for _, n := range i.NHSIDs {
			if l == n {
				es = append(es, crs.FieldErrorf("local_ids", "%s cannot mark both the NHS number and the sender's own number", l))
			}
		}
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

// updateInterface changes the conventions of an interface of the trust.
func updateInterface(tx *Tx, i *crs.Interface) error {
	var es crs.Errors
	if strings.TrimSpace(i.Name) == "" {
		es = append(es, crs.FieldErrorf("name", "an interface needs a name"))
	}
	es = append(es, validateConventions(i)...)
	if err := es.Err(); err != nil {
		return err
	}
	var app, fac string
	if err := tx.QueryRow(`SELECT sending_application, sending_facility FROM hl7_interfaces WHERE id = $1 AND org_id = $2`, i.ID, tx.actor.OrgID).Scan(&app, &fac); err != nil {
		return notFound(err, "no inbound interface %s in this trust", i.ID)
	}
	i.OrgID, i.SendingApplication, i.SendingFacility = tx.actor.OrgID, app, fac
	if _, err := tx.Exec(`UPDATE hl7_interfaces SET name = $1, receiving_facilities = $2, nhs_ids = $3, local_ids = $4, unknown_patient = $5, strict = $6
		WHERE id = $7 AND org_id = $8`, append(append([]any{i.Name}, interfaceConventionArgs(i)...), i.ID, i.OrgID)...); err != nil {
		return err
	}
	return tx.EmitData(&crs.Event{Type: crs.EventInterfaceUpdated, SubjectID: i.ID, Summary: "Inbound interface " + i.Name + " changed"}, "interface", i)
}

// UpdateInterface changes the conventions of an interface of the trust.
func (tx *Tx) UpdateInterface(i *crs.Interface) error { return updateInterface(tx, i) }
