package report

import (
	"context"

	"cashier/app"
	"cashier/app/summary"
)

// View is the reports as one scope sees them. The Service's methods decide
// the viewer's scope afresh on every call and answer through a View; the
// command line, which reads as whoever can open the data folder (as
// `pos report summary` always has), takes one with Unrestricted.
type View struct {
	s  *Service
	sc Scope
}

// Unrestricted sees every store whole.
var Unrestricted = Scope{AllStores: true}

// As is the reports seen with sc.
func (s *Service) As(sc Scope) View { return View{s: s, sc: sc} }

func (s *Service) view(ctx context.Context, viewer app.Staff) (View, error) {
	sc, err := s.Scope(ctx, viewer)
	return View{s: s, sc: sc}, err
}

// Summary is View.Summary as viewer may see it.
func (s *Service) Summary(ctx context.Context, viewer app.Staff, f summary.Filter) (summary.Summary, error) {
	v, err := s.view(ctx, viewer)
	if err != nil {
		return summary.Summary{}, err
	}
	return v.Summary(ctx, f)
}

// Breakdown is View.Breakdown as viewer may see it.
func (s *Service) Breakdown(ctx context.Context, viewer app.Staff, f summary.Filter, by By) (Breakdown, error) {
	v, err := s.view(ctx, viewer)
	if err != nil {
		return Breakdown{}, err
	}
	return v.Breakdown(ctx, f, by)
}

// Daily is View.Daily as viewer may see it.
func (s *Service) Daily(ctx context.Context, viewer app.Staff, f BillFilter) (Bill, error) {
	v, err := s.view(ctx, viewer)
	if err != nil {
		return Bill{}, err
	}
	return v.Daily(ctx, f)
}

// Monthly is View.Monthly as viewer may see it.
func (s *Service) Monthly(ctx context.Context, viewer app.Staff, f BillFilter) (Bill, error) {
	v, err := s.view(ctx, viewer)
	if err != nil {
		return Bill{}, err
	}
	return v.Monthly(ctx, f)
}

// Hourly is View.Hourly as viewer may see it.
func (s *Service) Hourly(ctx context.Context, viewer app.Staff, f BillFilter) (Bill, error) {
	v, err := s.view(ctx, viewer)
	if err != nil {
		return Bill{}, err
	}
	return v.Hourly(ctx, f)
}

// Details is View.Details as viewer may see it.
func (s *Service) Details(ctx context.Context, viewer app.Staff, f DetailFilter, p Page) (DetailPage, error) {
	v, err := s.view(ctx, viewer)
	if err != nil {
		return DetailPage{}, err
	}
	return v.Details(ctx, f, p)
}

// DetailsTable is View.DetailsTable as viewer may see it (decided once,
// when the table is made).
func (s *Service) DetailsTable(ctx context.Context, viewer app.Staff, f DetailFilter) (Table, error) {
	v, err := s.view(ctx, viewer)
	if err != nil {
		return Table{}, err
	}
	return v.DetailsTable(ctx, f)
}

// Order is View.Order as viewer may see it.
func (s *Service) Order(ctx context.Context, viewer app.Staff, orderNo string) (app.Order, error) {
	v, err := s.view(ctx, viewer)
	if err != nil {
		return app.Order{}, err
	}
	return v.Order(ctx, orderNo)
}
