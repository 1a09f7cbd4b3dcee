package mllp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// event is one ReadFrame result: a frame or an error description.
type event struct {
	frame string
	err   string
}

func readAll(r *Reader) []event {
	var out []event
	for i := 0; i < 100; i++ {
		f, err := r.ReadFrame()
		switch {
		case err == nil:
			out = append(out, event{frame: string(f)})
		case IsRecoverable(err):
			out = append(out, event{err: err.Error()})
		default:
			if err != io.EOF {
				out = append(out, event{err: err.Error()})
			}
			return out
		}
	}
	return out
}

func TestReadFrame(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []event
	}{
		{"one", "\x0bMSH|1\r\x1c\r", 0, []event{{frame: "MSH|1\r"}}},
		{"several in one read", "\x0bA\x1c\r\x0bB\x1c\r\x0bC\x1c\r", 0, []event{{frame: "A"}, {frame: "B"}, {frame: "C"}}},
		{"newlines between", "\r\n\x0bA\x1c\r\n\n\x0bB\x1c\r", 0, []event{{frame: "A"}, {frame: "B"}}},
		{"no CR after end", "\x0bA\x1c\x0bB\x1c", 0, []event{{frame: "A"}, {frame: "B"}}},
		{"empty frame", "\x0b\x1c\r", 0, []event{{frame: ""}}},
		{"garbage before", "junk\x0bA\x1c\r", 0, []event{{err: "mllp: skipped 4 bytes outside a frame"}, {frame: "A"}}},
		{"garbage between", "\x0bA\x1c\rxy\x0bB\x1c\r", 0, []event{{frame: "A"}, {err: "mllp: skipped 2 bytes outside a frame"}, {frame: "B"}}},
		{"garbage at end", "\x0bA\x1c\rxyz", 0, []event{{frame: "A"}, {err: "mllp: skipped 3 bytes outside a frame"}}},
		{"abandoned frame", "\x0bAB\x0bC\x1c\r", 0, []event{{err: "mllp: skipped 3 bytes outside a frame"}, {frame: "C"}}},
		{"oversize then ok", "\x0b12345\x1c\r\x0bok\x1c\r", 4, []event{{err: "mllp: frame longer than 4 bytes"}, {frame: "ok"}}},
		{"oversize abandoned", "\x0b123456789\x0bok\x1c\r", 4, []event{{err: "mllp: frame longer than 4 bytes"}, {frame: "ok"}}},
		{"exactly max", "\x0b1234\x1c\r", 4, []event{{frame: "1234"}}},
		{"dropped mid-frame", "\x0bA\x1c\r\x0bMSH|", 0, []event{{frame: "A"}, {err: "unexpected EOF"}}},
		{"dropped in oversize", "\x0b123456789", 4, []event{{err: "mllp: frame longer than 4 bytes"}, {err: "unexpected EOF"}}},
	}
	for _, tc := range tests {
		for _, split := range []bool{false, true} {
			name := tc.name
			var src io.Reader = strings.NewReader(tc.in)
			if split {
				name += "/one byte at a time"
				src = iotest.OneByteReader(src)
			}
			t.Run(name, func(t *testing.T) {
				got := readAll(NewReader(src, tc.max))
				if len(got) != len(tc.want) {
					t.Fatalf("got %q\nwant %q", got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Errorf("event %d: got %q, want %q", i, got[i], tc.want[i])
					}
				}
			})
		}
	}
}

func TestReadFrameReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("\x0bA\x1c\r"), iotest.ErrReader(boom)), 0)
	if f, err := r.ReadFrame(); err != nil || string(f) != "A" {
		t.Fatalf("got %q, %v; want A", f, err)
	}
	if _, err := r.ReadFrame(); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
}

func TestWriteFrame(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFrame(&b, []byte("MSH|1\r")); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "\x0bMSH|1\r\x1c\r"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"a\x0bb", "a\x1cb"} {
		if err := WriteFrame(&b, []byte(bad)); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("WriteFrame(%q) = %v, want ErrInvalidMessage", bad, err)
		}
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("\x0bMSH|1\r\x1c\r"), 16)
	f.Add([]byte("xx\x0bA\x1c\r\x0bB\x0bC\x1c"), 2)
	f.Add([]byte("\x0b0123456789\x1c\r\x0bok\x1c\r"), 4)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		max = max%64 + 1
		if max <= 0 {
			max += 64
		}
		for _, src := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data))} {
			r := NewReader(src, max)
			var frames [][]byte
			for i := 0; i <= len(data)+1; i++ {
				fr, err := r.ReadFrame()
				if err != nil {
					if IsRecoverable(err) {
						continue
					}
					break
				}
				if len(fr) > max {
					t.Fatalf("frame of %d bytes exceeds max %d", len(fr), max)
				}
				if bytes.IndexByte(fr, StartBlock) >= 0 || bytes.IndexByte(fr, EndBlock) >= 0 {
					t.Fatalf("frame %q holds a framing byte", fr)
				}
				frames = append(frames, fr)
			}
			// Writing the frames back and reading them gives them again.
			var buf bytes.Buffer
			for _, fr := range frames {
				if err := WriteFrame(&buf, fr); err != nil {
					t.Fatal(err)
				}
			}
			r2 := NewReader(&buf, max)
			for _, fr := range frames {
				got, err := r2.ReadFrame()
				if err != nil || !bytes.Equal(got, fr) {
					t.Fatalf("re-read %q, %v; want %q", got, err, fr)
				}
			}
		}
	})
}

func BenchmarkReadFrame(b *testing.B) {
	msg := bytes.Repeat([]byte("OBX|1|NM|T001^Test^LOCAL||5.1|mmol/L|3.5-5.3|N|||F\r"), 40)
	var stream bytes.Buffer
	for i := 0; i < 64; i++ {
		WriteFrame(&stream, msg)
	}
	data := stream.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), 0)
		for {
			if _, err := r.ReadFrame(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

func BenchmarkWriteFrame(b *testing.B) {
	msg := bytes.Repeat([]byte("OBX|1|NM|T001^Test^LOCAL||5.1|mmol/L|3.5-5.3|N|||F\r"), 40)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		WriteFrame(io.Discard, msg)
	}
}
