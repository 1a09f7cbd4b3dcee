package hl7

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	plus1 := time.FixedZone("", 3600)
	minus5 := time.FixedZone("", -5*3600)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{in: "2024", want: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: "202402", want: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)},
		{in: "20240229", want: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{in: "2024022913", want: time.Date(2024, 2, 29, 13, 0, 0, 0, time.UTC)},
		{in: "202402291305", want: time.Date(2024, 2, 29, 13, 5, 0, 0, time.UTC)},
		{in: "20240229130559", want: time.Date(2024, 2, 29, 13, 5, 59, 0, time.UTC)},
		{in: "20240229130559.1", want: time.Date(2024, 2, 29, 13, 5, 59, 100e6, time.UTC)},
		{in: "20240229130559.1234", want: time.Date(2024, 2, 29, 13, 5, 59, 123400e3, time.UTC)},
		{in: "20240229130559+0100", want: time.Date(2024, 2, 29, 13, 5, 59, 0, plus1)},
		{in: "20130926150434-0500", want: time.Date(2013, 9, 26, 15, 4, 34, 0, minus5)},
		{in: "20240229-0500", want: time.Date(2024, 2, 29, 0, 0, 0, 0, minus5)},
		{in: "2024.5", err: true},
		{in: "20240229130559.", err: true},
		{in: "20240229130559.12345", err: true},
		{in: "20230229", err: true},
		{in: "20241301", err: true},
		{in: "2024022924", err: true},
		{in: "202402291360", err: true},
		{in: "20240229130560", err: true},
		{in: "2024022", err: true},
		{in: "1994050216163360", err: true},
		{in: "20240229+01", err: true},
		{in: "20240229+2400", err: true},
		{in: "2024-02-29", err: true},
		{in: "", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTime(tc.in)
			if tc.err {
				if err == nil {
					t.Fatalf("ParseTime(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tc.in, err)
			}
			if !got.Equal(tc.want) || got.Format(time.RFC3339Nano) != tc.want.Format(time.RFC3339Nano) {
				t.Errorf("ParseTime(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestFormatTime(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip(err)
	}
	tm := time.Date(2024, 7, 1, 9, 30, 5, 0, london)
	if got, want := FormatTime(tm), "20240701093005+0100"; got != want {
		t.Errorf("FormatTime = %q, want %q", got, want)
	}
	if got, want := FormatDate(tm), "20240701"; got != want {
		t.Errorf("FormatDate = %q, want %q", got, want)
	}
	back, err := ParseTime(FormatTime(tm))
	if err != nil || !back.Equal(tm) {
		t.Errorf("ParseTime(FormatTime) = %v, %v; want %v", back, err, tm)
	}
	got, err := ParseTimeIn("20240701093005", london)
	if err != nil || !got.Equal(tm) {
		t.Errorf("ParseTimeIn = %v, %v; want %v", got, err, tm)
	}
}
