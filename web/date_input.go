package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// Dates and times on every form are typed, never picked from the
// browser's own date controls (which look and read differently in every
// browser and locale). A date is the NHS design system's date input: a
// fieldset with a legend, the hint "For example, 15 3 1984" and three
// text boxes, Day, Month and Year, sent as <name>-day, <name>-month and
// <name>-year (templates/_fields.html, "date"). A time of day is one
// text box on the 24-hour clock, hh:mm, sent as <name> ("time"). A date
// and time together (the time of an admission, an arrival, a reading)
// is the three date boxes and the time box, <name>-time, in one
// fieldset ("datetime"). Times are UK time (Europe/London).
//
// A handler reads them with readDate, readDateTime and readClock, which
// give the value and, for input that is not a date or time, the message
// to show beside the fieldset in the NHS design system's words ("Date of
// birth must include a month"). The template functions dateInput,
// dateTimeInput and timeInput fill the partials, keeping what the user
// typed when a form is shown again.
//
// Links and older forms that send a date as one YYYY-MM-DD value (a
// report's census date, ?from=2026-03-02) and a date and time as one
// 2026-03-02T09:15 value are read too, so existing addresses keep working.

// dateHint is the example every date input shows.
const dateHint = "For example, 15 3 1984"

// timeHint is the example every time input shows.
const timeHint = "24-hour clock, for example 14:05"

// typedDate is a date as the user typed it in the three boxes of a date
// input, each trimmed.
type typedDate struct {
	Day, Month, Year string
	whole            bool // one piece that is no date (a link's "next week"), kept in Day
}

func (t typedDate) empty() bool { return t == typedDate{} }

// text writes the typed date in one piece, year-month-day as typed (""
// when empty), which splitDate reads back.
func (t typedDate) text() string {
	if t.empty() || t.whole {
		return t.Day
	}
	return t.Year + "-" + t.Month + "-" + t.Day
}

// typedDateIn reads date input name from submitted values: its three
// boxes, or else a single value name (YYYY-MM-DD, or DD/MM/YYYY, with an
// optional time after it) as links send it.
func typedDateIn(v url.Values, name string) typedDate {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	t := typedDate{Day: get(name + "-day"), Month: get(name + "-month"), Year: get(name + "-year")}
	if t.empty() {
		t = splitDate(get(name))
	}
	return t
}

// splitDate splits a date written in one piece (2026-03-02, 02/03/2026,
// 2026-03-02T09:15) into its parts; anything else is kept whole as the
// day, so parsing it says it is not a real date.
func splitDate(s string) typedDate {
	if s == "" {
		return typedDate{}
	}
	if i := strings.IndexAny(s, "T "); i > 0 {
		s = s[:i]
	}
	if y, rest, ok := strings.Cut(s, "-"); ok && len(y) == 4 {
		m, d, _ := strings.Cut(rest, "-")
		return typedDate{Day: d, Month: m, Year: y}
	}
	if d, rest, ok := strings.Cut(s, "/"); ok {
		m, y, _ := strings.Cut(rest, "/")
		return typedDate{Day: d, Month: m, Year: y}
	}
	return typedDate{Day: s, whole: true}
}

// timeOf returns the time part of a date and time written in one piece
// (2026-03-02T09:15 → 09:15), or "".
func timeOf(s string) string {
	if i := strings.IndexAny(s, "T "); i > 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return ""
}

// parseTypedDate reads a typed date. All three boxes empty is the zero
// date and no message (whether the date may be left out is the form's
// rule). Otherwise a date that cannot be read gives the message to show,
// naming the date by its label: a box left empty ("must include a
// month"), a year not of four digits, or no such day ("must be a real
// date": 31 April, 29 February 2027).
func parseTypedDate(t typedDate, label string) (crs.Date, string) {
	if t.empty() {
		return crs.Date{}, ""
	}
	if t.whole {
		return crs.Date{}, label + " must be a real date"
	}
	var missing []string
	for _, p := range []struct{ v, name string }{{t.Day, "day"}, {t.Month, "month"}, {t.Year, "year"}} {
		if p.v == "" {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		return crs.Date{}, label + " must include a " + strings.Join(missing, " and ")
	}
	d, err1 := digits(t.Day, 2)
	m, err2 := digits(t.Month, 2)
	y, err3 := digits(t.Year, 4)
	if err1 != nil || err2 != nil || err3 != nil {
		return crs.Date{}, label + " must be a real date"
	}
	if len(t.Year) != 4 {
		return crs.Date{}, label + " must include a year of 4 numbers, for example 1984"
	}
	day := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || d < 1 || day.Day() != d || y < 1000 {
		return crs.Date{}, label + " must be a real date"
	}
	return crs.Date{Time: day}, ""
}

// digits reads a box of at most n digits.
func digits(s string, n int) (int, error) {
	if len(s) > n || strings.Trim(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(s)
}

// readDate reads the date input name of a submitted form (or the single
// YYYY-MM-DD value of a link): the date, zero when left empty, and the
// message for a date that cannot be read, naming it by label.
func readDate(r *http.Request, name, label string) (crs.Date, string) {
	r.ParseForm()
	return parseTypedDate(typedDateIn(r.Form, name), label)
}

// typedDateText is what was typed in date input name, in one piece
// (year-month-day as typed), "" when it was left empty.
func typedDateText(r *http.Request, name string) string {
	r.ParseForm()
	return typedDateIn(r.Form, name).text()
}

// readDateTime reads the date and time input name in UK time: the three
// date boxes and <name>-time (or a single 2026-03-02T09:15 value). All
// empty gives the zero time, which the services take as now; a time with
// no date is today. The message says what cannot be read.
func readDateTime(r *http.Request, name, label string, now time.Time) (time.Time, string) {
	r.ParseForm()
	t := typedDateIn(r.Form, name)
	clock := strings.TrimSpace(r.Form.Get(name + "-time"))
	if clock == "" && !t.empty() {
		clock = timeOf(strings.TrimSpace(r.Form.Get(name)))
	}
	return parseTypedDateTime(t, clock, label, now)
}

// parseTypedDateTime reads a typed date and time of day in UK time (see
// readDateTime).
func parseTypedDateTime(t typedDate, clock, label string, now time.Time) (time.Time, string) {
	if t.empty() && clock == "" {
		return time.Time{}, ""
	}
	if t.empty() {
		y, m, d := now.In(crs.London).Date()
		t = typedDate{Day: strconv.Itoa(d), Month: strconv.Itoa(int(m)), Year: strconv.Itoa(y)}
	}
	d, msg := parseTypedDate(t, label)
	if msg != "" {
		return time.Time{}, msg
	}
	if clock == "" {
		return time.Time{}, label + " must include a time"
	}
	hh, mm, ok := parseClock(clock)
	if !ok {
		return time.Time{}, label + " must include a real time on the 24-hour clock, for example 14:05"
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, crs.London).UTC(), ""
}

// readClock reads the time input name (hh:mm on the 24-hour clock): the
// hour and minute, whether one was typed, and the message for a time that
// cannot be read.
func readClock(r *http.Request, name, label string) (hh, mm int, set bool, msg string) {
	s := form(r, name)
	if s == "" {
		return 0, 0, false, ""
	}
	hh, mm, ok := parseClock(s)
	if !ok {
		return 0, 0, true, label + " must be a real time on the 24-hour clock, for example 14:05"
	}
	return hh, mm, true, ""
}

// dateError puts a date input's message beside its fieldset, which the
// error summary links to (the group's id is the input's name, as for a
// refusal of the service about the same field).
func (fe *formErrors) dateError(name, msg string) {
	if msg != "" {
		fe.add(name, "", msg)
	}
}

// dateInput makes the data of the "date" partial: the page, the input's
// name, its legend and the date it shows (YYYY-MM-DD, or "") unless the
// request carries what the user typed, which is shown again as typed.
func dateInput(p pager, name, label, value string) field {
	f := newField(p, name, label, value)
	f.Type = "date"
	t := splitDate(value)
	if !t.whole {
		// 2026-03-02 is shown as 2 3 2026, as a person types it.
		t.Day, t.Month = unpadded(t.Day), unpadded(t.Month)
	}
	if v := p.page().form; v != nil {
		if typed := typedDateIn(v, name); !typed.empty() {
			t = typed
		}
	}
	f.Day, f.Month, f.Year = t.Day, t.Month, t.Year
	return f
}

// unpadded drops the leading zero of a day or month.
func unpadded(s string) string {
	if len(s) == 2 && s[0] == '0' {
		return s[1:]
	}
	return s
}

// dateTimeInput makes the data of the "datetime" partial: as dateInput,
// with the time box; value is a date and time in one piece
// (2026-03-02T09:15) or "".
func dateTimeInput(p pager, name, label, value string) field {
	f := dateInput(p, name, label, value)
	f.Type = "datetime"
	f.Time = timeOf(value)
	if v := p.page().form; v != nil {
		if typed := typedDateIn(v, name); !typed.empty() || v.Get(name+"-time") != "" {
			f.Day, f.Month, f.Year = typed.Day, typed.Month, typed.Year
			f.Time = strings.TrimSpace(v.Get(name + "-time"))
			if f.Time == "" {
				f.Time = timeOf(v.Get(name))
			}
		}
	}
	return f
}

// timeInput makes the data of the "time" partial: one box for a time of
// day on the 24-hour clock.
func timeInput(p pager, name, label, value string) field {
	f := newField(p, name, label, value)
	f.Type = "time"
	if v := p.page().form; v != nil && v.Get(name) != "" {
		f.Value = strings.TrimSpace(v.Get(name))
	}
	return f
}

// dateTimeValue writes a time in UK time for a form's initial value
// (2026-03-02T09:15), "" for none.
func dateTimeValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(crs.London).Format("2006-01-02T15:04")
}

func init() {
	funcs["dateInput"] = dateInput
	funcs["dateTimeInput"] = dateTimeInput
	funcs["timeInput"] = timeInput
	// blankDateTime is an empty date and time input, for a form repeated
	// on a page (one per feed) other than the one just submitted.
	funcs["blankDateTime"] = func(name, label string) field { return field{Name: name, Label: label, Type: "datetime"} }
	// id gives a date input another id prefix than its name, where a page
	// repeats a form (one per feed).
	funcs["id"] = func(id string, f field) field { f.ID = id; return f }
}
