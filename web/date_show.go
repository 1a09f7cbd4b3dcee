package web

import (
	"time"

	"github.com/opencrs/crs"
)

// Every page shows dates and times one way, chosen once (the template
// functions date, isoDate, datetime, datetimeSec and clock; handlers writing a
// date into a message use the same functions):
//
//	date         05-Dec-2026          a day: in tables, lists and prose alike
//	isoDate      05-Dec-2026          a day held as text, YYYY-MM-DD
//	datetime     05-Dec-2026 14:05    a moment, in UK time, 24-hour clock
//	datetimeSec  05-Dec-2026 14:05:09 a moment to the second (audit trails)
//	clock        14:05                the time of day of a moment, UK time
//
// A date or time nobody has recorded shows as "Not known". Machine-read
// times (a <time datetime> attribute, a CSV export) keep ISO 8601.

// showISODate writes a day held as YYYY-MM-DD (a report's period) as
// 05-Dec-2026; anything else is shown as it is.
func showISODate(s string) string {
	if s == "" {
		return notKnown
	}
	d, err := crs.ParseDate(s)
	if err != nil {
		return s
	}
	return showDate(d)
}

// showDate writes a day as 05-Dec-2026.
func showDate(d crs.Date) string {
	if d.IsZero() {
		return notKnown
	}
	return d.Display()
}

// showDateTime writes a moment in UK time as 05-Dec-2026 14:05.
func showDateTime(t time.Time) string {
	if t.IsZero() {
		return notKnown
	}
	return t.In(crs.London).Format("02-Jan-2006 15:04")
}

// showDateTimeSec writes a moment in UK time to the second.
func showDateTimeSec(t time.Time) string {
	if t.IsZero() {
		return notKnown
	}
	return t.In(crs.London).Format("02-Jan-2006 15:04:05")
}

// showClock writes the time of day of a moment in UK time, 14:05.
func showClock(t time.Time) string {
	if t.IsZero() {
		return notKnown
	}
	return t.In(crs.London).Format("15:04")
}
