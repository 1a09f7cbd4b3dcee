package store

import (
	"context"
	"fmt"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// CodingService is clinical coding over SQL.
type CodingService struct{ db *DB }

// NewCodingService returns the clinical coding service over db.
func NewCodingService(db *DB) *CodingService { return &CodingService{db: db} }

var _ crs.CodingService = (*CodingService)(nil)

// LoadCodeList replaces the trust's code list of a classification.
func (s *CodingService) LoadCodeList(ctx context.Context, a crs.Actor, system string, codes []nhs.Code) (int, error) {
	if system != nhs.ICD10 && system != nhs.OPCS4 {
		return 0, crs.FieldErrorf("system", "classification %q is not icd10 or opcs4", system)
	}
	if len(codes) == 0 {
		return 0, crs.FieldErrorf("file", "the code list is empty")
	}
	for _, c := range codes {
		if n, err := nhs.Normalise(system, c.Code); err != nil || n != c.Code {
			return 0, crs.FieldErrorf("file", "code %q is not a normalised %s code", c.Code, nhs.SystemName(system))
		}
	}
	err := s.db.writeTx(ctx, a, crs.ActAdministerSettings, func(tx *Tx) error {
		if _, err := tx.Exec(`DELETE FROM terminology_codes WHERE org_id = $1 AND classification = $2`, tx.actor.OrgID, system); err != nil {
			return err
		}
		for _, c := range codes {
			if _, err := tx.Exec(`INSERT INTO terminology_codes (org_id, classification, code, description) VALUES ($1, $2, $3, $4)`,
				tx.actor.OrgID, system, c.Code, c.Description); err != nil {
				return err
			}
		}
		return tx.EmitData(&crs.Event{Type: crs.EventTerminologyLoaded, SubjectID: system,
			Summary: fmt.Sprintf("%s code list loaded: %d codes", nhs.SystemName(system), len(codes))}, "code list",
			map[string]any{"classification": system, "codes": len(codes)})
	})
	return len(codes), err
}

// LookupCode returns the description of a code on the trust's list.
func (s *CodingService) LookupCode(ctx context.Context, a crs.Actor, system, code string) (string, error) {
	if err := a.Authorize(crs.ActSearchPatients); err != nil {
		return "", err
	}
	return lookupCode(ctx, s.db.read, a.OrgID, system, code)
}

// CodeNames returns the trust's code list of a classification, description
// by code.
func (s *CodingService) CodeNames(ctx context.Context, a crs.Actor, system string) (map[string]string, error) {
	if err := a.Authorize(crs.ActSearchPatients); err != nil {
		return nil, err
	}
	out := map[string]string{}
	err := eachRow(ctx, s.db.read, func(r scanner) error {
		var c, d string
		err := r.Scan(&c, &d)
		out[c] = d
		return err
	}, `SELECT code, description FROM terminology_codes WHERE org_id = $1 AND classification = $2`, a.OrgID, system)
	return out, err
}

func lookupCode(ctx context.Context, q Querier, orgID, system, code string) (string, error) {
	var d string
	err := q.QueryRowContext(ctx, `SELECT description FROM terminology_codes WHERE org_id = $1 AND classification = $2 AND code = $3`,
		orgID, system, code).Scan(&d)
	return d, notFound(err, "%s is not on the trust's %s code list", nhs.DisplayCode(code), nhs.SystemName(system))
}

const codingColumns = `e.id, e.spell_id, e.patient_id, p.mrn, p.family_name, p.given_name, e.seq, e.consultant_code, e.treatment_function,
	e.start_at, e.end_at, e.coded_at, e.coded_by`

func scanCodingEpisode(r scanner) (*crs.CodingEpisode, error) {
	var e crs.CodingEpisode
	var fam, given, start, end, codedAt, codedBy string
	if err := r.Scan(&e.EpisodeID, &e.SpellID, &e.PatientID, &e.MRN, &fam, &given, &e.Seq, &e.ConsultantCode, &e.TreatmentFunction,
		&start, &end, &codedAt, &codedBy); err != nil {
		return nil, notFound(err, "no such consultant episode")
	}
	e.Name, e.Start, e.End = patientName(fam, given), parseTime(start), parseTime(end)
	if codedAt != "" {
		e.Coding = &crs.EpisodeCoding{EpisodeID: e.EpisodeID, CodedAt: parseTime(codedAt), CodedBy: codedBy}
	}
	return &e, nil
}

// Worklist lists the trust's finished consultant episodes not yet coded.
func (s *CodingService) Worklist(ctx context.Context, a crs.Actor, limit int) ([]*crs.CodingEpisode, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	var out []*crs.CodingEpisode
	err := s.db.view(ctx, a, crs.ActCodeEpisodes, "coding worklist", func(q Querier) (string, error) {
		var err error
		out, err = queryRows(ctx, q, scanCodingEpisode, `SELECT `+codingColumns+` FROM episodes e JOIN patients p ON p.id = e.patient_id
			JOIN spells s ON s.id = e.spell_id AND s.status <> 'cancelled'
			WHERE e.org_id = $1 AND e.coded_at = '' AND e.end_at <> '' ORDER BY e.end_at, e.id LIMIT $2`, a.OrgID, limit)
		return "", err
	})
	return out, err
}

// FindEpisode returns one consultant episode with its coding.
func (s *CodingService) FindEpisode(ctx context.Context, a crs.Actor, episodeID string) (*crs.CodingEpisode, error) {
	var e *crs.CodingEpisode
	err := s.db.view(ctx, a, crs.ActCodeEpisodes, "consultant episode coding", func(q Querier) (string, error) {
		var err error
		if e, err = findCodingEpisode(ctx, q, a.OrgID, episodeID); err != nil {
			return "", err
		}
		return e.PatientID, nil
	})
	return e, err
}

func findCodingEpisode(ctx context.Context, q Querier, orgID, id string) (*crs.CodingEpisode, error) {
	e, err := scanCodingEpisode(q.QueryRowContext(ctx, `SELECT `+codingColumns+` FROM episodes e JOIN patients p ON p.id = e.patient_id
		WHERE e.id = $1 AND e.org_id = $2`, id, orgID))
	if err != nil || e.Coding == nil {
		return e, err
	}
	err = eachRow(ctx, q, func(r scanner) error {
		var system, code, date string
		if err := r.Scan(&system, &code, &date); err != nil {
			return err
		}
		addEpisodeCode(e.Coding, system, code, date)
		return nil
	}, `SELECT classification, code, procedure_date FROM episode_codes WHERE episode_id = $1 ORDER BY classification, seq`, id)
	return e, err
}

// addEpisodeCode adds a stored code of an episode's coding to it: a
// diagnosis (ICD-10) or a procedure (OPCS-4) with its date.
func addEpisodeCode(c *crs.EpisodeCoding, system, code, date string) {
	if system == nhs.ICD10 {
		c.Diagnoses = append(c.Diagnoses, code)
		return
	}
	d, _ := crs.ParseDate(date)
	c.Procedures = append(c.Procedures, crs.ProcedureCode{Code: code, Date: d})
}

// CodeEpisode records the coding of a finished episode.
func (s *CodingService) CodeEpisode(ctx context.Context, a crs.Actor, c *crs.EpisodeCoding) error {
	if err := c.Normalise(); err != nil {
		return err
	}
	return s.db.writeTx(ctx, a, crs.ActCodeEpisodes, func(tx *Tx) error {
		e, err := findCodingEpisode(tx.ctx, tx, tx.actor.OrgID, c.EpisodeID)
		if err != nil {
			return err
		}
		if e.End.IsZero() {
			return crs.Errorf(crs.ECONFLICT, "the episode has not finished: code it once the patient leaves the consultant's care")
		}
		var es crs.Errors
		onList := func(field, system, code string) error {
			_, err := lookupCode(tx.ctx, tx, tx.actor.OrgID, system, code)
			if crs.ErrorCode(err) == crs.ENOTFOUND {
				es = append(es, crs.FieldErrorf(field, "%s", crs.ErrorMessage(err)))
				return nil
			}
			return err
		}
		for i, d := range c.Diagnoses {
			if err := onList(fmt.Sprintf("diagnosis_%d", i+1), nhs.ICD10, d); err != nil {
				return err
			}
		}
		startDay, endDay := crs.LocalDate(e.Start), crs.LocalDate(e.End)
		for i := range c.Procedures {
			p := &c.Procedures[i]
			field := fmt.Sprintf("procedure_%d", i+1)
			if err := onList(field, nhs.OPCS4, p.Code); err != nil {
				return err
			}
			if p.Date.IsZero() {
				p.Date = startDay
			}
			if p.Date.Before(startDay.Time) || p.Date.After(endDay.Time) {
				es = append(es, crs.FieldErrorf(field+"_date", "the procedure date %s is outside the episode (%s to %s)", p.Date, startDay, endDay))
			}
		}
		if err := es.Err(); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM episode_codes WHERE episode_id = $1`, e.EpisodeID); err != nil {
			return err
		}
		for i, d := range c.Diagnoses {
			if _, err := tx.Exec(`INSERT INTO episode_codes (org_id, episode_id, classification, seq, code) VALUES ($1, $2, $3, $4, $5)`,
				tx.actor.OrgID, e.EpisodeID, nhs.ICD10, i+1, d); err != nil {
				return err
			}
		}
		for i, p := range c.Procedures {
			if _, err := tx.Exec(`INSERT INTO episode_codes (org_id, episode_id, classification, seq, code, procedure_date) VALUES ($1, $2, $3, $4, $5, $6)`,
				tx.actor.OrgID, e.EpisodeID, nhs.OPCS4, i+1, p.Code, p.Date.String()); err != nil {
				return err
			}
		}
		c.CodedAt, c.CodedBy = tx.now, tx.actor.Username
		if _, err := tx.Exec(`UPDATE episodes SET coded_at = $1, coded_by = $2 WHERE id = $3`, formatTime(c.CodedAt), c.CodedBy, e.EpisodeID); err != nil {
			return err
		}
		summary := "Episode coded: " + nhs.DisplayCode(c.Diagnoses[0])
		if len(c.Procedures) > 0 {
			summary += ", " + nhs.DisplayCode(c.Procedures[0].Code)
		}
		if e.Coding != nil {
			summary = "Episode recoded: " + summary[len("Episode coded: "):]
		}
		return tx.EmitData(&crs.Event{Type: crs.EventEpisodeCoded, PatientID: e.PatientID, SubjectID: e.EpisodeID, Summary: summary}, "consultant episode coding", c)
	})
}

// Completeness counts the episodes that finished in month and how many
// of them are coded.
func (s *CodingService) Completeness(ctx context.Context, a crs.Actor, month string) (*crs.CodingCompleteness, error) {
	from, to, err := monthBounds(month)
	if err != nil {
		return nil, err
	}
	out := &crs.CodingCompleteness{Month: month}
	err = s.db.view(ctx, a, crs.ActViewReports, "coding completeness", func(q Querier) (string, error) {
		out.ByFunction, err = queryRows(ctx, q, func(r scanner) (crs.CodingLine, error) {
			var l crs.CodingLine
			err := r.Scan(&l.TreatmentFunction, &l.Finished, &l.Coded)
			return l, err
		}, `SELECT e.treatment_function, COUNT(*), SUM(CASE WHEN e.coded_at <> '' THEN 1 ELSE 0 END)
			FROM episodes e JOIN spells s ON s.id = e.spell_id AND s.status <> 'cancelled'
			WHERE e.org_id = $1 AND e.end_at >= $2 AND e.end_at < $3 GROUP BY e.treatment_function ORDER BY e.treatment_function`,
			a.OrgID, formatTime(from), formatTime(to))
		return "", err
	})
	for _, l := range out.ByFunction {
		out.Finished += l.Finished
		out.Coded += l.Coded
	}
	if out.Finished > 0 {
		out.Share = float64(out.Coded) / float64(out.Finished)
	}
	return out, err
}

// monthBounds returns the first moment of a month (YYYY-MM) in London and
// of the month after.
func monthBounds(month string) (time.Time, time.Time, error) {
	t, err := time.ParseInLocation("2006-01", month, crs.London)
	if err != nil {
		return t, t, crs.FieldErrorf("month", "month %q is not YYYY-MM, for example 2026-03", month)
	}
	return t, t.AddDate(0, 1, 0), nil
}
