package app

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestStoreInfo_DiscountFloor(t *testing.T) {
	cases := []struct {
		pct  int
		list Money
		want Money
	}{
		{0, 1000, 0},               // no floor
		{80, 1000, 800},            // at most 20 % off
		{80, 999, 800},             // 799.2 fen: up to the fen
		{80, 1, 1},                 // 0.8 fen: 1
		{100, 1234, 1234},          // no discount at all
		{1, 1, 1},                  // any floor of a positive price is at least a fen
		{50, 0, 0},                 // nothing to floor
		{50, -100, 0},              // a negative price has no floor
		{-5, 1000, 0},              // a bad value floors nothing (Validate refuses it)
		{101, 1000, 0},             // nor does one above 100 (never above the list price)
		{1000, 1000, 0},            // nor a typo
		{90, 99_999_99, 90_000_00}, // 99,999.99 yuan at 90 %: 89,999.991 yuan, up to 90,000.00
		{99, math.MaxInt64, Money(math.MaxInt64/100*99 + (math.MaxInt64%100*99+99)/100)}, // no overflow
	}
	for _, c := range cases {
		got := StoreInfo{DiscountFloorPct: c.pct}.DiscountFloor(c.list)
		if got != c.want {
			t.Errorf("floor %d%% of %d: got %d, want %d", c.pct, c.list, got, c.want)
		}
		if c.list > 0 && got > c.list {
			t.Errorf("floor %d%% of %d is above the list price: %d", c.pct, c.list, got)
		}
	}
	// The floor is the smallest price that is at least pct % of the list:
	// one fen less is below it.
	for pct := 1; pct <= 100; pct++ {
		for list := Money(1); list <= 1000; list += 37 {
			f := StoreInfo{DiscountFloorPct: pct}.DiscountFloor(list)
			if int64(f)*100 < int64(list)*int64(pct) || int64(f-1)*100 >= int64(list)*int64(pct) {
				t.Fatalf("floor %d%% of %d: %d is not the least price at or above it", pct, list, f)
			}
		}
	}
}

func TestStoreInfo_ValidateCounterSettings(t *testing.T) {
	ok := StoreInfo{Name: "好邻居", ScaleLayout: "none"}
	for _, m := range append([]PaymentMode{""}, PaymentModes...) {
		for _, pct := range []int{0, 1, 80, 100} {
			s := ok
			s.PaymentMode, s.DiscountFloorPct = m, pct
			if err := s.Validate(); err != nil {
				t.Errorf("%q %d: %v", m, pct, err)
			}
		}
	}
	for _, pct := range []int{-1, 101, 1 << 20} {
		s := ok
		s.DiscountFloorPct = pct
		err := s.Validate()
		if !errors.Is(err, ErrDiscountFloor) || !errors.Is(err, ErrInvalidField) {
			t.Errorf("floor %d: %v", pct, err)
		}
	}
	s := ok
	s.PaymentMode = "Default"
	if err := s.Validate(); !errors.Is(err, ErrInvalidField) {
		t.Errorf("mode %q: %v", s.PaymentMode, err)
	}
	if PaymentMode("").Or() != PaymentDefault || PaymentConsumeDeposit.Or() != PaymentConsumeDeposit {
		t.Error("Or")
	}
}

func heldFx() HeldOrder {
	return HeldOrder{Label: "穿红衣服的顾客", Lines: []HeldLine{
		{OrderLine: OrderLine{Name: "可乐", Qty: 2, UnitPrice: 300}},
		{OrderLine: OrderLine{Name: "五花肉", Qty: 1, UnitPrice: 2600}, Grams: 532, Unit: "kg"},
	}}
}

func TestHeldOrder_Validate(t *testing.T) {
	if err := heldFx().Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		change func(*HeldOrder)
		want   error
	}{
		"empty":           {func(h *HeldOrder) { h.Lines = nil }, ErrHeldEmpty},
		"too many":        {func(h *HeldOrder) { h.Lines = make([]HeldLine, MaxHeldLines+1) }, ErrHeldTooManyLines},
		"zero qty":        {func(h *HeldOrder) { h.Lines[0].Qty = 0 }, ErrHeldLine},
		"negative price":  {func(h *HeldOrder) { h.Lines[0].UnitPrice = -1 }, ErrHeldLine},
		"negative disc":   {func(h *HeldOrder) { h.Lines[0].LineDiscount = -1 }, ErrHeldLine},
		"negative grams":  {func(h *HeldOrder) { h.Lines[0].Grams = -1 }, ErrHeldLine},
		"weighed no unit": {func(h *HeldOrder) { h.Lines[1].Unit = "" }, ErrHeldLine},
		"weighed qty 2":   {func(h *HeldOrder) { h.Lines[1].Qty = 2 }, ErrHeldLine},
		"label too long":  {func(h *HeldOrder) { h.Label = strings.Repeat("a", MaxHeldLabel+1) }, ErrFieldTooLong},
		"order discount":  {func(h *HeldOrder) { h.OrderDiscount = -1 }, ErrHeldAmount},
		"deposit part":    {func(h *HeldOrder) { h.DepositPart = -1 }, ErrHeldAmount},
		"payment mode":    {func(h *HeldOrder) { h.PaymentMode = "x" }, ErrInvalidField},
	}
	for name, c := range cases {
		h := heldFx()
		c.change(&h)
		if err := h.Validate(); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	h := heldFx()
	h.Label = "  " + strings.Repeat("红", MaxHeldLabel) + " " // counted in characters, trimmed
	if err := h.Validate(); err != nil {
		t.Errorf("20 characters: %v", err)
	}
	if h.Qty() != 3 {
		t.Errorf("qty %d", h.Qty())
	}
	at := time.Date(2026, 1, 16, 9, 0, 0, 0, time.UTC)
	h.CreatedAt = at
	if h.Age(at.Add(12*time.Minute)) != 12*time.Minute || h.Age(at.Add(-time.Hour)) != 0 {
		t.Error("age")
	}
}
