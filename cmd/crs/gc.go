package main

import (
	"os"
	"runtime/debug"
)

// serverGCPercent is the garbage collector's target a server runs with:
// the heap may grow to five times what is live before a collection. A
// request allocates little but a busy API allocates fast, and with Go's
// default (100) the collector's marking took 4% of the CPU of `crs bench
// fhir`'s reads, and the process 10% more CPU per read than at 400 (1%),
// for a heap a few hundred MB larger at most (the read cache is bounded
// at 64 MiB).
const serverGCPercent = 400

// serverGC sets the collector for serving, unless the operator set GOGC.
func serverGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
}
