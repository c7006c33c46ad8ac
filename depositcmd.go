package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/app/payment"
	"cashier/localdb"
	"cashier/ui/i18n"
)

// runDeposit is `pos deposit list|show|consume|release`: the support
// staff's deposit desk. The action may stand anywhere among the flags.
func runDeposit(e env, args []string) int {
	actions := []string{"list", "show", "consume", "release"}
	for i, a := range args {
		if !slices.Contains(actions, a) {
			continue
		}
		rest := append(append([]string{}, args[:i]...), args[i+1:]...)
		switch a {
		case "list":
			return runDepositList(e, rest)
		case "show":
			return runDepositShow(e, rest)
		default:
			return runDepositOp(e, a, rest)
		}
	}
	fmt.Fprintln(e.stderr, i18n.T("cli.deposit.usage"))
	return exitUsage
}

// openDesk opens the data folder to read deposits (without the folder's
// lock: reading works beside a running till), with the store the terminal
// belongs to, for a person with the deposit permission as the rules read
// it now — the guests' names and phones are not for everyone.
func (e env) openDesk(ctx context.Context, args []string, who staffFlags) (*Services, app.StoreInfo, int) {
	s, code := e.open(ctx, "deposit", args, Options{})
	if s == nil {
		return nil, app.StoreInfo{}, code
	}
	staff, code, ok := e.loginAs(ctx, s, "deposit", i18n.Key("cli.nothing_done_because"), who)
	if !ok {
		s.Close()
		return nil, app.StoreInfo{}, code
	}
	if _, err := s.Permits.Check(ctx, staff.ID, app.PermDeposit); err != nil {
		s.Close()
		return nil, app.StoreInfo{}, e.fail("deposit", err)
	}
	st, err := s.DB.CurrentStore(ctx)
	if err != nil {
		s.Close()
		return nil, st, e.fail("deposit", err)
	}
	return s, st, exitOK
}

// runDepositList is `pos deposit list [--open] [--from D --to D] [--wallet W]`.
func runDepositList(e env, args []string) int {
	fs := e.newFlags("deposit", "cli.deposit.usage")
	open := fs.Bool("open", false, i18n.T("cli.flag.deposit_open"))
	from := fs.String("from", "", i18n.T("cli.flag.deposit_from"))
	to := fs.String("to", "", i18n.T("cli.flag.deposit_to"))
	wallet := fs.String("wallet", "", i18n.T("cli.flag.deposit_wallet"))
	limit := fs.Int("limit", localdb.DefaultDepositLimit, i18n.T("cli.flag.deposit_limit"))
	text := fs.String("guest", "", i18n.T("cli.flag.deposit_guest"))
	who := addStaffFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 0 {
		return e.usageErr(fs, "deposit", "cli.deposit.extra_args", "Args", strings.Join(pos, " "))
	}
	f := localdb.DepositFilter{Open: *open, Limit: *limit, Text: *text}
	switch w := app.Wallet(*wallet); w {
	case "":
	case app.WalletWeChat, app.WalletAlipay:
		f.Wallet = w
	default:
		return e.usageErr(fs, "deposit", "cli.deposit.bad_wallet", "Value", *wallet)
	}
	if *limit <= 0 {
		return e.usageErr(fs, "deposit", "cli.bad_flag", "Flag", "--limit", "Err", strconv.Itoa(*limit))
	}
	ctx := context.Background()
	s, st, code := e.openDesk(ctx, args, who)
	if s == nil {
		return code
	}
	defer s.Close()
	loc := st.Location()
	var err error
	if *from != "" {
		if f.From, err = parseLocalTime(*from, loc, false); err != nil {
			return e.usageErr(fs, "deposit", "cli.report.bad_time", "Value", *from)
		}
	}
	if *to != "" {
		if f.To, err = parseLocalTime(*to, loc, true); err != nil {
			return e.usageErr(fs, "deposit", "cli.report.bad_time", "Value", *to)
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return e.usageErr(fs, "deposit", "cli.audit.bad_range", "From", *from, "To", *to)
	}
	f.StoreID = st.ID
	rows, err := s.DB.ListDeposits(ctx, f)
	if err != nil {
		return e.fail("deposit", err)
	}
	if len(rows) == 0 {
		e.say("cli.deposit.none")
		return exitOK
	}
	now := s.Clock.Now()
	table := [][]string{{"", i18n.T("cli.deposit.col.no"), i18n.T("cli.deposit.col.tail"), i18n.T("cli.deposit.col.room"), i18n.T("cli.deposit.col.guest"), i18n.T("cli.deposit.col.wallet"),
		i18n.T("cli.deposit.col.amount"), i18n.T("cli.deposit.col.held"), i18n.T("cli.deposit.col.consumed"),
		i18n.T("cli.deposit.col.released"), i18n.T("cli.deposit.col.state"), i18n.T("cli.deposit.col.age")}}
	near := 0
	for _, r := range rows {
		mark := ""
		if payment.DepositNearLimit(r.Deposit, now) {
			mark, near = "!", near+1
		}
		table = append(table, []string{mark, r.DepositNo, tail(r.TransactionID), r.Room, r.GuestName, i18n.M(app.WalletName(r.Wallet)),
			r.Amount.String(), r.Left().String(), r.Consumed.String(), r.Released.String(), depositState(r.State),
			strconv.Itoa(ageDays(r.CreatedAt, now))})
	}
	e.printTable(table)
	if near > 0 {
		e.say("cli.deposit.near_limit_note", "Count", near, "Days", int(payment.DepositWarnBefore/(24*time.Hour)),
			"Limit", int(payment.WeChatDepositLimit/(24*time.Hour)))
	}
	return exitOK
}

// printTable left-aligns columns by display width (tabwriter counts a
// Chinese character as one column).
func (e env) printTable(table [][]string) {
	widths := make([]int, len(table[0]))
	for _, row := range table {
		for i, c := range row {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, row := range table {
		var b strings.Builder
		for i, c := range row {
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(e.stdout, strings.TrimRight(b.String(), " "))
	}
}

func tail(s string) string {
	if len(s) <= localdb.ShortNoLen {
		return s
	}
	return s[len(s)-localdb.ShortNoLen:]
}

func ageDays(at, now time.Time) int { return int(now.Sub(at) / (24 * time.Hour)) }

func depositState(s payment.DepositState) string {
	switch s {
	case payment.DepositFrozen:
		return i18n.T("cli.deposit.state.frozen")
	case payment.DepositConsumed:
		return i18n.T("cli.deposit.state.consumed")
	case payment.DepositReleased:
		return i18n.T("cli.deposit.state.released")
	case payment.DepositExpired:
		return i18n.T("cli.deposit.state.expired")
	}
	return string(s)
}

func depositOpKind(k app.DepositOpKind) string {
	switch k {
	case app.DepositOpConsume:
		return i18n.T("cli.deposit.op.consume")
	case app.DepositOpRelease:
		return i18n.T("cli.deposit.op.release")
	}
	return string(k)
}

// findOne finds the deposit q means; several matches (a short number)
// are listed and refused.
func (e env) findOne(ctx context.Context, s *Services, st app.StoreInfo, q string) (payment.Deposit, int, bool) {
	deps, err := s.DB.FindDeposit(ctx, st.ID, q)
	if err != nil {
		return payment.Deposit{}, e.fail("deposit", err), false
	}
	if len(deps) > 1 {
		e.usageErr(nil, "deposit", "cli.deposit.several", "Count", len(deps), "Q", q)
		for _, d := range deps {
			fmt.Fprintf(e.stderr, "  %s  %s  %s\n", d.DepositNo, d.Amount, d.CreatedAt.In(st.Location()).Format("2006-01-02 15:04"))
		}
		return payment.Deposit{}, exitUsage, false
	}
	return deps[0], exitOK, true
}

// runDepositShow is `pos deposit show NO`: NO is the receipt number, the
// wallet's transaction number or the last six of either.
func runDepositShow(e env, args []string) int {
	fs := e.newFlags("deposit", "cli.deposit.usage")
	who := addStaffFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return e.usageErr(fs, "deposit", "cli.deposit.no_needed")
	}
	ctx := context.Background()
	s, st, code := e.openDesk(ctx, args, who)
	if s == nil {
		return code
	}
	defer s.Close()
	d, code, ok := e.findOne(ctx, s, st, pos[0])
	if !ok {
		return code
	}
	loc, now := st.Location(), s.Clock.Now()
	e.say("cli.deposit.show.head", "No", d.DepositNo, "Wallet", app.WalletName(d.Wallet), "State", depositState(d.State))
	e.say("cli.deposit.show.numbers", "Txn", d.TransactionID, "OutTradeNo", d.OutTradeNo)
	e.say("cli.deposit.show.amounts", "Amount", d.Amount, "Consumed", d.Consumed, "Released", d.Released,
		"Held", d.Amount-d.Consumed-d.Released)
	if d.GuestName != "" || d.Room != "" || d.GuestPhone != "" {
		e.say("cli.deposit.show.guest", "Guest", d.GuestName, "Room", d.Room, "Phone", app.MaskPhone(d.GuestPhone))
	}
	e.say("cli.deposit.show.taken", "At", d.CreatedAt.In(loc).Format("2006-01-02 15:04"), "Days", ageDays(d.CreatedAt, now))
	if limit, ok := payment.DepositLimit(d.Wallet); ok && d.State == payment.DepositFrozen {
		at := d.CreatedAt.Add(limit).In(loc).Format("2006-01-02 15:04")
		if payment.DepositNearLimit(d, now) {
			e.say("cli.deposit.show.near_limit", "At", at)
		} else {
			e.say("cli.deposit.show.limit", "At", at)
		}
	}
	ops, err := s.DB.DepositOps(ctx, d.ID)
	if err != nil {
		return e.fail("deposit", err)
	}
	if len(ops) == 0 {
		e.say("cli.deposit.show.no_ops")
	}
	for _, op := range ops {
		e.say("cli.deposit.show.op", "At", op.CreatedAt.In(loc).Format("2006-01-02 15:04:05"), "Kind", depositOpKind(op.Kind),
			"Amount", op.Amount, "State", string(op.State), "No", op.OutRequestNo)
	}
	return exitOK
}

// runDepositOp is `pos deposit consume|release NO [--amount X]` (or
// --deposit NO). Mistakes a person can see in the stored deposit are
// refused before anything is sent.
func runDepositOp(e env, action string, args []string) int {
	fs := e.newFlags("deposit", "cli.deposit.usage")
	depositNo := fs.String("deposit", "", i18n.T("cli.flag.deposit_no"))
	amountS := fs.String("amount", "", i18n.T("cli.flag.consume_amount"))
	remark := fs.String("remark", "", i18n.T("cli.flag.reason"))
	who, gateway := addMoneyFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	no := strings.TrimSpace(*depositNo)
	switch {
	case len(pos) > 1 || (len(pos) == 1 && no != ""):
		return e.usageErr(fs, "deposit", "cli.deposit.extra_args", "Args", strings.Join(pos, " "))
	case len(pos) == 1:
		no = strings.TrimSpace(pos[0])
	}
	if no == "" {
		return e.usageErr(fs, "deposit", "cli.deposit.no_needed")
	}
	var amount app.Money
	switch {
	case action == "release" && *amountS != "":
		// A release gives back all that is held: an amount would be ignored.
		return e.usageErr(fs, "deposit", "cli.deposit.release_amount")
	case action == "consume" && *amountS == "":
		return e.usageErr(fs, "deposit", "cli.flag_required", "Flag", "--amount")
	case action == "consume":
		a, err := app.ParsePositiveMoney(*amountS)
		if err != nil {
			return e.usageErr(nil, "deposit", "cli.bad_flag", "Flag", "--amount", "Err", err)
		}
		amount = a
	}
	ctx, stop := signalContext()
	defer stop()
	s, exit := e.openMoney(ctx, "deposit", args, *gateway)
	if s == nil {
		return exit
	}
	defer s.Close()
	staff, exit, ok := e.loginAs(ctx, s, "deposit", i18n.Key("cli.nothing_sent_because"), who)
	if !ok {
		return exit
	}
	st, err := s.DB.CurrentStore(ctx)
	if err != nil {
		return e.fail("deposit", err)
	}
	d, code, ok := e.findOne(ctx, s, st, no)
	if !ok {
		return code
	}
	kind := app.DepositOpRelease
	if action == "consume" {
		kind = app.DepositOpConsume
	}
	// What the stored deposit already forbids is refused here, before the
	// channel is asked (the desk checks again).
	if err := deposit.Check(d, kind, amount, s.Clock.Now()); err != nil {
		return e.usageErr(nil, "deposit", "cli.nothing_sent_because", "Err", i18n.Err(err))
	}
	in := deposit.OpInput{DepositNo: d.DepositNo, Amount: amount, Staff: staff,
		Remark: *remark, OnEvent: progress(e.stdout, testEvents)}
	var set deposit.Settlement
	if action == "consume" {
		set, err = s.Desk.Consume(ctx, in)
	} else {
		set, err = s.Desk.Release(ctx, in)
	}
	res := set.Op
	if res.OutRequestNo != "" {
		e.sayResult(result{State: string(res.State), Amount: res.Amount, Msg: res.Msg,
			Numbers: []app.Message{app.Msg("cli.deposit.request_no", "No", res.OutRequestNo)}})
	}
	if res.Done() {
		e.say("cli.deposit.settled_amounts", "Charged", set.Charged, "Returned", set.Returned)
	}
	if err != nil {
		return e.fail("deposit", err)
	}
	if res.Done() {
		return exitOK
	}
	return exitFailed
}
