// Package report produces a trust's statutory returns and extracts from
// the record, as of any date: the RTT monthly return and patient tracking
// list, A&E four-hour performance, KH03 bed availability and occupancy,
// DM01 diagnostic waits, CDS XML extracts to SUS, and the data quality
// checks that come before them. It reads through the interfaces package
// crs declares and writes nothing but the reports.
package report
