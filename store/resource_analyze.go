package store

// PostgreSQL plans a search of the resource store from its tables'
// statistics, which autovacuum gathers in its own time (a minute's nap,
// then a share of the rows changed). An ingest into tables it has not
// analysed yet, or analysed nearly empty, is searched by plans made for
// a few rows: a patient's Observations counted in 28 s in a new
// schema's tables after a Synthea load, 79 ms once analysed. So the
// store analyses them itself when the resources created since its last
// analysis are nine times the rows the statistics know of (the store
// has grown tenfold since, or was never analysed), in the background,
// after the command that crossed the mark has committed. Analysing each
// time the store doubled cost a 7,000-resource ingest a fifth of its
// rate on PostgreSQL; between tenfold growths autovacuum keeps the
// statistics up.

// analyzeEvery is how many resources created between two looks at the
// statistics (see analyze.go).
const analyzeEvery = 1000

// resourceAnalysis is the analysis of the resource store's tables.
var resourceAnalysis = analysis{name: "resource store", table: "fhir_current",
	analyze: `ANALYZE fhir_current, fhir_versions, fhir_index`, every: analyzeEvery}

// resourcesCreated counts a committed command's new resources and looks
// at the statistics each analyzeEvery of them.
func (db *DB) resourcesCreated(n int) { db.grew(&db.resourcesGrowth, resourceAnalysis, n) }
