package golive

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencrs/crs"
)

// Row is one data line of a file of the extract and what became of it:
// accepted (Reason "") or rejected with one reason, for one column.
type Row struct {
	Line   int      // line in the file; the header is line 1
	Raw    string   // the line as written, without its line end
	Fields []string // the values; nil when the line has the wrong column count
	Reason string   // the reason code it is rejected with, or ""
	Column string   // the column the reason is about, or ""
	// Detail says what a row refused as it was loaded met: the hospital
	// number of the live patient already holding its NHS number.
	Detail string
}

// Accepted reports whether the row is to be loaded.
func (r *Row) Accepted() bool { return r.Reason == "" }

func (r *Row) reject(reason, column string) {
	if r.Reason == "" {
		r.Reason, r.Column = reason, column
	}
}

// File is one file of the extract: its rows in line order.
type File struct {
	Name  string
	Rows  []Row
	cols  map[string]int
	first map[string]int // key value -> index in Rows of the first line with the right column count
}

// get is the value of the named column of a row with the right column
// count.
func (f *File) get(r *Row, col string) string { return r.Fields[f.cols[col]] }

// lookup returns the row a reference names: the first line with the
// right column count whose key is v, or nil.
func (f *File) lookup(v string) *Row {
	i, ok := f.first[v]
	if !ok {
		return nil
	}
	return &f.Rows[i]
}

// Extract is a legacy PAS extract read and checked row by row against its
// specification.
type Extract struct {
	Dir             string
	TrustODS        string
	ExtractDatetime string // YYYY-MM-DDTHH:MM, local time in England
	CensusDate      string // YYYY-MM-DD
	SystemName      string
	files           map[string]*File
	// LikelyDuplicates are the pairs of legacy patient ids that are likely
	// the same person (section 7), each in ascending order, sorted.
	LikelyDuplicates [][2]string
}

// File returns one file of the extract by its name.
func (x *Extract) File(name string) *File { return x.files[name] }

// Read reads the extract in dir and checks every row. An extract with a
// file missing, a header that differs from its specification, or not
// exactly one valid row in extract.csv is refused as a whole with an
// EINVALID error naming the file; otherwise every row is accepted or
// rejected with its reason.
func Read(dir string) (*Extract, error) {
	x := &Extract{Dir: dir, files: map[string]*File{}}
	for _, name := range Files {
		f, err := readFile(filepath.Join(dir, name), name)
		if err != nil {
			return nil, err
		}
		x.files[name] = f
	}
	if err := x.check(); err != nil {
		return nil, err
	}
	return x, nil
}

func readFile(path, name string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, crs.Errorf(crs.EINVALID, "%s: the extract has no readable %s: %v", path, name, err)
	}
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		return nil, crs.Errorf(crs.EINVALID, "%s line 1: the file starts with a byte-order mark, which the extract format does not allow", path)
	}
	if len(b) == 0 {
		return nil, crs.Errorf(crs.EINVALID, "%s: the file is empty; it must hold at least its header line: %s", path, Header(name))
	}
	text := string(b)
	text = strings.TrimSuffix(text, "\n")
	text = strings.TrimSuffix(text, "\r")
	lines := strings.Split(text, "\n")
	header := strings.TrimSuffix(lines[0], "\r")
	// RFC 4180 lets any field be quoted, the header's names too.
	if names, ok := splitLine(header); !ok || strings.Join(names, ",") != Header(name) {
		return nil, crs.Errorf(crs.EINVALID, "%s line 1: the header is %q, the format says %q (the same names in that order, no other)", path, header, Header(name))
	}
	cols := layouts[name]
	f := &File{Name: name, cols: map[string]int{}, first: map[string]int{}}
	for i, c := range cols {
		f.cols[c.name] = i
	}
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	f.Rows = make([]Row, 0, len(lines))
	for i, l := range lines[1:] {
		l = strings.TrimSuffix(l, "\r")
		r := Row{Line: i + 2, Raw: l}
		fields, ok := splitLine(l)
		if !ok || len(fields) != len(cols) {
			r.Reason = ReasonWrongColumnCount
		} else {
			r.Fields = fields
		}
		f.Rows = append(f.Rows, r)
	}
	// Checks 1-3 of section 3: column count, fields, key.
	for i := range f.Rows {
		r := &f.Rows[i]
		if r.Fields == nil {
			continue
		}
		for j, c := range cols {
			if reason := c.check(r.Fields[j]); reason != "" {
				r.reject(reason, c.name)
				break
			}
		}
		if keyed[name] {
			k := r.Fields[0]
			if _, dup := f.first[k]; dup {
				r.reject(ReasonDuplicateID, cols[0].name)
			} else {
				f.first[k] = i
			}
		}
	}
	return f, nil
}

// splitLine splits one CSV record (RFC 4180, no line breaks in fields).
// ok is false when the quoting is broken.
func splitLine(l string) ([]string, bool) {
	var out []string
	if !strings.Contains(l, `"`) {
		return strings.Split(l, ","), true
	}
	for {
		if strings.HasPrefix(l, `"`) {
			var b strings.Builder
			i := 1
			for {
				j := strings.IndexByte(l[i:], '"')
				if j < 0 {
					return nil, false
				}
				b.WriteString(l[i : i+j])
				i += j + 1
				if i < len(l) && l[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			out = append(out, b.String())
			if i == len(l) {
				return out, true
			}
			if l[i] != ',' {
				return nil, false
			}
			l = l[i+1:]
			continue
		}
		j := strings.IndexByte(l, ',')
		if j < 0 {
			if strings.Contains(l, `"`) {
				return nil, false
			}
			return append(out, l), true
		}
		if strings.Contains(l[:j], `"`) {
			return nil, false
		}
		out = append(out, l[:j])
		l = l[j+1:]
	}
}

// refReason is the reason a reference to row r of thing is rejected for,
// or "".
func refReason(r *Row, thing string) string {
	switch {
	case r == nil:
		return thing + "_not_found"
	case !r.Accepted():
		return thing + "_rejected"
	}
	return ""
}

func (x *Extract) fail(format string, args ...any) error {
	return crs.Errorf(crs.EINVALID, "%s: "+format, append([]any{x.Dir}, args...)...)
}

var _ = fmt.Sprint
