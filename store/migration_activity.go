package store

import (
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// MigrateEDAttendances writes past A&E attendances as the legacy system
// held them, arrival to departure, many to a statement.
func (tx *Tx) MigrateEDAttendances(es []*crs.EDAttendance) error {
	now := formatTime(tx.now)
	args := make([]any, 0, len(es)*23)
	for _, e := range es {
		e.OrgID = tx.actor.OrgID
		if e.ID == "" {
			e.ID = crs.NewID()
		}
		if e.Status == "" {
			e.Status = crs.EDDeparted
		}
		e.CreatedAt = tx.now
		args = append(args, e.ID, e.OrgID, e.PatientID, formatTime(e.ArrivedAt), e.ArrivalMode, e.Complaint, e.TriageCategory,
			formatTime(e.TriagedAt), e.Location, formatTime(e.SeenAt), e.SeenBy, formatTime(e.DecisionToAdmitAt), e.AdmitSpecialty,
			formatTime(e.DepartedAt), e.Departure, e.DischargeDestination, e.SpellID, e.Status, now,
			e.AttendanceCategory, e.ChiefComplaint, e.Acuity, e.DischargeStatus)
	}
	if err := insertRows(tx, "ed_attendances", edColumns, 23, args, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write A&E attendances: %w", err)
	}
	return nil
}

// MigrateDischargedSpells writes past spells that ended in discharge,
// each with its consultant episodes, its bed stays and the coding of its
// episodes (codings, by episode id; codes written without the dot), each
// coded episode marked with its coder and time, many to a statement.
func (tx *Tx) MigrateDischargedSpells(ss []*crs.Spell, codings []*crs.EpisodeCoding) error {
	now := formatTime(tx.now)
	coded := make(map[string]*crs.EpisodeCoding, len(codings))
	for _, c := range codings {
		if c.CodedBy == "" {
			c.CodedBy = tx.actor.Username
		}
		if c.CodedAt.IsZero() {
			c.CodedAt = tx.now
		}
		coded[c.EpisodeID] = c
	}
	var spells, episodes, stays, codes []any
	for _, sp := range ss {
		sp.OrgID = tx.actor.OrgID
		if sp.ID == "" {
			sp.ID = crs.NewID()
		}
		sp.Status, sp.CreatedAt, sp.UpdatedAt = crs.SpellDischarged, tx.now, tx.now
		if sp.PatientClass == "" {
			sp.PatientClass = "1"
		}
		spells = append(spells, sp.ID, sp.OrgID, sp.PatientID, sp.PathwayID, sp.AdmissionMethod, sp.AdmissionSource, sp.PatientClass,
			oneIf(sp.ForTreatment), formatTime(sp.AdmittedAt), sp.WardID, sp.BedID, sp.ConsultantCode, sp.TreatmentFunction, sp.Status,
			formatTime(sp.DischargedAt), sp.DischargeMethod, sp.DischargeDestination, now, now, sp.VisitNumber)
		for _, e := range sp.Episodes {
			if e.ID == "" {
				e.ID = crs.NewID()
			}
			var codedAt, codedBy string
			if c := coded[e.ID]; c != nil {
				codedAt, codedBy = formatTime(c.CodedAt), c.CodedBy
			}
			episodes = append(episodes, e.ID, sp.OrgID, sp.ID, sp.PatientID, e.Seq, e.ConsultantCode, e.TreatmentFunction,
				formatTime(e.Start), formatTime(e.End), codedAt, codedBy)
		}
		for _, b := range sp.Stays {
			if b.ID == "" {
				b.ID = crs.NewID()
			}
			stays = append(stays, b.ID, sp.OrgID, sp.ID, sp.PatientID, b.Seq, b.WardID, b.BedID, formatTime(b.Start), formatTime(b.End), 0)
		}
	}
	if err := insertRows(tx, "spells", `id, org_id, patient_id, pathway_id, admission_method, admission_source, patient_class, for_treatment,
		admitted_at, ward_id, bed_id, consultant_code, treatment_function, status, discharged_at, discharge_method, discharge_destination,
		created_at, updated_at, visit_number`, 20, spells, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write spells: %w", err)
	}
	if err := insertRows(tx, "episodes", `id, org_id, spell_id, patient_id, seq, consultant_code, treatment_function, start_at, end_at,
		coded_at, coded_by`, 11, episodes, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write episodes: %w", err)
	}
	if err := insertRows(tx, "bed_stays", `id, org_id, spell_id, patient_id, seq, ward_id, bed_id, start_at, end_at, is_current`,
		10, stays, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write bed stays: %w", err)
	}
	for _, c := range codings {
		for i, d := range c.Diagnoses {
			codes = append(codes, tx.actor.OrgID, c.EpisodeID, nhs.ICD10, i+1, d, "")
		}
		for i, p := range c.Procedures {
			codes = append(codes, tx.actor.OrgID, c.EpisodeID, nhs.OPCS4, i+1, p.Code, p.Date.String())
		}
	}
	if err := insertRows(tx, "episode_codes", `org_id, episode_id, classification, seq, code, procedure_date`, 6, codes, ""); err != nil {
		return crs.Errorf(crs.EINTERNAL, "write episode codes: %w", err)
	}
	return nil
}
