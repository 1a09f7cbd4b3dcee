package fhir

import (
	"context"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// An inpatient spell's Encounter says what the PAS knows of the stay as
// UK Core places it: how the patient was admitted (the admission method,
// an extension of hospitalization) and from where (admitSource), how
// and where to they were discharged (the discharge method, an extension
// of the Encounter, and dischargeDisposition), each a code of the NHS
// Data Dictionary in UK Core's England code system; every ward and bed
// of the stay in order with its period (location, the ward's type in
// UK Core's encounter location types), and every consultant episode
// (participant, the consultant attending, with its period). References
// to wards, beds and consultants carry their names.

// UK Core's extensions and code systems of an inpatient Encounter.
const (
	extAdmissionMethod     = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod"
	extDischargeMethod     = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod"
	extCorrectionReason    = "https://opencrs.org/fhir/StructureDefinition/correction-reason"
	csAdmissionMethod      = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland"
	csSourceOfAdmission    = "https://fhir.hl7.org.uk/CodeSystem/UKCore-SourceOfAdmissionEngland"
	csDischargeMethod      = "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland"
	csDischargeDestination = "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland"
	csEncounterLocation    = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EncounterLocationTypeEngland"
	csLocationPhysical     = "http://terminology.hl7.org/CodeSystem/location-physical-type"
	csParticipationType    = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	extBookingOrganization = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-BookingOrganization"
	csAppointmentReason    = "http://terminology.hl7.org/CodeSystem/v2-0276"
)

// coreNames are the names the references of what the PAS serves carry,
// read once for a page of resources: the wards, beds and clinic rooms
// (places), the consultants, and the clinics of appointments.
type coreNames struct {
	places      map[string]*crs.Location
	consultants map[string]string
	clinics     map[string]*crs.Clinic
}

// spellNames gives spells their episodes and stays where they were read
// without (a patient's spells, a search's), and finds the names of the
// wards, beds and consultants they name, in one read of each whatever
// the number of spells.
func spellNames(s *Server, ctx context.Context, a crs.Actor, spells []*crs.Spell) (*coreNames, error) {
	var bare []*crs.Spell
	for _, sp := range spells {
		if sp.Episodes == nil && sp.Stays == nil {
			bare = append(bare, sp)
		}
	}
	if len(bare) > 0 {
		if err := s.Core.Inpatients.SpellHistories(ctx, a, bare); err != nil {
			return nil, err
		}
	}
	var ids []string
	consultants := false
	for _, sp := range spells {
		ids = append(ids, sp.WardID, sp.BedID)
		for _, b := range sp.Stays {
			ids = append(ids, b.WardID, b.BedID)
		}
		consultants = consultants || sp.ConsultantCode != "" || len(sp.Episodes) > 0
	}
	nm := &coreNames{}
	var err error
	if nm.places, err = s.Core.Orgs.FindLocationsByID(ctx, a, ids); err != nil {
		return nil, err
	}
	if consultants {
		// The consultants' names are the clinics', read once a request
		// with its appointments' (clinicMemo).
		memo := memoOf(ctx)
		memo.mu.Lock()
		err := memo.loadClinics(s, ctx, a)
		nm.consultants = memo.consultants
		memo.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	return nm, nil
}

// spellEncounters serves spells as Encounters, their names found first.
func spellEncounters(s *Server, ctx context.Context, a crs.Actor, spells []*crs.Spell) ([]*crs.Resource, error) {
	nm, err := spellNames(s, ctx, a, spells)
	if err != nil {
		return nil, err
	}
	return mapAll(spells, nm.encounter, nil)
}

// hospitalization is how the patient came to be admitted and, once
// discharged, how and to where they left; nil when nothing is known.
func hospitalization(sp *crs.Spell) map[string]any {
	h := map[string]any{}
	if sp.AdmissionMethod != "" {
		h["extension"] = []any{map[string]any{"url": extAdmissionMethod, "valueCodeableConcept": ukCoreCode(csAdmissionMethod, sp.AdmissionMethod, nhs.AdmissionMethods)}}
	}
	if sp.AdmissionSource != "" {
		h["admitSource"] = ukCoreCode(csSourceOfAdmission, sp.AdmissionSource, nhs.AdmissionSources)
	}
	if sp.DischargeDestination != "" && !sp.DischargedAt.IsZero() {
		h["dischargeDisposition"] = ukCoreCode(csDischargeDestination, sp.DischargeDestination, nhs.DischargeDestinations)
	}
	if len(h) == 0 {
		return nil
	}
	return h
}

// ukCoreCode is a code of the NHS Data Dictionary in UK Core's code
// system of it, named as that code system names it (what a validator
// checks a display against), or as the Data Dictionary's list does for
// a code UK Core's does not hold (one retired since).
func ukCoreCode(system, code string, list []nhs.Code) map[string]any {
	for _, c := range codeSystemTable[system].Concepts {
		if c.Code == code {
			return codeable(system, code, c.Display)
		}
	}
	name, _ := nhs.Lookup(list, code)
	return codeable(system, code, name)
}

// dischargeMethod is the extension saying how the patient was
// discharged, nil before discharge.
func dischargeMethod(sp *crs.Spell) []any {
	if sp.DischargeMethod == "" || sp.DischargedAt.IsZero() {
		return nil
	}
	return []any{map[string]any{"url": extDischargeMethod, "valueCodeableConcept": ukCoreCode(csDischargeMethod, sp.DischargeMethod, nhs.DischargeMethods)}}
}

// locations are the wards and beds of the stay in order, each with its
// period: a ward once for each run of stays on it (a move of bed within
// the ward keeps the ward's period going), a bed for each stay in one.
// One still occupied is active, one left completed. A spell with no
// stays recorded (one migrated from a legacy PAS) has its current ward
// and bed without a period.
func (nm *coreNames) locations(sp *crs.Spell) []any {
	var out []any
	open := sp.DischargedAt.IsZero() && sp.Status != crs.SpellCancelled
	entry := func(id string, start, end time.Time, ward bool) map[string]any {
		e := map[string]any{"location": nm.location(id)}
		if ward {
			e["physicalType"] = map[string]any{"coding": []any{
				codingOf(csEncounterLocation, "E02", "Ward"), codingOf(csLocationPhysical, "wa", "Ward")}}
		} else {
			e["physicalType"] = codeable(csLocationPhysical, "bd", "Bed")
		}
		if !start.IsZero() {
			e["period"] = period(start, end)
			if end.IsZero() && open {
				e["status"] = "active"
			} else {
				e["status"] = "completed"
			}
		}
		return e
	}
	if len(sp.Stays) == 0 {
		if sp.WardID != "" {
			out = append(out, entry(sp.WardID, time.Time{}, time.Time{}, true))
		}
		if sp.BedID != "" {
			out = append(out, entry(sp.BedID, time.Time{}, time.Time{}, false))
		}
		return out
	}
	// Runs of stays on one ward, each its ward's entry followed by its
	// beds'.
	for i := 0; i < len(sp.Stays); {
		j := i + 1
		for j < len(sp.Stays) && sp.Stays[j].WardID == sp.Stays[i].WardID {
			j++
		}
		run := sp.Stays[i:j]
		out = append(out, entry(run[0].WardID, run[0].Start, nm.stayEnd(sp, run[len(run)-1], open), true))
		for _, b := range run {
			if b.BedID != "" {
				out = append(out, entry(b.BedID, b.Start, nm.stayEnd(sp, b, open), false))
			}
		}
		i = j
	}
	return out
}

// stayEnd is when a stay ended: its own end, or the discharge of a
// spell ended without its last stay closed.
func (nm *coreNames) stayEnd(sp *crs.Spell, b *crs.BedStay, open bool) time.Time {
	if b.End.IsZero() && !open {
		return sp.DischargedAt
	}
	return b.End
}

// location is a reference to a ward or bed with its name.
func (nm *coreNames) location(id string) map[string]any {
	r := ref("Location", id)
	if l := nm.places[id]; l != nil && l.Name != "" {
		r["display"] = l.Name
	}
	return r
}

// consultant is a reference to a consultant with their name, where a
// clinic of the trust gives it.
func (nm *coreNames) consultant(code string) map[string]any {
	r := consultantRef(code)
	if name := nm.consultants[code]; name != "" {
		r["display"] = name
	}
	return r
}

// participants are the consultant episodes of the stay in order, each
// consultant attending for its period; a spell with no episodes recorded
// has its current consultant.
func (nm *coreNames) participants(sp *crs.Spell) []any {
	attender := []any{codeable(csParticipationType, "ATND", "attender")}
	if len(sp.Episodes) == 0 {
		if sp.ConsultantCode == "" {
			return nil
		}
		return []any{map[string]any{"type": attender, "individual": nm.consultant(sp.ConsultantCode)}}
	}
	out := make([]any, 0, len(sp.Episodes))
	for _, e := range sp.Episodes {
		end := e.End
		if end.IsZero() && !sp.DischargedAt.IsZero() {
			end = sp.DischargedAt
		}
		out = append(out, map[string]any{"type": attender, "individual": nm.consultant(e.ConsultantCode), "period": period(e.Start, end)})
	}
	return out
}
