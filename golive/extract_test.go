package golive_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// TestReadRefusesExtract checks the file-level errors: a missing file, a
// header that differs from the format, and an extract row that is not
// valid refuse the whole extract, naming the file and line.
func TestReadRefusesExtract(t *testing.T) {
	src := sampleDir(t)
	for _, c := range []struct {
		name, file, content, want string
	}{
		{"missing file", golive.FileWards, "", "the extract has no readable wards.csv"},
		{"header", golive.FileClinics, "clinic_code,name,tfc,consultant_code,site_code\r\n", "clinics.csv line 1: the header is"},
		{"extract row", golive.FileExtract, golive.Header(golive.FileExtract) + "\r\nR9V,2026-09-01T01:30,2026-02-30,Oakwood PAS 7.3\r\n", "extract.csv line 2: the extract row is invalid (bad_date in census_date)"},
		{"two extract rows", golive.FileExtract, golive.Header(golive.FileExtract) + "\r\nR9V,2026-09-01T01:30,2026-08-31,A\r\nR9V,2026-09-01T01:30,2026-08-31,B\r\n", "must hold exactly one data row, it holds 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range golive.Files {
				b, err := os.ReadFile(filepath.Join(src, f))
				if err != nil {
					t.Fatal(err)
				}
				if f == c.file {
					if c.content == "" {
						continue
					}
					b = []byte(c.content)
				}
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := golive.Read(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Read = %v, want an error saying %q", err, c.want)
			}
		})
	}
}

// TestSplitQuoted reads quoted fields with commas and doubled quotes, and
// counts a line whose quoting is broken as having the wrong column count.
func TestSplitQuoted(t *testing.T) {
	dir := t.TempDir()
	src := sampleDir(t)
	for _, f := range golive.Files {
		b, _ := os.ReadFile(filepath.Join(src, f))
		if f == golive.FileGPPractices {
			b = []byte(golive.Header(f) + "\r\n" +
				`A00001,"Practice, the ""Old"" one",BD1 1AB` + "\r\n" +
				`A00002,"Broken practice,BD1 1AB` + "\r\n" +
				`A00003,Plain "quote",BD1 1AB` + "\r\n")
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	x, err := golive.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := x.File(golive.FileGPPractices).Rows
	if !rows[0].Accepted() || rows[0].Fields[1] != `Practice, the "Old" one` {
		t.Errorf("quoted field read as %q (%s)", rows[0].Fields, rows[0].Reason)
	}
	for _, r := range rows[1:] {
		if r.Reason != golive.ReasonWrongColumnCount {
			t.Errorf("line %d %q: %s, want wrong_column_count", r.Line, r.Raw, r.Reason)
		}
	}
}
