package web

import (
	"fmt"
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

// form returns the trimmed value of a submitted form field.
func form(r *http.Request, k string) string { return strings.TrimSpace(r.FormValue(k)) }

// serviceErrors puts a service's refusal of a form beside its fields and
// reports whether it was one (EINVALID with fields, or a field-level
// conflict such as a slot taken a moment ago). Other errors are left to
// the error page.
func serviceErrors(errs *formErrors, err error, anchors map[string]string, fallback string) bool {
	return serviceErrorsAs(errs, err, nil, anchors, fallback)
}

// serviceErrorsAs is serviceErrors for a form whose inputs are named
// other than the service's fields, as where two forms of one page each
// have a time: names maps the service's field to the form's.
func serviceErrorsAs(errs *formErrors, err error, names, anchors map[string]string, fallback string) bool {
	switch crs.ErrorCode(err) {
	case crs.EINVALID, crs.ECONFLICT:
	default:
		return false
	}
	fe := crs.FieldErrors(err)
	if len(fe) == 0 {
		if crs.ErrorCode(err) == crs.ECONFLICT {
			return false
		}
		fe = map[string]string{fallback: crs.ErrorMessage(err)}
	}
	for f, msg := range fe {
		if f == "" {
			f = fallback
		}
		if alias, ok := names[f]; ok {
			f = alias
		} else if alias, ok := fieldAliases[f]; ok {
			f = alias
		}
		errs.add(f, anchors[f], msg)
	}
	return true
}

// fieldAliases names the form field that holds a service's field: the
// ward and bed are chosen together in one "place" select.
var fieldAliases = map[string]string{"ward": "place", "bed": "place", "kind": "departure"}

// parseDay reads a date as a date input sends it (YYYY-MM-DD) or typed
// as DD/MM/YYYY where the browser shows a text box; empty gives the zero
// date.
func parseDay(s string) (crs.Date, bool) {
	if s == "" {
		return crs.Date{}, true
	}
	d, err := crs.ParseDate(s)
	return d, err == nil
}

// parseWhen reads a time in UK time as a datetime-local input sends it
// ("2006-01-02T15:04"), or typed as "DD/MM/YYYY HH:MM" or "HH:MM" (today)
// where the browser shows a text box; empty gives the zero time, which
// the services take as now.
func parseWhen(s string, now time.Time) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	s = strings.Join(strings.Fields(strings.Replace(s, "T", " ", 1)), " ")
	for _, layout := range []string{"02/01/2006 15:04", "2/1/2006 15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, crs.London); err == nil {
			return t.UTC(), true
		}
	}
	if hh, mm, ok := parseClock(s); ok {
		y, m, d := now.In(crs.London).Date()
		return time.Date(y, m, d, hh, mm, 0, 0, crs.London).UTC(), true
	}
	return time.Time{}, false
}

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
	funcs["rttName"] = func(s rtt.Status) string {
		if s == 0 {
			return "none"
		}
		return s.String() + " – " + s.Description()
	}
	funcs["day"] = func(d crs.Date) string { return d.Display() }
	funcs["ymd"] = func(d crs.Date) string { return d.String() }
	// local writes a time in UK time as 02-Mar-2026 09:15.
	funcs["local"] = func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(crs.London).Format("02-Jan-2006 15:04")
	}
	funcs["hhmm"] = func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(crs.London).Format("15:04")
	}
	funcs["waited"] = waited
	funcs["weeks"] = weeksDays
	funcs["dateOf"] = func(t time.Time) crs.Date { return crs.Date{Time: t} }
	funcs["eq2"] = func(a, b string) bool { return a == b }
	funcs["str"] = func(v any) string { return fmt.Sprint(v) }
	funcs["itoa"] = strconv.Itoa
	funcs["placeField"] = func(p pager, name, label, value string, wards []*crs.BedBoardWard) placeField {
		return placeField{Name: name, Label: label, Value: value, Error: p.page().Err(name), Wards: wards}
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

// parseRTT reads an RTT status chosen from a select.
func parseRTT(s string) (rtt.Status, error) { return rtt.ParseStatus(s) }

// placeField is the data of the ward and bed select (templates/_places.html).
type placeField struct {
	Name, Label, Value, Error string
	Wards                     []*crs.BedBoardWard
}

// weeksDays writes a wait in days as weeks and days: "27 weeks 1 day".
func weeksDays(days int) string {
	return crs.Count(days/7, "week", "weeks") + " " + crs.Count(days%7, "day", "days")
}
