package demo_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
)

// TestTrustPatientsValidEveryDay draws each demo trust's patients at the
// demo's size as on every day of two whole years and on a leap day, and
// checks that every one of them is valid that day and that the planted
// duplicates are there, each differing from its original as it says.
func TestTrustPatientsValidEveryDay(t *testing.T) {
	const n = 10_000 // the demo's default, per trust
	var days []crs.Date
	for d := crs.NewDate(2026, time.January, 1); d.Year() < 2028; d = crs.DateOf(d.AddDate(0, 0, 1)) {
		days = append(days, d)
	}
	days = append(days, crs.NewDate(2028, time.February, 29))
	if len(days) != 731 {
		t.Fatalf("%d days, want 730 and a leap day", len(days))
	}

	type tally struct {
		patients int
		how      map[string]int
	}
	var (
		mu    sync.Mutex
		total = tally{how: map[string]int{}}
		wg    sync.WaitGroup
		next  = make(chan crs.Date)
	)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for day := range next {
				for _, ods := range []string{demo.NorthgateODS, demo.RiversideODS} {
					errs, got := checkTrustPatients(ods, n, day)
					mu.Lock()
					for _, e := range errs {
						t.Errorf("%s as on %s: %s", ods, day, e)
					}
					total.patients += got.patients
					for h, c := range got.how {
						total.how[h] += c
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, d := range days {
		next <- d
	}
	close(next)
	wg.Wait()
	t.Logf("%d patients over %d days; duplicates by how: %v", total.patients, len(days), total.how)
	for _, h := range []string{demo.HowNHSNumberMissing, demo.HowFamilyNameMisspelt, demo.HowGivenNameMisspelt, demo.HowBirthDaySwapped} {
		if total.how[h] == 0 {
			t.Errorf("no duplicate with %s", h)
		}
	}
}

// checkTrustPatients draws a trust's patients as on day and returns what
// is wrong with them, and how many patients and duplicates of each kind
// there were.
func checkTrustPatients(ods string, n int, day crs.Date) (errs []string, got struct {
	patients int
	how      map[string]int
}) {
	ps, dups, err := demo.TrustPatients(ods, 1, n, day)
	if err != nil {
		return []string{err.Error()}, got
	}
	got.patients, got.how = len(ps), map[string]int{}
	if len(ps) != n {
		errs = append(errs, fmt.Sprintf("drew %d patients, want %d", len(ps), n))
	}
	for i, p := range ps {
		if err := p.Validate(day.Time); err != nil {
			errs = append(errs, fmt.Sprintf("patient %d invalid: %v", i, err))
		}
	}
	// About one in 200 is a duplicate: 50 of 10,000.
	if len(dups) < n/400 || len(dups) > n/100 {
		errs = append(errs, fmt.Sprintf("%d duplicates, want about %d", len(dups), n/200))
	}
	for _, d := range dups {
		got.how[d.How]++
		o, p := d.Original, d.Duplicate
		wantBirth := o.BirthDate
		if d.How == demo.HowBirthDaySwapped {
			wantBirth = crs.NewDate(o.BirthDate.Year(), time.Month(o.BirthDate.Day()), int(o.BirthDate.Month()))
		}
		sameNames := map[string]bool{
			demo.HowNHSNumberMissing:   o.FamilyName == p.FamilyName && o.GivenName == p.GivenName,
			demo.HowFamilyNameMisspelt: o.FamilyName != p.FamilyName && o.GivenName == p.GivenName,
			demo.HowGivenNameMisspelt:  o.FamilyName == p.FamilyName && o.GivenName != p.GivenName,
			demo.HowBirthDaySwapped:    o.FamilyName == p.FamilyName && o.GivenName == p.GivenName && !o.BirthDate.Equal(p.BirthDate.Time),
		}
		if ok, known := sameNames[d.How]; !known || !ok || !p.BirthDate.Equal(wantBirth.Time) || p.NHSNumber != "" {
			errs = append(errs, fmt.Sprintf("duplicate (%s) of %s %s %s is %s %s %s, NHS number %q",
				d.How, o.FamilyName, o.GivenName, o.BirthDate, p.FamilyName, p.GivenName, p.BirthDate, p.NHSNumber))
		}
	}
	return errs, got
}

// BenchmarkTrustPatients draws a demo trust's patients at the demo's
// size, as `crs demo` does before registering them.
func BenchmarkTrustPatients(b *testing.B) {
	today := crs.NewDate(2026, time.December, 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := demo.TrustPatients(demo.NorthgateODS, 1, 10_000, today); err != nil {
			b.Fatal(err)
		}
	}
}
