package crs

import (
	"context"
	"strings"
)

// ResultCorrected is the result status (OBR-25, OBX-11) of a result the
// laboratory corrected after it was final: it replaces the value sent
// before, which stays in the result's history.
const ResultCorrected = "C"

// Corrected says whether the report corrects one sent before: the order
// or any of its observations has result status C.
func (r *Result) Corrected() bool {
	if strings.EqualFold(r.Status, ResultCorrected) {
		return true
	}
	for _, o := range r.Observations {
		if strings.EqualFold(o.Status, ResultCorrected) {
			return true
		}
	}
	return false
}

// OrderKey names the order a report belongs to, so a later report of the
// same order (a final after a preliminary, a correction) replaces the
// one before: the filler's order number, failing that the placer's, with
// the test ordered. "" when the report names no order.
func (r *Result) OrderKey() string {
	order := r.FillerOrder
	if order == "" {
		order = r.PlacerOrder
	}
	if order == "" {
		return ""
	}
	return order + "|" + r.ServiceCode
}

// Replace makes r the next version of prev, the report of the same order
// it replaces: r takes the next version number and, when it corrects only
// some observations (a laboratory that resends just the corrected OBX),
// keeps the earlier observations it does not resend, in their places.
func (r *Result) Replace(prev *Result) {
	r.Version, r.Replaces = prev.Version+1, prev.ID
	if !r.Corrected() {
		return
	}
	sent := map[string]bool{}
	for _, o := range r.Observations {
		sent[o.key()] = true
	}
	var kept []Observation
	for _, o := range prev.Observations {
		if !sent[o.key()] {
			kept = append(kept, o)
		}
	}
	if len(kept) == 0 {
		return
	}
	// Earlier observations first, in their order, each corrected one in
	// its place.
	byKey := map[string]Observation{}
	for _, o := range r.Observations {
		byKey[o.key()] = o
	}
	var out []Observation
	for _, o := range prev.Observations {
		if n, ok := byKey[o.key()]; ok {
			out = append(out, n)
			delete(byKey, o.key())
			continue
		}
		out = append(out, o)
	}
	for _, o := range r.Observations {
		if _, ok := byKey[o.key()]; ok {
			out = append(out, o)
		}
	}
	r.Observations = out
}

// key identifies an observation within its order: the test (OBX-3) and
// sub-id (OBX-4).
func (o Observation) key() string { return o.Code + "|" + o.SubID + "|" + o.Name }

// Abnormal says whether the laboratory flagged the observation outside
// its reference range or otherwise abnormal (OBX-8 other than N).
func (o Observation) Abnormal() bool {
	for _, f := range strings.Split(o.Flags, "~") {
		if f = strings.TrimSpace(f); f != "" && !strings.EqualFold(f, "N") {
			return true
		}
	}
	return false
}

// ResultService is how clinicians read the results filed to a patient's
// record. Each read checks the actor may view the clinical record and is
// audited.
type ResultService interface {
	// FindResults lists the patient's current results (the latest version
	// of each order), newest observation first.
	FindResults(ctx context.Context, a Actor, patientID string) ([]*Result, error)
	// ResultHistory returns every version of the result id belongs to,
	// the current one first; ENOTFOUND when the patient has no such
	// result.
	ResultHistory(ctx context.Context, a Actor, patientID, id string) ([]*Result, error)
}

// resultStatuses names the result statuses (HL7 table 0123) a report or
// observation carries.
var resultStatuses = map[string]string{
	"O": "Ordered", "I": "Pending", "S": "Scheduled", "A": "Partial", "P": "Preliminary", "R": "Not verified",
	"F": "Final", "C": "Corrected", "X": "Cancelled", "D": "Deleted", "W": "Withdrawn (wrong patient)",
}

// ResultStatusName names a result status code for a page ("F" → "Final");
// a code the table lacks is given as it came.
func ResultStatusName(code string) string {
	if n, ok := resultStatuses[strings.ToUpper(code)]; ok {
		return n
	}
	return code
}
