package nhs

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
)

// TestECDSListsMatchReference checks the embedded ECDS code lists against
// the code lists of the shared reference folder: every code of the file
// is in the list and the list has no code the file lacks.
func TestECDSListsMatchReference(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "reference", "codes")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference code lists not found at %s: %v", dir, err)
	}
	for file, list := range map[string][]Code{
		"ecds_attendance_category.csv":   EDAttendanceCategories,
		"ecds_discharge_status.csv":      EDDischargeStatuses,
		"ecds_arrival_mode.csv":          ArrivalModes,
		"ecds_discharge_destination.csv": EDDischargeDestinations,
	} {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		want := map[string]bool{}
		for _, r := range rows[1:] {
			want[r[0]] = true
			if _, ok := Lookup(list, r[0]); !ok {
				t.Errorf("%s: code %s is not in the embedded list", file, r[0])
			}
		}
		for _, c := range list {
			if !want[c.Code] {
				t.Errorf("%s: embedded code %s is not in the file", file, c.Code)
			}
		}
	}
}

func TestEDAcuityForTriage(t *testing.T) {
	for cat, want := range map[int]string{0: "", 1: "1064891000000107", 2: "1064911000000105", 3: "1064901000000108", 4: "1077241000000103", 5: "1077251000000100", 6: ""} {
		if got := EDAcuityForTriage(cat); got != want {
			t.Errorf("EDAcuityForTriage(%d) = %q, want %q", cat, got, want)
		}
	}
}
