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
