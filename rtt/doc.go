// Package rtt holds the NHS England 18-week referral to treatment (RTT)
// clock rules as pure functions: the national RTT period status codes, the
// treatment function lines of the monthly RTT return, and Evaluate, which
// works out a patient pathway's clock as of any date from its events and
// explains every step with the rule of the guidance that applied.
//
// The rules are those of "Recording and reporting referral to treatment
// (RTT) waiting times for consultant-led elective care", NHS England,
// v5.0, 11 February 2025 (PRN01045); section numbers in this package (s3.4.5,
// Annex D) refer to it.
//
// The package does no I/O and reads no clock: the caller passes the events
// and the as-of date.
package rtt
