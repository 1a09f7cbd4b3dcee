package crs

import "time"

// A return known now beside the same return as recorded at a past time
// (what the trust submitted), with the figures that differ and the
// records counted differently, each with the events recorded since that
// explain it.

// ReturnComparison is a return worked out twice: AsAt with everything
// known now, late corrections included, and AsRecorded from what had been
// recorded by RecordedBy.
type ReturnComparison[R any] struct {
	Report      string             `json:"report"` // ae, kh03
	Period      string             `json:"period"` // 2026-10, 2026-Q3
	RecordedBy  string             `json:"as_recorded_at"`
	AsAt        R                  `json:"as_at"`
	AsRecorded  R                  `json:"as_recorded"`
	Differences []FigureDifference `json:"differences"`
	Changes     []RecordChange     `json:"changes"`
}

// FigureDifference is one figure of one line of a return that differs.
type FigureDifference struct {
	Line       string  `json:"line"`   // "all", a department type, "overnight General & Acute"
	Figure     string  `json:"figure"` // over_4_hours, occupied, ...
	AsAt       float64 `json:"as_at"`
	AsRecorded float64 `json:"as_recorded"`
}

// RecordChange is one record counted differently in the two returns (an
// A&E attendance, a night's census), how each counted it, and the events
// recorded after the return was recorded that explain the difference.
type RecordChange struct {
	Subject    string          `json:"subject"` // attendance id, night
	PatientID  string          `json:"patient_id,omitempty"`
	AsAt       string          `json:"counted_as_at"`
	AsRecorded string          `json:"counted_as_recorded"`
	Events     []RecordedEvent `json:"events"`
}

// RecordedEvent is an event of the record as a comparison lists it.
type RecordedEvent struct {
	Type        string `json:"type"`
	Summary     string `json:"summary"`
	EffectiveAt string `json:"effective_at"`
	RecordedAt  string `json:"recorded_at"`
}

// ParseRecordedAt reads the time a return was recorded at: RFC 3339, or a
// UK wall-clock time to the minute or second (2026-11-03T09:00, or with a
// space), or a date, meaning its end.
func ParseRecordedAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, London); err == nil {
			return t, nil
		}
	}
	d, err := time.ParseInLocation("2006-01-02", s, London)
	if err != nil {
		return time.Time{}, err
	}
	return d.AddDate(0, 0, 1).Add(-time.Microsecond), nil
}
