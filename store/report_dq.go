package store

import (
	"context"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// The data quality checks, one query each, over live (unmerged) patients.

// dqCheck is one check: its query (the trust's id is $1, today $2 and the
// date 30 days ago $3; each row patient id, record id, detail) and the
// kind of record it finds.
type dqCheck struct {
	check, kind, query string
	keep               func(detail string) bool // nil keeps every row
}

var dqChecks = []dqCheck{
	{crs.DQNHSNumberUntraced, "patient", `SELECT id, id, CASE WHEN nhs_number = '' THEN 'no NHS number' ELSE 'NHS number status ' || nhs_status END
		FROM patients WHERE org_id = $1 AND merged_into = '' AND (nhs_number = '' OR nhs_status <> '01') ORDER BY mrn`, nil},
	{crs.DQNHSNumberInvalid, "patient", `SELECT id, id, nhs_number FROM patients WHERE org_id = $1 AND merged_into = '' AND nhs_number <> '' ORDER BY mrn`,
		func(n string) bool { return !nhs.ValidNumber(n) }},
	{crs.DQNoEthnicity, "patient", `SELECT id, id, 'no ethnic category' FROM patients WHERE org_id = $1 AND merged_into = '' AND ethnic_category IN ('', '99') ORDER BY mrn`, nil},
	{crs.DQNoGP, "patient", `SELECT id, id, 'no registered GP practice' FROM patients WHERE org_id = $1 AND merged_into = '' AND gp_practice_code = '' ORDER BY mrn`, nil},
	{crs.DQNoPostcode, "patient", `SELECT id, id, 'no postcode' FROM patients WHERE org_id = $1 AND merged_into = '' AND postcode = '' ORDER BY mrn`, nil},
	{crs.DQNoNameOrBirthDate, "patient", `SELECT id, id, CASE WHEN birth_date = '' THEN 'no date of birth' WHEN family_name = '' THEN 'no family name' ELSE 'no given name' END
		FROM patients WHERE org_id = $1 AND merged_into = '' AND (birth_date = '' OR family_name = '' OR given_name = '') ORDER BY mrn`, nil},
	{crs.DQUnoutcomed, "appointment", `SELECT patient_id, id, status || ' ' || substr(start_at, 1, 10) || ', no outcome' FROM appointments
		WHERE org_id = $1 AND status IN ('attended', 'dna') AND outcomed_at = '' ORDER BY start_at`, nil},
	{crs.DQPathwayNoStatus, "pathway", `SELECT patient_id, id, 'clock running since ' || clock_start || ', last status not known' FROM pathways
		WHERE org_id = $1 AND clock_state = 'running' AND last_status IN (0, 99) ORDER BY clock_start`, nil},
	{crs.DQReferralNoWorklist, "referral", `SELECT r.patient_id, r.id, 'received ' || r.received_on || ', on no worklist' FROM referrals r
		WHERE r.org_id = $1 AND r.status = 'open' AND r.worklist = ''
		AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.referral_id = r.id AND a.live = 1 AND a.status IN ('booked', 'checked_in'))
		AND NOT EXISTS (SELECT 1 FROM waiting_list_entries w WHERE w.referral_id = r.id AND w.status IN ('waiting', 'suspended'))
		ORDER BY r.received_on`, nil},
	{crs.DQFollowUpOverdue, "referral", `SELECT patient_id, id, 'follow-up due ' || follow_up_due FROM referrals
		WHERE org_id = $1 AND status = 'open' AND worklist = 'follow_up_due' AND follow_up_due <> '' AND follow_up_due < $2 ORDER BY follow_up_due`, nil},
}

// dqLinks is the page of each kind of record.
var dqLinks = map[string]string{"patient": "/patients/", "appointment": "/appointments/", "pathway": "/pathways/", "referral": "/referrals/", "spell": "/spells/"}

// EachDataQualityItem runs every check as of today.
func (s *ReportSource) EachDataQualityItem(ctx context.Context, a crs.Actor, today crs.Date, fn func(*crs.DQItem) error) error {
	return s.db.view(ctx, a, crs.ActViewReports, "data quality checks", func(q Querier) (string, error) {
		args := []any{a.OrgID, today.String(), today.AddDate(0, 0, -30).Format("2006-01-02")}
		var it crs.DQItem
		for _, c := range dqChecks {
			query, n := c.query, 1
			if c.check == crs.DQFollowUpOverdue {
				n = 2
			}
			if err := eachRow(ctx, q, func(r scanner) error {
				it = crs.DQItem{Check: c.check, RecordKind: c.kind}
				if err := r.Scan(&it.PatientID, &it.RecordID, &it.Detail); err != nil {
					return err
				}
				if c.keep != nil && !c.keep(it.Detail) {
					return nil
				}
				if c.check == crs.DQNHSNumberInvalid {
					it.Detail = "NHS number fails the Modulus 11 check"
				}
				it.Link = dqLinks[c.kind] + it.RecordID
				return fn(&it)
			}, query, args[:n]...); err != nil {
				return "", err
			}
		}
		return "", uncodedAdmissions(ctx, q, a.OrgID, today.AddDate(0, 0, -30), fn)
	})
}

// uncodedAdmissions finds the spells discharged more than 30 days before
// today none of whose consultant episodes is clinically coded.
func uncodedAdmissions(ctx context.Context, q Querier, orgID string, before time.Time, fn func(*crs.DQItem) error) error {
	coded, err := codedSpells(ctx, q, orgID)
	if err != nil {
		return err
	}
	var it crs.DQItem
	return eachRow(ctx, q, func(r scanner) error {
		var discharged string
		if err := r.Scan(&it.PatientID, &it.RecordID, &discharged); err != nil {
			return err
		}
		if coded[it.RecordID] {
			return nil
		}
		it.Check, it.RecordKind, it.Link = crs.DQAdmissionUncoded, "spell", dqLinks["spell"]+it.RecordID
		it.Detail = "discharged " + discharged[:10] + ", no coded episode"
		return fn(&it)
	}, `SELECT patient_id, id, discharged_at FROM spells WHERE org_id = $1 AND status = 'discharged' AND discharged_at <> '' AND discharged_at < $2 ORDER BY discharged_at`,
		orgID, formatTime(before))
}

// codedSpells returns the spells with at least one consultant episode a
// clinical coder has coded.
func codedSpells(ctx context.Context, q Querier, orgID string) (map[string]bool, error) {
	coded := map[string]bool{}
	err := eachRow(ctx, q, func(r scanner) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		coded[id] = true
		return nil
	}, `SELECT DISTINCT spell_id FROM episodes WHERE org_id = $1 AND coded_at <> ''`, orgID)
	return coded, err
}

// EachDiagnosticRequest calls fn with each diagnostic request requested on
// or before last, by test and date.
func (s *ReportSource) EachDiagnosticRequest(ctx context.Context, a crs.Actor, last crs.Date, fn func(*crs.DiagnosticRequest) error) error {
	return s.db.view(ctx, a, crs.ActViewReports, "diagnostic requests for DM01", func(q Querier) (string, error) {
		return "", eachRow(ctx, q, func(r scanner) error {
			d, err := scanDiagnostic(r)
			if err != nil {
				return err
			}
			return fn(d)
		}, `SELECT `+diagnosticColumns+` FROM diagnostic_requests WHERE org_id = $1 AND requested_on <= $2 ORDER BY test, requested_on, id`, a.OrgID, last.String())
	})
}
