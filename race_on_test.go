//go:build race

package main

// The race detector slows TLS, RSA and SQLite several times over: the fast
// clock runs slower so the wall-clock client timeout stays far from the
// answers' real latency.
const raceEnabled = true
