package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/summary"
)

// The chain view (docs/sync.md "Chain view"): the summary engine's figures for one
// business day across the chain's stores and terminals, computed from the takings
// journal the terminals push, so the back office shows each counter's own figures.

// chainReader is what the chain view reads from a Store; both stores have it.
type chainReader interface {
	chainTerminals(ctx context.Context) ([]TerminalState, error)
	chainTakings(ctx context.Context, day summary.Day) ([]takingsGroup, error)
	chainNames(ctx context.Context) (stores, terminals map[string]string, err error)
}

// TerminalState is an enrolled terminal and how far its records have come.
type TerminalState struct {
	ID       string
	Store    string
	Name     string
	Enrolled time.Time
	Revoked  bool
	// LastSync is the newest received_at of its records; zero when it never pushed.
	LastSync time.Time
	Records  int64
}

// takingsGroup is one terminal's takings rows of a day summed per kind and method.
// Bad counts rows that the summary could not read (an unknown kind or method, an
// amount that is not a whole number of fen): left out of the figures, but counted so
// the view can say so instead of showing a quietly wrong total.
type takingsGroup struct {
	Terminal string
	Row      summary.Row
	Bad      int64
}

// The takings journal's row as the terminal pushes it: its columns by name
// (localdb/migrations/0004_takings_shifts.sql). What the day query reads of it is kept
// in these expressions, which the 0002 migrations index under the same text: a
// planner only uses an expression index for the very same expression.
var takingsSQL = map[string]struct{ day, kind, method, valid, amount, discount string }{
	"sqlite": {
		day:    `json_extract(payload, '$.business_day')`,
		kind:   `json_extract(payload, '$.kind')`,
		method: `json_extract(payload, '$.method')`,
		valid: `json_type(payload, '$.amount') = 'integer' AND json_extract(payload, '$.amount') >= 0
AND json_type(payload, '$.discount') = 'integer' AND json_extract(payload, '$.discount') >= 0`,
		amount:   `json_extract(payload, '$.amount')`,
		discount: `json_extract(payload, '$.discount')`,
	},
	// jsonb: ->> is text; the pattern admits a whole number of fen that fits a bigint,
	// so the cast cannot fail on a bad payload.
	"postgres": {
		day:    `(payload ->> 'business_day')`,
		kind:   `(payload ->> 'kind')`,
		method: `(payload ->> 'method')`,
		valid: `jsonb_typeof(payload -> 'amount') = 'number' AND (payload ->> 'amount') ~ '^[0-9]{1,18}$'
AND jsonb_typeof(payload -> 'discount') = 'number' AND (payload ->> 'discount') ~ '^[0-9]{1,18}$'`,
		amount:   `(payload ->> 'amount')::bigint`,
		discount: `(payload ->> 'discount')::bigint`,
	},
}

func (s *sqlStore) chainTerminals(ctx context.Context) ([]TerminalState, error) {
	// Per terminal: index-only on records_terminal_received (0002).
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.store, t.name, t.enrolled_at, t.revoked_at, COALESCE(r.n, 0), r.last
FROM terminals t LEFT JOIN (SELECT terminal, count(*) AS n, max(received_at) AS last FROM records GROUP BY terminal) r ON r.terminal = t.id
ORDER BY t.store, t.name, t.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TerminalState
	for rows.Next() {
		var t TerminalState
		var enrolled int64
		var revoked, last sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Store, &t.Name, &enrolled, &revoked, &t.Records, &last); err != nil {
			return nil, err
		}
		t.Enrolled, t.Revoked = time.UnixMilli(enrolled), revoked.Valid
		if last.Valid {
			t.LastSync = time.UnixMilli(last.Int64)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *sqlStore) chainTakings(ctx context.Context, day summary.Day) ([]takingsGroup, error) {
	x := takingsSQL[s.d.name]
	var dayArg any = int64(day.Int())
	if s.d.name == "postgres" {
		dayArg = strconv.Itoa(day.Int()) // ->> is text
	}
	q := `SELECT terminal, ` + x.kind + `, ` + x.method + `,
  CAST(sum(CASE WHEN ` + x.valid + ` THEN 1 ELSE 0 END) AS BIGINT),
  CAST(sum(CASE WHEN ` + x.valid + ` THEN ` + x.amount + ` ELSE 0 END) AS BIGINT),
  CAST(sum(CASE WHEN ` + x.valid + ` THEN ` + x.discount + ` ELSE 0 END) AS BIGINT),
  count(*)
FROM records WHERE topic = 'takings' AND ` + x.day + ` = ?`
	rows, err := s.db.QueryContext(ctx, s.d.q(q+` GROUP BY 1, 2, 3`), dayArg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []takingsGroup
	for rows.Next() {
		var g takingsGroup
		var kind, method sql.NullString
		var all int64
		if err := rows.Scan(&g.Terminal, &kind, &method, &g.Row.Count, &g.Row.Amount, &g.Row.Discount, &all); err != nil {
			return nil, err
		}
		g.Row.Kind, g.Row.Method = summary.Kind(kind.String), summary.Method(method.String)
		g.Bad = all - g.Row.Count
		if !knownKind(g.Row.Kind) || !slices.Contains(summary.Methods, g.Row.Method) {
			g.Bad, g.Row = all, summary.Row{}
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func knownKind(k summary.Kind) bool {
	switch k {
	case summary.KindSale, summary.KindDiscount, summary.KindRefund,
		summary.KindDepositHold, summary.KindDepositConsume, summary.KindDepositRelease:
		return true
	}
	return false
}

// chainNames reads the names the back office publishes as master data
// (sync/backoffice/master): stores by code ({"name": …}) and terminals by id
// ({"store": …, "name": …}).
func (s *sqlStore) chainNames(ctx context.Context) (stores, terminals map[string]string, err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT topic, id, deleted, payload FROM master WHERE topic IN ('stores', 'terminals')`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	stores, terminals = map[string]string{}, map[string]string{}
	for rows.Next() {
		var topic, id, payload string
		var deleted bool
		if err := rows.Scan(&topic, &id, &deleted, &payload); err != nil {
			return nil, nil, err
		}
		var p struct {
			Name string `json:"name"`
		}
		if deleted || json.Unmarshal([]byte(payload), &p) != nil || strings.TrimSpace(p.Name) == "" {
			continue
		}
		if topic == "stores" {
			stores[id] = strings.TrimSpace(p.Name)
		} else {
			terminals[id] = strings.TrimSpace(p.Name)
		}
	}
	return stores, terminals, rows.Err()
}

// ChainSummary is GET /v1/reports/summary's answer: a business day's figures for the
// chain (or the one store asked for), per store and per terminal.
type ChainSummary struct {
	Day       string            `json:"day"`
	Store     string            `json:"store,omitempty"`
	Chain     Takings           `json:"chain"`
	Stores    []StoreSummary    `json:"stores"`
	Terminals []TerminalSummary `json:"terminals"`
}

// StoreSummary is one store's figures; Name is empty when no master data names it.
type StoreSummary struct {
	Store     string  `json:"store"`
	Name      string  `json:"name"`
	Terminals int     `json:"terminals"`
	Takings   Takings `json:"takings"`
}

// TerminalSummary is one terminal's figures and sync state.
type TerminalSummary struct {
	Terminal string     `json:"terminal"`
	Store    string     `json:"store"`
	Name     string     `json:"name"`
	Enrolled time.Time  `json:"enrolled_at"`
	Revoked  bool       `json:"revoked,omitempty"`
	LastSync *time.Time `json:"last_sync"` // null: never pushed
	Stale    bool       `json:"stale"`     // never pushed, or not for over a day
	Records  int64      `json:"records"`
	Takings  Takings    `json:"takings"`
}

// Takings are the summary engine's figures for a set of journal rows. Amounts are
// fen (integers), as everywhere in the protocol.
type Takings struct {
	Total    Figures            `json:"total"`
	ByMethod map[string]Figures `json:"by_method"`
	Deposits Deposits           `json:"deposits"`
	// BadRows counts the day's rows left out because the summary could not read them.
	BadRows int64 `json:"bad_rows"`
}

// Figures mirror summary.Figures (business-rules section 4).
type Figures struct {
	TxAmount         app.Money `json:"tx_amount"`
	Settlement       app.Money `json:"settlement"`
	Received         app.Money `json:"received"`
	Discount         app.Money `json:"discount"`
	Refund           app.Money `json:"refund"`
	RefundSettlement app.Money `json:"refund_settlement"`
	TxCount          int64     `json:"tx_count"`
	RefundCount      int64     `json:"refund_count"`
}

// Deposits mirror summary.Deposits for the day (no liability: that is a store's
// balance at a moment, not a day's movement).
type Deposits struct {
	TakenCount int64     `json:"taken_count"`
	Taken      app.Money `json:"taken"`
	Consumed   app.Money `json:"consumed"`
	Released   app.Money `json:"released"`
}

// staleAfter: a terminal that has not pushed for this long is marked on the page.
const staleAfter = 24 * time.Hour

// takingsOf runs the summary engine over rows.
func takingsOf(rows []summary.Row, bad int64) Takings {
	s := summary.Compute(rows)
	t := Takings{Total: figures(s.Total), ByMethod: map[string]Figures{}, BadRows: bad,
		Deposits: Deposits{TakenCount: s.Deposits.TakenCount, Taken: s.Deposits.Taken, Consumed: s.Deposits.Consumed, Released: s.Deposits.Released}}
	for m, f := range s.ByMethod {
		t.ByMethod[string(m)] = figures(f)
	}
	return t
}

func figures(f summary.Figures) Figures {
	return Figures{TxAmount: f.TxAmount, Settlement: f.Settlement, Received: f.Received, Discount: f.Discount,
		Refund: f.Refund, RefundSettlement: f.RefundSettlement, TxCount: f.TxCount, RefundCount: f.RefundCount}
}

// chainSummary reads and sums a day for the whole chain.
func chainSummary(ctx context.Context, r chainReader, day summary.Day, now time.Time, loc *time.Location) (ChainSummary, error) {
	terms, err := r.chainTerminals(ctx)
	if err != nil {
		return ChainSummary{}, err
	}
	groups, err := r.chainTakings(ctx, day)
	if err != nil {
		return ChainSummary{}, err
	}
	names, termNames, err := r.chainNames(ctx)
	if err != nil {
		return ChainSummary{}, err
	}
	type acc struct {
		rows []summary.Row
		bad  int64
		n    int
	}
	add := func(a *acc, b *acc) { a.rows, a.bad = append(a.rows, b.rows...), a.bad+b.bad }
	byTerm := map[string]*acc{}
	for _, g := range groups {
		a := byTerm[g.Terminal]
		if a == nil {
			a = &acc{}
			byTerm[g.Terminal] = a
		}
		if g.Row.Count > 0 {
			a.rows = append(a.rows, g.Row)
		}
		a.bad += g.Bad
	}
	out := ChainSummary{Day: day.String(), Stores: []StoreSummary{}, Terminals: []TerminalSummary{}}
	// Every store the back office knows: named in master data or with a terminal.
	byStore := map[string]*acc{}
	for code := range names {
		byStore[code] = &acc{}
	}
	var all acc
	for _, t := range terms {
		a := byTerm[t.ID]
		if a == nil {
			a = &acc{}
		}
		// The back office's name for it, else the one it enrolled with.
		if n := termNames[t.ID]; n != "" {
			t.Name = n
		}
		ts := TerminalSummary{Terminal: t.ID, Store: t.Store, Name: t.Name, Enrolled: t.Enrolled.In(loc), Revoked: t.Revoked,
			Records: t.Records, Takings: takingsOf(a.rows, a.bad), Stale: t.LastSync.IsZero() || now.Sub(t.LastSync) > staleAfter}
		if !t.LastSync.IsZero() {
			last := t.LastSync.In(loc)
			ts.LastSync = &last
		}
		out.Terminals = append(out.Terminals, ts)
		sa := byStore[t.Store]
		if sa == nil {
			sa = &acc{}
			byStore[t.Store] = sa
		}
		add(sa, a)
		sa.n++
		add(&all, a)
	}
	for code, a := range byStore {
		out.Stores = append(out.Stores, StoreSummary{Store: code, Name: names[code], Terminals: a.n, Takings: takingsOf(a.rows, a.bad)})
	}
	sort.Slice(out.Stores, func(i, j int) bool { return out.Stores[i].Store < out.Stores[j].Store })
	out.Chain = takingsOf(all.rows, all.bad)
	return out, nil
}

// only narrows a chain's summary to one store: its figures stand for the chain's.
// A store the back office does not know gives empty figures.
func (s ChainSummary) only(store string) ChainSummary {
	out := ChainSummary{Day: s.Day, Store: store, Chain: takingsOf(nil, 0), Stores: []StoreSummary{}, Terminals: []TerminalSummary{}}
	for _, st := range s.Stores {
		if st.Store == store {
			out.Stores = append(out.Stores, st)
			out.Chain = st.Takings
		}
	}
	for _, t := range s.Terminals {
		if t.Store == store {
			out.Terminals = append(out.Terminals, t)
		}
	}
	return out
}
