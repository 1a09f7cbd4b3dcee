package store

// A registration on PostgreSQL looks up its NHS number's holders twice:
// before its transaction (nhsProbeSQL) and in its INSERT, for a holder
// registered meanwhile (nhsClashID). Each write pool connection prepares
// both at its first registrations and, after five, keeps a generic plan
// of each, planned from the statistics of the patients table as they
// were then. A new database's table has none until autovacuum comes
// round (a minute's nap, then a share of the rows changed), and a plan
// made for a few dozen patients is a walk of them all: the INSERT's
// check read every patient of the trust through patients_given_fold_last
// for each registration, 477 us of PostgreSQL's CPU each over the first
// 2,000 FHIR transactions into a new trust, a third of all a transaction
// cost it, and more as the trust grew. ANALYZE makes each connection
// plan its statements again, from the table as it is. So the store
// analyses the patients table itself as it grows (see analyze.go),
// looking each hundred registrations: from a hundred patients on, both
// look-ups are planned through patients_nhs.

// patientAnalysis is the analysis of the patients table, looked at each
// hundred registrations.
var patientAnalysis = analysis{name: "patients table", table: "patients", analyze: `ANALYZE patients`, every: 100}

// patientsRegistered counts a committed command's registrations and
// looks at the statistics each hundred of them.
func (db *DB) patientsRegistered(n int) { db.grew(&db.patientsGrowth, patientAnalysis, n) }
