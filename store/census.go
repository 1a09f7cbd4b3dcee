package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// wardOfBed maps each active bed of the trust to its ward (through a bay
// if it is in one), and counts each ward's beds.
func wardBeds(ctx context.Context, q Querier, orgID string) (wards []*crs.BedBoardWard, byID map[string]*crs.BedBoardWard, err error) {
	byID = map[string]*crs.BedBoardWard{}
	if wards, err = queryRows(ctx, q, func(r scanner) (*crs.BedBoardWard, error) {
		w := &crs.BedBoardWard{}
		return w, r.Scan(&w.WardID, &w.WardCode, &w.WardName, &w.SiteID, &w.SiteName)
	}, `SELECT w.id, w.code, w.name, COALESCE(s.id, ''), COALESCE(s.name, '') FROM locations w LEFT JOIN locations s ON s.id = w.parent_id
		WHERE w.org_id = $1 AND w.kind = 'ward' AND w.active = 1 ORDER BY w.code`, orgID); err != nil {
		return nil, nil, err
	}
	for _, w := range wards {
		byID[w.WardID] = w
	}
	rows, err := q.QueryContext(ctx, `SELECT b.id, b.code, b.status, p.id, p.kind, p.parent_id, p.code FROM locations b JOIN locations p ON p.id = b.parent_id
		WHERE b.org_id = $1 AND b.kind = 'bed' AND b.active = 1 ORDER BY b.code`, orgID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var bed crs.BedBoardBed
		var parent, kind, grand, status, parentCode string
		if err := rows.Scan(&bed.BedID, &bed.BedCode, &status, &parent, &kind, &grand, &parentCode); err != nil {
			return nil, nil, err
		}
		bed.Status = crs.BedStatus(status)
		ward := parent
		if kind == string(crs.LocationBay) {
			ward, bed.BayID, bed.BayCode = grand, parent, parentCode
		}
		if w := byID[ward]; w != nil {
			w.Beds = append(w.Beds, &bed)
		}
	}
	return wards, byID, rows.Err()
}

// BedBoard lists every ward's beds, occupied or free, with the patient,
// consultant and expected date of discharge.
func (s *InpatientService) BedBoard(ctx context.Context, a crs.Actor) ([]*crs.BedBoardWard, error) {
	return s.bedBoard(ctx, a, "")
}

// WardBoard lists one ward's beds as BedBoard does; only its patients are
// read and recorded as listed.
func (s *InpatientService) WardBoard(ctx context.Context, a crs.Actor, wardID string) (*crs.BedBoardWard, error) {
	if wardID == "" {
		return nil, crs.Errorf(crs.ENOTFOUND, "There is no such ward")
	}
	wards, err := s.bedBoard(ctx, a, wardID)
	if err != nil {
		return nil, err
	}
	return wards[0], nil
}

// bedBoard reads the beds of the ward wardID, or of every ward when "",
// with the patient in each.
func (s *InpatientService) bedBoard(ctx context.Context, a crs.Actor, wardID string) ([]*crs.BedBoardWard, error) {
	var wards []*crs.BedBoardWard
	what := "bed board"
	query := `SELECT bs.ward_id, bs.bed_id, s.id, s.patient_id, p.mrn, p.family_name, p.given_name, s.consultant_code,
			s.admitted_at, s.expected_discharge, s.status, p.gender, p.birth_date
			FROM bed_stays bs JOIN spells s ON s.id = bs.spell_id JOIN patients p ON p.id = s.patient_id
			WHERE bs.org_id = $1 AND bs.is_current = 1`
	args := []any{a.OrgID}
	if wardID != "" {
		what = "ward beds"
		query += ` AND bs.ward_id = $2`
		args = append(args, wardID)
	}
	err := s.db.view(ctx, a, crs.ActViewDemographics, what, func(q Querier) (string, error) {
		var err error
		wards, err = s.db.boardStays(ctx, q, a.OrgID, func(rows *sql.Rows, ward, bedID *string, occ *crs.BedBoardBed) error {
			var fam, given, admitted, expected, status, born string
			if err := rows.Scan(ward, bedID, &occ.SpellID, &occ.PatientID, &occ.MRN, &fam, &given, &occ.ConsultantCode, &admitted, &expected, &status, &occ.Gender, &born); err != nil {
				return err
			}
			occ.BirthDate = parseDate(born)
			occ.Name, occ.AdmittedAt, occ.ExpectedDischarge, occ.OnLeave = patientName(fam, given), parseTime(admitted), parseDate(expected), status == crs.SpellOnLeave
			return nil
		}, query, args...)
		if err != nil {
			return "", err
		}
		if wardID != "" {
			i := slices.IndexFunc(wards, func(w *crs.BedBoardWard) bool { return w.WardID == wardID })
			if i < 0 {
				return "", crs.Errorf(crs.ENOTFOUND, "There is no such ward")
			}
			wards = wards[i : i+1]
		}
		if !a.Can(crs.ActViewClinical) {
			return "", nil
		}
		return "", s.readBedFlags(ctx, q, a, wards, wardID)
	})
	if err == nil {
		var ids, flagged []string
		for _, w := range wards {
			for _, b := range append(w.Beds, w.Unbedded...) {
				ids = append(ids, b.PatientID)
				if len(b.Flags) > 0 {
					flagged = append(flagged, b.PatientID)
				}
			}
		}
		s.db.recordListed(a, ids, what)
		s.db.recordListed(a, flagged, what+" flags")
	}
	return wards, err
}

// WardSummaries counts each ward's beds, occupied, free and closed, and
// its patients whose expected date of discharge is today or past, from
// the current bed stays and their spells' expected discharge alone.
func (s *InpatientService) WardSummaries(ctx context.Context, a crs.Actor) ([]*crs.WardSummary, error) {
	var out []*crs.WardSummary
	err := s.db.view(ctx, a, crs.ActViewDemographics, "ward summary", func(q Querier) (string, error) {
		wards, err := s.db.boardStays(ctx, q, a.OrgID, func(rows *sql.Rows, ward, bedID *string, occ *crs.BedBoardBed) error {
			var expected string
			err := rows.Scan(ward, bedID, &occ.SpellID, &expected)
			occ.ExpectedDischarge = parseDate(expected)
			return err
		}, `SELECT bs.ward_id, bs.bed_id, s.id, s.expected_discharge FROM bed_stays bs JOIN spells s ON s.id = bs.spell_id
			WHERE bs.org_id = $1 AND bs.is_current = 1`, a.OrgID)
		if err != nil {
			return "", err
		}
		today := localDate(s.db.Clock.Now())
		out = make([]*crs.WardSummary, len(wards))
		for i, w := range wards {
			sum := &crs.WardSummary{WardID: w.WardID, WardCode: w.WardCode, WardName: w.WardName, SiteID: w.SiteID, SiteName: w.SiteName,
				Beds: len(w.Beds), Occupied: w.Occupied - len(w.Unbedded), Unbedded: len(w.Unbedded)}
			for _, b := range append(w.Beds, w.Unbedded...) {
				switch {
				case b.SpellID != "":
					if d := b.ExpectedDischarge; !d.IsZero() && !d.After(today.Time) {
						sum.AwaitingDischarge++
					}
				case b.Open():
					sum.Free++
				default:
					sum.Closed++
				}
			}
			out[i] = sum
		}
		return "", nil
	})
	return out, err
}

// readBedFlags puts on each occupied bed of the board the flags its
// patient's current problems raise (crs.BedFlagConcepts), in one query
// for the whole board. A flag is clinical content: it is read only for
// patients the actor may see the clinical record of without opening it
// on purpose, that is not sealed and with whom the actor has a
// legitimate relationship (store/access.go's rule, one place).
func (s *InpatientService) readBedFlags(ctx context.Context, q Querier, a crs.Actor, wards []*crs.BedBoardWard, wardID string) error {
	now := s.db.Clock.Now().UTC()
	args := []any{a.OrgID}
	var codes []string
	for c := range crs.BedFlagConcepts {
		args = append(args, c)
		codes = append(codes, fmt.Sprintf("$%d", len(args)))
	}
	query := `SELECT DISTINCT s.patient_id, i.code FROM bed_stays bs JOIN spells s ON s.id = bs.spell_id
		JOIN fhir_current c ON c.org_id = bs.org_id AND c.type = 'Condition' AND c.patient_id = s.patient_id AND c.deleted = 0
		JOIN fhir_index i ON i.rid = c.rid AND i.param = 'code'
			AND i.system = 'http://snomed.info/sct' AND i.code IN (` + strings.Join(codes, ", ") + `)
		WHERE bs.org_id = $1 AND bs.is_current = 1
		AND EXISTS (SELECT 1 FROM fhir_index v WHERE v.rid = c.rid
			AND v.param = 'clinical-status' AND v.code IN ('active', 'recurrence', 'relapse'))
		AND NOT EXISTS (SELECT 1 FROM fhir_index v WHERE v.rid = c.rid
			AND v.param = 'verification-status' AND v.code IN ('refuted', 'entered-in-error'))
		AND NOT EXISTS (SELECT 1 FROM patient_seals ps WHERE ps.org_id = bs.org_id AND ps.patient_id = s.patient_id AND ps.lifted_at = '')`
	if wardID != "" {
		args = append(args, wardID)
		query += fmt.Sprintf(" AND bs.ward_id = $%d", len(args))
	}
	flags := map[string]map[string]bool{}
	if err := eachRow(ctx, q, func(r scanner) error {
		var pid, code string
		if err := r.Scan(&pid, &code); err != nil {
			return err
		}
		if flags[pid] == nil {
			flags[pid] = map[string]bool{}
		}
		flags[pid][crs.BedFlagConcepts[code]] = true
		return nil
	}, query, args...); err != nil {
		return err
	}
	// Only for the patients the rule of a legitimate relationship lets
	// the actor see (store/access.go).
	for pid := range flags {
		grants, err := activeGrants(ctx, q, a, pid, now)
		if err != nil {
			return err
		}
		ok, err := legitimate(ctx, q, a, pid, now, grants)
		if err != nil {
			return err
		}
		if !ok {
			delete(flags, pid)
		}
	}
	for _, w := range wards {
		for _, b := range append(w.Beds, w.Unbedded...) {
			for _, f := range crs.BedFlags {
				if b.SpellID != "" && flags[b.PatientID][f.Flag] {
					b.Flags = append(b.Flags, f.Flag)
				}
			}
		}
	}
	return nil
}

// WardBeds lists every ward's beds as the bed board does, each occupied
// one with its spell alone: no patient's details are read.
func (s *InpatientService) WardBeds(ctx context.Context, a crs.Actor) ([]*crs.BedBoardWard, error) {
	var wards []*crs.BedBoardWard
	err := s.db.view(ctx, a, crs.ActViewDemographics, "ward beds", func(q Querier) (string, error) {
		var err error
		wards, err = s.db.boardStays(ctx, q, a.OrgID, func(rows *sql.Rows, ward, bedID *string, occ *crs.BedBoardBed) error {
			return rows.Scan(ward, bedID, &occ.SpellID)
		}, `SELECT ward_id, bed_id, spell_id FROM bed_stays WHERE org_id = $1 AND is_current = 1`, a.OrgID)
		return "", err
	})
	return wards, err
}

// estateWardBeds returns the trust's wards and beds as wardBeds reads
// them, from the settings cache: the estate changes only by the commands
// that add or change a location (CreateLocation, UpdateLocation, a
// migration's wards), and each of them forgets it (settingsChanged). The
// bed board, the ward and bed pickers of the admission and spell pages
// ask for it on every page. Each caller gets copies of its own to fill.
func (db *DB) estateWardBeds(ctx context.Context, orgID string) ([]*crs.BedBoardWard, map[string]*crs.BedBoardWard, error) {
	key := "ward beds " + orgID
	v, gen, ok := db.settings.get(key)
	if !ok {
		wards, _, err := wardBeds(ctx, db.read, orgID)
		if err != nil {
			return nil, nil, err
		}
		db.settings.put(key, gen, wards)
		v = wards
	}
	kept := v.([]*crs.BedBoardWard)
	wards := make([]*crs.BedBoardWard, len(kept))
	byID := make(map[string]*crs.BedBoardWard, len(kept))
	for i, k := range kept {
		w := *k
		w.Beds = make([]*crs.BedBoardBed, len(k.Beds))
		for j, b := range k.Beds {
			bed := *b
			w.Beds[j] = &bed
		}
		wards[i], byID[w.WardID] = &w, &w
	}
	return wards, byID, nil
}

// boardStays reads the trust's wards and beds and puts each current stay
// that query finds with args (scanned by scan, with its ward and bed) in
// its bed, or among its ward's patients without a bed.
func (db *DB) boardStays(ctx context.Context, q Querier, orgID string, scan func(rows *sql.Rows, ward, bedID *string, occ *crs.BedBoardBed) error, query string, args ...any) ([]*crs.BedBoardWard, error) {
	wards, byID, err := db.estateWardBeds(ctx, orgID)
	if err != nil {
		return nil, err
	}
	beds := map[string]*crs.BedBoardBed{}
	for _, w := range wards {
		for _, b := range w.Beds {
			beds[b.BedID] = b
		}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var ward, bedID string
		var occ crs.BedBoardBed
		if err := scan(rows, &ward, &bedID, &occ); err != nil {
			return nil, err
		}
		w := byID[ward]
		if w == nil {
			continue
		}
		w.Occupied++
		if b := beds[bedID]; b != nil {
			occ.BedID, occ.BedCode, occ.Status, occ.BayID, occ.BayCode = b.BedID, b.BedCode, b.Status, b.BayID, b.BayCode
			*b = occ
		} else {
			o := occ
			w.Unbedded = append(w.Unbedded, &o)
		}
	}
	return wards, rows.Err()
}

// censusTime is 23:59:59 UK time on the night's date.
func censusTime(night crs.Date) time.Time {
	return time.Date(night.Year(), night.Month(), night.Day(), 23, 59, 59, 0, crs.London).UTC()
}

// recordCensus takes the midnight census of a night.
func (s *InpatientService) RecordCensus(ctx context.Context, a crs.Actor, night crs.Date) ([]*crs.CensusWard, error) {
	var out []*crs.CensusWard
	err := s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		var err error
		out, err = recordCensus(tx, night)
		return err
	})
	return out, err
}

// recordCensus takes the census within a command. It works from the
// effective times of bed stays, so a past night can be taken (or taken
// again after late entries) and gives the same answer each time. The
// wards' beds are kept with the night's first census (census_beds) and
// not changed when it is taken again.
func recordCensus(tx *Tx, night crs.Date) ([]*crs.CensusWard, error) {
	if night.IsZero() {
		return nil, crs.FieldErrorf("night", "say which night")
	}
	at := censusTime(night)
	if at.After(tx.now) {
		return nil, crs.FieldErrorf("night", "the night of %s has not reached midnight yet", night.Display())
	}
	found, err := censusFound(tx.ctx, tx, tx.actor.OrgID, night)
	if err != nil {
		return nil, err
	}
	wards, byID, err := wardBeds(tx.ctx, tx, tx.actor.OrgID)
	if err != nil {
		return nil, err
	}
	beds, err := nightBeds(tx, night, wards)
	if err != nil {
		return nil, err
	}
	counts := map[string]*crs.CensusWard{}
	for _, w := range wards {
		counts[w.WardID] = &crs.CensusWard{Night: night, WardID: w.WardID, WardCode: w.WardCode, Beds: len(w.Beds)}
	}
	var again int
	if err := tx.QueryRow(censusTakenSQL,
		tx.actor.OrgID, "census:"+night.String(), crs.EventCensusRecorded).Scan(&again); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`DELETE FROM census WHERE org_id = $1 AND night = $2`, tx.actor.OrgID, dateText(night)); err != nil {
		return nil, err
	}
	for _, r := range found {
		if _, err := tx.Exec(`INSERT INTO census (id, org_id, night, ward_id, bed_id, spell_id, patient_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			crs.NewID(), tx.actor.OrgID, dateText(night), r.ward, r.bed, r.spell, r.patient); err != nil {
			return nil, err
		}
		c := counts[r.ward]
		if c == nil {
			c = &crs.CensusWard{Night: night, WardID: r.ward}
			counts[r.ward] = c
		}
		c.Occupied++
		c.SpellIDs = append(c.SpellIDs, r.spell)
	}
	out := make([]*crs.CensusWard, 0, len(counts))
	total := 0
	for _, c := range counts {
		if c.WardCode == "" && byID[c.WardID] != nil {
			c.WardCode = byID[c.WardID].WardCode
		}
		total += c.Occupied
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].WardCode < out[j].WardCode })
	data := censusData{Night: night.String(), Occupied: make(map[string]int, len(out)), Beds: map[string]int{}, Available: map[string]int{}}
	for _, c := range out {
		data.Occupied[c.WardCode] = c.Occupied
	}
	for _, w := range wards {
		b := beds[w.WardID]
		data.Beds[w.WardCode], data.Available[w.WardCode] = b.Beds, b.Available
		if b.DayOnly {
			data.DayOnly = append(data.DayOnly, w.WardCode)
		}
	}
	verb := "Midnight census"
	if again > 0 {
		verb = "Midnight census taken again"
	}
	err = tx.EmitData(&crs.Event{Type: crs.EventCensusRecorded, SubjectID: "census:" + night.String(), EffectiveAt: at,
		Summary: fmt.Sprintf("%s of %s: %s in %s", verb, night.Display(), crs.Count(total, "patient", "patients"), crs.Count(len(out), "ward", "wards"))},
		"midnight census", data)
	return out, err
}

// censusRow is one patient in a bed in a census.
type censusRow struct{ ward, bed, spell, patient string }

func scanCensusRow(s scanner) (r censusRow, err error) {
	err = s.Scan(&r.ward, &r.bed, &r.spell, &r.patient)
	return r, err
}

// censusFound finds the patients in a bed at the census time of the night
// from the bed stays' effective times, in ward, bed and spell order.
func censusFound(ctx context.Context, q Querier, orgID string, night crs.Date) ([]censusRow, error) {
	return queryRows(ctx, q, scanCensusRow, `SELECT bs.ward_id, bs.bed_id, bs.spell_id, bs.patient_id FROM bed_stays bs JOIN spells s ON s.id = bs.spell_id
		WHERE bs.org_id = $1 AND bs.cancelled = 0 AND s.status <> 'cancelled' AND bs.start_at <= $2 AND (bs.end_at = '' OR bs.end_at > $2)
		ORDER BY bs.ward_id, bs.bed_id, bs.spell_id`, orgID, formatTime(censusTime(night)))
}

// censusChanged says whether the census of the night taken now would find
// other patients in bed than the census taken already did.
func censusChanged(ctx context.Context, q Querier, orgID string, night crs.Date) (bool, error) {
	found, err := censusFound(ctx, q, orgID, night)
	if err != nil {
		return false, err
	}
	was, err := queryRows(ctx, q, scanCensusRow, `SELECT ward_id, bed_id, spell_id, patient_id FROM census WHERE org_id = $1 AND night = $2
		ORDER BY ward_id, bed_id, spell_id`, orgID, dateText(night))
	return err == nil && !slices.Equal(was, found), err
}

// censusData is the data of a census event: per ward code, the patients
// in a bed, the beds and the beds available, and the day-only wards.
// Events of censuses taken before the beds were kept hold only Occupied.
type censusData struct {
	Night     string         `json:"night"`
	Occupied  map[string]int `json:"occupied"`
	Beds      map[string]int `json:"beds,omitempty"`
	Available map[string]int `json:"available,omitempty"`
	DayOnly   []string       `json:"day_only,omitempty"`
}

// nightBeds returns each ward's beds on the night: those kept with the
// night's census when it was first taken, or else the wards' beds as they
// stand now, which it keeps for the night.
func nightBeds(tx *Tx, night crs.Date, wards []*crs.BedBoardWard) (map[string]crs.KH03NightBeds, error) {
	out := map[string]crs.KH03NightBeds{}
	if err := eachRow(tx.ctx, tx, func(r scanner) error {
		var ward string
		var b crs.KH03NightBeds
		var dayOnly int
		if err := r.Scan(&ward, &b.Beds, &b.Available, &dayOnly); err != nil {
			return err
		}
		b.DayOnly = dayOnly == 1
		out[ward] = b
		return nil
	}, `SELECT ward_id, beds, available, day_only FROM census_beds WHERE org_id = $1 AND night = $2`, tx.actor.OrgID, dateText(night)); err != nil {
		return nil, err
	}
	if len(out) > 0 {
		return out, nil
	}
	dayOnly := map[string]bool{}
	if err := eachRow(tx.ctx, tx, func(r scanner) error {
		var id string
		var d int
		err := r.Scan(&id, &d)
		dayOnly[id] = d == 1
		return err
	}, `SELECT id, day_only FROM locations WHERE org_id = $1 AND kind = 'ward' AND active = 1`, tx.actor.OrgID); err != nil {
		return nil, err
	}
	for _, w := range wards {
		b := crs.KH03NightBeds{Beds: len(w.Beds), DayOnly: dayOnly[w.WardID]}
		for _, bed := range w.Beds {
			if bed.Status == crs.BedAvailable {
				b.Available++
			}
		}
		out[w.WardID] = b
		if _, err := tx.Exec(`INSERT INTO census_beds (org_id, night, ward_id, beds, available, day_only) VALUES ($1, $2, $3, $4, $5, $6)`,
			tx.actor.OrgID, dateText(night), w.WardID, b.Beds, b.Available, oneIf(b.DayOnly)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
