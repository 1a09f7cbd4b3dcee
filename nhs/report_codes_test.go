package nhs

import (
	"encoding/csv"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// referenceCodes reads the first two columns of a code list of the shared
// reference, or skips the test when it is not present.
func referenceCodes(t *testing.T, name string) []Code {
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
	var out []Code
	for _, r := range rows[1:] {
		out = append(out, Code{Code: r[0], Description: r[1]})
	}
	return out
}

// TestReportCodesMatchReference checks the code lists the returns embed
// against the reference files they were taken from.
func TestReportCodesMatchReference(t *testing.T) {
	for name, list := range map[string][]Code{"dm01_diagnostic_tests.csv": DM01Tests, "kh03_bed_sectors.csv": KH03Sectors} {
		if diff := cmp.Diff(referenceCodes(t, name), list); diff != "" {
			t.Errorf("%s (-reference +embedded):\n%s", name, diff)
		}
	}
}
