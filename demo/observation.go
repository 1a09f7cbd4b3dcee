package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/news2"
)

// vitalsProfile is how a demo inpatient's observations run: three sets,
// four hours apart, ending hours before now.
type vitalsProfile struct {
	name  string
	ago   time.Duration // how long before now the last set was taken
	rr    [3]int
	spo2  [3]int
	o2    [3]bool
	sys   [3]int
	pulse [3]int
	acvpu [3]news2.Consciousness
	temp  [3]float64
}

// vitalsProfiles make the clinical board show each kind of patient:
// stable, a single parameter of 3, deteriorating to urgent (5-6), to
// emergency (7 or more), and stable but overdue.
var vitalsProfiles = []vitalsProfile{
	{"stable", 2 * time.Hour, [3]int{16, 15, 16}, [3]int{97, 98, 97}, [3]bool{}, [3]int{128, 124, 131}, [3]int{72, 76, 70},
		[3]news2.Consciousness{news2.Alert, news2.Alert, news2.Alert}, [3]float64{36.8, 37.0, 36.9}},
	{"new confusion", 30 * time.Minute, [3]int{17, 18, 18}, [3]int{96, 96, 96}, [3]bool{}, [3]int{132, 128, 126}, [3]int{78, 80, 84},
		[3]news2.Consciousness{news2.Alert, news2.Alert, news2.Confusion}, [3]float64{37.1, 37.2, 37.4}},
	{"sepsis developing", 40 * time.Minute, [3]int{18, 21, 23}, [3]int{96, 95, 94}, [3]bool{}, [3]int{118, 110, 104}, [3]int{88, 96, 104},
		[3]news2.Consciousness{news2.Alert, news2.Alert, news2.Alert}, [3]float64{37.8, 38.3, 38.6}},
	{"deteriorating", 20 * time.Minute, [3]int{20, 24, 27}, [3]int{95, 93, 91}, [3]bool{false, true, true}, [3]int{112, 102, 94}, [3]int{92, 108, 118},
		[3]news2.Consciousness{news2.Alert, news2.Alert, news2.Voice}, [3]float64{37.9, 38.6, 39.2}},
	{"overdue", 7 * time.Hour, [3]int{19, 18, 20}, [3]int{96, 95, 95}, [3]bool{}, [3]int{140, 138, 142}, [3]int{86, 92, 94},
		[3]news2.Consciousness{news2.Alert, news2.Alert, news2.Alert}, [3]float64{37.0, 37.3, 37.1}},
}

// seedObservations records observation sets for the first inpatients of
// each ward, one profile each, through the observation service; a
// patient who has a score already is left alone, so a second run adds
// none.
func seedObservations(ctx context.Context, a crs.Actor, sv JourneyServices, now time.Time) error {
	if sv.Observations == nil {
		return nil
	}
	wards, err := sv.Inpatients.BedBoard(ctx, a)
	if err != nil {
		return err
	}
	for _, w := range wards {
		var ids []string
		for _, b := range w.Beds {
			if b.SpellID != "" && len(ids) < len(vitalsProfiles) {
				ids = append(ids, b.PatientID)
			}
		}
		done, err := sv.Observations.LatestNEWS2(ctx, a, ids)
		if err != nil {
			return err
		}
		for i, pid := range ids {
			if done[pid] != nil {
				continue
			}
			p := vitalsProfiles[i]
			for k := 0; k < 3; k++ {
				o2 := p.o2[k]
				v := &crs.VitalSigns{PatientID: pid, EffectiveAt: now.Add(-p.ago - time.Duration(2-k)*4*time.Hour).Truncate(time.Minute),
					RespirationRate: &p.rr[k], SpO2: &p.spo2[k], OnOxygen: &o2, Systolic: &p.sys[k], Pulse: &p.pulse[k],
					Consciousness: p.acvpu[k], Temperature: &p.temp[k]}
				if err := sv.Observations.RecordVitalSigns(ctx, a, v); err != nil {
					return fmt.Errorf("seed observations (%s): %w", p.name, err)
				}
			}
		}
	}
	return nil
}
