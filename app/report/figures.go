package report

import (
	"context"
	"slices"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/summary"
)

// Summary is the section-4 summary for f as the viewer may see it: f
// narrowed to their own takings when that is all they see (summary.Engine
// computes it, as for a shift handover).
func (v View) Summary(ctx context.Context, f summary.Filter) (summary.Summary, error) {
	f, err := v.sc.Figures(f)
	if err != nil {
		return summary.Summary{}, err
	}
	return summary.Engine{Store: v.s.Store}.Summarize(ctx, f)
}

// By is what a breakdown groups by.
type By string

const (
	ByMethod By = "method"
	ByStore  By = "store"
	ByStaff  By = "staff"
	ByShift  By = "shift"
)

// Bys lists the breakdowns in the order screens offer them.
var Bys = []By{ByMethod, ByStore, ByStaff, ByShift}

// ParseBy reads a breakdown's name.
func ParseBy(v string) (By, error) {
	if b := By(v); slices.Contains(Bys, b) {
		return b, nil
	}
	return "", ErrBadBy.With("Value", v)
}

// Group is one line of a breakdown: who or what it is, and its figures.
type Group struct {
	Method    summary.Method // ByMethod
	StoreID   int64          // ByStore
	StoreCode string
	StoreName string
	StaffID   int64 // ByStaff; ByShift: the shift's person (0 on no shift)
	StaffCode string
	StaffName string
	ShiftID   int64     // ByShift; 0: the takings on no shift
	Start     time.Time // ByShift: the shift's start
	End       time.Time // ByShift: its end; zero while open
	Figures   summary.Figures
}

// Breakdown is a summary split into groups. Total is the groups' sum,
// which is the summary's total of the same filter.
type Breakdown struct {
	Filter summary.Filter
	By     By
	Groups []Group
	Total  summary.Figures
}

// Breakdown splits the summary of f by payment method (every method, in
// summary.Methods order), by store (every store the viewer sees, f's
// StoreID set aside; a business day is each store's own), by staff member
// (those who moved money, by staff number) or by shift (by start; the
// takings on no shift last).
func (v View) Breakdown(ctx context.Context, f summary.Filter, by By) (Breakdown, error) {
	if !slices.Contains(Bys, by) {
		return Breakdown{}, ErrBadBy.With("Value", string(by))
	}
	s, sc := v.s, v.sc
	if by == ByStore {
		return s.byStore(ctx, sc, f)
	}
	f, err := sc.Figures(f)
	if err != nil {
		return Breakdown{}, err
	}
	if _, err := s.store(ctx, f.StoreID); err != nil {
		return Breakdown{}, err
	}
	out := Breakdown{Filter: f, By: by}
	if by == ByMethod {
		sum, err := summary.Engine{Store: s.Store}.Summarize(ctx, f)
		if err != nil {
			return Breakdown{}, err
		}
		for _, m := range summary.Methods {
			out.Groups = append(out.Groups, Group{Method: m, Figures: sum.Method(m)})
		}
		out.Total = sum.Total
		return out, nil
	}
	// Summarize checks the filter the same way before the grouped read.
	if _, err := (summary.Engine{Store: checkOnly{}}).Summarize(ctx, f); err != nil {
		return Breakdown{}, err
	}
	rows, err := s.Store.SumTakingsBy(ctx, f, by)
	if err != nil {
		return Breakdown{}, err
	}
	type acc struct {
		g    Group
		rows []summary.Row
	}
	groups := map[int64]*acc{}
	var order []int64
	for _, r := range rows {
		a := groups[r.ID]
		if a == nil {
			a = &acc{g: Group{StaffID: r.StaffID, StaffCode: r.StaffCode, StaffName: r.StaffName}}
			if by == ByShift {
				a.g.ShiftID, a.g.Start, a.g.End = r.ID, r.Start, r.End
			}
			groups[r.ID] = a
			order = append(order, r.ID)
		}
		a.rows = append(a.rows, r.Row)
	}
	for _, id := range order {
		a := groups[id]
		a.g.Figures = summary.Compute(a.rows).Total
		out.Groups = append(out.Groups, a.g)
		out.Total = add(out.Total, a.g.Figures)
	}
	slices.SortFunc(out.Groups, func(a, b Group) int {
		if by == ByStaff {
			return strings.Compare(a.StaffCode, b.StaffCode)
		}
		switch {
		case a.ShiftID == 0 && b.ShiftID != 0:
			return 1
		case b.ShiftID == 0 && a.ShiftID != 0:
			return -1
		}
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return int(a.ShiftID - b.ShiftID)
	})
	return out, nil
}

func (s *Service) byStore(ctx context.Context, sc Scope, f summary.Filter) (Breakdown, error) {
	stores, err := s.Store.Stores(ctx)
	if err != nil {
		return Breakdown{}, err
	}
	f.StoreID = 0
	out := Breakdown{Filter: f, By: ByStore}
	for _, st := range stores {
		if !sc.Sees(st.ID) {
			continue
		}
		g := f
		g.StoreID = st.ID
		if g, err = sc.Figures(g); err != nil {
			return Breakdown{}, err
		}
		sum, err := summary.Engine{Store: s.Store}.Summarize(ctx, g)
		if err != nil {
			return Breakdown{}, err
		}
		out.Groups = append(out.Groups, Group{StoreID: st.ID, StoreCode: st.Code, StoreName: st.Name, Figures: sum.Total})
		out.Total = add(out.Total, sum.Total)
	}
	return out, nil
}

// add sums two sets of figures.
func add(a, b summary.Figures) summary.Figures {
	return summary.Figures{
		TxAmount: a.TxAmount + b.TxAmount, Settlement: a.Settlement + b.Settlement, Received: a.Received + b.Received,
		Discount: a.Discount + b.Discount, Refund: a.Refund + b.Refund, RefundSettlement: a.RefundSettlement + b.RefundSettlement,
		TxCount: a.TxCount + b.TxCount, RefundCount: a.RefundCount + b.RefundCount,
	}
}

// checkOnly lets summary.Engine check a filter without reading anything.
type checkOnly struct{}

func (checkOnly) SumTakings(context.Context, summary.Filter) ([]summary.Row, error) { return nil, nil }
func (checkOnly) DepositsHeld(context.Context, int64, time.Time) (app.Money, int64, error) {
	return 0, 0, nil
}
