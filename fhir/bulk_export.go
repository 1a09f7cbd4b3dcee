package fhir

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
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

// handleExportKickOff answers the kick-off of a Bulk Data export: of
// the whole record ($export), of every patient's compartment
// (Patient/$export) or of a group's members (Group/[id]/$export). It
// must be asked for asynchronously (Prefer: respond-async) and answers
// 202 with the status URL in Content-Location; the export runs in the
// background as the requester, reading only the types their token may.
func (s *Server) handleExportKickOff(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if s.Exports == nil {
		return outcomeOf(http.StatusNotImplemented, "not-supported", "this server keeps no bulk exports")
	}
	if !strings.Contains(r.Header.Get("Prefer"), "respond-async") {
		return invalid("required", "", "a bulk export runs asynchronously: send Prefer: respond-async")
	}
	q := r.URL.Query()
	j := &crs.ExportJob{Actor: p.Actor, Grant: p.Scopes.String(), Level: "system", Request: baseURL(r) + strings.TrimPrefix(r.URL.RequestURI(), "/fhir")}
	switch {
	case r.PathValue("id") != "":
		j.Level, j.GroupID = "group", r.PathValue("id")
	case strings.HasPrefix(r.URL.Path, "/fhir/Patient/"):
		j.Level = "patient"
	}
	for k, vs := range q {
		v := strings.Join(vs, ",")
		switch k {
		case "_outputFormat":
			switch v {
			case "application/fhir+ndjson", "application/ndjson", "ndjson":
			default:
				return invalid("not-supported", k, "_outputFormat %q is not ndjson (application/fhir+ndjson)", v)
			}
		case "_type":
			for _, t := range strings.Split(v, ",") {
				if !isResource[t] {
					return invalid("invalid", k, "_type %s is not an R4 resource type", t)
				}
				if !p.Scopes.Allows(t, false) {
					return outcomeOf(http.StatusForbidden, "forbidden", "the token may not read %s", t)
				}
				j.Types = append(j.Types, t)
			}
		case "_since":
			lo, _, ok := ParseDateRange(v)
			if !ok {
				return invalid("invalid", k, "_since %q is not an instant", v)
			}
			j.Since = lo
		default:
			return invalid("not-supported", k, "$export does not support the parameter %s", k)
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
// the requester and audited, and writes it as ndjson files.
func (s *Server) runExport(ctx context.Context, j *crs.ExportJob) error {
	scopes, err := ParseScopes(j.Grant)
	if err != nil {
		return err
	}
	types := j.Types
	if len(types) == 0 {
		types = resourceTypes
	}
	var members []string // group: the patients it holds
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
			if typ, id, ok := splitReference(m.Entity.Reference); ok && typ == "Patient" {
				members = append(members, id)
			}
		}
	}
	j.Status, j.Progress = crs.ExportRunning, "started"
	if err := s.Exports.UpdateExport(ctx, j); err != nil {
		return err
	}
	seq := 0
	for i, typ := range types {
		if !scopes.Allows(typ, false) {
			continue
		}
		q := crs.ResourceQuery{Type: typ, Count: exportPage}
		switch {
		case j.Level == "patient" && typ != "Patient":
			q.RefersTo = []string{"Patient"}
		case j.Level == "group" && typ == "Patient":
			q.IDs = members
		case j.Level == "group":
			for _, id := range members {
				q.RefersTo = append(q.RefersTo, "Patient/"+id)
			}
		}
		if j.Level == "group" && len(members) == 0 {
			continue
		}
		if !j.Since.IsZero() {
			q.All = [][]crs.ResourceCondition{{{Param: "_lastUpdated", Kind: "date", Op: crs.MatchGe, Lo: j.Since, Hi: j.Since}}}
		}
		var buf bytes.Buffer
		n := 0
		flush := func() error {
			if n == 0 {
				return nil
			}
			seq++
			err := s.Exports.AddExportFile(ctx, j.ID, crs.ExportFile{Seq: seq, Type: typ, Count: n}, buf.Bytes())
			buf.Reset()
			n = 0
			return err
		}
		for s.pmi(typ) {
			// Patients come from the PMI: a group's members, else every
			// patient of the trust, each read as the API serves it.
			if err := ctx.Err(); err != nil {
				return err
			}
			ids := members
			if j.Level != "group" {
				lister, ok := s.Patients.(crs.PatientLister)
				if !ok {
					return crs.Errorf(crs.EINTERNAL, "the patient index cannot list its patients for an export")
				}
				if ids, err = lister.PatientIDs(ctx, j.Actor, q.After, q.Count); err != nil {
					return err
				}
			}
			for _, id := range ids {
				res, err := s.readPatient(ctx, &Principal{Actor: j.Actor, Scopes: scopes}, id)
				if crs.ErrorCode(err) == crs.ENOTFOUND {
					continue
				}
				if err != nil {
					return err
				}
				if !j.Since.IsZero() && res.LastUpdated.Before(j.Since) {
					continue
				}
				buf.Write(res.Body)
				buf.WriteByte('\n')
				if n++; n == exportFileSize {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if j.Level == "group" || len(ids) < q.Count {
				break
			}
			q.After = ids[len(ids)-1]
		}
		if s.coreType(typ) != nil && !s.pmi(typ) {
			// The PAS's records of the type, then (below) those other
			// systems sent that the resource store keeps.
			err := s.exportTyped(ctx, &Principal{Actor: j.Actor, Scopes: scopes}, j, typ, members, func(res *crs.Resource) error {
				buf.Write(res.Body)
				buf.WriteByte('\n')
				if n++; n == exportFileSize {
					return flush()
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		for !s.pmi(typ) {
			if err := ctx.Err(); err != nil {
				return err
			}
			found, _, err := s.Resources.SearchResources(ctx, j.Actor, q)
			if err != nil {
				return err
			}
			for _, res := range found {
				buf.Write(res.Body)
				buf.WriteByte('\n')
				if n++; n == exportFileSize {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if len(found) < q.Count {
				break
			}
			q.After = found[len(found)-1].ID
		}
		if err := flush(); err != nil {
			return err
		}
		j.Progress = fmt.Sprintf("%d of %d resource types read, %d files written", i+1, len(types), seq)
		if err := s.Exports.UpdateExport(ctx, j); err != nil {
			return err
		}
	}
	j.Status, j.Progress, j.FinishedAt = crs.ExportComplete, "complete", s.Store.Now()
	return s.Exports.UpdateExport(ctx, j)
}

// exportTyped writes the typed core's records of typ an export asks
// for: every one of the trust's (read a batch at a time as a search that
// names no patient reads them), at the patient level those of a type in
// a patient's compartment, for a group its members' records; with
// _since, those changed since (one whose change time the PAS does not
// keep is written).
func (s *Server) exportTyped(ctx context.Context, p *Principal, j *crs.ExportJob, typ string, members []string, write func(*crs.Resource) error) error {
	_, compartment := SearchParamOf(typ, "patient")
	if j.Level != "system" && !compartment {
		return nil
	}
	keep := func(res *crs.Resource) error {
		if !j.Since.IsZero() && !res.LastUpdated.IsZero() && res.LastUpdated.Before(j.Since) {
			return nil
		}
		return write(res)
	}
	keepAll := func(found []*crs.Resource, err error) error {
		for _, res := range found {
			if err != nil {
				break
			}
			err = keep(res)
		}
		return err
	}
	typed := s.typedSearch(typ)
	if j.Level == "group" {
		for _, id := range members {
			q := &search{query: crs.ResourceQuery{Type: typ, All: [][]crs.ResourceCondition{{{Param: "patient", Kind: "reference", Code: "Patient/" + id}}}}}
			if err := keepAll(typed(ctx, p, q)); err != nil {
				return err
			}
		}
		return nil
	}
	all := &search{query: crs.ResourceQuery{Type: typ}}
	if scan := s.scanOf(all); scan != nil {
		var failed error
		err := s.scanEach(ctx, p, all, scan, "", false, func(it scanned) bool {
			failed = keep(it.res)
			return failed == nil && ctx.Err() == nil
		})
		return cmp.Or(err, failed, ctx.Err())
	}
	return keepAll(typed(ctx, p, all))
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
		m.Output = append(m.Output, manifestOutput{Type: f.Type, URL: baseURL(r) + "/$export-file?" + url.Values{"_jobId": {j.ID}, "file": {strconv.Itoa(f.Seq)}}.Encode(), Count: f.Count})
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
// the requester only, with their token.
func (s *Server) handleExportFile(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if s.Exports == nil {
		return outcomeOf(http.StatusNotFound, "not-found", "this server keeps no bulk exports")
	}
	q := r.URL.Query()
	seq, err := strconv.Atoi(q.Get("file"))
	if err != nil {
		return outcomeOf(http.StatusNotFound, "not-found", "%q is not a file of the export", q.Get("file"))
	}
	b, err := s.Exports.ExportFileData(r.Context(), p.Actor, q.Get("_jobId"), seq)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/fhir+ndjson")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}
