// Package news2 scores a set of vital signs by the Royal College of
// Physicians' National Early Warning Score 2 (NEWS2, December 2017): the
// score a nurse adds up at the bedside from the observation chart, the
// clinical risk it stands for and how often the patient must be observed
// next. It is a pure rule: no storage, no clock.
package news2

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Scale is the SpO2 scoring scale a patient is on. Scale 1 is for every
// patient unless a clinician has decided the patient's target
// saturation is 88-92% (hypercapnic respiratory failure) and put them on
// scale 2.
type Scale int

// The two SpO2 scales of the NEWS2 chart.
const (
	Scale1 Scale = 1
	Scale2 Scale = 2
)

// Consciousness is the patient's level of consciousness on the ACVPU
// scale: Alert, new Confusion, responds to Voice, responds to Pain,
// Unresponsive.
type Consciousness string

// The ACVPU levels.
const (
	Alert        Consciousness = "A"
	Confusion    Consciousness = "C" // new confusion (or new disorientation, agitation)
	Voice        Consciousness = "V"
	Pain         Consciousness = "P"
	Unresponsive Consciousness = "U"
)

// Levels lists the ACVPU levels in the order of the chart.
var Levels = []Consciousness{Alert, Confusion, Voice, Pain, Unresponsive}

// Name is the level as the chart writes it.
func (c Consciousness) Name() string {
	switch c {
	case Alert:
		return "Alert"
	case Confusion:
		return "New confusion"
	case Voice:
		return "Responds to voice"
	case Pain:
		return "Responds to pain"
	case Unresponsive:
		return "Unresponsive"
	}
	return string(c)
}

// ParseConsciousness reads an ACVPU level given as its letter (A, C, V,
// P, U) or its name ("alert", "new confusion", "voice", "pain",
// "unresponsive"), in any case.
func ParseConsciousness(s string) (Consciousness, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "a", "alert":
		return Alert, nil
	case "c", "confusion", "new confusion", "confused":
		return Confusion, nil
	case "v", "voice", "responds to voice":
		return Voice, nil
	case "p", "pain", "responds to pain":
		return Pain, nil
	case "u", "unresponsive":
		return Unresponsive, nil
	}
	return "", fmt.Errorf("consciousness %q is not one of ACVPU: A (alert), C (new confusion), V (voice), P (pain) or U (unresponsive)", s)
}

// Vitals is one complete set of the observations NEWS2 scores.
type Vitals struct {
	RespirationRate int   // breaths per minute
	SpO2            int   // peripheral oxygen saturation, %
	Scale           Scale // the SpO2 scale the patient is on (0 is scale 1)
	OnOxygen        bool  // breathing supplemental oxygen, not air
	Systolic        int   // systolic blood pressure, mmHg
	Pulse           int   // beats per minute
	Consciousness   Consciousness
	Temperature     float64 // degrees Celsius, read to one decimal place
}

// Risk is the clinical risk a NEWS2 score stands for, which says who must
// respond and how fast.
type Risk string

// The clinical risk bands of NEWS2.
const (
	RiskLow       Risk = "low"        // aggregate 0-4: ward-based response
	RiskLowMedium Risk = "low-medium" // a score of 3 in one parameter: urgent ward-based response
	RiskMedium    Risk = "medium"     // aggregate 5-6: urgent response, key threshold
	RiskHigh      Risk = "high"       // aggregate 7 or more: emergency response
)

// Describe names the risk and the response it calls for, as a nurse
// says it: "medium clinical risk, urgent response".
func (r Risk) Describe() string {
	switch r {
	case RiskHigh:
		return "high clinical risk, emergency response"
	case RiskMedium:
		return "medium clinical risk, urgent response"
	case RiskLowMedium:
		return "low-medium clinical risk (3 in a single parameter), urgent ward-based response"
	}
	return "low clinical risk"
}

// Response is what the chart says must happen at the risk.
func (r Risk) Response() string {
	switch r {
	case RiskLowMedium:
		return "Urgent ward-based response: a registered nurse to inform the medical team caring for the patient"
	case RiskMedium:
		return "Urgent response: a registered nurse to inform the medical team immediately; urgent assessment by a clinician with core competencies in acute illness"
	case RiskHigh:
		return "Emergency response: a registered nurse to inform the medical team immediately (at least specialist registrar level); emergency assessment by a team with critical care competencies"
	}
	return "Ward-based response: assessment by a competent registered nurse"
}

// Continuous is the interval NEWS2 gives for continuous monitoring
// (aggregate 7 or more): the board takes observations as due every 15
// minutes.
const Continuous = 15 * time.Minute

// Score is a set of vital signs scored: each parameter's score, the
// aggregate and what follows from it.
type Score struct {
	RespirationRate int
	SpO2            int
	Scale           Scale // the scale SpO2 was scored on
	AirOrOxygen     int
	Systolic        int
	Pulse           int
	Consciousness   int
	Temperature     int
	Total           int  // aggregate, 0-20
	Red             bool // 3 in any single parameter
	Risk            Risk
	// Interval is the RCP's minimum monitoring frequency: 12 hours for
	// 0, 4 hours for 1-4 (the chart says 4-6), 1 hour for a red score or
	// 5-6, Continuous for 7 or more.
	Interval time.Duration
}

// Parts lists the parameters' scores in the order of the chart.
func (s Score) Parts() []int {
	return []int{s.RespirationRate, s.SpO2, s.AirOrOxygen, s.Systolic, s.Pulse, s.Consciousness, s.Temperature}
}

// Compute scores a complete set of vital signs.
func Compute(v Vitals) Score {
	s := Score{
		RespirationRate: RespirationRate(v.RespirationRate),
		Scale:           Scale1,
		AirOrOxygen:     AirOrOxygen(v.OnOxygen),
		Systolic:        Systolic(v.Systolic),
		Pulse:           Pulse(v.Pulse),
		Consciousness:   ConsciousnessScore(v.Consciousness),
		Temperature:     Temperature(v.Temperature),
	}
	if v.Scale == Scale2 {
		s.Scale = Scale2
		s.SpO2 = SpO2Scale2(v.SpO2, v.OnOxygen)
	} else {
		s.SpO2 = SpO2Scale1(v.SpO2)
	}
	for _, p := range s.Parts() {
		s.Total += p
		if p == 3 {
			s.Red = true
		}
	}
	s.Risk, s.Interval = Escalation(s.Total, s.Red)
	return s
}

// Escalation is the clinical risk and minimum monitoring interval of an
// aggregate score, red when one parameter scored 3.
func Escalation(total int, red bool) (Risk, time.Duration) {
	switch {
	case total >= 7:
		return RiskHigh, Continuous
	case total >= 5:
		return RiskMedium, time.Hour
	case red:
		return RiskLowMedium, time.Hour
	case total >= 1:
		return RiskLow, 4 * time.Hour
	}
	return RiskLow, 12 * time.Hour
}

// RespirationRate scores breaths per minute: <=8 3, 9-11 1, 12-20 0,
// 21-24 2, >=25 3.
func RespirationRate(n int) int {
	switch {
	case n <= 8:
		return 3
	case n <= 11:
		return 1
	case n <= 20:
		return 0
	case n <= 24:
		return 2
	}
	return 3
}

// SpO2Scale1 scores oxygen saturation on scale 1: <=91 3, 92-93 2,
// 94-95 1, >=96 0.
func SpO2Scale1(n int) int {
	switch {
	case n <= 91:
		return 3
	case n <= 93:
		return 2
	case n <= 95:
		return 1
	}
	return 0
}

// SpO2Scale2 scores oxygen saturation on scale 2: <=83 3, 84-85 2,
// 86-87 1, 88-92 0; at 93 or more 0 on air, and on oxygen 93-94 1,
// 95-96 2, >=97 3.
func SpO2Scale2(n int, onOxygen bool) int {
	switch {
	case n <= 83:
		return 3
	case n <= 85:
		return 2
	case n <= 87:
		return 1
	case n <= 92 || !onOxygen:
		return 0
	case n <= 94:
		return 1
	case n <= 96:
		return 2
	}
	return 3
}

// AirOrOxygen scores supplemental oxygen 2 and air 0.
func AirOrOxygen(onOxygen bool) int {
	if onOxygen {
		return 2
	}
	return 0
}

// Systolic scores systolic blood pressure: <=90 3, 91-100 2, 101-110 1,
// 111-219 0, >=220 3.
func Systolic(n int) int {
	switch {
	case n <= 90:
		return 3
	case n <= 100:
		return 2
	case n <= 110:
		return 1
	case n <= 219:
		return 0
	}
	return 3
}

// Pulse scores beats per minute: <=40 3, 41-50 1, 51-90 0, 91-110 1,
// 111-130 2, >=131 3.
func Pulse(n int) int {
	switch {
	case n <= 40:
		return 3
	case n <= 50:
		return 1
	case n <= 90:
		return 0
	case n <= 110:
		return 1
	case n <= 130:
		return 2
	}
	return 3
}

// ConsciousnessScore scores alert 0 and new confusion, voice, pain or
// unresponsive 3.
func ConsciousnessScore(c Consciousness) int {
	if c == Alert {
		return 0
	}
	return 3
}

// Temperature scores degrees Celsius, rounded to one decimal place as
// charted: <=35.0 3, 35.1-36.0 1, 36.1-38.0 0, 38.1-39.0 1, >=39.1 2.
func Temperature(c float64) int {
	t := int(math.Round(c * 10))
	switch {
	case t <= 350:
		return 3
	case t <= 360:
		return 1
	case t <= 380:
		return 0
	case t <= 390:
		return 1
	}
	return 2
}
