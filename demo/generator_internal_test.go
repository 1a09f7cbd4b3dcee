package demo

import (
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestDuplicateBirthDateNotSwappedIntoFuture registers again babies born
// this year on a day whose day and month swapped fall after today, and
// checks that every duplicate is valid and still planted: a swap that
// would put the birth in the future becomes a misspelt given name.
func TestDuplicateBirthDateNotSwappedIntoFuture(t *testing.T) {
	for _, day := range []crs.Date{
		crs.NewDate(2026, time.July, 28), crs.NewDate(2026, time.August, 3), crs.NewDate(2026, time.September, 5),
		crs.NewDate(2026, time.October, 1), crs.NewDate(2026, time.November, 1), crs.NewDate(2026, time.December, 2),
		crs.NewDate(2028, time.February, 29),
	} {
		t.Run(day.String(), func(t *testing.T) {
			g := NewGenerator(1)
			g.Today = day
			// Babies born this year, on or before today, whose day and
			// month swapped are after today.
			var babies []*crs.Patient
			for b := crs.NewDate(day.Year(), time.January, 1); !b.After(day.Time); b = crs.DateOf(b.AddDate(0, 0, 1)) {
				swapped := crs.NewDate(b.Year(), time.Month(b.Day()), int(b.Month()))
				if b.Day() <= 12 && b.Day() != int(b.Month()) && swapped.After(day.Time) {
					p := g.Patient()
					p.BirthDate, p.DeathTime = b, nil
					babies = append(babies, p)
				}
			}
			if len(babies) == 0 {
				t.Fatalf("no birth date this year swaps to after %s", day)
			}
			g.recent = babies
			how := map[string]int{}
			for i := 0; i < 50*len(babies); i++ {
				p := g.duplicate()
				if err := p.Validate(day.Time); err != nil {
					t.Fatalf("duplicate %d (%s) of a baby born %s is invalid: %v", i, g.pairs[len(g.pairs)-1].How, g.pairs[len(g.pairs)-1].Original.BirthDate, err)
				}
				how[g.pairs[len(g.pairs)-1].How]++
			}
			if len(g.pairs) != 50*len(babies) {
				t.Errorf("%d duplicates planted, want %d", len(g.pairs), 50*len(babies))
			}
			if how[HowBirthDaySwapped] != 0 || how[HowGivenNameMisspelt] == 0 {
				t.Errorf("duplicates by how %v; want none swapped and some with a misspelt given name instead", how)
			}
		})
	}
}
