package fhir

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// filedReport is a result read back from a version of its
// DiagnosticReport, with the ids of the result versions it replaced.
type filedReport struct {
	*crs.Result
	earlier []string
}

// filedResult reads the result a version of a DiagnosticReport records;
// observation reads one of its Observations by its reference (versioned
// since results are kept only here, plain before).
func filedResult(res *crs.Resource, observation func(ref string) (*crs.Resource, error)) (*filedReport, error) {
	var dr diagnosticReport
	if err := json.Unmarshal(res.Body, &dr); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read DiagnosticReport/%s: %w", res.ID, err)
	}
	r := &crs.Result{ID: res.ID, PatientID: strings.TrimPrefix(dr.Subject.Reference, "Patient/"), Status: extension(dr.Extension, extHL7Status),
		ServiceName: dr.Code.Text, PlacerOrder: extension(dr.Extension, extPlacerOrder), OrderedBy: extension(dr.Extension, extOrderedBy),
		MessageID: extension(dr.Extension, extMessageID), Version: 1}
	f := &filedReport{Result: r}
	for _, id := range dr.Identifier {
		switch id.System {
		case ResultVersionSystem:
			r.ID = id.Value
		case ResultReplacedSystem:
			f.earlier = append(f.earlier, id.Value)
		case FillerOrderSystem:
			r.FillerOrder = id.Value
		case PlacerOrderSystem:
			r.PlacerOrder = firstNonEmpty(r.PlacerOrder, id.Value)
		}
	}
	if n := len(f.earlier); n > 0 {
		r.Replaces = f.earlier[n-1]
	}
	if v, err := strconv.Atoi(extension(dr.Extension, extResultVersion)); err == nil {
		r.Version = v
	}
	if len(dr.Code.Coding) > 0 {
		r.ServiceCode, r.ServiceName = dr.Code.Coding[0].Code, firstNonEmpty(dr.Code.Coding[0].Display, dr.Code.Text)
	}
	if len(dr.Category) > 0 && len(dr.Category[0].Coding) > 0 {
		r.Section = dr.Category[0].Coding[0].Code
	}
	r.ObservedAt, _ = parseInstant(dr.EffectiveDateTime)
	r.ReportedAt, _ = parseInstant(dr.Issued)
	r.CreatedAt, _ = parseInstant(extension(dr.Extension, extResultFiled))
	if r.CreatedAt.IsZero() {
		r.CreatedAt = res.LastUpdated
	}
	if dr.Conclusion != "" {
		r.Comments = strings.Split(dr.Conclusion, "\n")
	}
	for _, ref := range dr.Result {
		o, err := observation(ref.Reference)
		if err != nil {
			return nil, err
		}
		obs, err := observationFrom(o)
		if err != nil {
			return nil, err
		}
		r.Observations = append(r.Observations, obs)
	}
	return f, nil
}

// observationFrom reads one OBX of a result back from its Observation.
func observationFrom(res *crs.Resource) (crs.Observation, error) {
	var ob observationResource
	if err := json.Unmarshal(res.Body, &ob); err != nil {
		return crs.Observation{}, crs.Errorf(crs.EINTERNAL, "read Observation/%s: %w", res.ID, err)
	}
	o := crs.Observation{Name: ob.Code.Text, Status: extension(ob.Extension, extHL7Status), SetID: extension(ob.Extension, extOBXSetID),
		SubID: extension(ob.Extension, extOBXSubID), Type: extension(ob.Extension, extOBXValueType), Observed: extension(ob.Extension, extOBXObserved),
		Units: extension(ob.Extension, extOBXUnits), Value: ob.ValueString}
	if len(ob.Code.Coding) > 0 {
		o.Code, o.Name = ob.Code.Coding[0].Code, firstNonEmpty(ob.Code.Coding[0].Display, ob.Code.Text)
		if o.Name == o.Code && ob.Code.Coding[0].Display == "" {
			o.Name = ""
		}
	}
	if q := ob.ValueQuantity; q != nil {
		o.Value, o.Units = q.Value.String(), q.Unit
		if o.Type == "" {
			o.Type = "NM"
		}
	}
	if len(ob.ReferenceRange) > 0 {
		o.Range = ob.ReferenceRange[0].Text
	}
	var flags []string
	for _, c := range ob.Interpretation {
		if len(c.Coding) > 0 {
			flags = append(flags, c.Coding[0].Code)
		}
	}
	o.Flags = strings.Join(flags, "~")
	for _, n := range ob.Note {
		o.Comments = append(o.Comments, n.Text)
	}
	return o, nil
}

// isFiledResult says whether a DiagnosticReport records a result filed
// from a message (or carried from before), not one written over /fhir.
func isFiledResult(res *crs.Resource) bool { return hasIdentifierOf(res, ResultVersionSystem) }

// hasIdentifierOf says whether the resource has an identifier of the
// system.
func hasIdentifierOf(res *crs.Resource, system string) bool {
	var v jsonResource
	_ = json.Unmarshal(res.Body, &v)
	for _, id := range v.Identifier {
		if id.System == system {
			return true
		}
	}
	return false
}

// FindResults lists the patient's current results, newest observation
// first: the current version of each filed DiagnosticReport with its
// Observations.
func (s *ResultService) FindResults(ctx context.Context, a crs.Actor, patientID string) ([]*crs.Result, error) {
	reports, _, err := s.Resources.SearchResources(ctx, a, crs.ResourceQuery{Type: "DiagnosticReport", Count: 10000, RefersTo: []string{"Patient/" + patientID}})
	if err != nil {
		return nil, err
	}
	var out []*crs.Result
	if len(reports) == 0 {
		s.Store.Audit(a, patientID, crs.AuditView, "results")
		return out, nil
	}
	// Only the Observations the filed reports name, not every one of the
	// patient's (vital signs and the like are Observations too).
	var filed []*crs.Resource
	var ids []string
	for _, res := range reports {
		if !isFiledResult(res) || strings.TrimPrefix(subjectOf(res), "Patient/") != patientID {
			continue
		}
		filed = append(filed, res)
		var dr struct {
			Result []reference `json:"result"`
		}
		_ = json.Unmarshal(res.Body, &dr)
		for _, ref := range dr.Result {
			if typ, id, _ := splitReference(ref.Reference); typ == "Observation" {
				ids = append(ids, id)
			}
		}
	}
	byID := map[string]*crs.Resource{}
	const chunk = 500 // ids a search names at once
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		observations, _, err := s.Resources.SearchResources(ctx, a, crs.ResourceQuery{Type: "Observation", IDs: part, Count: len(part),
			RefersTo: []string{"Patient/" + patientID}})
		if err != nil {
			return nil, err
		}
		for _, o := range observations {
			byID[o.ID] = o
		}
	}
	current := func(ref string) (*crs.Resource, error) {
		_, id, _ := splitReference(ref)
		if o := byID[id]; o != nil {
			return o, nil
		}
		return nil, crs.Errorf(crs.EINTERNAL, "the result's %s is not in the record", ref)
	}
	for _, res := range filed {
		f, err := filedResult(res, current)
		if err != nil {
			return nil, err
		}
		f.OrgID = a.OrgID
		out = append(out, f.Result)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].ObservedAt.Equal(out[j].ObservedAt) {
			return out[i].ObservedAt.After(out[j].ObservedAt)
		}
		return out[i].ID > out[j].ID
	})
	s.Store.Audit(a, patientID, crs.AuditView, "results")
	return out, nil
}

// subjectOf is the subject reference of a resource.
func subjectOf(res *crs.Resource) string {
	var v struct {
		Subject reference `json:"subject"`
	}
	_ = json.Unmarshal(res.Body, &v)
	return v.Subject.Reference
}

// ResultHistory returns every version of the result id belongs to (any
// of its versions' ids), the current one first, each with the
// observations it was filed with.
func (s *ResultService) ResultHistory(ctx context.Context, a crs.Actor, patientID, id string) ([]*crs.Result, error) {
	version, replaced := ResultVersionSystem, ResultReplacedSystem
	found, _, err := s.Resources.SearchResources(ctx, a, crs.ResourceQuery{Type: "DiagnosticReport", Count: 2, RefersTo: []string{"Patient/" + patientID},
		All: [][]crs.ResourceCondition{{{Param: "identifier", Kind: "token", Op: crs.MatchEq, System: &version, Code: id},
			{Param: "identifier", Kind: "token", Op: crs.MatchEq, System: &replaced, Code: id}}}})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 || strings.TrimPrefix(subjectOf(found[0]), "Patient/") != patientID {
		return nil, crs.Errorf(crs.ENOTFOUND, "no such result in the patient's record")
	}
	versions, err := s.Resources.ResourceHistory(ctx, a, "DiagnosticReport", found[0].ID, time.Time{}, "", 1000)
	if err != nil {
		return nil, err
	}
	observation := func(ref string) (*crs.Resource, error) {
		typ, oid, _ := splitReference(ref)
		v := 0
		if i := strings.Index(ref, "/_history/"); i >= 0 {
			v, _ = strconv.Atoi(ref[i+len("/_history/"):])
		}
		return s.Resources.ReadResource(ctx, a, typ, oid, v)
	}
	var out []*crs.Result
	seen := map[string]bool{}
	for _, res := range versions { // newest first: an acknowledgement is a later version of the same result
		if res.Deleted || !isFiledResult(res) {
			continue
		}
		f, err := filedResult(res, observation)
		if err != nil {
			return nil, err
		}
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		f.OrgID = a.OrgID
		if len(out) > 0 {
			f.SupersededBy = out[len(out)-1].ID
		}
		out = append(out, f.Result)
	}
	if len(out) == 0 {
		return nil, crs.Errorf(crs.ENOTFOUND, "no such result in the patient's record")
	}
	s.Store.Audit(a, patientID, crs.AuditView, "result "+id)
	return out, nil
}
