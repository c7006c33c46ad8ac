//go:build !race

package paycli_test

const raceEnabled = false
