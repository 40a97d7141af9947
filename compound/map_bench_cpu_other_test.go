//go:build !unix

package compound

import "time"

// processCPU is not available here; the benchmarks then report only ns/op.
func processCPU() (time.Duration, bool) { return 0, false }
