package app

import (
	"sync"
	"time"
	_ "time/tzdata" // store time zones on machines without a zoneinfo database (Windows, Android)
)

// ChinaTime is the zone of a store that names none, or one this build
// does not know: every store so far is on China time (no daylight saving).
var ChinaTime = time.FixedZone("UTC+8", 8*3600)

var zones sync.Map // zone name → *time.Location

// Zone is the time zone called name (an IANA name such as Asia/Shanghai);
// an empty or unknown name is ChinaTime. Business days, typed dates and
// shown times all use it, so they agree.
func Zone(name string) *time.Location {
	if name == "" {
		return ChinaTime
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = ChinaTime
	}
	zones.Store(name, loc)
	return loc
}

// Location is the store's time zone (Zone of its Timezone).
func (s StoreInfo) Location() *time.Location { return Zone(s.Timezone) }
