//go:build unix

package main

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time this process has used (user and system, all
// threads): on a shared machine it shows the work a benchmark does, where
// wall times also count the waits for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
