//go:build race

package paycli_test

// The race detector slows TLS, RSA and SQLite several times over: run the
// fast clock slower so the wall-clock client timeout stays far from the
// answers' real latency.
const raceEnabled = true
