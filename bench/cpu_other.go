//go:build !unix

package bench

import "time"

// processCPU is not measured where the system gives no resource usage.
func processCPU() time.Duration { return 0 }
