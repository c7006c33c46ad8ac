//go:build !race

package custdisplay

const raceOn = false
