package app

import (
	"testing"
	"time"
)

func TestZone(t *testing.T) {
	at := time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC) // 01:00 on the 1st in China
	for name, want := range map[string]int{"": 1, "Asia/Shanghai": 1, "Nowhere/Atlantis": 1, "UTC": 30, "America/New_York": 30} {
		if d := at.In(Zone(name)).Day(); d != want {
			t.Errorf("Zone(%q): day %d, want %d", name, d, want)
		}
	}
	if (StoreInfo{Timezone: "UTC"}).Location() != Zone("UTC") {
		t.Error("a store's location is its zone")
	}
}
