package hl7

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// normalise turns an input into what Bytes writes: no BOM, no leading
// white space, no blank lines, every segment ended by CR.
func normalise(data []byte) []byte {
	data = bytes.TrimPrefix(data, bom)
	var out []byte
	for _, ln := range bytes.FieldsFunc(data, func(r rune) bool { return r == '\r' || r == '\n' }) {
		if len(bytes.Trim(ln, " \t")) == 0 {
			continue
		}
		if len(out) == 0 {
			ln = bytes.TrimLeft(ln, " \t")
		}
		out = append(out, ln...)
		out = append(out, '\r')
	}
	return out
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in  string
		want      string
		seg, line int
		offset    int
	}{
		{"empty", "", "segment 1 (line 1): empty message", 1, 1, 0},
		{"only space", " \r\n\n", "segment 1 (line 3): empty message", 1, 3, 4},
		{"no MSH", "PID|1\r", "segment 1 (line 1): message does not start with an MSH segment", 1, 1, 0},
		{"bad field sep", "MSHA^~\\&\r", `segment 1 (line 1): field separator 'A' is not allowed`, 1, 1, 3},
		{"no encoding", "MSH||X\r", "segment 1 (line 1): MSH-2 encoding characters are missing", 1, 1, 4},
		{"dup encoding", "MSH|^^\\&|\r", `segment 1 (line 1): MSH-2 encoding character '^' is used twice`, 1, 1, 5},
		{"long encoding", "MSH|^~\\&#$|\r", `segment 1 (line 1): MSH-2 encoding characters "^~\\&#$" are more than 5`, 1, 1, 4},
		{"bad name", "MSH|^~\\&|A\rEVN|A01\r\nP@D|1\r", `segment 3 (line 3): segment name "P@D" is not 3 upper-case letters or digits`, 3, 3, 20},
		{"lower name", "MSH|^~\\&\n\nevn|1\n", `segment 2 (line 3): segment name "evn" is not 3 upper-case letters or digits`, 2, 3, 10},
		{"long name", "MSH|^~\\&\rPIDX|1\r", `segment 2 (line 2): segment name "PIDX" is not 3 upper-case letters or digits`, 2, 2, 9},
		{"short", "MSH|^~\\&\rPI\r", `segment 2 (line 2): segment name "PI" is not 3 upper-case letters or digits`, 2, 2, 9},
		{"comment", "MSH|^~\\&\r// note\r", `segment 2 (line 2): segment name "// note" is not 3 upper-case letters or digits`, 2, 2, 9},
		{"second MSH", "MSH|^~\\&\rMSH|^~\\&\r", "segment 2 (line 2): a second MSH segment starts another message (use Split for files of several messages)", 2, 2, 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error %q", tc.in, m.Bytes(), tc.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error:\ngot  %s\nwant %s", got, tc.want)
			}
			if pe.Segment != tc.seg || pe.Line != tc.line || pe.Offset != tc.offset {
				t.Errorf("position: got segment %d line %d offset %d, want %d %d %d", pe.Segment, pe.Line, pe.Offset, tc.seg, tc.line, tc.offset)
			}
		})
	}
}

func TestParseRoundTrip(t *testing.T) {
	tests := []struct{ name, in string }{
		{"CR", "MSH|^~\\&|A|B\rPID|1||X\r"},
		{"LF", "MSH|^~\\&|A|B\nPID|1||X\n"},
		{"CRLF", "MSH|^~\\&|A|B\r\nPID|1||X\r\n"},
		{"mixed and blank", "MSH|^~\\&|A|B\r\n\n\r\r\nPID|1||X\nPV1|1\r  \t\n"},
		{"BOM and leading space", "\xef\xbb\xbf \r\n  MSH|^~\\&|A\rPID|1\r"},
		{"no terminator", "MSH|^~\\&|A\rPID|1"},
		{"name only", "MSH|^~\\&\rDSC\rDSC|\rZZ1||\r"},
		{"MSH only", "MSH|^~\\&"},
		{"three encoding chars", "MSH|^~}|A\rPID|1|a}b^c\r"},
		{"truncation char", "MSH|^~\\&#|A\rPID|1|a#\r"},
		{"odd delimiters", "MSH*!@$%*A\rPID*1*a!b@c%d$e\r"},
		{"trailing separators", "MSH|^~\\&|||||\rPID|||||\r"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, want := m.Bytes(), normalise([]byte(tc.in))
			if !bytes.Equal(got, want) {
				t.Errorf("Bytes:\ngot  %q\nwant %q", got, want)
			}
		})
	}
}

func TestGet(t *testing.T) {
	m, err := Parse([]byte("MSH|^~\\&|PAS^RXH.1|RXH||CRS|20240131||ADT^A01^ADT_A01|C1|P|2.5.1^GBR\r" +
		"EVN|A01\r" +
		"PID|1||9990000018^^^NHS&2.16.840.1.113883.2.1.4.1&ISO^NH~H1^^^RXH^MR~||O\\T\\BRIEN^Anne \\S\\ Marie||19800229\r" +
		"OBX|1|NM|A||1\rOBX|2|NM|B||2\rOBX|3|TX|C||x\\F\\y\\.br\\z\r"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{"MSH-1", "|"},
		{"MSH-2", "^~\\&"},
		{"MSH-3", "PAS^RXH.1"},
		{"MSH-3.2", "RXH.1"},
		{"MSH-9.2", "A01"},
		{"MSH-9-3", "ADT_A01"},
		{"MSH-12.1", "2.5.1"},
		{"PID-3", "9990000018^^^NHS&2.16.840.1.113883.2.1.4.1&ISO^NH~H1^^^RXH^MR~"},
		{"PID-3[1]", "9990000018^^^NHS&2.16.840.1.113883.2.1.4.1&ISO^NH"},
		{"PID-3.1", "9990000018"},
		{"PID-3[2].1", "H1"},
		{"PID-3[2].5", "MR"},
		{"PID-3[3].1", ""},
		{"PID-3[4].1", ""},
		{"PID-3.4.1", "NHS"},
		{"PID-3.4.2", "2.16.840.1.113883.2.1.4.1"},
		{"PID-3.4.4", ""},
		{"PID-5.1", "O&BRIEN"},
		{"PID-5.2", "Anne ^ Marie"},
		{"PID-7", "19800229"},
		{"PID-99", ""},
		{"PV1-1", ""},
		{"OBX[3]-5", "x|y\nz"},
		{"OBX[2]-3", "B"},
		{"OBX-3", "A"},
		{"OBX[4]-3", ""},
		{"pid-3", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if got := m.Get(tc.path); got != tc.want {
				t.Errorf("Get(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
	if got, want := m.GetRaw("PID-5.1"), "O\\T\\BRIEN"; got != want {
		t.Errorf("GetRaw(PID-5.1) = %q, want %q", got, want)
	}
	counts := []struct {
		path string
		want int
	}{{"OBX", 3}, {"PID-3", 3}, {"PID-3[2]", 5}, {"PID-3[1].4", 3}, {"PID-4", 0}, {"MSH-2", 1}, {"ZZZ", 0}}
	for _, tc := range counts {
		if got := m.Count(tc.path); got != tc.want {
			t.Errorf("Count(%q) = %d, want %d", tc.path, got, tc.want)
		}
	}
	if got, want := m.Type(), "ADT^A01"; got != want {
		t.Errorf("Type() = %q, want %q", got, want)
	}
	for _, c := range []struct{ name, got, want string }{
		{"Trigger", m.Trigger(), "A01"}, {"ControlID", m.ControlID(), "C1"}, {"Version", m.Version(), "2.5.1"},
		{"SendingApplication", m.SendingApplication(), "PAS"}, {"SendingFacility", m.SendingFacility(), "RXH"},
		{"ReceivingApplication", m.ReceivingApplication(), ""}, {"ReceivingFacility", m.ReceivingFacility(), "CRS"},
	} {
		if c.got != c.want {
			t.Errorf("%s() = %q, want %q", c.name, c.got, c.want)
		}
	}
	obx := m.Segments("OBX")
	if len(obx) != 3 || obx[2].Get("5") != "x|y\nz" || obx[1].Get("OBX-3") != "B" {
		t.Errorf("Segments(OBX): got %d segments", len(obx))
	}
	if m.Segment("ZZZ") != nil {
		t.Errorf("Segment(ZZZ) is not nil")
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in      string
		want    Path
		wantErr string
	}{
		{in: "PID", want: Path{Segment: "PID"}},
		{in: "OBX[3]-5", want: Path{Segment: "OBX", SegmentIndex: 3, Field: 5}},
		{in: "PID-3[2].1", want: Path{Segment: "PID", Field: 3, Repetition: 2, Component: 1}},
		{in: "PID-3[2].4.2", want: Path{Segment: "PID", Field: 3, Repetition: 2, Component: 4, Subcomponent: 2}},
		{in: "PID-5-1", want: Path{Segment: "PID", Field: 5, Component: 1}},
		{in: "ZU1-10", want: Path{Segment: "ZU1", Field: 10}},
		{in: "", wantErr: `hl7: bad path "": it must start with a segment name of 3 upper-case letters or digits`},
		{in: "pid-3", wantErr: `hl7: bad path "pid-3": it must start with a segment name of 3 upper-case letters or digits`},
		{in: "PID3", wantErr: `hl7: bad path "PID3": expected '-' and a field number after PID`},
		{in: "PID-", wantErr: `hl7: bad path "PID-": field: expected a number`},
		{in: "PID-0", wantErr: `hl7: bad path "PID-0": field: numbers count from 1`},
		{in: "PID-3[2", wantErr: `hl7: bad path "PID-3[2": repetition: missing ']'`},
		{in: "PID-3[]", wantErr: `hl7: bad path "PID-3[]": repetition: expected a number`},
		{in: "PID-3.1.2.3", wantErr: `hl7: bad path "PID-3.1.2.3": unexpected ".3" after the subcomponent`},
		{in: "PID-3x", wantErr: `hl7: bad path "PID-3x": unexpected "x"`},
		{in: "PID-99999999", wantErr: `hl7: bad path "PID-99999999": field: number 99999999 is too large`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePath(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("ParsePath(%q) error = %v, want %s", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("ParsePath(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if back, _ := ParsePath(got.String()); back != got {
				t.Errorf("String() = %q does not parse back: %+v", got.String(), back)
			}
		})
	}
}

func TestSet(t *testing.T) {
	m, err := NewMessage(DefaultDelimiters)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct{ path, value string }{
		{"MSH-3", "CRS"},
		{"MSH-9.1", "ADT"},
		{"MSH-9.2", "A01"},
		{"MSH-10", "M1"},
		{"MSH-12", "2.4"},
		{"PID-3[1].1", "9990000018"},
		{"PID-3[1].5", "NH"},
		{"PID-3[2].1", "H1"},
		{"PID-3[1].4.1", "NHS"},
		{"PID-5.1", "O'Brien & Sons ^ Co"},
		{"PID-5.2", "Line1\r\nLine2"},
		{"PID-3[2].5", "MR"},
		{"OBX-5", "a~b|c\\d"},
		{"OBX[2]-5", "two"},
	}
	for _, s := range steps {
		if err := m.Set(s.path, s.value); err != nil {
			t.Fatalf("Set(%q): %v", s.path, err)
		}
		if got := m.Get(s.path); got != strings.ReplaceAll(s.value, "\r\n", "\n") {
			t.Errorf("after Set(%q, %q), Get = %q", s.path, s.value, got)
		}
	}
	want := "MSH|^~\\&|CRS||||||ADT^A01|M1||2.4\r" +
		"PID|||9990000018^^^NHS^NH~H1^^^^MR||O'Brien \\T\\ Sons \\S\\ Co^Line1\\.br\\Line2\r" +
		"OBX|||||a\\R\\b\\F\\c\\E\\d\r" +
		"OBX|||||two\r"
	if got := string(m.Bytes()); got != want {
		t.Errorf("Bytes:\ngot  %q\nwant %q", got, want)
	}
	for _, bad := range []struct{ path, value string }{
		{"MSH-1", "!"}, {"MSH-2", "x"}, {"OBX[4]-1", "x"}, {"PID", "x"}, {"bad", "x"}, {"MSH[2]-3", "x"},
	} {
		if err := m.Set(bad.path, bad.value); err == nil {
			t.Errorf("Set(%q) succeeded, want an error", bad.path)
		}
	}
	if err := m.SetRaw("PID-8", "a|b"); err == nil {
		t.Errorf("SetRaw with a field separator succeeded")
	}
	if _, err := m.AddSegment("Pid"); err == nil {
		t.Errorf("AddSegment(Pid) succeeded")
	}
	if _, err := Parse(m.Bytes()); err != nil {
		t.Errorf("built message does not parse: %v", err)
	}
}

func TestBuildADT(t *testing.T) {
	m, _ := NewMessage(DefaultDelimiters)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.SetRaw("MSH-9", "ADT^A01^ADT_A01"))
	must(m.Set("MSH-10", "MSG1"))
	_, err := m.AddSegment("EVN", "A01", "20240131120000")
	must(err)
	must(m.Set("PID-3.1", "9990000018"))
	must(m.Set("PID-5.1", "TESTPATIENT"))
	want := "MSH|^~\\&|||||||ADT^A01^ADT_A01|MSG1\rEVN|A01|20240131120000\rPID|||9990000018||TESTPATIENT\r"
	if got := m.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestSplit(t *testing.T) {
	in := "\xef\xbb\xbf/*\n * comment\n */\nFHS|^~\\&\nBHS|^~\\&\nMSH|^~\\&|A\nPID|1\n\n// next\nMSH|^~\\&|B\r\nMSH|^~\\&|C\rPV1|1\r\n\nBTS|3\nFTS|1\n"
	got := Split([]byte(in))
	want := []string{"MSH|^~\\&|A\nPID|1\n", "MSH|^~\\&|B\r\n", "MSH|^~\\&|C\rPV1|1\r\n"}
	if len(got) != len(want) {
		t.Fatalf("Split gave %d messages %q, want %d", len(got), got, len(want))
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("message %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// TestSplitParts checks where each message of a file starts, whatever
// its line ends, and that MLLP framing captured off the wire is dropped.
func TestSplitParts(t *testing.T) {
	type part struct {
		data string
		line int
	}
	tests := []struct {
		name string
		in   string
		want []part
	}{
		{"LF", "# two\nMSH|^~\\&|A\nPID|1\n\nMSH|^~\\&|B\n", []part{{"MSH|^~\\&|A\nPID|1\n", 2}, {"MSH|^~\\&|B\n", 5}}},
		{"CR", "MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\r", []part{{"MSH|^~\\&|A\rPID|1\r", 1}, {"MSH|^~\\&|B\r", 3}}},
		{"CRLF", "MSH|^~\\&|A\r\nPID|1\r\n\r\nMSH|^~\\&|B\r\n", []part{{"MSH|^~\\&|A\r\nPID|1\r\n", 1}, {"MSH|^~\\&|B\r\n", 4}}},
		{"MLLP framed", "\x0bMSH|^~\\&|A\rPID|1\r\x1c\r\x0bMSH|^~\\&|B\rPV1|1\r\x1c\r", []part{{"MSH|^~\\&|A\rPID|1\r", 1}, {"MSH|^~\\&|B\rPV1|1\r", 4}}},
		{"MLLP frames back to back", "\x0bMSH|^~\\&|A\rPID|1\x1c\x0bMSH|^~\\&|B\x1c\r", []part{{"MSH|^~\\&|A\rPID|1\r", 1}, {"MSH|^~\\&|B\r", 3}}},
		{"end-of-file mark", "MSH|^~\\&|A\r\nPID|1\r\n\x1a", []part{{"MSH|^~\\&|A\r\nPID|1\r\n", 1}}},
		{"junk before the first MSH", "EVN|A01\nMSH|^~\\&|A\n", []part{{"EVN|A01\n", 1}, {"MSH|^~\\&|A\n", 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []part
			for _, p := range SplitParts([]byte(tc.in)) {
				got = append(got, part{string(p.Data), p.Line})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("SplitParts(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

// sharedDir is the shared HL7 corpus, present on the team's machines.
var sharedDir = filepath.Join("..", "..", "shared", "data", "hl7")

// corpusFiles returns the shared corpus files, or skips the test.
func corpusFiles(t testing.TB) []string {
	if _, err := os.Stat(sharedDir); err != nil {
		t.Skipf("shared HL7 corpus not found at %s: %v", sharedDir, err)
	}
	var files []string
	for _, dir := range []string{"ms", "hapi"} {
		fs, err := filepath.Glob(filepath.Join(sharedDir, dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	if len(files) == 0 {
		t.Skipf("no files in %s", sharedDir)
	}
	return files
}

func TestCorpusRoundTrip(t *testing.T) {
	total := 0
	for _, file := range corpusFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			msgs := Split(data)
			if len(msgs) == 0 {
				t.Fatalf("no message found")
			}
			var all []byte
			for i, raw := range msgs {
				m, err := Parse(raw)
				if err != nil {
					t.Fatalf("message %d: %v", i+1, err)
				}
				got, want := m.Bytes(), normalise(raw)
				if !bytes.Equal(got, want) {
					t.Fatalf("message %d: Bytes differs from input\ngot  %q\nwant %q", i+1, got, want)
				}
				if m.Get("MSH-9.1") == "" {
					t.Errorf("message %d: no MSH-9", i+1)
				}
				if Pretty(m) == "" {
					t.Errorf("message %d: empty Pretty", i+1)
				}
				all = append(all, got...)
				total++
			}
			// Nothing but comments, blank lines and batch envelopes is dropped.
			var kept []byte
			for _, ln := range bytes.Split(normalise(data), []byte{'\r'}) {
				if len(ln) > 0 && !isComment(bytes.TrimLeft(ln, " \t")) && !isBatchSegment(ln) {
					kept = append(kept, bytes.TrimLeft(ln, " \t")...)
					kept = append(kept, '\r')
				}
			}
			if !bytes.Equal(all, kept) {
				t.Errorf("messages do not cover the file\ngot  %q\nwant %q", all, kept)
			}
		})
	}
	t.Logf("%d messages round-tripped", total)
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.hl7"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := m.Bytes(), normalise(data); !bytes.Equal(got, want) {
				t.Errorf("Bytes:\ngot  %q\nwant %q", got, want)
			}
			got := Pretty(m)
			golden := strings.TrimSuffix(file, ".hl7") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Pretty differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestParseLongLines checks that a segment too long to keep as offsets
// (over 4 GiB, made short here by lowering maxLine) reads and writes as
// any other.
func TestParseLongLines(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.hl7"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	var inputs [][]byte
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, data)
	}
	inputs = append(inputs, []byte("MSH|^~\\&"), []byte("MSH|^~\\&|\rPID\rPID|\rZZ1||a\r"))
	paths := []string{"MSH-1", "MSH-2", "MSH-3", "MSH-9.2", "PID-3[2].1", "PID-5", "OBX[2]-5", "ZZ1-2"}
	defaultMax := maxLine
	defer func() { maxLine = defaultMax }()
	for i, data := range inputs {
		maxLine = defaultMax
		want, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		maxLine = 5
		got, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if s := got.Segment("MSH"); s.line != "" {
			t.Fatalf("input %d: MSH kept as offsets with maxLine 5", i)
		}
		if g, w := got.Bytes(), want.Bytes(); !bytes.Equal(g, w) {
			t.Errorf("input %d: Bytes:\ngot  %q\nwant %q", i, g, w)
		}
		for j, s := range got.AllSegments() {
			if g, w := s.Fields(), want.AllSegments()[j].Fields(); !reflect.DeepEqual(g, w) {
				t.Errorf("input %d segment %d: fields:\ngot  %q\nwant %q", i, j+1, g, w)
			}
		}
		for _, p := range paths {
			if g, w := got.Get(p), want.Get(p); g != w {
				t.Errorf("input %d: Get(%q) = %q, want %q", i, p, g, w)
			}
		}
	}
}

func TestAppendFieldEnds(t *testing.T) {
	// Each separator falls at every position of an 8-byte word, next to
	// bytes that differ from it by one bit or in the top bit.
	tests := []string{"", "|", "||||||||||||||||||", "abcdefgh", "a|b|c|d|e|f|g|h|i|j", "\x7c\xfc\x7d\x3c|\x00\xff|\x7b|x|||y"}
	for n := 0; n < 20; n++ {
		tests = append(tests, strings.Repeat("x", n)+"|"+strings.Repeat("\xfc", 20-n)+"|")
	}
	for _, s := range tests {
		for start := 0; start <= len(s); start++ {
			var want []uint32
			for i := start; i < len(s); i++ {
				if s[i] == '|' {
					want = append(want, uint32(i))
				}
			}
			if got := appendFieldEnds(nil, s, start, '|'); !reflect.DeepEqual(got, want) {
				t.Errorf("appendFieldEnds(%q, %d) = %v, want %v", s, start, got, want)
			}
		}
	}
}
