package main

import (
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
)

// serverGCPercent is the garbage collector's target a server runs with:
// the heap may grow to five times what is live before a collection. A
// request allocates little but a busy API allocates fast, and with Go's
// default (100) the collector's marking took 4% of the CPU of `crs bench
// fhir`'s reads, and the process 10% more CPU per read than at 400 (1%),
// for a heap a few hundred MB larger at most (the read cache is bounded
// at 64 MiB).
const serverGCPercent = 400

// serverGC sets the collector for serving, unless the operator set GOGC,
// and bounds what that costs in memory unless the operator set
// GOMEMLIMIT: a soft limit of half the memory the process may use (its
// cgroup's limit, else the machine's), near which the collector runs as
// often as it must whatever GOGC says. On a large machine the limit is
// never met and GOGC alone decides; in a small container the heap stays
// within it rather than growing to five times what is live.
func serverGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if n, ok := memoryAvailable(os.ReadFile); ok {
			debug.SetMemoryLimit(n / 2)
		}
	}
}

// memoryAvailable is the memory the process may use, in bytes: its
// cgroup's limit (v2 memory.max, else v1 limit_in_bytes) when it has one,
// else the machine's (MemTotal of /proc/meminfo); false when neither
// can be read.
func memoryAvailable(readFile func(string) ([]byte, error)) (int64, bool) {
	total := int64(-1)
	if b, err := readFile("/proc/meminfo"); err == nil {
		for _, line := range bytes.Split(b, []byte("\n")) {
			f := bytes.Fields(line)
			if len(f) >= 2 && string(f[0]) == "MemTotal:" {
				if kb, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil && kb > 0 {
					total = kb << 10
				}
			}
		}
	}
	for _, file := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := readFile(file)
		if err != nil {
			continue
		}
		// "max" (v2) or a huge number (v1) says the cgroup has no limit.
		n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
		if err != nil || n <= 0 || total > 0 && n >= total {
			continue
		}
		return n, true
	}
	return total, total > 0
}
