package golive_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencrs/crs/golive"
)

// generated writes a small generated extract to a new folder and returns
// the folder.
func generated(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := golive.Generate(dir, golive.GenerateOptions{Patients: 40, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rewrite changes one file of the extract in dir.
func rewrite(t *testing.T, dir, file string, change func(string) string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(change(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// outcome is each row's line and reason, of one file.
func outcome(x *golive.Extract, file string) []string {
	var out []string
	for _, r := range x.File(file).Rows {
		out = append(out, r.Reason+" "+r.Column)
	}
	return out
}

// TestReadUnseenDialect reads what an extract of the same format made by
// another hand may hold: every field quoted (the header too), bare LF
// line ends or none after the last record, each read as the same rows;
// blank lines rejected as rows with the wrong column count at their
// line; a byte that is not UTF-8 (a Latin-1 name) rejected with its
// column; dates at the edges of the calendar; and an empty file, a
// byte-order mark, an extra column or columns out of order refusing the
// extract with the file and line.
func TestReadUnseenDialect(t *testing.T) {
	clean := generated(t)
	base, err := golive.Read(clean)
	if err != nil {
		t.Fatal(err)
	}
	want := outcome(base, golive.FilePatients)

	same := map[string]func(string) string{
		"every field quoted": func(s string) string {
			lines := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
			for i, l := range lines {
				if !strings.Contains(l, `"`) {
					lines[i] = `"` + strings.ReplaceAll(l, ",", `","`) + `"`
				}
			}
			return strings.Join(lines, "\r\n") + "\r\n"
		},
		"bare LF":          func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") },
		"no last line end": func(s string) string { return strings.TrimSuffix(s, "\r\n") },
	}
	for name, change := range same {
		t.Run(name, func(t *testing.T) {
			dir := generated(t)
			rewrite(t, dir, golive.FilePatients, change)
			x, err := golive.Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := outcome(x, golive.FilePatients); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("rows read %d, want the %d of the clean extract with the same outcome", len(got), len(want))
			}
		})
	}

	t.Run("blank lines", func(t *testing.T) {
		dir := generated(t)
		rewrite(t, dir, golive.FilePatients, func(s string) string { return s + "\r\n\r\n" })
		x, err := golive.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		rows := x.File(golive.FilePatients).Rows
		if n := len(rows); n != len(want)+2 || rows[n-1].Reason != golive.ReasonWrongColumnCount || rows[n-1].Line != len(want)+3 {
			t.Errorf("two blank lines at the end: %d rows, last %+v; want them rejected as wrong_column_count at lines %d and %d", n, rows[n-1], len(want)+2, len(want)+3)
		}
	})

	// Row edits of patients.csv: the column and its new value by line.
	col := func(name string) int {
		for i, c := range strings.Split(golive.Header(golive.FilePatients), ",") {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return 0
	}
	t.Run("values at the edges", func(t *testing.T) {
		dir := generated(t)
		edits := []struct {
			column, value, reason string
		}{
			{"family_name", "Andr\xe9", golive.ReasonBadFormat}, // Latin-1, not UTF-8
			{"family_name", "André", ""},
			{"date_of_birth", "1900-01-01", ""},
			{"date_of_birth", "1899-12-31", golive.ReasonBadDate},
			{"date_of_birth", "2024-02-29", ""},
			{"date_of_birth", "2023-02-29", golive.ReasonBadDate},
			{"date_of_birth", "2000-1-01", golive.ReasonBadDate},
		}
		rewrite(t, dir, golive.FilePatients, func(s string) string {
			lines := strings.Split(s, "\r\n")
			n := 1
			for _, e := range edits {
				for ; ; n++ { // the next live, clean, unquoted row
					f := strings.Split(lines[n], ",")
					if len(f) == len(strings.Split(golive.Header(golive.FilePatients), ",")) && base.File(golive.FilePatients).Rows[n-1].Accepted() && f[len(f)-1] == "" {
						f[col(e.column)] = e.value
						lines[n] = strings.Join(f, ",")
						n++
						break
					}
				}
			}
			return strings.Join(lines, "\r\n")
		})
		x, err := golive.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for _, r := range x.File(golive.FilePatients).Rows {
			if i < len(edits) && r.Fields != nil && r.Fields[col(edits[i].column)] == edits[i].value {
				if r.Reason != edits[i].reason || (r.Reason != "" && r.Column != edits[i].column) {
					t.Errorf("%s %q at line %d: %q in %q, want %q", edits[i].column, edits[i].value, r.Line, r.Reason, r.Column, edits[i].reason)
				}
				i++
			}
		}
		if i != len(edits) {
			t.Errorf("found %d of the %d edited rows", i, len(edits))
		}
	})

	for _, c := range []struct {
		name   string
		change func(string) string
		want   string
	}{
		{"empty file", func(string) string { return "" }, "patients.csv: the file is empty"},
		{"byte-order mark", func(s string) string { return "\xef\xbb\xbf" + s }, "patients.csv line 1: the file starts with a byte-order mark"},
		{"extra column", func(s string) string { return strings.Replace(s, "\r\n", ",notes\r\n", 1) }, "patients.csv line 1: the header is"},
		{"columns out of order", func(s string) string {
			h, rest, _ := strings.Cut(s, "\r\n")
			f := strings.Split(h, ",")
			f[1], f[2] = f[2], f[1]
			return strings.Join(f, ",") + "\r\n" + rest
		}, "patients.csv line 1: the header is"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := generated(t)
			rewrite(t, dir, golive.FilePatients, c.change)
			if _, err := golive.Read(dir); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Read = %v, want an error saying %q", err, c.want)
			}
		})
	}
}
