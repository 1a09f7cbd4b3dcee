package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// CDSSource reads a period's activity for the Commissioning Data Set
// extracts and keeps what each extract sent.
type CDSSource struct {
	db *DB
	// PageSize is how many records of an extract a query reads;
	// cdsPageSize when 0.
	PageSize int
}

// NewCDSSource returns the CDS extracts' source over db.
func NewCDSSource(db *DB) *CDSSource { return &CDSSource{db: db} }

var _ crs.CDSSource = (*CDSSource)(nil)

// cdsPatientColumns are the patient's columns every CDS record carries.
const cdsPatientColumns = `p.id, p.mrn, p.nhs_number, p.nhs_status, p.postcode, p.birth_date, p.gender, p.ethnic_category, p.gp_practice_code`

func (p *cdsPatientScan) dest() []any {
	return []any{&p.ID, &p.MRN, &p.NHSNumber, &p.status, &p.Postcode, &p.birth, &p.Gender, &p.EthnicCategory, &p.GPPracticeCode}
}

type cdsPatientScan struct {
	crs.CDSPatient
	status, birth string
}

func (p *cdsPatientScan) patient() crs.CDSPatient {
	p.NHSNumberStatus = nhs.NumberStatus(p.status)
	p.BirthDate, _ = crs.ParseDate(p.birth)
	return p.CDSPatient
}

// dayBounds returns the first moment of from and of the day after to, in
// London, as stored times.
func dayBounds(from, to crs.Date) (string, string) {
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, crs.London)
	end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, crs.London).AddDate(0, 0, 1)
	return formatTime(start), formatTime(end)
}

// cdsView is a read of a period's records for an extract: access checked
// and audited as a report.
func (s *CDSSource) cdsView(ctx context.Context, a crs.Actor, what string, fn func(q Querier) error) error {
	return s.db.view(ctx, a, crs.ActViewReports, what, func(q Querier) (string, error) { return "", fn(q) })
}

// cdsPageSize is how many records of an extract are read a query: the
// records an extract holds are a page's and the next's, whatever the
// length of the period.
const cdsPageSize = 1000

func (s *CDSSource) pageSize() int {
	if s.PageSize > 0 {
		return s.PageSize
	}
	return cdsPageSize
}

// EmergencyCareRecords hands each A&E attendance that arrived on the days
// to each, in order of arrival.
func (s *CDSSource) EmergencyCareRecords(ctx context.Context, a crs.Actor, from, to crs.Date, each func(*crs.CDSEmergencyCareRecord) error) error {
	lo, hi := dayBounds(from, to)
	return s.cdsView(ctx, a, "emergency care CDS extract", func(q Querier) error {
		var deptType string
		err := q.QueryRowContext(ctx, `SELECT ed_type FROM locations WHERE org_id = $1 AND kind = 'ed' AND ed_type <> '' AND active = 1 ORDER BY ed_type, code LIMIT 1`,
			a.OrgID).Scan(&deptType)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return eachPage(ctx, q, keyset{keys: []string{"e.arrived_at", "e.id"}}, `SELECT e.arrived_at, `+prefixed("e.", edColumns)+`, `+cdsPatientColumns+`
			FROM ed_attendances e JOIN patients p ON p.id = e.patient_id
			WHERE e.org_id = $1 AND e.arrived_at >= $2 AND e.arrived_at < $3`, []any{a.OrgID, lo, hi}, 1, s.pageSize(),
			func(r scanner) (*crs.CDSEmergencyCareRecord, []string, error) {
				var p cdsPatientScan
				var arrived string
				e, err := scanED(scanFunc(func(dest ...any) error {
					return r.Scan(append(append([]any{&arrived}, dest...), p.dest()...)...)
				}))
				if err != nil {
					return nil, nil, err
				}
				return &crs.CDSEmergencyCareRecord{Attendance: e, Patient: p.patient(), DepartmentType: deptType}, []string{arrived, e.ID}, nil
			}, nil, func(page []*crs.CDSEmergencyCareRecord) error { return eachOf(page, each) })
	})
}

// eachOf hands the records of a page to each in turn.
func eachOf[T any](page []T, each func(T) error) error {
	for _, r := range page {
		if err := each(r); err != nil {
			return err
		}
	}
	return nil
}

// rttStatusText writes a stored RTT status as its two digits, "" for none.
func rttStatusText(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf("%02d", n)
}

// cdsPathway makes the pathway data of a record from its columns; nil
// when the activity is on no pathway.
func cdsPathway(ppi, issuer, start, stop string, status, last int) *crs.CDSPathway {
	if ppi == "" {
		return nil
	}
	pw := &crs.CDSPathway{PPI: ppi, PPIIssuer: issuer, Status: rttStatusText(status), Measurement: "01"}
	if pw.Status == "" {
		pw.Status = rttStatusText(last)
	}
	if pw.Status == "" {
		pw.Status = "99" // not yet known
	}
	pw.Start, _ = crs.ParseDate(start)
	pw.End, _ = crs.ParseDate(stop)
	return pw
}

// cdsPeriods are the RTT periods of the pathways a period's records are
// on, by pathway id, each period's start and end (zero while the clock
// runs). A pathway can hold several periods one after another on one PPI
// (the second side of a bilateral procedure, a new treatment decision;
// Annex C): a record carries the start and end dates of the period of
// its own activity, not the pathway's latest. They are read once for the
// extract, before its pages: a page's own query of the events of its
// pathways would have PostgreSQL scan all the events for every page when
// it judges a scan cheaper than a thousand look-ups.
type cdsPeriods map[string][]cdsPeriod

type cdsPeriod struct{ start, end crs.Date }

// readPeriods works out the periods of the pathways pathways selects
// (SQL, with args; $1 the trust) from their events, read in one query in
// pathway and recorded order.
func readPeriods(ctx context.Context, q Querier, pathways string, args ...any) (cdsPeriods, error) {
	out := cdsPeriods{}
	var cur string
	var events []rtt.Event
	done := func() {
		if cur == "" {
			return
		}
		clocks := rtt.Periods(events, farFuture)
		ps := make([]cdsPeriod, len(clocks))
		for i, c := range clocks {
			ps[i].start = crs.DateOf(c.Start)
			if !c.Running {
				ps[i].end = crs.DateOf(c.Stop)
			}
		}
		out[cur] = ps
	}
	err := eachRow(ctx, q, func(r scanner) error {
		var id, date, kind string
		var st int
		var e rtt.Event
		if err := r.Scan(&id, &date, &kind, &st, &e.Ref, &e.Note); err != nil {
			return err
		}
		if id != cur {
			done()
			cur, events = id, events[:0]
		}
		e.Date, e.Kind, e.Status = parseDate(date).Time, rttKinds[kind], rtt.Status(st)
		events = append(events, e)
		return nil
	}, `SELECT pathway_id, event_date, kind, status, ref, note FROM rtt_events
		WHERE pathway_id IN (`+pathways+`) AND org_id = $1 AND removed_at = '' ORDER BY pathway_id, seq`, args...)
	if err != nil {
		return nil, err
	}
	done()
	return out, nil
}

// set sets the period dates of a record's pathway data: the last period
// of its pathway that started on or before the activity.
func (c cdsPeriods) set(pw *crs.CDSPathway, pathwayID string, on crs.Date) {
	if pw == nil {
		return
	}
	periods := c[pathwayID]
	if len(periods) == 0 {
		return
	}
	p := periods[0]
	for _, x := range periods[1:] {
		if !x.start.After(on.Time) {
			p = x
		}
	}
	pw.Start, pw.End = p.start, p.end
}

// OutpatientRecords hands each outpatient appointment of the days that
// was attended, missed or cancelled to each, in order of its time.
func (s *CDSSource) OutpatientRecords(ctx context.Context, a crs.Actor, from, to crs.Date, each func(*crs.CDSOutpatientRecord) error) error {
	lo, hi := dayBounds(from, to)
	return s.cdsView(ctx, a, "outpatient CDS extract", func(q Querier) error {
		periods, err := readPeriods(ctx, q, `SELECT a.pathway_id FROM appointments a WHERE a.org_id = $1 AND a.start_at >= $2 AND a.start_at < $3
			AND a.status IN ('attended', 'dna', 'cancelled') AND a.pathway_id <> ''`, a.OrgID, lo, hi)
		if err != nil {
			return err
		}
		return eachPage(ctx, q, keyset{keys: []string{"a.start_at", "a.id"}}, `SELECT a.id, a.start_at, a.status, a.cancelled_by, a.kind, a.next_step,
				c.code, c.consultant_code, c.treatment_function, c.specialty, r.priority, r.source, r.received_on, r.referrer_code, r.referrer_org,
				COALESCE(pw.id, ''), COALESCE(pw.ppi, ''), COALESCE(pw.ppi_issuer, ''), COALESCE(pw.clock_start, ''), COALESCE(pw.clock_stop, ''), a.rtt_status,
				COALESCE(pw.last_status, 0), `+cdsPatientColumns+`
			FROM appointments a JOIN clinics c ON c.id = a.clinic_id JOIN referrals r ON r.id = a.referral_id JOIN patients p ON p.id = a.patient_id
			LEFT JOIN pathways pw ON pw.id = a.pathway_id
			WHERE a.org_id = $1 AND a.start_at >= $2 AND a.start_at < $3 AND a.status IN ('attended', 'dna', 'cancelled')`, []any{a.OrgID, lo, hi}, 1, s.pageSize(),
			func(r scanner) (*crs.CDSOutpatientRecord, []string, error) {
				var o crs.CDSOutpatientRecord
				var p cdsPatientScan
				var at, received, pwID, ppi, issuer, start, stop string
				var status, last int
				if err := r.Scan(append([]any{&o.AppointmentID, &at, &o.Status, &o.CancelledBy, &o.Kind, &o.NextStep, &o.ClinicCode, &o.ConsultantCode,
					&o.TreatmentFunction, &o.Specialty, &o.Priority, &o.ReferralSource, &received, &o.ReferrerCode, &o.ReferrerOrg,
					&pwID, &ppi, &issuer, &start, &stop, &status, &last}, p.dest()...)...); err != nil {
					return nil, nil, err
				}
				o.At, o.Patient, o.Pathway = parseTime(at), p.patient(), cdsPathway(ppi, issuer, start, stop, status, last)
				periods.set(o.Pathway, pwID, localDate(o.At))
				o.ReferralReceived, _ = crs.ParseDate(received)
				return &o, []string{at, o.AppointmentID}, nil
			}, nil, func(page []*crs.CDSOutpatientRecord) error { return eachOf(page, each) })
	})
}

// EpisodeRecords hands each consultant episode that finished on the days,
// with its coding, to each, in order of its end.
func (s *CDSSource) EpisodeRecords(ctx context.Context, a crs.Actor, from, to crs.Date, each func(*crs.CDSEpisodeRecord) error) error {
	lo, hi := dayBounds(from, to)
	return s.cdsView(ctx, a, "admitted patient care CDS extract", func(q Querier) error {
		periods, err := readPeriods(ctx, q, `SELECT s.pathway_id FROM episodes e JOIN spells s ON s.id = e.spell_id AND s.status <> 'cancelled'
			WHERE e.org_id = $1 AND e.end_at >= $2 AND e.end_at < $3 AND s.pathway_id <> ''`, a.OrgID, lo, hi)
		if err != nil {
			return err
		}
		byID := map[string]*crs.CDSEpisodeRecord{}
		return eachPage(ctx, q, keyset{keys: []string{"e.end_at", "e.id"}}, `SELECT e.id, e.seq, e.start_at, e.end_at, e.consultant_code, e.treatment_function,
				e.coded_at, e.coded_by, s.id, s.visit_number, s.admitted_at, s.admission_method, s.admission_source, s.patient_class, s.discharged_at,
				s.discharge_method, s.discharge_destination,
				COALESCE(pw.id, ''), COALESCE(pw.ppi, ''), COALESCE(pw.ppi_issuer, ''), COALESCE(pw.clock_start, ''), COALESCE(pw.clock_stop, ''), COALESCE(pw.last_status, 0),
				`+cdsPatientColumns+`
			FROM episodes e JOIN spells s ON s.id = e.spell_id AND s.status <> 'cancelled' JOIN patients p ON p.id = e.patient_id
			LEFT JOIN pathways pw ON pw.id = s.pathway_id
			WHERE e.org_id = $1 AND e.end_at >= $2 AND e.end_at < $3`, []any{a.OrgID, lo, hi}, 1, s.pageSize(),
			func(r scanner) (*crs.CDSEpisodeRecord, []string, error) {
				var e crs.CDSEpisodeRecord
				var p cdsPatientScan
				var admitted, discharged, start, end, codedAt, codedBy, pwID, ppi, issuer, cstart, cstop string
				var last int
				if err := r.Scan(append([]any{&e.EpisodeID, &e.Seq, &start, &end, &e.ConsultantCode, &e.TreatmentFunction, &codedAt, &codedBy,
					&e.SpellID, &e.VisitNumber, &admitted, &e.AdmissionMethod, &e.AdmissionSource, &e.PatientClass, &discharged, &e.DischargeMethod,
					&e.DischargeDestination, &pwID, &ppi, &issuer, &cstart, &cstop, &last}, p.dest()...)...); err != nil {
					return nil, nil, err
				}
				e.Start, e.End, e.AdmittedAt, e.DischargedAt = parseTime(start), parseTime(end), parseTime(admitted), parseTime(discharged)
				e.Patient, e.Pathway = p.patient(), cdsPathway(ppi, issuer, cstart, cstop, 0, last)
				periods.set(e.Pathway, pwID, localDate(e.AdmittedAt))
				e.LastInSpell = !e.DischargedAt.IsZero() && e.End.Equal(e.DischargedAt)
				if codedAt != "" {
					e.Coding = &crs.EpisodeCoding{EpisodeID: e.EpisodeID, CodedAt: parseTime(codedAt), CodedBy: codedBy}
					byID[e.EpisodeID] = &e
				}
				return &e, []string{end, e.EpisodeID}, nil
			}, func([]*crs.CDSEpisodeRecord) error {
				defer clear(byID)
				return episodeCodes(ctx, q, byID)
			}, func(page []*crs.CDSEpisodeRecord) error { return eachOf(page, each) })
	})
}

// episodeCodes reads the diagnoses and procedures of the coded episodes
// of byID, in the order the coder gave them.
func episodeCodes(ctx context.Context, q Querier, byID map[string]*crs.CDSEpisodeRecord) error {
	if len(byID) == 0 {
		return nil
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	args, in := withIDs(nil, ids)
	return eachRow(ctx, q, func(r scanner) error {
		var id, system, code, date string
		if err := r.Scan(&id, &system, &code, &date); err != nil {
			return err
		}
		if e := byID[id]; e != nil {
			addEpisodeCode(e.Coding, system, code, date)
		}
		return nil
	}, `SELECT episode_id, classification, code, procedure_date FROM episode_codes WHERE episode_id IN `+in+` ORDER BY episode_id, classification, seq`, args...)
}

// SentCDS lists what was last sent of a CDS type for the period.
func (s *CDSSource) SentCDS(ctx context.Context, a crs.Actor, cdsType string, from, to crs.Date) (map[string]crs.CDSSent, error) {
	out := map[string]crs.CDSSent{}
	err := s.cdsView(ctx, a, "CDS submissions", func(q Querier) error {
		return eachRow(ctx, q, func(r scanner) error {
			var c crs.CDSSent
			var day string
			var deleted int
			if err := r.Scan(&c.UniqueID, &day, &c.Checksum, &deleted); err != nil {
				return err
			}
			c.ActivityDate, _ = crs.ParseDate(day)
			c.Deleted = deleted == 1
			out[c.UniqueID] = c
			return nil
		}, `SELECT unique_id, activity_date, checksum, deleted FROM cds_sent WHERE org_id = $1 AND cds_type = $2 AND activity_date >= $3 AND activity_date <= $4`,
			a.OrgID, cdsType, from.String(), to.String())
	})
	return out, err
}

// RecordCDSSent records what an extract sent, many records a statement
// (insertRows: anonymous parameters on SQLite, whose named ones cost a
// search of the statement's names each).
func (s *CDSSource) RecordCDSSent(ctx context.Context, a crs.Actor, cdsType string, sent []crs.CDSSent, summary string) error {
	return s.db.writeTx(ctx, a, crs.ActViewReports, func(tx *Tx) error {
		now := formatTime(tx.now)
		args := make([]any, 0, 7*len(sent))
		for _, c := range sent {
			args = append(args, tx.actor.OrgID, cdsType, c.UniqueID, c.ActivityDate.String(), c.Checksum, oneIf(c.Deleted), now)
		}
		if err := insertRows(tx, "cds_sent", `org_id, cds_type, unique_id, activity_date, checksum, deleted, sent_at`, 7, args,
			` ON CONFLICT (org_id, cds_type, unique_id) DO UPDATE SET activity_date = excluded.activity_date, checksum = excluded.checksum,
				deleted = excluded.deleted, sent_at = excluded.sent_at`); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventCDSExtracted, SubjectID: cdsType, Summary: summary}, "CDS extract",
			map[string]any{"cds_type": cdsType, "records": len(sent), "summary": summary})
	})
}
