package fhir

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// exportPage is how many resources an export reads at a time, and
// exportFileSize the most one file holds.
const (
	exportPage     = 1000
	exportFileSize = 10000
)

// namesFHIR reports whether an Accept header takes FHIR by its own
// media type (application/fhir+json or application/fhir+xml) or any
// type (a wildcard), at a quality above 0.
func namesFHIR(accept string) bool {
	for _, rng := range strings.Split(accept, ",") {
		switch mediaType(rng) {
		case "application/fhir+json", "application/fhir+xml", "*/*", "application/*":
			if json, wild, xml := acceptQ(rng); json > 0 || wild > 0 || xml > 0 {
				return true
			}
		}
	}
	return false
}

// handleExportKickOff answers the kick-off of a Bulk Data export: of
// the whole record ($export), of every patient's compartment
// (Patient/$export) or of a group's members (Group/[id]/$export), asked
// for by GET with the parameters in the URL or by POST with them in a
// Parameters resource. It must be asked for asynchronously (Prefer:
// respond-async) and answers 202 with the status URL in
// Content-Location; the export runs in the background as the
// requester, reading only the types their token may. A parameter this
// server does not support is refused, unless the requester asked for
// lenient handling: then it is left out, and the manifest's error file
// says so.
func (s *Server) handleExportKickOff(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if s.Exports == nil {
		return outcomeOf(http.StatusNotImplemented, "not-supported", "this server keeps no bulk exports")
	}
	if accept := strings.Join(r.Header.Values("Accept"), ","); !namesFHIR(accept) {
		// The Accept header says what the requester reads an
		// OperationOutcome in, and the Bulk Data IG has it FHIR's own
		// type: one that sends none, or plain JSON, has not said so.
		return invalid("required", "", "a bulk export answers its kick-off in FHIR: send Accept: application/fhir+json (it was %q)", accept)
	}
	if !strings.Contains(r.Header.Get("Prefer"), "respond-async") {
		return invalid("required", "", "a bulk export runs asynchronously: send Prefer: respond-async")
	}
	j := &crs.ExportJob{Actor: p.Actor, Grant: p.Scopes.String(), Level: "system", Request: baseURL(r) + strings.TrimPrefix(r.URL.RequestURI(), "/fhir")}
	switch {
	case r.PathValue("id") != "":
		j.Level, j.GroupID = "group", r.PathValue("id")
	case strings.HasPrefix(r.URL.Path, "/fhir/Patient/"):
		j.Level = "patient"
	}
	params, err := exportParams(r)
	if err != nil {
		return err
	}
	lenient := prefer(r, "handling") == "lenient"
	for _, pm := range params {
		err := s.exportParam(r.Context(), j, p, pm)
		var o *Outcome
		if errors.As(err, &o) && lenient && o.Issues[0].Code == "not-supported" {
			j.Ignored = append(j.Ignored, fmt.Sprintf("%s=%s was left out (Prefer: handling=lenient): %s", pm.name, pm.value, o.Issues[0].Diagnostics))
			continue
		}
		if err != nil {
			return err
		}
	}
	if j.Level == "group" {
		// The group must be there to read, now, for the requester.
		if _, err := s.Resources.ReadResource(r.Context(), p.Actor, "Group", j.GroupID, 0); err != nil {
			return err
		}
	}
	if err := s.Exports.CreateExport(r.Context(), j); err != nil {
		return err
	}
	s.startExport(j)
	w.Header().Set("Content-Location", baseURL(r)+"/$export-poll-status?"+url.Values{"_jobId": {j.ID}}.Encode())
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// exportParameter is one parameter of a kick-off: its name, its value
// as text (a reference as its reference) and where it was given.
type exportParameter struct{ name, value, expr string }

// exportParams reads a kick-off's parameters: those of the URL, and
// those of the Parameters resource a POST sends (which may hold none:
// an empty parameter array asks for everything). A parameter given
// several times is given once for each.
func exportParams(r *http.Request) ([]exportParameter, error) {
	var ps []exportParameter
	q := r.URL.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			ps = append(ps, exportParameter{k, v, k})
		}
	}
	if r.Method != http.MethodPost {
		return ps, nil
	}
	body, err := readBody(r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return ps, err
	}
	var params struct {
		ResourceType string           `json:"resourceType"`
		Parameter    []map[string]any `json:"parameter"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&params); err != nil {
		return nil, invalid("structure", "", "$export takes a Parameters resource: %v", err)
	}
	if params.ResourceType != "Parameters" {
		return nil, invalid("invalid", "resourceType", "$export takes a Parameters, not a %s", cmp.Or(params.ResourceType, "resource without a resourceType"))
	}
	for i, m := range params.Parameter {
		name, _ := m["name"].(string)
		if ref, ok := m["valueReference"].(map[string]any); ok {
			v, _ := ref["reference"].(string)
			ps = append(ps, exportParameter{name, v, fmt.Sprintf("Parameters.parameter[%d].valueReference", i)})
			continue
		}
		v, k, ok := parameterText(m)
		if !ok {
			return nil, invalid("invalid", fmt.Sprintf("Parameters.parameter[%d]", i), "$export: the parameter %s has no value", name)
		}
		ps = append(ps, exportParameter{name, v, fmt.Sprintf("Parameters.parameter[%d].%s", i, k)})
	}
	return ps, nil
}

// Associated data an export may carry (includeAssociatedData): the
// Provenance of each record exported, its latest or all of it.
const (
	latestProvenance   = "LatestProvenanceResources"
	relevantProvenance = "RelevantProvenanceResources"
)

// exportParam checks one parameter of a kick-off and records it in the
// job. A parameter or value this server does not support is refused
// with the code not-supported, which lenient handling leaves out.
func (s *Server) exportParam(ctx context.Context, j *crs.ExportJob, p *Principal, pm exportParameter) error {
	v := pm.value
	switch pm.name {
	case "_outputFormat":
		switch v {
		case "application/fhir+ndjson", "application/ndjson", "ndjson":
		default:
			return invalid("not-supported", pm.expr, "_outputFormat %q is not ndjson (application/fhir+ndjson)", v)
		}
	case "_type":
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if !isResource[t] {
				return invalid("invalid", pm.expr, "_type %s is not an R4 resource type", t)
			}
			if !p.Scopes.Allows(t, false) {
				return outcomeOf(http.StatusForbidden, "forbidden", "the token may not read %s", t)
			}
			if !slices.Contains(j.Types, t) {
				j.Types = append(j.Types, t)
			}
		}
	case "_since":
		lo, _, ok := ParseDateRange(v)
		if !ok {
			return invalid("invalid", pm.expr, "_since %q is not an instant", v)
		}
		if lo.After(s.Store.Now()) {
			return invalid("invalid", pm.expr, "_since %s is in the future: nothing has changed since", v)
		}
		j.Since = lo
	case "_elements":
		for _, e := range strings.Split(v, ",") {
			e = strings.TrimSpace(e)
			typ, name, typed := strings.Cut(e, ".")
			if !typed {
				typ, name = "", e
			}
			if typed && !isResource[typ] || name == "" || strings.Contains(name, ".") {
				return invalid("invalid", pm.expr, "_elements %q is not an element (name) or a resource type's element (Type.name)", e)
			}
			j.Elements = append(j.Elements, e)
		}
	case "patient":
		if j.Level == "system" {
			return invalid("invalid", pm.expr, "the patient parameter limits a Patient or Group export to some patients; a system export is of the whole record")
		}
		for _, ref := range strings.Split(v, ",") {
			ref = strings.TrimSpace(ref)
			typ, id, ok := strings.Cut(ref, "/")
			if !ok {
				typ, id = "Patient", ref
			}
			if typ != "Patient" || id == "" || strings.Contains(id, "/") {
				return invalid("invalid", pm.expr, "patient %q is not a reference to a Patient (Patient/[id])", ref)
			}
			j.Patients = append(j.Patients, id)
		}
	case "includeAssociatedData":
		for _, a := range strings.Split(v, ",") {
			switch a = strings.TrimSpace(a); a {
			case latestProvenance, relevantProvenance:
				if !slices.Contains(j.Associated, a) {
					j.Associated = append(j.Associated, a)
				}
			default:
				return invalid("not-supported", pm.expr, "includeAssociatedData %s is not supported: this server exports LatestProvenanceResources and RelevantProvenanceResources", a)
			}
		}
	case "_typeFilter":
		if _, err := s.typeFilter(ctx, p, v); err != nil {
			return err
		}
		j.TypeFilters = append(j.TypeFilters, v)
	default:
		return invalid("not-supported", pm.expr, "$export does not support the parameter %s", pm.name)
	}
	return nil
}

// startExport runs a job in the background until it ends, is cancelled
// or the server is closed.
func (s *Server) startExport(j *crs.ExportJob) {
	s.exportMu.Lock()
	defer s.exportMu.Unlock()
	if s.exporting == nil {
		s.exporting = map[string]context.CancelFunc{}
	}
	if _, ok := s.exporting[j.ID]; ok {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.exporting[j.ID] = cancel
	s.exportWG.Add(1)
	go func() {
		defer s.exportWG.Done()
		defer func() {
			s.exportMu.Lock()
			delete(s.exporting, j.ID)
			s.exportMu.Unlock()
			cancel()
		}()
		if err := s.runExport(ctx, j); err != nil && ctx.Err() == nil && crs.ErrorCode(err) != crs.ENOTFOUND {
			j.Status, j.Error, j.FinishedAt = crs.ExportFailed, err.Error(), s.Store.Now()
			if uerr := s.Exports.UpdateExport(context.Background(), j); uerr != nil && s.Logger != nil {
				s.Logger.Error("bulk export failed and could not be marked failed", "export", j.ID, "err", uerr)
			}
			if s.Logger != nil {
				s.Logger.Error("bulk export failed", "export", j.ID, "err", err)
			}
		}
	}()
}

// ResumeExports starts again the exports a stop of the service left
// unfinished.
func (s *Server) ResumeExports(ctx context.Context) error {
	if s.Exports == nil {
		return nil
	}
	jobs, err := s.Exports.PendingExports(ctx)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		s.startExport(j)
	}
	return nil
}

// Close stops the exports running (they resume at the next start) and
// waits for them to stop.
func (s *Server) Close() {
	s.exportMu.Lock()
	for _, cancel := range s.exporting {
		cancel()
	}
	s.exportMu.Unlock()
	s.exportWG.Wait()
}

// runExport reads each type of the job through the resource store, as
// the requester and audited, and writes it as ndjson files; then, when
// asked, the Provenance of the records written.
func (s *Server) runExport(ctx context.Context, j *crs.ExportJob) error {
	scopes, err := ParseScopes(j.Grant)
	if err != nil {
		return err
	}
	types := j.Types
	if len(types) == 0 {
		types = resourceTypes
	}
	// Some patients' records only: a group's members, or the patients
	// the requester named (of the group's, at the group level).
	chosen := j.Level == "group" || len(j.Patients) > 0
	var members []string
	if j.Level == "group" {
		g, err := s.Resources.ReadResource(ctx, j.Actor, "Group", j.GroupID, 0)
		if err != nil {
			return err
		}
		var group struct {
			Member []struct{ Entity struct{ Reference string } }
		}
		if err := json.Unmarshal(g.Body, &group); err != nil {
			return crs.Errorf(crs.EINTERNAL, "read Group/%s: %w", j.GroupID, err)
		}
		for _, m := range group.Member {
			if typ, id, ok := splitReference(m.Entity.Reference); ok && typ == "Patient" && (len(j.Patients) == 0 || slices.Contains(j.Patients, id)) {
				members = append(members, id)
			}
		}
	} else if len(j.Patients) > 0 {
		members = j.Patients
	}
	j.Status, j.Progress = crs.ExportRunning, "started"
	if err := s.Exports.UpdateExport(ctx, j); err != nil {
		return err
	}
	w := &exportWriter{s: s, ctx: ctx, j: j}
	if len(j.Associated) > 0 && scopes.Allows("Provenance", false) {
		w.assoc = &associated{all: slices.Contains(j.Associated, relevantProvenance), written: map[string]bool{}, out: &exportWriter{s: s, ctx: ctx, j: j, files: w}}
		w.assoc.out.start("Provenance")
	}
	if err := w.outcomes(); err != nil {
		return err
	}
	p := &Principal{Actor: j.Actor, Scopes: scopes}
	for i, typ := range types {
		if !scopes.Allows(typ, false) || typ == "OperationOutcome" {
			continue // an OperationOutcome is an answer, never a record
		}
		if chosen && len(members) == 0 {
			continue
		}
		w.start(typ)
		q := crs.ResourceQuery{Type: typ, Count: exportPage}
		switch {
		case chosen && typ == "Patient":
			q.IDs = members
		case chosen:
			for _, id := range members {
				q.RefersTo = append(q.RefersTo, "Patient/"+id)
			}
		case j.Level == "patient" && typ != "Patient":
			q.RefersTo = []string{"Patient"}
		}
		if !j.Since.IsZero() {
			q.All = [][]crs.ResourceCondition{{{Param: "_lastUpdated", Kind: "date", Op: crs.MatchGe, Lo: j.Since, Hi: j.Since}}}
		}
		filters, err := s.typeFiltersOf(ctx, p, j, typ)
		if err != nil {
			return err
		}
		for s.pmi(typ) && filters == nil {
			// Patients come from the PMI: the patients chosen, else every
			// patient of the trust, each read as the API serves it.
			if err := ctx.Err(); err != nil {
				return err
			}
			ids := members
			if !chosen {
				lister, ok := s.Patients.(crs.PatientLister)
				if !ok {
					return crs.Errorf(crs.EINTERNAL, "the patient index cannot list its patients for an export")
				}
				if ids, err = lister.PatientIDs(ctx, j.Actor, q.After, q.Count); err != nil {
					return err
				}
			}
			for _, id := range ids {
				res, err := s.readPatient(ctx, p, id)
				if crs.ErrorCode(err) == crs.ENOTFOUND {
					continue
				}
				if err != nil {
					return err
				}
				if !j.Since.IsZero() && res.LastUpdated.Before(j.Since) {
					continue
				}
				if err := w.add(res); err != nil {
					return err
				}
			}
			if chosen || len(ids) < q.Count {
				break
			}
			q.After = ids[len(ids)-1]
		}
		if s.typedSearch(typ) != nil && (filters != nil || !s.pmi(typ)) {
			// The PAS's records of the type (those one of its filters
			// finds), then (below) those other systems sent that the
			// resource store keeps.
			if err := s.exportTyped(ctx, p, j, typ, members, filters, w.add); err != nil {
				return err
			}
		}
		switch {
		case s.pmi(typ): // the PMI's patients, above
		case filters != nil: // the resource store's resources of the type that one of its filters matches
			err = s.exportFiltered(ctx, j.Actor, q, filters, w.add)
		default: // all of them
			err = s.eachResource(ctx, j.Actor, q, w.add)
		}
		if err != nil {
			return err
		}
		if err := w.flush(); err != nil {
			return err
		}
		j.Progress = fmt.Sprintf("%d of %d resource types read, %d files written", i+1, len(types), w.seq)
		if err := s.Exports.UpdateExport(ctx, j); err != nil {
			return err
		}
	}
	if w.assoc != nil { // the Provenance of the records written last
		if err := w.lookUpProvenance(); err != nil {
			return err
		}
		if err := w.assoc.out.flush(); err != nil {
			return err
		}
	}
	j.Status, j.Progress, j.FinishedAt = crs.ExportComplete, "complete", s.Store.Now()
	return s.Exports.UpdateExport(ctx, j)
}

// typeFilter reads one _typeFilter, a search of a type as Type?query,
// as the search API reads it: of a type the PAS serves (its patients,
// encounters, appointments, ...) as its typed search answers it.
func (s *Server) typeFilter(ctx context.Context, p *Principal, filter string) (*search, error) {
	typ, query, _ := strings.Cut(filter, "?")
	if !isResource[typ] {
		return nil, invalid("invalid", "_typeFilter", "_typeFilter %q is not a search of an R4 resource type (Type?query)", filter)
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return nil, invalid("invalid", "_typeFilter", "_typeFilter %q is not a query: %v", filter, err)
	}
	q, err := parseSearchValues(typ, vals, s.Store.Now())
	if err != nil {
		return nil, err
	}
	if err := s.resolveQuery(ctx, p, q); err != nil {
		return nil, err
	}
	return q, nil
}

// typeFiltersOf reads the job's _typeFilter searches of typ; nil when
// it has none, and the type is exported whole.
func (s *Server) typeFiltersOf(ctx context.Context, p *Principal, j *crs.ExportJob, typ string) ([]*search, error) {
	var filters []*search
	for _, f := range j.TypeFilters {
		if !strings.HasPrefix(f, typ+"?") {
			continue
		}
		q, err := s.typeFilter(ctx, p, f)
		if err != nil {
			return nil, err
		}
		filters = append(filters, q)
	}
	return filters, nil
}

// exportFiltered writes the resources of the export's query (q: its
// type, patients and _since) that match one of the type's filters, each
// once.
func (s *Server) exportFiltered(ctx context.Context, a crs.Actor, q crs.ResourceQuery, filters []*search, write func(*crs.Resource) error) error {
	once := writeOnce(len(filters), write)
	for _, f := range filters {
		if f.none {
			continue
		}
		fq := f.query
		fq.Count, fq.After, fq.Offset, fq.SortBy = exportPage, "", 0, nil
		fq.All = append(slices.Clone(fq.All), q.All...)
		if len(q.RefersTo) > 0 {
			fq.RefersTo = q.RefersTo
		}
		switch {
		case len(q.IDs) > 0 && len(fq.IDs) > 0: // the patients chosen that the filter names (_id)
			fq.IDs = slices.DeleteFunc(slices.Clone(fq.IDs), func(id string) bool { return !slices.Contains(q.IDs, id) })
			if len(fq.IDs) == 0 {
				continue
			}
		case len(q.IDs) > 0:
			fq.IDs = q.IDs
		}
		err := s.eachResource(ctx, a, fq, func(res *crs.Resource) error {
			if !f.keep(res) {
				return nil
			}
			return once(res)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeOnce is write for the records of a type that any of n filters
// finds: with several, a record two of them find is written once (their
// ids kept while the type is read); with one, each as it is found.
func writeOnce(n int, write func(*crs.Resource) error) func(*crs.Resource) error {
	if n < 2 {
		return write
	}
	seen := map[string]bool{}
	return func(res *crs.Resource) error {
		if seen[res.ID] {
			return nil
		}
		seen[res.ID] = true
		return write(res)
	}
}

// exportWriter writes an export's files: the resources of one type at
// a time, at most exportFileSize to a file, cut to the elements asked
// for.
type exportWriter struct {
	s        *Server
	ctx      context.Context
	j        *crs.ExportJob
	typ      string
	elements []string // the type's elements _elements keeps; nil for all
	buf      bytes.Buffer
	n, seq   int
	files    *exportWriter // the writer that numbers the files, when not this one
	assoc    *associated   // the Provenance of what is written, when asked for
}

// provenancePage is how many records an export writes between two
// look-ups of their Provenance (includeAssociatedData).
const provenancePage = 200

// associated is the Provenance an export carries (includeAssociatedData)
// of the records it writes: all that names one of them as its target
// (RelevantProvenanceResources), or the latest recorded of each
// (LatestProvenanceResources), looked up a page of records at a time
// and written to files of their own. Only the ids of the Provenance
// written are kept, so that none is written twice, also when Provenance
// is exported as a type.
type associated struct {
	all     bool
	pending []string        // Type/id of the records written since the last look-up
	written map[string]bool // ids of the Provenance written
	out     *exportWriter   // the Provenance files
}

// start begins the files of a type.
func (w *exportWriter) start(typ string) {
	w.typ, w.elements = typ, nil
	for _, e := range w.j.Elements {
		if t, name, typed := strings.Cut(e, "."); !typed {
			w.elements = append(w.elements, e)
		} else if t == typ {
			w.elements = append(w.elements, name)
		}
	}
}

// add writes a resource to the type's file.
func (w *exportWriter) add(res *crs.Resource) error {
	body := res.Body
	if w.elements != nil {
		var err error
		if body, err = subsetted(body, w.elements, ""); err != nil {
			return err
		}
	}
	if a := w.assoc; a != nil && res.Type != "OperationOutcome" {
		if res.Type == "Provenance" {
			if a.written[res.ID] {
				return nil // written as another record's
			}
			a.written[res.ID] = true
		}
		if a.pending = append(a.pending, res.Type+"/"+res.ID); len(a.pending) == provenancePage {
			if err := w.lookUpProvenance(); err != nil {
				return err
			}
		}
	}
	w.buf.Write(body)
	w.buf.WriteByte('\n')
	if w.n++; w.n == exportFileSize {
		return w.flush()
	}
	return nil
}

// flush writes the file being filled, if it holds anything.
func (w *exportWriter) flush() error {
	if w.n == 0 {
		return nil
	}
	files := w
	if w.files != nil {
		files = w.files
	}
	files.seq++
	err := w.s.Exports.AddExportFile(w.ctx, w.j.ID, crs.ExportFile{Seq: files.seq, Type: w.typ, Count: w.n}, w.buf.Bytes())
	w.buf.Reset()
	w.n = 0
	return err
}

// outcomes writes the export's error file: an OperationOutcome for each
// parameter left out under lenient handling, so that the requester
// knows the export is not all it asked for.
func (w *exportWriter) outcomes() error {
	w.start("OperationOutcome")
	for _, why := range w.j.Ignored {
		o := &Outcome{Issues: []Issue{{Severity: "warning", Code: "not-supported", Diagnostics: why}}}
		if err := w.add(&crs.Resource{Type: "OperationOutcome", Body: o.JSON()}); err != nil {
			return err
		}
	}
	return w.flush()
}

// lookUpProvenance writes the Provenance of the records written since
// the last look-up, found by its target in the resource store's index:
// all of it, or the latest recorded of each record; each once.
func (w *exportWriter) lookUpProvenance() error {
	a := w.assoc
	if len(a.pending) == 0 {
		return nil
	}
	page := make(map[string]bool, len(a.pending))
	targets := make([]crs.ResourceCondition, 0, len(a.pending))
	for _, ref := range a.pending {
		if !page[ref] {
			page[ref] = true
			targets = append(targets, crs.ResourceCondition{Param: "target", Kind: "reference", Code: ref})
		}
	}
	a.pending = a.pending[:0]
	write := func(res *crs.Resource) error {
		if a.written[res.ID] {
			return nil
		}
		a.written[res.ID] = true
		return a.out.add(res)
	}
	type latest struct {
		res      *crs.Resource
		recorded string
	}
	latestOf := map[string]latest{} // by target, Type/id
	q := crs.ResourceQuery{Type: "Provenance", Count: exportPage, All: [][]crs.ResourceCondition{targets}}
	err := w.s.eachResource(w.ctx, w.j.Actor, q, func(res *crs.Resource) error {
		if a.all {
			return write(res)
		}
		var prov struct {
			Target   []struct{ Reference string }
			Recorded string
		}
		if err := json.Unmarshal(res.Body, &prov); err != nil {
			return crs.Errorf(crs.EINTERNAL, "read Provenance/%s: %w", res.ID, err)
		}
		for _, t := range prov.Target {
			typ, id, ok := splitReference(t.Reference)
			if !ok || !page[typ+"/"+id] {
				continue
			}
			if l, ok := latestOf[typ+"/"+id]; !ok || recordedAfter(prov.Recorded, l.recorded) {
				latestOf[typ+"/"+id] = latest{res, prov.Recorded}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, target := range slices.Sorted(maps.Keys(latestOf)) {
		if err := write(latestOf[target].res); err != nil {
			return err
		}
	}
	return nil
}

// recordedAfter reports whether Provenance recorded at a was recorded
// after one recorded at b (instants, with their offsets).
func recordedAfter(a, b string) bool {
	ta, _, _ := ParseDateRange(a)
	tb, _, _ := ParseDateRange(b)
	return ta.After(tb)
}

// exportTyped writes the PAS's records of typ an export asks for, as
// the type's search finds them (encounters, appointments, episodes,
// referrals, locations, practitioners, slots; patients when filtered):
// those one of the export's filters finds, each once, or without a
// filter every record; of each patient chosen (a group's members, the
// patients named) when the export chose some, else at the patient level
// those of a type in a patient's compartment; and with _since those
// changed since (one whose change time the PAS does not keep is written).
func (s *Server) exportTyped(ctx context.Context, p *Principal, j *crs.ExportJob, typ string, members []string, filters []*search, write func(*crs.Resource) error) error {
	_, compartment := SearchParamOf(typ, "patient")
	if typ != "Patient" && j.Level != "system" && !compartment {
		return nil
	}
	chosen := j.Level == "group" || len(j.Patients) > 0
	if filters == nil {
		filters = []*search{{query: crs.ResourceQuery{Type: typ}}}
	}
	once := writeOnce(len(filters), write)
	keep := func(res *crs.Resource) error {
		if !j.Since.IsZero() && !res.LastUpdated.IsZero() && res.LastUpdated.Before(j.Since) {
			return nil
		}
		return once(res)
	}
	for _, f := range filters {
		if f.none {
			continue
		}
		whole := *f
		whole.query.Count, whole.query.Offset, whole.query.After, whole.query.SortBy = 0, 0, "", nil
		runs := []*search{&whole}
		if chosen {
			runs = runs[:0]
			for _, id := range members {
				if run := ofPatient(&whole, id); run != nil {
					runs = append(runs, run)
				}
			}
		}
		for _, q := range runs {
			if err := s.eachTyped(ctx, p, q, keep); err != nil {
				return err
			}
		}
	}
	return nil
}

// ofPatient is a search of a type the PAS serves narrowed to one
// patient's records (to the patient, of Patient); nil when it names
// patients by _id and not this one.
func ofPatient(q *search, id string) *search {
	one := *q
	if q.query.Type == "Patient" {
		if len(q.query.IDs) > 0 && !slices.Contains(q.query.IDs, id) {
			return nil
		}
		one.query.IDs = []string{id}
		return &one
	}
	one.query.All = append(slices.Clone(q.query.All), []crs.ResourceCondition{{Param: "patient", Kind: "reference", Code: "Patient/" + id}})
	return &one
}

// eachTyped calls visit with each of the PAS's records a search of its
// type finds, as the search API finds them: read across the trust page
// by page where no index of the PAS leads the search, else by the typed
// search, with the checks its index cannot decide. A patient the PMI
// found is read whole, as the API serves it.
func (s *Server) eachTyped(ctx context.Context, p *Principal, q *search, visit func(*crs.Resource) error) error {
	served := func(res *crs.Resource) error {
		if res.Body == nil {
			whole, err := s.readAny(ctx, p, res.Type, res.ID, 0)
			if crs.ErrorCode(err) == crs.ENOTFOUND {
				return nil
			} else if err != nil {
				return err
			}
			res = whole
		}
		return visit(res)
	}
	if scan := s.scanOf(q); scan != nil {
		var failed error
		err := s.scanEach(ctx, p, q, scan, "", false, func(it scanned) bool {
			failed = served(it.res)
			return failed == nil && ctx.Err() == nil
		})
		return cmp.Or(err, failed, ctx.Err())
	}
	found, err := s.typedSearch(q.query.Type)(ctx, p, q)
	if err != nil {
		return err
	}
	if len(q.checks) > 0 && !s.pmi(q.query.Type) {
		if found, err = s.keptServed(ctx, p, q, found); err != nil {
			return err
		}
	}
	for _, res := range found {
		if err := served(res); err != nil {
			return err
		}
	}
	return nil
}

// manifest is the answer of a complete export's status URL.
type manifest struct {
	TransactionTime     string           `json:"transactionTime"`
	Request             string           `json:"request"`
	RequiresAccessToken bool             `json:"requiresAccessToken"`
	Output              []manifestOutput `json:"output"`
	Error               []manifestOutput `json:"error"`
}

type manifestOutput struct {
	Type  string `json:"type"`
	URL   string `json:"url"`
	Count int    `json:"count,omitempty"`
}

// handleExportStatus answers the status URL of an export: 202 with
// X-Progress while it runs, 200 with the manifest of its files when it
// is complete, 500 with an OperationOutcome when it failed.
func (s *Server) handleExportStatus(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if s.Exports == nil {
		return outcomeOf(http.StatusNotFound, "not-found", "this server keeps no bulk exports")
	}
	j, err := s.Exports.GetExport(r.Context(), p.Actor, r.URL.Query().Get("_jobId"))
	if err != nil {
		return err
	}
	switch j.Status {
	case crs.ExportFailed:
		return outcomeOf(http.StatusInternalServerError, "exception", "the export failed: %s", j.Error)
	case crs.ExportComplete:
	default:
		w.Header().Set("X-Progress", j.Progress)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	m := manifest{TransactionTime: j.RequestedAt.UTC().Format(instant), Request: j.Request, RequiresAccessToken: true, Output: []manifestOutput{}, Error: []manifestOutput{}}
	for _, f := range j.Files {
		out := manifestOutput{Type: f.Type, URL: baseURL(r) + "/$export-file?" + url.Values{"_jobId": {j.ID}, "file": {strconv.Itoa(f.Seq)}}.Encode(), Count: f.Count}
		if f.Type == "OperationOutcome" {
			m.Error = append(m.Error, out)
			continue
		}
		m.Output = append(m.Output, out)
	}
	b, _ := json.Marshal(m)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Expires", j.FinishedAt.Add(24*time.Hour).UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

// handleExportCancel answers DELETE of a status URL: the export stops
// and its files are removed.
func (s *Server) handleExportCancel(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if s.Exports == nil {
		return outcomeOf(http.StatusNotFound, "not-found", "this server keeps no bulk exports")
	}
	id := r.URL.Query().Get("_jobId")
	if err := s.Exports.DeleteExport(r.Context(), p.Actor, id); err != nil {
		return err
	}
	s.exportMu.Lock()
	if cancel, ok := s.exporting[id]; ok {
		cancel()
	}
	s.exportMu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// handleExportFile answers the download of one file of an export, to
// the requester only, with a token that may still read the file's
// type: a token since narrowed to other types is refused. The error
// file (OperationOutcome) says only what the export left out.
func (s *Server) handleExportFile(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if s.Exports == nil {
		return outcomeOf(http.StatusNotFound, "not-found", "this server keeps no bulk exports")
	}
	q := r.URL.Query()
	seq, err := strconv.Atoi(q.Get("file"))
	if err != nil {
		return outcomeOf(http.StatusNotFound, "not-found", "%q is not a file of the export", q.Get("file"))
	}
	j, err := s.Exports.GetExport(r.Context(), p.Actor, q.Get("_jobId"))
	if err != nil {
		return err
	}
	for _, f := range j.Files {
		if f.Seq == seq && f.Type != "OperationOutcome" && !p.Scopes.Allows(f.Type, false) {
			return outcomeOf(http.StatusForbidden, "forbidden", "the token may not read %s", f.Type)
		}
	}
	b, err := s.Exports.ExportFileData(r.Context(), p.Actor, j.ID, seq)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/fhir+ndjson")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}
