package store

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// ExportService keeps the FHIR API's bulk export jobs and their files.
// A job's bookkeeping is written directly, not through the write path:
// it changes no record. Its reads of the record go through the resource
// store as the requester.
type ExportService struct{ db *DB }

// NewExportService returns the bulk export jobs on db.
func NewExportService(db *DB) *ExportService { return &ExportService{db: db} }

var _ crs.ExportStore = (*ExportService)(nil)

const exportColumns = `id, org_id, actor, grant_scopes, level, group_id, types, since, request, status, progress, error, requested_at, finished_at, options`

// exportOptions is what a job asked for beyond its types and _since, as
// its options column holds it.
type exportOptions struct {
	Patients    []string `json:"patients,omitempty"`
	Elements    []string `json:"elements,omitempty"`
	Associated  []string `json:"associated,omitempty"`
	TypeFilters []string `json:"typeFilters,omitempty"`
	Ignored     []string `json:"ignored,omitempty"`
}

func scanExport(row scanner) (*crs.ExportJob, error) {
	var j crs.ExportJob
	var org, actor, types, since, requested, finished, options string
	if err := row.Scan(&j.ID, &org, &actor, &j.Grant, &j.Level, &j.GroupID, &types, &since, &j.Request, &j.Status, &j.Progress, &j.Error, &requested, &finished, &options); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(actor), &j.Actor); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "export %s: its requester cannot be read: %w", j.ID, err)
	}
	if options != "" {
		var o exportOptions
		if err := json.Unmarshal([]byte(options), &o); err != nil {
			return nil, crs.Errorf(crs.EINTERNAL, "export %s: what it asked for cannot be read: %w", j.ID, err)
		}
		j.Patients, j.Elements, j.Associated, j.TypeFilters, j.Ignored = o.Patients, o.Elements, o.Associated, o.TypeFilters, o.Ignored
	}
	j.Actor.OrgID = org
	if types != "" {
		j.Types = strings.Split(types, ",")
	}
	j.Since, j.RequestedAt, j.FinishedAt = parseTime(since), parseTime(requested), parseTime(finished)
	return &j, nil
}

// CreateExport records a new job as accepted and audits the request.
func (s *ExportService) CreateExport(ctx context.Context, j *crs.ExportJob) error {
	if err := j.Actor.Authorize(crs.ActViewClinical); err != nil {
		s.db.refused(j.Actor, crs.ActViewClinical)
		return err
	}
	j.ID, j.Status, j.RequestedAt = crs.NewID(), crs.ExportAccepted, s.db.Clock.Now().UTC()
	actor, err := json.Marshal(j.Actor)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "record export: %w", err)
	}
	options, err := json.Marshal(exportOptions{Patients: j.Patients, Elements: j.Elements, Associated: j.Associated, TypeFilters: j.TypeFilters, Ignored: j.Ignored})
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "record export: %w", err)
	}
	if _, err := s.db.execDurable(ctx, `INSERT INTO fhir_exports (`+exportColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		j.ID, j.Actor.OrgID, string(actor), j.Grant, j.Level, j.GroupID, strings.Join(j.Types, ","), formatTime(j.Since), j.Request, j.Status, j.Progress, j.Error,
		formatTime(j.RequestedAt), formatTime(j.FinishedAt), string(options)); err != nil {
		return crs.Errorf(crs.EINTERNAL, "record export: %w", err)
	}
	s.db.Audit(j.Actor, "", crs.AuditSearch, "fhir bulk export "+j.Level+" "+j.ID)
	return nil
}

// GetExport returns a job with its files to the one who asked for it.
func (s *ExportService) GetExport(ctx context.Context, a crs.Actor, id string) (*crs.ExportJob, error) {
	j, err := scanExport(s.db.read.QueryRowContext(ctx, `SELECT `+exportColumns+` FROM fhir_exports WHERE id = $1 AND org_id = $2`, id, a.OrgID))
	if err != nil {
		return nil, notFound(err, "there is no export %s", id)
	}
	if j.Actor.UserID != a.UserID {
		return nil, crs.Errorf(crs.ENOTFOUND, "there is no export %s", id)
	}
	j.Files, err = queryRows(ctx, s.db.read, func(row scanner) (crs.ExportFile, error) {
		var f crs.ExportFile
		err := row.Scan(&f.Seq, &f.Type, &f.Count)
		return f, err
	}, `SELECT seq, type, count FROM fhir_export_files WHERE export_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read export files: %w", err)
	}
	return j, nil
}

// UpdateExport records a job's status and progress.
func (s *ExportService) UpdateExport(ctx context.Context, j *crs.ExportJob) error {
	res, err := s.db.execDurable(ctx, `UPDATE fhir_exports SET status = $1, progress = $2, error = $3, finished_at = $4 WHERE id = $5`,
		j.Status, j.Progress, j.Error, formatTime(j.FinishedAt), j.ID)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "record export progress: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return crs.Errorf(crs.ENOTFOUND, "export %s was cancelled", j.ID)
	}
	return nil
}

// AddExportFile stores one file of a job. The first file (Seq 1)
// removes any a run of the job before a restart left.
func (s *ExportService) AddExportFile(ctx context.Context, jobID string, f crs.ExportFile, ndjson []byte) error {
	if f.Seq == 1 {
		if _, err := s.db.execDurable(ctx, `DELETE FROM fhir_export_files WHERE export_id = $1`, jobID); err != nil {
			return crs.Errorf(crs.EINTERNAL, "store export file: %w", err)
		}
	}
	if _, err := s.db.execDurable(ctx, `INSERT INTO fhir_export_files (export_id, seq, type, count, body) VALUES ($1, $2, $3, $4, $5)`,
		jobID, f.Seq, f.Type, f.Count, string(ndjson)); err != nil {
		return crs.Errorf(crs.EINTERNAL, "store export file: %w", err)
	}
	return nil
}

// ExportFileData returns a file of a job to its requester and audits
// the download.
func (s *ExportService) ExportFileData(ctx context.Context, a crs.Actor, jobID string, seq int) ([]byte, error) {
	if _, err := s.GetExport(ctx, a, jobID); err != nil {
		return nil, err
	}
	var body string
	err := s.db.View(ctx, a, crs.ActViewClinical, "", "fhir bulk export "+jobID+" file "+strconv.Itoa(seq), func(q Querier) error {
		return q.QueryRowContext(ctx, `SELECT body FROM fhir_export_files WHERE export_id = $1 AND seq = $2`, jobID, seq).Scan(&body)
	})
	if err != nil {
		return nil, notFound(err, "export %s has no file %d", jobID, seq)
	}
	return []byte(body), nil
}

// DeleteExport cancels a job and removes its files.
func (s *ExportService) DeleteExport(ctx context.Context, a crs.Actor, id string) error {
	if _, err := s.GetExport(ctx, a, id); err != nil {
		return err
	}
	if _, err := s.db.execDurable(ctx, `DELETE FROM fhir_export_files WHERE export_id = $1`, id); err != nil {
		return crs.Errorf(crs.EINTERNAL, "cancel export: %w", err)
	}
	if _, err := s.db.execDurable(ctx, `DELETE FROM fhir_exports WHERE id = $1`, id); err != nil {
		return crs.Errorf(crs.EINTERNAL, "cancel export: %w", err)
	}
	s.db.Audit(a, "", crs.AuditChange, "fhir bulk export "+id+" cancelled")
	return nil
}

// PendingExports lists the jobs of every trust not yet finished.
func (s *ExportService) PendingExports(ctx context.Context) ([]*crs.ExportJob, error) {
	return queryRows(ctx, s.db.read, scanExport, `SELECT `+exportColumns+` FROM fhir_exports WHERE status IN ($1, $2) ORDER BY id`,
		crs.ExportAccepted, crs.ExportRunning)
}
