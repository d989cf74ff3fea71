//go:build race

package main

// raceEnabled reports whether the tests run under the race detector, which
// makes them several times slower (see fanoutPeople).
const raceEnabled = true
