//go:build race

package custdisplay

// raceOn: the race detector makes text shaping tens of times slower, so
// timings mean nothing under it.
const raceOn = true
