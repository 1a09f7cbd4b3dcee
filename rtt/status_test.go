package rtt

import (
	"encoding/csv"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestStatusTable(t *testing.T) {
	want := map[Status]Category{
		10: CategoryClockStart, 11: CategoryClockStart, 12: CategoryClockStart,
		20: CategoryClockRunning, 21: CategoryClockRunning,
		30: CategoryClockStop, 31: CategoryClockStop, 32: CategoryClockStop, 33: CategoryClockStop,
		34: CategoryClockStop, 35: CategoryClockStop, 36: CategoryClockStop,
		90: CategoryNotRTT, 91: CategoryNotRTT, 92: CategoryNotRTT, 98: CategoryNotRTT,
		99: CategoryUnknown,
	}
	for i := 0; i < 256; i++ {
		s := Status(i)
		cat, ok := want[s]
		if s.Valid() != ok || s.Category() != cat {
			t.Errorf("Status %d: Valid %v Category %v; want %v %v", i, s.Valid(), s.Category(), ok, cat)
		}
		if ok == (s.Description() == "") {
			t.Errorf("Status %d: Description %q", i, s.Description())
		}
	}
	if n := len(Statuses()); n != 17 {
		t.Errorf("Statuses() has %d codes, want 17 (Annex D)", n)
	}
	if s, err := ParseStatus(" 30 "); err != nil || s != StatusFirstTreatment {
		t.Errorf("ParseStatus(30) = %v, %v", s, err)
	}
	for _, bad := range []string{"", "3", "3x", "13", "100", "-10"} {
		if _, err := ParseStatus(bad); err == nil {
			t.Errorf("ParseStatus(%q) succeeded", bad)
		}
	}
	if CategoryClockStop.String() != "clock stop" || Status(0).String() != "none" {
		t.Errorf("String: %q %q", CategoryClockStop, Status(0))
	}
}

// sharedFile opens a reference file of the project, or skips the test.
func sharedFile(t *testing.T, name string) [][]string {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "reference", "codes", name)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("reference file %s not present; skipping the cross-check", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

func TestStatusTableMatchesDataDictionary(t *testing.T) {
	rows := sharedFile(t, "referral_to_treatment_period_status.csv")
	cats := map[string]Category{"clock_start": CategoryClockStart, "clock_running": CategoryClockRunning,
		"clock_stop": CategoryClockStop, "not_rtt": CategoryNotRTT, "unknown": CategoryUnknown}
	if len(rows) != len(Statuses()) {
		t.Errorf("CSV has %d codes, table %d", len(rows), len(Statuses()))
	}
	for _, r := range rows {
		n, _ := strconv.Atoi(r[0])
		s := Status(n)
		if s.Category() != cats[r[2]] {
			t.Errorf("%s: category %v, CSV %s", r[0], s.Category(), r[2])
		}
		if !strings.EqualFold(s.Description(), r[1]) {
			t.Errorf("%s: description\n got %q\nwant %q", r[0], s.Description(), r[1])
		}
	}
}
