//go:build !unix

package counters

import "time"

// processCPU is not available here; benchmarks then report no cpu-ns/op.
func processCPU() time.Duration { return 0 }
