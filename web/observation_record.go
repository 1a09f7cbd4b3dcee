package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/news2"
)

// handleRecordObservations records a set of observations from the form
// and shows its NEWS2 score and clinical risk on the page it returns to.
func (s *Server) handleRecordObservations(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	page := &observationsPage{Form: vitalsForm{TakenAt: form(r, "taken_at"), RespirationRate: form(r, "respiration_rate"), SpO2: form(r, "spo2"),
		AirOrOxygen: form(r, "air_or_oxygen"), Systolic: form(r, "systolic"), Diastolic: form(r, "diastolic"), Pulse: form(r, "pulse"),
		Consciousness: form(r, "consciousness"), Temperature: form(r, "temperature")}}
	if err := s.observationsPage(r, page); err != nil {
		return err
	}
	v := readVitals(r, page, s)
	fp := formPost{name: "observations", page: page, order: vitalsFields, fallback: "respiration_rate"}
	if !page.Errors.Any() {
		fp.check(v.Validate(s.now()))
	}
	return s.submit(w, r, fp, func() (string, string, error) {
		if err := s.currentSpell(r, v); err != nil {
			return "", "", err
		}
		if err := s.Observations.RecordVitalSigns(r.Context(), a, v); err != nil {
			return "", "", err
		}
		return "/patients/" + page.Banner.ID + "/observations", scoreFlash(v), nil
	})
}

// currentSpell puts the set in the patient's current inpatient stay, if
// they are in hospital and the user may see their stays.
func (s *Server) currentSpell(r *http.Request, v *crs.VitalSigns) error {
	a := actorOf(r)
	if s.Inpatients == nil || !a.Can(crs.ActManagePathways) {
		return nil
	}
	spells, err := s.Inpatients.FindSpells(r.Context(), a, v.PatientID)
	if err != nil {
		return err
	}
	for _, sp := range spells {
		if sp.Status == "admitted" || sp.Status == "on_leave" {
			v.SpellID = sp.ID
		}
	}
	return nil
}

// readVitals reads the form into a set, noting in the page each field
// that is not a number.
func readVitals(r *http.Request, page *observationsPage, s *Server) *crs.VitalSigns {
	f := page.Form
	v := &crs.VitalSigns{PatientID: page.Banner.ID}
	if at, msg := readDateTime(r, "taken_at", "Time taken", s.now()); msg != "" {
		page.Errors.dateError("taken_at", msg)
	} else if at.IsZero() {
		v.EffectiveAt = s.now()
	} else {
		v.EffectiveAt = at
	}
	whole := func(field, name, value, example string) *int {
		if value == "" {
			return nil
		}
		n, err := strconv.Atoi(value)
		if err != nil {
			page.Errors.add(field, "", fmt.Sprintf("%s must be a whole number, like %s", name, example))
			return nil
		}
		return &n
	}
	v.RespirationRate = whole("respiration_rate", "Respiration rate", f.RespirationRate, "16")
	v.SpO2 = whole("spo2", "SpO2", strings.TrimSuffix(f.SpO2, "%"), "97")
	v.Systolic = whole("systolic", "Systolic blood pressure", f.Systolic, "120")
	v.Diastolic = whole("diastolic", "Diastolic blood pressure", f.Diastolic, "80")
	v.Pulse = whole("pulse", "Pulse", f.Pulse, "72")
	switch f.AirOrOxygen {
	case "":
	case "air", "oxygen":
		on := f.AirOrOxygen == "oxygen"
		v.OnOxygen = &on
	default:
		page.Errors.add("air_or_oxygen", "", "Choose air or oxygen")
	}
	if f.Consciousness != "" {
		c, err := news2.ParseConsciousness(f.Consciousness)
		if err != nil {
			page.Errors.add("consciousness", "", "Choose the level of consciousness: A, C, V, P or U")
		}
		v.Consciousness = c
	}
	if f.Temperature != "" {
		t, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(f.Temperature, "C")), "°"), 64)
		if err != nil {
			page.Errors.add("temperature", "", "Temperature must be a number of degrees Celsius, like 37.2")
		} else {
			v.Temperature = &t
		}
	}
	return v
}

// scoreFlash says what was recorded: the NEWS2 score and the response it
// calls for, or that the set was not complete enough to score.
func scoreFlash(v *crs.VitalSigns) string {
	if v.Score == nil {
		return "Observations recorded. NEWS2 not scored: the set does not have every parameter"
	}
	return fmt.Sprintf("Observations recorded. NEWS2 %d: %s", v.Score.Total, riskName(v.Score))
}

// riskName names a score's clinical risk as the chart does.
func riskName(s *news2.Score) string { return s.Risk.Describe() }
