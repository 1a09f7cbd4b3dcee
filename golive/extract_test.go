package golive_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/opencrs/crs/golive"
)

// sampleDir is the shared sample extract, or the test is skipped.
func sampleDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data", "legacy-sample")
	if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil {
		t.Skipf("the shared sample extract is not here (%v)", err)
	}
	return dir
}

// expected reads the sample's expected.json without the entries that are
// for reading only (format, made_with, planted, controls).
func expected(t testing.TB, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"format", "made_with", "planted", "controls"} {
		delete(m, k)
	}
	return m
}

// CompareReport fails t with every difference between a report and the
// sample's expected.json, entry by entry.
func compareReport(t testing.TB, rep *golive.Report, want map[string]any) {
	t.Helper()
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			gb, _ := json.MarshalIndent(got[k], "", " ")
			wb, _ := json.MarshalIndent(w, "", " ")
			t.Errorf("%s differs:\n got %s\nwant %s", k, gb, wb)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("report has %s, expected.json does not", k)
		}
	}
}

func TestReadSampleMatchesExpected(t *testing.T) {
	dir := sampleDir(t)
	x, err := golive.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	compareReport(t, golive.NewReport(x, nil), expected(t, dir))
}

func TestSoundex(t *testing.T) {
	for name, want := range map[string]string{"Robert": "R163", "Rupert": "R163", "Ashcraft": "A261",
		"Tymczak": "T522", "Pfister": "P236", "Honeyman": "H555", "O'Brien": "O165", "Smith": "S530",
		"Smyth": "S530", "Müller": "M460", "": "", "Ü": "", "Lee": "L000"} {
		if got := golive.Soundex(name); got != want {
			t.Errorf("Soundex(%q) = %q, want %q", name, got, want)
		}
	}
}
