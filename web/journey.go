package web

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// This file holds what the pages of the patient journey share: reading
// their forms, the code lists their selects offer and the template
// functions that show waits and clocks.

// errNoJourney is the error of a journey page on a server set up without
// the journey's services.
var errNoJourney = crs.Errorf(crs.ENOTFOUND, "The patient journey is not switched on in this service.")

// rttStatusCodes lists the national RTT period statuses for a select.
func rttStatusCodes() []nhs.Code {
	var out []nhs.Code
	for _, st := range rtt.Statuses() {
		out = append(out, nhs.Code{Code: st.String(), Description: st.Description()})
	}
	return out
}

// codeName returns the description of a code in a list, or the code.
func codeName(list []nhs.Code, code string) string {
	if n, ok := nhs.Lookup(list, code); ok {
		return n
	}
	return code
}

var journeyLists = map[string][]nhs.Code{
	"sources": nhs.ReferralSources, "priorities": nhs.PriorityTypes, "tfs": nhs.TreatmentFunctions,
	"specialties": nhs.MainSpecialties, "managements": nhs.IntendedManagements, "methods": nhs.AdmissionMethods,
	"admsources": nhs.AdmissionSources, "dmethods": nhs.DischargeMethods, "ddests": nhs.DischargeDestinations,
	"removals": nhs.RemovalReasons, "arrivals": nhs.ArrivalModes, "eddests": nhs.EDDischargeDestinations,
	"edcats": nhs.EDAttendanceCategories, "edcomplaints": nhs.EDChiefComplaints, "edstatuses": nhs.EDDischargeStatuses, "edacuities": nhs.EDAcuities,
	"cancelby": {{Code: "patient", Description: "The patient"}, {Code: "hospital", Description: "The hospital"}},
	"nextstep": {{Code: "discharge", Description: "Discharge to the GP"}, {Code: "follow_up", Description: "Follow-up"},
		{Code: "waiting_list", Description: "Add to the waiting list"}, {Code: "refer_on", Description: "Refer on"}},
	"dnastep": {{Code: "rebook", Description: "Offer another appointment"}, {Code: "discharge", Description: "Discharge to the GP"}},
	"departs": {{Code: "discharged", Description: "Discharged"}, {Code: "transferred", Description: "Transferred"}, {Code: "left", Description: "Left before treatment completed"}},
	"clinpri": {{Code: "P1", Description: "urgent, within 72 hours"}, {Code: "P2", Description: "within 1 month"},
		{Code: "P3", Description: "within 3 months"}, {Code: "P4", Description: "can wait over 3 months"}},
	"triage": {{Code: "1", Description: "Immediate (red)"}, {Code: "2", Description: "Very urgent (orange)"},
		{Code: "3", Description: "Urgent (yellow)"}, {Code: "4", Description: "Standard (green)"}, {Code: "5", Description: "Non-urgent (blue)"}},
}

func init() {
	funcs["codes"] = func(name string) []nhs.Code {
		switch name {
		case "rtt":
			return rttStatusCodes()
		case "rttclose":
			var out []nhs.Code
			for _, st := range rtt.Statuses() {
				if crs.ClosesReferral(st) {
					out = append(out, nhs.Code{Code: st.String(), Description: st.Description()})
				}
			}
			return out
		}
		return journeyLists[name]
	}
	funcs["codeName"] = func(name, code string) string { return codeName(journeyLists[name], code) }
	// priority writes a clinical priority with its meaning: "P2 within 1 month".
	funcs["priority"] = func(code string) string {
		if code == "" {
			return notKnown
		}
		if n, ok := nhs.Lookup(journeyLists["clinpri"], code); ok {
			return code + " " + n
		}
		return code
	}
	funcs["rttName"] = func(s rtt.Status) string {
		if s == 0 {
			return "none"
		}
		return s.String() + " – " + s.Description()
	}
	funcs["ymd"] = func(d crs.Date) string { return d.String() }
	funcs["waited"] = waited
	funcs["weeks"] = weeksDays
	funcs["dateOf"] = func(t time.Time) crs.Date { return crs.Date{Time: t} }
	funcs["eq2"] = func(a, b string) bool { return a == b }
	funcs["str"] = func(v any) string { return fmt.Sprint(v) }
	funcs["itoa"] = strconv.Itoa
	funcs["placeField"] = func(p pager, name, label, value string, wards []*crs.BedBoardWard) placeField {
		return newPlaceField(name, label, value, p.page().Err(name), wards)
	}
	funcs["list3"] = func(a, b, c string) []string { return []string{a, b, c} }
}

// waited writes a duration in the department as "3h 05m".
func waited(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
}

// needJourney reports errNoJourney when the server lacks a service.
func (s *Server) needJourney() error {
	if s.Referrals == nil || s.Outpatients == nil || s.WaitingList == nil || s.Inpatients == nil || s.ED == nil {
		return errNoJourney
	}
	return nil
}

// journeyPatient reads the patient of a journey form under
// /patients/{id}/ (a referral, an A&E arrival, an admission) for its
// banner, once the journey is switched on and the user may manage
// pathways.
func (s *Server) journeyPatient(r *http.Request) (*banner, error) {
	if err := s.needJourney(); err != nil {
		return nil, err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return nil, err
	}
	if err := actorOf(r).Authorize(crs.ActManagePathways); err != nil {
		return nil, err
	}
	return b, nil
}

// journeyReferral reads the referral of the address's {id}, once the
// journey is switched on.
func (s *Server) journeyReferral(r *http.Request) (*crs.Referral, error) {
	if err := s.needJourney(); err != nil {
		return nil, err
	}
	return s.Referrals.FindReferral(r.Context(), actorOf(r), r.PathValue("id"))
}

// needReports is needJourney for the pages' extracts, which the reports
// write.
func (s *Server) needReports() error {
	if s.Reports == nil {
		return errNoJourney
	}
	return s.needJourney()
}

// patientBanner reads a patient by id for the banner of a journey page.
func (s *Server) patientBanner(r *http.Request, id string) (*banner, error) {
	p, err := s.Patients.FindPatient(r.Context(), actorOf(r), id)
	if err != nil {
		return nil, err
	}
	return s.newBanner(r, p), nil
}

// readRTT reads an RTT status chosen from the select named field, none
// when empty, recording in errs a choice that is not on the list.
func readRTT(errs *formErrors, field, value string) rtt.Status {
	if value == "" {
		return 0
	}
	st, err := rtt.ParseStatus(value)
	if err != nil {
		errs.add(field, "", "Choose an RTT status from the list")
	}
	return st
}

// placeField is the data of the ward and bed select (templates/_places.html):
// a group of choices for each ward, its free available beds and then the
// ward without a bed. The choices are written here rather than in the
// template, as a trust has hundreds of beds.
type placeField struct {
	Name, Label, Value, Error string
	Wards                     []placeGroup
}

// placeGroup is one ward's choices in the ward and bed select.
type placeGroup struct {
	Label string // "WD10 Nightingale (3 of 12 beds occupied)"
	// Options are the ward's <option> elements, written here once rather
	// than by the template, a free bed at a time: "WARDID/BEDID" for a
	// bed, "WARDID" for the ward without a bed.
	Options template.HTML
}

func newPlaceField(name, label, value, err string, wards []*crs.BedBoardWard) placeField {
	f := placeField{Name: name, Label: label, Value: value, Error: err, Wards: make([]placeGroup, 0, len(wards))}
	var b strings.Builder
	option := func(value, label string, selected bool) {
		b.WriteString(`<option value="`)
		b.WriteString(html.EscapeString(value))
		b.WriteByte('"')
		if selected {
			b.WriteString(" selected")
		}
		b.WriteByte('>')
		b.WriteString(html.EscapeString(label))
		b.WriteString("</option>\n")
	}
	for _, w := range wards {
		g := placeGroup{Label: w.WardCode + " " + w.WardName + " (" + strconv.Itoa(w.Occupied) + " of " + crs.Count(len(w.Beds), "bed", "beds") + " occupied)"}
		b.Reset()
		for _, bed := range w.Beds {
			if bed.Open() {
				v := w.WardID + "/" + bed.BedID
				option(v, w.WardCode+" bed "+bed.BedCode+" (free)", v == value)
			}
		}
		option(w.WardID, w.WardCode+", no bed yet", w.WardID == value)
		g.Options = template.HTML(b.String())
		f.Wards = append(f.Wards, g)
	}
	return f
}

// weeksDays writes a wait in days as weeks and days: "27 weeks 1 day".
func weeksDays(days int) string {
	return crs.Count(days/7, "week", "weeks") + " " + crs.Count(days%7, "day", "days")
}
