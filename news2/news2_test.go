package news2

import (
	"math/rand"
	"testing"
	"time"
)

func TestParameterBands(t *testing.T) {
	type band struct {
		in, want int
	}
	tests := []struct {
		name  string
		score func(int) int
		cases []band
	}{
		{"respiration rate", RespirationRate, []band{{0, 3}, {8, 3}, {9, 1}, {11, 1}, {12, 0}, {20, 0}, {21, 2}, {24, 2}, {25, 3}, {60, 3}}},
		{"SpO2 scale 1", SpO2Scale1, []band{{50, 3}, {91, 3}, {92, 2}, {93, 2}, {94, 1}, {95, 1}, {96, 0}, {100, 0}}},
		{"SpO2 scale 2 on air", func(n int) int { return SpO2Scale2(n, false) }, []band{
			{50, 3}, {83, 3}, {84, 2}, {85, 2}, {86, 1}, {87, 1}, {88, 0}, {92, 0}, {93, 0}, {94, 0}, {95, 0}, {96, 0}, {97, 0}, {100, 0}}},
		{"SpO2 scale 2 on oxygen", func(n int) int { return SpO2Scale2(n, true) }, []band{
			{50, 3}, {83, 3}, {84, 2}, {85, 2}, {86, 1}, {87, 1}, {88, 0}, {92, 0}, {93, 1}, {94, 1}, {95, 2}, {96, 2}, {97, 3}, {100, 3}}},
		{"systolic", Systolic, []band{{40, 3}, {90, 3}, {91, 2}, {100, 2}, {101, 1}, {110, 1}, {111, 0}, {219, 0}, {220, 3}, {280, 3}}},
		{"pulse", Pulse, []band{{20, 3}, {40, 3}, {41, 1}, {50, 1}, {51, 0}, {90, 0}, {91, 1}, {110, 1}, {111, 2}, {130, 2}, {131, 3}, {200, 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, b := range tc.cases {
				if got := tc.score(b.in); got != b.want {
					t.Errorf("%s %d scores %d, want %d", tc.name, b.in, got, b.want)
				}
			}
		})
	}
}

func TestTemperatureBands(t *testing.T) {
	for _, tc := range []struct {
		c    float64
		want int
	}{
		{30.0, 3}, {35.0, 3}, {35.04, 3}, {35.1, 1}, {36.0, 1}, {36.1, 0}, {38.0, 0}, {38.1, 1}, {39.0, 1}, {39.1, 2}, {42.0, 2},
	} {
		if got := Temperature(tc.c); got != tc.want {
			t.Errorf("temperature %.2f scores %d, want %d", tc.c, got, tc.want)
		}
	}
}

func TestOxygenAndConsciousness(t *testing.T) {
	if AirOrOxygen(false) != 0 || AirOrOxygen(true) != 2 {
		t.Errorf("air scores %d, oxygen %d; want 0 and 2", AirOrOxygen(false), AirOrOxygen(true))
	}
	want := map[Consciousness]int{Alert: 0, Confusion: 3, Voice: 3, Pain: 3, Unresponsive: 3}
	for c, w := range want {
		if got := ConsciousnessScore(c); got != w {
			t.Errorf("%s scores %d, want %d", c.Name(), got, w)
		}
	}
}

// normal is a set that scores 0 in every parameter.
var normal = Vitals{RespirationRate: 16, SpO2: 97, Systolic: 120, Pulse: 70, Consciousness: Alert, Temperature: 37.0}

func TestEscalation(t *testing.T) {
	tests := []struct {
		name     string
		change   func(v *Vitals)
		total    int
		red      bool
		risk     Risk
		interval time.Duration
	}{
		{"all normal", func(v *Vitals) {}, 0, false, RiskLow, 12 * time.Hour},
		{"1: low, 4-hourly", func(v *Vitals) { v.Pulse = 95 }, 1, false, RiskLow, 4 * time.Hour},
		{"4: still low", func(v *Vitals) { v.Pulse = 95; v.Temperature = 38.5; v.OnOxygen = true }, 4, false, RiskLow, 4 * time.Hour},
		{"3 in one parameter: low-medium, hourly", func(v *Vitals) { v.Consciousness = Confusion }, 3, true, RiskLowMedium, time.Hour},
		{"red with aggregate 4", func(v *Vitals) { v.RespirationRate = 26; v.Pulse = 95 }, 4, true, RiskLowMedium, time.Hour},
		{"5: medium, urgent, hourly", func(v *Vitals) { v.RespirationRate = 22; v.SpO2 = 94; v.OnOxygen = true }, 5, false, RiskMedium, time.Hour},
		{"6: medium", func(v *Vitals) { v.RespirationRate = 22; v.SpO2 = 93; v.OnOxygen = true }, 6, false, RiskMedium, time.Hour},
		{"6 with a red score: medium", func(v *Vitals) { v.Systolic = 85; v.Pulse = 115; v.Temperature = 38.5 }, 6, true, RiskMedium, time.Hour},
		{"7: high, continuous", func(v *Vitals) { v.RespirationRate = 22; v.SpO2 = 93; v.OnOxygen = true; v.Pulse = 95 }, 7, false, RiskHigh, Continuous},
		{"scale 2 at 90% on oxygen", func(v *Vitals) { v.Scale = Scale2; v.SpO2 = 90; v.OnOxygen = true }, 2, false, RiskLow, 4 * time.Hour},
		{"scale 2 at 98% on oxygen", func(v *Vitals) { v.Scale = Scale2; v.SpO2 = 98; v.OnOxygen = true }, 5, true, RiskMedium, time.Hour},
		{"maximum", func(v *Vitals) {
			*v = Vitals{RespirationRate: 30, SpO2: 85, OnOxygen: true, Systolic: 80, Pulse: 140, Consciousness: Unresponsive, Temperature: 34}
		}, 20, true, RiskHigh, Continuous},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := normal
			tc.change(&v)
			s := Compute(v)
			if s.Total != tc.total || s.Red != tc.red || s.Risk != tc.risk || s.Interval != tc.interval {
				t.Errorf("got total %d red %v risk %s every %s; want %d %v %s %s", s.Total, s.Red, s.Risk, s.Interval, tc.total, tc.red, tc.risk, tc.interval)
			}
		})
	}
}

// TestAggregateIsSumOfParts scores many random sets, in and out of the
// usual ranges, on both scales.
func TestAggregateIsSumOfParts(t *testing.T) {
	rng := rand.New(rand.NewSource(2017))
	for i := 0; i < 20000; i++ {
		v := Vitals{
			RespirationRate: rng.Intn(70),
			SpO2:            50 + rng.Intn(51),
			Scale:           Scale(1 + rng.Intn(2)),
			OnOxygen:        rng.Intn(2) == 1,
			Systolic:        40 + rng.Intn(260),
			Pulse:           20 + rng.Intn(220),
			Consciousness:   Levels[rng.Intn(len(Levels))],
			Temperature:     float64(300+rng.Intn(150)) / 10,
		}
		s := Compute(v)
		sum, red := 0, false
		for _, p := range s.Parts() {
			if p < 0 || p > 3 {
				t.Fatalf("%+v: a part scored %d", v, p)
			}
			sum += p
			red = red || p == 3
		}
		if s.Total != sum || s.Total < 0 || s.Total > 20 || s.Red != red {
			t.Fatalf("%+v: total %d red %v, parts %v", v, s.Total, s.Red, s.Parts())
		}
		if want, _ := Escalation(s.Total, s.Red); s.Risk != want {
			t.Fatalf("%+v: risk %s, want %s", v, s.Risk, want)
		}
	}
}

func TestParseConsciousness(t *testing.T) {
	for in, want := range map[string]Consciousness{"A": Alert, "alert": Alert, " c ": Confusion, "New confusion": Confusion, "V": Voice, "pain": Pain, "U": Unresponsive} {
		if got, err := ParseConsciousness(in); err != nil || got != want {
			t.Errorf("ParseConsciousness(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "X", "drowsy"} {
		if _, err := ParseConsciousness(in); err == nil {
			t.Errorf("ParseConsciousness(%q) took it", in)
		}
	}
}

func FuzzParseConsciousness(f *testing.F) {
	for _, s := range []string{"A", "c", "Voice", "responds to pain", "U", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConsciousness(s)
		if err != nil {
			return
		}
		found := false
		for _, l := range Levels {
			found = found || l == c
		}
		if !found {
			t.Fatalf("ParseConsciousness(%q) = %q, not a level", s, c)
		}
		if again, err := ParseConsciousness(string(c)); err != nil || again != c {
			t.Fatalf("the letter %q does not read back: %q %v", c, again, err)
		}
	})
}

func BenchmarkCompute(b *testing.B) {
	v := Vitals{RespirationRate: 22, SpO2: 93, Scale: Scale2, OnOxygen: true, Systolic: 105, Pulse: 95, Consciousness: Alert, Temperature: 38.4}
	for i := 0; i < b.N; i++ {
		if s := Compute(v); s.Total < 0 {
			b.Fatal(s)
		}
	}
}
