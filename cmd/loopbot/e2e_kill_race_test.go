//go:build race

package main

// Under the race detector the dispatcher's O(n²) drain of the backlog (see
// checkOneCardEach) would take TestKillDuringFanout well past a minute with
// 3000 people; 1000 exercise the same paths.
func init() { fanoutPeople = 1000 }
