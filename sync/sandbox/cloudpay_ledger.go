package sandbox

import (
	"sort"
	"strings"

	"cashier/app"
)

// cpRelease is one unfreeze of a Cloud Pay deposit.
type cpRelease struct {
	OutUnfreezeNo string
	Amount        app.Money
}

// cpReleasesOf lists the unfreezes the ledger recorded for a deposit, by
// number. They are the idempotency records Ledger.release keeps
// ("release" + the deposit's key + the operation number → the amount), so
// the list is exactly what was unfrozen.
func (l *Ledger) cpReleasesOf(dep *Order) []cpRelease {
	l.begin()
	defer l.end()
	prefix := "release\x00" + dep.key() + "\x00"
	var out []cpRelease
	for k, v := range l.ops {
		no, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		amount, err := parseYuan(v)
		if err != nil {
			continue
		}
		out = append(out, cpRelease{OutUnfreezeNo: no, Amount: amount})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OutUnfreezeNo < out[j].OutUnfreezeNo })
	return out
}
