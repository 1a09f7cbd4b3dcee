package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// patientPage is the data of a patient's record page.
type patientPage struct {
	pageData
	Patient      *crs.Patient
	DeleteReason string // as typed, when the delete of a registration in error is shown again
	Journey      bool   // the journey services are set up
	Pathways     []*referralSummary
	Entries      []*crs.WaitingListEntry
	Spells       []*crs.Spell
	Planned      []*crs.Preadmission // pending planned admissions (pre-admissions)
	Wards        map[string]string   // ward id → "CODE Name", for the planned admissions
	Bed          map[string]string   // spell id → "WARD bed B01"
	ED           []*crs.EDAttendance
	Clinical     bool // results and documents are switched on
	Lists        bool // the problem list, allergies and timeline are switched on
	Notes        bool // clinical notes and clinic letters are switched on
	Orders       bool // ordering tests is switched on

	Observations bool // observations and NEWS2 are switched on
}

// referralSummary is a referral on the record page with its pathway's
// clock and appointments.
type referralSummary struct {
	Referral     *crs.Referral
	Pathway      *crs.Pathway
	Clock        *crs.PathwayClock
	Appointments []*crs.Appointment
}

// handlePatient shows a patient's record: the banner, demographics,
// contacts, the patient's journey (referrals with their RTT clocks,
// appointments, waiting list, planned admissions, current spell and A&E
// attendance) and the
// actions the user's role allows.
func (s *Server) handlePatient(w http.ResponseWriter, r *http.Request) error {
	page, err := s.patientPage(r)
	if err != nil {
		return err
	}
	return s.render(w, r, "patient", page)
}

// patientPage reads what the record page shows.
func (s *Server) patientPage(r *http.Request) (*patientPage, error) {
	p, b, err := s.findPatient(r)
	if err != nil {
		return nil, err
	}
	page := &patientPage{Patient: p}
	page.Title, page.Banner = "Patient record", b
	page.Clinical = s.Results != nil && s.Documents != nil
	page.Lists = s.Problems != nil && s.Allergies != nil && s.Terminology != nil
	page.Notes = s.Notes != nil
	page.Orders = s.Orders != nil
	page.Observations = s.Observations != nil
	if s.needJourney() == nil {
		page.Journey = true
		if err := s.loadJourney(r, page); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// loadJourney reads the patient's journey for the record page.
func (s *Server) loadJourney(r *http.Request, page *patientPage) error {
	a, ctx, id := actorOf(r), r.Context(), page.Patient.ID
	refs, err := s.Referrals.FindReferrals(ctx, a, id)
	if err != nil {
		return err
	}
	today := crs.LocalDate(s.now())
	for _, ref := range refs {
		rs := &referralSummary{Referral: ref}
		if ref.PathwayID != "" {
			if rs.Clock, err = s.Referrals.PathwayClock(ctx, a, ref.PathwayID, today); err != nil {
				return err
			}
			rs.Pathway = rs.Clock.Pathway
		}
		if rs.Appointments, err = s.Outpatients.FindAppointments(ctx, a, ref.ID); err != nil {
			return err
		}
		page.Pathways = append(page.Pathways, rs)
	}
	if page.Entries, err = s.WaitingList.FindWaitingListEntries(ctx, a, id); err != nil {
		return err
	}
	if page.Spells, err = s.Inpatients.FindSpells(ctx, a, id); err != nil {
		return err
	}
	planned, err := s.Inpatients.FindPreadmissions(ctx, a, id)
	if err != nil {
		return err
	}
	for _, p := range planned {
		if p.Status == crs.PreadmissionPending {
			page.Planned = append(page.Planned, p)
		}
	}
	if err := s.namePlaces(r, page); err != nil {
		return err
	}
	page.ED, err = s.ED.FindAttendances(ctx, a, id)
	return err
}

// namePlaces names the ward and bed of each current spell of the record
// page ("AMU Acute Medical Unit, bed B01") and the ward of each planned
// admission, reading only those locations. Only active wards and beds
// are named, as on the bed board.
func (s *Server) namePlaces(r *http.Request, page *patientPage) error {
	var ids []string
	for _, sp := range page.Spells {
		if sp.Status == crs.SpellAdmitted || sp.Status == crs.SpellOnLeave {
			ids = append(ids, sp.WardID, sp.BedID)
		}
	}
	for _, p := range page.Planned {
		ids = append(ids, p.WardID)
	}
	page.Bed, page.Wards = map[string]string{}, map[string]string{}
	if len(ids) == 0 {
		return nil
	}
	locs, err := s.Orgs.FindLocationsByID(r.Context(), actorOf(r), ids)
	if err != nil {
		return err
	}
	ward := func(id string) string { return wardName(locs[id]) }
	for _, p := range page.Planned {
		if name := ward(p.WardID); name != "" {
			page.Wards[p.WardID] = name
		}
	}
	for _, sp := range page.Spells {
		if sp.Status != crs.SpellAdmitted && sp.Status != crs.SpellOnLeave {
			continue
		}
		where := ward(sp.WardID)
		if where == "" {
			continue
		}
		if b := locs[sp.BedID]; b != nil && b.Kind == crs.LocationBed && b.Active {
			where += ", bed " + b.Code
		}
		page.Bed[sp.ID] = where
	}
	return nil
}

// wardName writes a ward as pages name it, "CODE Name"; "" for anything
// but an active ward (nil included).
func wardName(w *crs.Location) string {
	if w == nil || w.Kind != crs.LocationWard || !w.Active {
		return ""
	}
	return w.Code + " " + w.Name
}
