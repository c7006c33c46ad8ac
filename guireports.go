package main

import (
	"context"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2/theme"

	"cashier/app/report"
	"cashier/localdb"
	"cashier/sync/export"
	"cashier/ui/i18n"
	reportsui "cashier/ui/reports"
	"cashier/ui/shell"
	"cashier/ui/today"
)

// reportsWorkspace is the Reports workspace (报表): offered to whoever
// app/report shows anything (a clerk only while on shift); every read
// asks the use case, which reads the person afresh.
func reportsWorkspace(s *Services) shell.Workspace {
	var storeID int64
	if st, err := s.DB.CurrentStore(context.Background()); err == nil {
		storeID = st.ID
	}
	return shell.Workspace{ID: "reports", TitleKey: i18n.Key("nav.reports"), Icon: theme.DocumentIcon(),
		Visible: func(se shell.Session) bool { return reportsui.Visible(se.Staff, se.OnShift) },
		Build: func(se shell.Session) shell.Page {
			v := reportsui.New(reportsDeps(s, se, storeID))
			return shell.Page{Content: v.Content(), Focus: v.Focus(), Stop: v.Stop}
		}}
}

func reportsDeps(s *Services, se shell.Session, storeID int64) reportsui.Deps {
	svc := s.Reports
	if svc == nil {
		svc = &report.Service{Store: s.DB, People: s.DB, Shifts: s.DB}
	}
	d := reportsui.Deps{Reports: svc, Directory: s.DB,
		Refunds:  reportRefunds{todayOrders{db: s.DB, pay: localdb.NewPaymentStore(s.DB)}},
		Exporter: reportFiles{}, Staff: se.Staff, StoreID: storeID, Signals: s.Signals,
		Window: se.Window, Canvas: se.Window.Canvas()}
	if s.Devices != nil {
		d.Printer = s.Devices
	}
	if s.Checkout != nil && s.Checkout.Printer != nil {
		d.Reprint = s.Checkout.Reprint
	}
	return d
}

// reportRefunds lists an order's refunds as the Today screen words them.
type reportRefunds struct{ o todayOrders }

func (r reportRefunds) OrderRefunds(ctx context.Context, orderNo string) ([]today.Refund, error) {
	d, err := r.o.Detail(ctx, orderNo)
	return d.Refunds, err
}

// reportFiles writes a report table as CSV or XLSX (sync/export): into a
// file beside the one chosen, renamed over it once whole, so a failed
// export leaves no half file.
type reportFiles struct{}

func (reportFiles) Export(ctx context.Context, t report.Table, format, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".export-*")
	if err != nil {
		return err
	}
	if format == "xlsx" {
		err = export.XLSX(ctx, f, t, i18n.M)
	} else {
		err = export.CSV(ctx, f, t, i18n.M)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
