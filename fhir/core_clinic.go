package fhir

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// The trust's outpatient clinics are served as Schedules, their slots as
// Slots, and the consultants who hold them as Practitioners with a
// PractitionerRole each: the sets a trust has few enough of to read
// whole, but for the slots, which a search reads clinic by clinic.

// SystemClinicCode identifies a clinic by its code on clinic lists.
const SystemClinicCode = "https://opencrs.org/Id/clinic-code"

// Id prefixes of the clinics, slots and consultants' roles.
const (
	prefixClinic = "clinic-" // a clinic, as a Schedule
	prefixSlot   = "slot-"   // a slot of a clinic, as a Slot
	prefixRole   = "role-"   // a consultant's role in the trust, by consultant code
)

func init() {
	coreMappings["Schedule"] = &coreMapping{prefixes: []string{prefixClinic}, external: true,
		read: readSchedule, search: searchSchedules, params: []string{"_id"}, sharesRows: true}
	coreMappings["Slot"] = &coreMapping{prefixes: []string{prefixSlot}, external: true,
		read: readSlot, search: searchSlots, params: []string{"_id"}, sharesRows: true}
	coreMappings["PractitionerRole"] = &coreMapping{prefixes: []string{prefixRole}, external: true,
		read: readRole, search: searchRoles, params: []string{"_id"}, sharesRows: true}
}

// clinicSchedule is a clinic as a Schedule: its consultant and room are
// its actors.
func clinicSchedule(c *crs.Clinic) (*crs.Resource, error) {
	r := Resource{"resourceType": "Schedule", "id": prefixClinic + c.ID, "active": c.Active,
		"identifier": []any{map[string]any{"system": SystemClinicCode, "value": c.Code}}, "comment": c.Name}
	var actors []any
	if c.ConsultantCode != "" {
		actors = append(actors, consultantRef(c.ConsultantCode))
	}
	if c.LocationID != "" {
		actors = append(actors, ref("Location", c.LocationID))
	}
	if actors == nil {
		actors = append(actors, ref("Organization", trustID))
	}
	r["actor"] = actors
	if c.Specialty != "" {
		r["specialty"] = []any{map[string]any{"text": c.Specialty}}
	}
	if c.TreatmentFunction != "" {
		r["serviceType"] = []any{map[string]any{"text": c.TreatmentFunction}}
	}
	return served(r, c.CreatedAt, "")
}

// slotResource is a slot of a clinic as a Slot, busy while a live
// appointment holds it.
func slotResource(sl *crs.Slot) (*crs.Resource, error) {
	status := "free"
	if sl.Booked {
		status = "busy"
	}
	r := Resource{"resourceType": "Slot", "id": prefixSlot + sl.ID, "schedule": ref("Schedule", prefixClinic+sl.ClinicID), "status": status,
		"start": sl.Start.UTC().Format(time.RFC3339), "end": sl.End.UTC().Format(time.RFC3339)}
	if sl.Type != "" {
		r["appointmentType"] = map[string]any{"text": strings.ReplaceAll(sl.Type, "_", " ")}
	}
	return served(r, time.Time{}, "")
}

// consultantRole is a consultant's role in the trust as a
// PractitionerRole: the specialties and rooms of their clinics.
func consultantRole(code string, clinics []*crs.Clinic) (*crs.Resource, error) {
	r := Resource{"resourceType": "PractitionerRole", "id": prefixRole + code, "active": true,
		"identifier":   []any{map[string]any{"system": SystemConsultantCode, "value": code}},
		"practitioner": consultantRef(code), "organization": ref("Organization", trustID),
		"code": []any{map[string]any{"text": "Consultant"}}}
	var specialties, locations []any
	seen := map[string]bool{}
	for _, c := range clinics {
		if c.ConsultantCode != code {
			continue
		}
		if c.Specialty != "" && !seen["s"+c.Specialty] {
			seen["s"+c.Specialty] = true
			specialties = append(specialties, map[string]any{"text": c.Specialty})
		}
		if c.LocationID != "" && !seen["l"+c.LocationID] {
			seen["l"+c.LocationID] = true
			locations = append(locations, ref("Location", c.LocationID))
		}
	}
	if specialties != nil {
		r["specialty"] = specialties
	}
	if locations != nil {
		r["location"] = locations
	}
	return served(r, time.Time{}, "")
}

// clinicsOf lists the trust's clinics in id order.
func clinicsOf(s *Server, ctx context.Context, p *Principal) ([]*crs.Clinic, error) {
	cs, err := s.Core.Outpatients.FindClinics(ctx, p.Actor)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cs, func(a, b *crs.Clinic) int { return strings.Compare(a.ID, b.ID) })
	return cs, nil
}

// consultantsOf are the consultants who hold the clinics, by code, with
// their names.
func consultantsOf(clinics []*crs.Clinic) (codes []string, names map[string]string) {
	names = map[string]string{}
	for _, c := range clinics {
		if c.ConsultantCode == "" {
			continue
		}
		if _, ok := names[c.ConsultantCode]; !ok {
			codes = append(codes, c.ConsultantCode)
		}
		if c.ConsultantName != "" {
			names[c.ConsultantCode] = c.ConsultantName
		}
	}
	slices.Sort(codes)
	return codes, names
}

func readSchedule(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	cs, err := clinicsOf(s, ctx, p)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if prefixClinic+c.ID == id {
			return clinicSchedule(c)
		}
	}
	return nil, crs.Errorf(crs.ENOTFOUND, "Schedule/%s is not a clinic of the trust", id)
}

func searchSchedules(s *Server, ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error) {
	if err := checkParams(q, coreMappings["Schedule"]); err != nil {
		return nil, err
	}
	cs, err := clinicsOf(s, ctx, p)
	if err != nil {
		return nil, err
	}
	all, err := mapAll(cs, clinicSchedule, nil)
	if err != nil {
		return nil, err
	}
	return filterServed(all, q.query.All, &q.query)
}

func readSlot(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	sls, err := s.Core.Outpatients.FindSlots(ctx, p.Actor, crs.SlotQuery{ID: strings.TrimPrefix(id, prefixSlot), Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(sls) == 0 {
		return nil, crs.Errorf(crs.ENOTFOUND, "Slot/%s is not a slot of the trust's clinics", id)
	}
	return slotResource(sls[0])
}

// searchSlots finds the slots a search names by _id; any other search
// of the trust's slots is a scan (scanSlots).
func searchSlots(s *Server, ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error) {
	if err := checkParams(q, coreMappings["Slot"]); err != nil {
		return nil, err
	}
	var all []*crs.Resource
	for _, id := range q.query.IDs {
		if !strings.HasPrefix(id, prefixSlot) {
			continue
		}
		r, err := readSlot(s, ctx, p, id)
		if crs.ErrorCode(err) == crs.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		all = append(all, r)
	}
	return filterServed(all, q.query.All, &q.query)
}

// slotBatch is how many slots of a clinic a scan reads at a time.
const slotBatch = 1000

// scanSlots reads the trust's slots clinic by clinic in id order, each
// clinic's by start time then id; its cursor is "clinic|start|slot".
func (s *Server) scanSlots(ctx context.Context, p *Principal, cursor string) ([]scanned, bool, error) {
	cs, err := clinicsOf(s, ctx, p)
	if err != nil {
		return nil, false, err
	}
	cid, rest, _ := strings.Cut(cursor, "|")
	at, sid, _ := strings.Cut(rest, "|")
	from, _ := time.Parse(time.RFC3339Nano, at)
	for i, c := range cs {
		if c.ID < cid {
			continue
		}
		q := crs.SlotQuery{ClinicID: c.ID, From: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), Limit: slotBatch}
		resume := c.ID == cid && at != ""
		if resume {
			q.From = from
		}
		sls, err := s.Core.Outpatients.FindSlots(ctx, p.Actor, q)
		if err != nil {
			return nil, false, err
		}
		var out []scanned
		key := func(sl *crs.Slot) string { return c.ID + "|" + sl.Start.UTC().Format(time.RFC3339Nano) + "|" + sl.ID }
		for _, sl := range sls {
			if resume && sl.Start.Equal(from) && sl.ID <= sid {
				continue
			}
			r, err := slotResource(sl)
			if err != nil {
				return nil, false, err
			}
			out = append(out, scanned{res: r, cursor: key(sl)})
		}
		if len(sls) == slotBatch {
			if len(out) == 0 {
				out = append(out, scanned{cursor: key(sls[len(sls)-1])})
			}
			return out, true, nil
		}
		if len(out) > 0 {
			return out, i < len(cs)-1, nil
		}
	}
	return nil, false, nil
}

func readRole(s *Server, ctx context.Context, p *Principal, id string) (*crs.Resource, error) {
	cs, err := clinicsOf(s, ctx, p)
	if err != nil {
		return nil, err
	}
	code := strings.TrimPrefix(id, prefixRole)
	if codes, _ := consultantsOf(cs); !slices.Contains(codes, code) {
		return nil, crs.Errorf(crs.ENOTFOUND, "PractitionerRole/%s: no clinic of the trust is consultant %s's", id, code)
	}
	return consultantRole(code, cs)
}

func searchRoles(s *Server, ctx context.Context, p *Principal, q *search) ([]*crs.Resource, error) {
	if err := checkParams(q, coreMappings["PractitionerRole"]); err != nil {
		return nil, err
	}
	cs, err := clinicsOf(s, ctx, p)
	if err != nil {
		return nil, err
	}
	codes, _ := consultantsOf(cs)
	all, err := mapAll(codes, func(code string) (*crs.Resource, error) { return consultantRole(code, cs) }, nil)
	if err != nil {
		return nil, err
	}
	return filterServed(all, q.query.All, &q.query)
}
