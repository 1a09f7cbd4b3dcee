package store

import (
	"context"
	"database/sql"

	"github.com/opencrs/crs"
)

var _ crs.DocumentService = (*ClinicalService)(nil)

// documentColumns are a document's columns without its content.
const documentColumns = `id, org_id, patient_id, message_id, number, parent_number, type_code, type_name, title, status, availability, author, authenticator,
	written_at, content_type, text, size, reference, version, replaces, superseded_by, state, cancel_reason, created_at`

func scanDocument(row scanner) (*crs.Document, error) {
	var d crs.Document
	var at, created string
	err := row.Scan(&d.ID, &d.OrgID, &d.PatientID, &d.MessageID, &d.Number, &d.ParentNumber, &d.TypeCode, &d.TypeName, &d.Title, &d.Status, &d.Availability,
		&d.Author, &d.Authenticator, &at, &d.ContentType, &d.Text, &d.Size, &d.Reference, &d.Version, &d.Replaces, &d.SupersededBy, &d.State, &d.CancelReason, &created)
	d.At, d.CreatedAt = parseTime(at), parseTime(created)
	return &d, err
}

// FindDocumentByNumber returns the patient's latest version of the
// document with the number.
func (tx *Tx) FindDocumentByNumber(patientID, number string) (*crs.Document, error) {
	ds, err := queryRows(tx.ctx, tx, scanDocument, `SELECT `+documentColumns+` FROM clinical_documents
		WHERE org_id = $1 AND patient_id = $2 AND number = $3 AND superseded_by = '' ORDER BY version DESC, id DESC LIMIT 1`, tx.actor.OrgID, patientID, number)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "find document: %w", err)
	}
	if len(ds) == 0 {
		return nil, crs.Errorf(crs.ENOTFOUND, "the patient has no document numbered %s", number)
	}
	return ds[0], nil
}

// getDocument reads one version of a document of the trust in a command.
func (tx *Tx) getDocument(id string) (*crs.Document, error) {
	ds, err := queryRows(tx.ctx, tx, scanDocument, `SELECT `+documentColumns+` FROM clinical_documents WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read document: %w", err)
	}
	if len(ds) == 0 {
		return nil, crs.Errorf(crs.ENOTFOUND, "no such document")
	}
	return ds[0], nil
}

// InsertDocument files a document, replacing the version d.Replaces
// names when set.
func (tx *Tx) InsertDocument(d *crs.Document) error {
	if err := tx.clearClinicalWrite(d.PatientID); err != nil {
		return err
	}
	var prev *crs.Document
	keep := false // a new version without content keeps the content of the one it replaces
	if d.Replaces != "" {
		var err error
		if prev, err = tx.getDocument(d.Replaces); err != nil {
			return err
		}
		if prev.PatientID != d.PatientID {
			return crs.Errorf(crs.EINVALID, "document %s belongs to another patient", prev.Number)
		}
		if prev.SupersededBy != "" {
			return crs.Errorf(crs.ECONFLICT, "document %s version %d is already replaced", prev.Number, prev.Version)
		}
		if d.ContentType == "" {
			keep = true
			d.ContentType, d.Text, d.Reference, d.Size = prev.ContentType, prev.Text, prev.Reference, prev.Size
		}
	}
	if !keep {
		d.Size = len(d.Content)
		if err := d.Validate(); err != nil {
			return err
		}
	}
	if d.ID == "" {
		d.ID = crs.NewID()
	}
	d.OrgID, d.CreatedAt, d.Version, d.State = tx.actor.OrgID, tx.now, 1, crs.DocumentCurrent
	if prev != nil {
		d.Version = prev.Version + 1
	}
	var content any
	if len(d.Content) > 0 {
		content = d.Content
	}
	if d.Number == "" {
		return crs.FieldErrorf("number", "a document needs its unique document number")
	}
	if _, err := tx.Exec(`INSERT INTO clinical_documents (id, org_id, patient_id, message_id, number, parent_number, type_code, type_name, title, status, availability,
		author, authenticator, written_at, content_type, text, content, size, reference, version, replaces, state, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
		d.ID, d.OrgID, d.PatientID, d.MessageID, d.Number, d.ParentNumber, d.TypeCode, d.TypeName, d.Title, d.Status, d.Availability,
		d.Author, d.Authenticator, formatTime(d.At), d.ContentType, d.Text, content, d.Size, d.Reference, d.Version, d.Replaces, d.State, formatTime(tx.now)); err != nil {
		return crs.Errorf(crs.EINTERNAL, "file document: %w", err)
	}
	if keep {
		if _, err := tx.Exec(`UPDATE clinical_documents SET content = (SELECT content FROM clinical_documents WHERE id = $1 AND org_id = $2) WHERE id = $3 AND org_id = $2`,
			prev.ID, d.OrgID, d.ID); err != nil {
			return crs.Errorf(crs.EINTERNAL, "keep the document's content: %w", err)
		}
	}
	ev := &crs.Event{Type: crs.EventDocumentFiled, PatientID: d.PatientID, SubjectID: d.ID, EffectiveAt: d.At, Summary: "Document filed: " + d.Name()}
	if prev != nil {
		if _, err := tx.Exec(`UPDATE clinical_documents SET superseded_by = $1, state = $2 WHERE id = $3 AND org_id = $4`,
			d.ID, crs.DocumentSuperseded, prev.ID, d.OrgID); err != nil {
			return crs.Errorf(crs.EINTERNAL, "supersede document: %w", err)
		}
		ev.Type, ev.Summary = crs.EventDocumentReplaced, "Document replaced: "+d.Name()
	}
	return tx.EmitData(ev, "document", map[string]any{"document_id": d.ID, "number": d.Number, "version": d.Version, "replaces": d.Replaces, "content_type": d.ContentType})
}

// CancelDocument marks the current version of a document cancelled.
func (tx *Tx) CancelDocument(id, reason string) error {
	d, err := tx.getDocument(id)
	if err != nil {
		return err
	}
	if err := tx.clearClinicalWrite(d.PatientID); err != nil {
		return err
	}
	if d.SupersededBy != "" {
		return crs.Errorf(crs.ECONFLICT, "document %s version %d is replaced; cancel the current version", d.Number, d.Version)
	}
	if d.State == crs.DocumentCancelled {
		return crs.Errorf(crs.ECONFLICT, "document %s is already cancelled", d.Number)
	}
	if _, err := tx.Exec(`UPDATE clinical_documents SET state = $1, cancel_reason = $2 WHERE id = $3 AND org_id = $4`,
		crs.DocumentCancelled, reason, d.ID, tx.actor.OrgID); err != nil {
		return crs.Errorf(crs.EINTERNAL, "cancel document: %w", err)
	}
	return tx.EmitData(&crs.Event{Type: crs.EventDocumentCancelled, PatientID: d.PatientID, SubjectID: d.ID, Summary: "Document cancelled: " + d.Name()},
		"document", map[string]any{"document_id": d.ID, "number": d.Number, "reason": reason})
}

// FindDocuments lists the patient's documents, the latest version of
// each, newest first.
func (s *ClinicalService) FindDocuments(ctx context.Context, a crs.Actor, patientID string) ([]*crs.Document, error) {
	var out []*crs.Document
	err := s.db.View(ctx, a, crs.ActViewClinical, patientID, "documents", func(q Querier) error {
		var err error
		out, err = queryRows(ctx, q, scanDocument, `SELECT `+documentColumns+` FROM clinical_documents
			WHERE org_id = $1 AND patient_id = $2 AND superseded_by = '' ORDER BY written_at DESC, id DESC`, a.OrgID, patientID)
		return err
	})
	return out, err
}

// DocumentHistory returns every version of the document id belongs to,
// the latest first.
func (s *ClinicalService) DocumentHistory(ctx context.Context, a crs.Actor, patientID, id string) ([]*crs.Document, error) {
	var out []*crs.Document
	err := s.db.View(ctx, a, crs.ActViewClinical, patientID, "document "+id, func(q Querier) error {
		one := func(id string) (*crs.Document, error) {
			ds, err := queryRows(ctx, q, scanDocument, `SELECT `+documentColumns+` FROM clinical_documents WHERE id = $1 AND org_id = $2 AND patient_id = $3`, id, a.OrgID, patientID)
			if err != nil {
				return nil, err
			}
			if len(ds) == 0 {
				return nil, crs.Errorf(crs.ENOTFOUND, "no such document in the patient's record")
			}
			return ds[0], nil
		}
		var err error
		out, err = versions(id, one, func(d *crs.Document) (string, string) { return d.SupersededBy, d.Replaces })
		return err
	})
	return out, err
}

// GetDocument returns one version of a document with its content.
func (s *ClinicalService) GetDocument(ctx context.Context, a crs.Actor, patientID, id string) (*crs.Document, error) {
	var d *crs.Document
	err := s.db.View(ctx, a, crs.ActViewClinical, patientID, "document content "+id, func(q Querier) error {
		var content []byte
		var err error
		d, err = scanDocument(scanWith(q.QueryRowContext(ctx, `SELECT `+documentColumns+`, content FROM clinical_documents WHERE id = $1 AND org_id = $2 AND patient_id = $3`,
			id, a.OrgID, patientID), &content))
		if err == sql.ErrNoRows {
			return crs.Errorf(crs.ENOTFOUND, "no such document in the patient's record")
		}
		if err != nil {
			return err
		}
		d.Content = content
		return nil
	})
	return d, err
}

// scanWith reads a row into the destinations a scan function asks for
// and then into extra: a row with columns past a shared column list.
func scanWith(row scanner, extra ...any) scanner { return extraScanner{row, extra} }

type extraScanner struct {
	row   scanner
	extra []any
}

func (e extraScanner) Scan(dest ...any) error { return e.row.Scan(append(dest, e.extra...)...) }

// versions walks the versions of a record (a result, a document) from
// any one of them, up to the latest and back down to the first, and
// returns them latest first. one reads a version by id; links gives a
// version's successor and predecessor ("" for none).
func versions[T any](id string, one func(id string) (T, error), links func(T) (next, prev string)) ([]T, error) {
	v, err := one(id)
	if err != nil {
		return nil, err
	}
	for n := 0; n < 1000; n++ {
		next, _ := links(v)
		if next == "" {
			break
		}
		if v, err = one(next); err != nil {
			return nil, err
		}
	}
	out := []T{v}
	for len(out) < 1000 {
		_, prev := links(v)
		if prev == "" {
			break
		}
		if v, err = one(prev); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
