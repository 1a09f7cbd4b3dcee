package crs

import (
	"context"
	"time"

	"github.com/opencrs/crs/news2"
)

// VitalSigns is one set of bedside observations of a patient, taken
// together and charted in one column of the NEWS2 chart: respiration
// rate, oxygen saturation, air or oxygen, blood pressure, pulse, level of
// consciousness and temperature. Each parameter is optional (nil or ""
// when not taken); a set with every parameter NEWS2 needs is scored.
//
// Each parameter is kept as its own FHIR R4 vital-signs Observation and
// the score as an Observation coded SNOMED CT 1104051000000101 derived
// from them; ID names the set (every Observation of it carries it as an
// identifier).
type VitalSigns struct {
	ID          string
	PatientID   string
	SpellID     string    // the inpatient stay it was taken in, if any
	EffectiveAt time.Time // when the observations were taken at the bedside
	RecordedAt  time.Time // when they were entered in the record
	RecordedBy  string    // the username of who entered them

	RespirationRate *int                // breaths per minute
	SpO2            *int                // peripheral oxygen saturation, %
	OnOxygen        *bool               // breathing supplemental oxygen (false: room air)
	Systolic        *int                // systolic blood pressure, mmHg
	Diastolic       *int                // diastolic blood pressure, mmHg (not scored)
	Pulse           *int                // heart rate, beats per minute
	Consciousness   news2.Consciousness // ACVPU; "" when not assessed
	Temperature     *float64            // degrees Celsius, one decimal place

	// Scale is the SpO2 scale the set was scored on: scale 2 when a
	// clinician had put the patient on it when the set was recorded.
	Scale news2.Scale
	// Score is the NEWS2 score, nil when the set lacks a parameter.
	Score *news2.Score

	// EnteredInError is set when the set was recorded against the wrong
	// patient or with wrong values; it is kept, with the reason, but not
	// charted or scored.
	EnteredInError bool
	ErrorReason    string
}

// Complete reports whether the set holds every parameter NEWS2 scores.
func (v *VitalSigns) Complete() bool {
	return v.RespirationRate != nil && v.SpO2 != nil && v.OnOxygen != nil && v.Systolic != nil &&
		v.Pulse != nil && v.Consciousness != "" && v.Temperature != nil
}

// Vitals is the complete set as NEWS2 scores it, on scale.
func (v *VitalSigns) Vitals(scale news2.Scale) news2.Vitals {
	return news2.Vitals{RespirationRate: *v.RespirationRate, SpO2: *v.SpO2, Scale: scale, OnOxygen: *v.OnOxygen,
		Systolic: *v.Systolic, Pulse: *v.Pulse, Consciousness: v.Consciousness, Temperature: *v.Temperature}
}

// Due is when the next set of observations is due after this one, by
// the minimum monitoring frequency of its score; zero when unscored.
func (v *VitalSigns) Due() time.Time {
	if v.Score == nil {
		return time.Time{}
	}
	return v.EffectiveAt.Add(v.Score.Interval)
}

// Validate checks a set before it is recorded: each value taken lies in
// the range a living patient can show (a value outside it is a slip of
// the keyboard), the set has at least one observation and is not taken
// in the future (now).
func (v *VitalSigns) Validate(now time.Time) error {
	var errs Errors
	if v.PatientID == "" {
		errs = append(errs, FieldErrorf("patient_id", "observations belong to a patient"))
	}
	if v.EffectiveAt.IsZero() {
		errs = append(errs, FieldErrorf("taken_at", "Enter when the observations were taken"))
	} else if v.EffectiveAt.After(now.Add(5 * time.Minute)) {
		errs = append(errs, FieldErrorf("taken_at", "Observations cannot be taken in the future"))
	}
	between := func(field, name string, p *int, lo, hi int, unit string) {
		if p != nil && (*p < lo || *p > hi) {
			errs = append(errs, FieldErrorf(field, "%s must be between %d and %d %s; %d was entered", name, lo, hi, unit, *p))
		}
	}
	between("respiration_rate", "Respiration rate", v.RespirationRate, 0, 80, "breaths per minute")
	between("spo2", "SpO2", v.SpO2, 50, 100, "%")
	between("systolic", "Systolic blood pressure", v.Systolic, 40, 300, "mmHg")
	between("diastolic", "Diastolic blood pressure", v.Diastolic, 20, 200, "mmHg")
	between("pulse", "Pulse", v.Pulse, 20, 250, "beats per minute")
	if v.Systolic != nil && v.Diastolic != nil && *v.Diastolic >= *v.Systolic {
		errs = append(errs, FieldErrorf("diastolic", "Diastolic blood pressure (%d) must be lower than systolic (%d)", *v.Diastolic, *v.Systolic))
	}
	if v.Diastolic != nil && v.Systolic == nil {
		errs = append(errs, FieldErrorf("systolic", "Enter the systolic blood pressure with the diastolic"))
	}
	if v.Temperature != nil && (*v.Temperature < 25 || *v.Temperature > 45) {
		errs = append(errs, FieldErrorf("temperature", "Temperature must be between 25.0 and 45.0 °C; %.1f was entered", *v.Temperature))
	}
	if v.Consciousness != "" {
		if _, err := news2.ParseConsciousness(string(v.Consciousness)); err != nil {
			errs = append(errs, FieldErrorf("consciousness", "Choose the level of consciousness: A, C, V, P or U"))
		}
	}
	if v.RespirationRate == nil && v.SpO2 == nil && v.OnOxygen == nil && v.Systolic == nil && v.Pulse == nil &&
		v.Consciousness == "" && v.Temperature == nil {
		errs = append(errs, FieldErrorf("respiration_rate", "Enter at least one observation"))
	}
	return errs.Err()
}

// SpO2ScaleDecision is a clinician's decision that a patient's oxygen
// saturation is scored on NEWS2 SpO2 scale 2 (a target saturation of
// 88-92%, for hypercapnic respiratory failure), and, once taken off, when
// and by whom. It is kept as a FHIR Flag.
type SpO2ScaleDecision struct {
	ID        string
	PatientID string
	OnScale2  bool      // the patient is on scale 2 now
	Since     time.Time // when they were put on it
	Until     time.Time // when they were taken off it (zero while on)
	DecidedBy string    // the username of the clinician who put them on (or took them off)
	Reason    string
}

// ObservationService records and charts a patient's vital signs and
// scores them by NEWS2. Recording needs ActRecordClinical; reads need
// ActViewClinical and are audited.
type ObservationService interface {
	// RecordVitalSigns records a set, scoring it on the patient's current
	// SpO2 scale when it is complete; it fills v's ID, RecordedAt,
	// RecordedBy, Scale and Score.
	RecordVitalSigns(ctx context.Context, a Actor, v *VitalSigns) error
	// VitalSigns lists the patient's sets taken at or after since, newest
	// first, those entered in error included, at most limit.
	VitalSigns(ctx context.Context, a Actor, patientID string, since time.Time, limit int) ([]*VitalSigns, error)
	// LatestNEWS2 returns, of each patient, the latest scored set not
	// entered in error; a patient with none is absent from the map.
	LatestNEWS2(ctx context.Context, a Actor, patientIDs []string) (map[string]*VitalSigns, error)
	// MarkVitalSignsInError marks a set of the patient entered in error,
	// with the reason: every Observation of it gets a new version with
	// status entered-in-error.
	MarkVitalSignsInError(ctx context.Context, a Actor, patientID, setID, reason string) error
	// SpO2Scale returns the patient's SpO2 scale decision; ENOTFOUND when
	// no clinician ever put them on scale 2.
	SpO2Scale(ctx context.Context, a Actor, patientID string) (*SpO2ScaleDecision, error)
	// SetSpO2Scale2 puts the patient on SpO2 scale 2 (on) or takes them
	// off it, a clinician's decision recorded with its reason.
	SetSpO2Scale2(ctx context.Context, a Actor, patientID string, on bool, reason string) error
}
