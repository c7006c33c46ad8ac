package localdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/catalog"
)

// DemoStaffMember is a seeded login. The PINs are public on purpose: they
// are shown on the login screen of a demo data folder only.
type DemoStaffMember struct {
	Code, Name, PIN string
	Role            app.Role
	Grants          []string
}

// DemoStaff are the people of the demo store.
var DemoStaff = []DemoStaffMember{
	{Code: "1001", Name: "王店长", PIN: "8888", Role: app.RoleManager},
	{Code: "1002", Name: "李娜", PIN: "1234", Role: app.RoleClerk, Grants: []string{app.PermRefund}},
	{Code: "1003", Name: "张伟", PIN: "5678", Role: app.RoleClerk},
}

type demoProduct struct {
	name, unit, category string
	price                app.Money
}

// About fifty things a Chinese convenience store sells; barcodes are made
// from a 69x (China) prefix with a correct EAN-13 check digit.
var demoProducts = []demoProduct{
	{"农夫山泉饮用天然水 550ml", "瓶", "饮料", 200},
	{"怡宝纯净水 555ml", "瓶", "饮料", 200},
	{"可口可乐 330ml", "罐", "饮料", 300},
	{"百事可乐 500ml", "瓶", "饮料", 350},
	{"雪碧 500ml", "瓶", "饮料", 350},
	{"王老吉凉茶 310ml", "罐", "饮料", 400},
	{"康师傅冰红茶 500ml", "瓶", "饮料", 300},
	{"统一阿萨姆奶茶 500ml", "瓶", "饮料", 500},
	{"东方树叶茉莉花茶 500ml", "瓶", "饮料", 550},
	{"元气森林白桃气泡水 480ml", "瓶", "饮料", 550},
	{"红牛维生素功能饮料 250ml", "罐", "饮料", 600},
	{"脉动青柠味 600ml", "瓶", "饮料", 450},
	{"伊利纯牛奶 250ml", "盒", "乳品", 350},
	{"蒙牛特仑苏纯牛奶 250ml", "盒", "乳品", 600},
	{"光明莫斯利安酸奶 200g", "盒", "乳品", 650},
	{"养乐多活菌型乳酸菌 100ml×5", "排", "乳品", 1250},
	{"康师傅红烧牛肉面", "袋", "方便食品", 450},
	{"统一老坛酸菜牛肉面", "袋", "方便食品", 450},
	{"今麦郎一菜一面", "桶", "方便食品", 550},
	{"白象汤好喝老母鸡汤面", "桶", "方便食品", 600},
	{"双汇王中王火腿肠 40g", "根", "方便食品", 250},
	{"乐事原味薯片 70g", "袋", "零食", 800},
	{"上好佳鲜虾片 40g", "袋", "零食", 450},
	{"奥利奥原味夹心饼干 116g", "盒", "零食", 950},
	{"旺旺雪饼 84g", "袋", "零食", 750},
	{"良品铺子猪肉脯 100g", "袋", "零食", 2290},
	{"三只松鼠每日坚果 25g", "袋", "零食", 590},
	{"德芙丝滑牛奶巧克力 43g", "条", "零食", 990},
	{"绿箭口香糖 5片", "条", "零食", 250},
	{"大白兔奶糖 114g", "袋", "零食", 1280},
	{"卫龙大面筋辣条 102g", "袋", "零食", 500},
	{"洽洽香瓜子 160g", "袋", "零食", 800},
	{"桃李醇熟切片面包 400g", "袋", "烘焙", 980},
	{"达利园法式软面包 200g", "袋", "烘焙", 790},
	{"金龙鱼东北大米 5kg", "袋", "粮油", 3990},
	{"鲁花花生油 900ml", "瓶", "粮油", 3590},
	{"海天金标生抽 500ml", "瓶", "调味品", 850},
	{"老干妈风味豆豉油辣椒 280g", "瓶", "调味品", 1150},
	{"中盐加碘精制盐 400g", "袋", "调味品", 300},
	{"维达超韧抽纸 3层100抽", "包", "日用品", 550},
	{"心相印手帕纸 10包", "条", "日用品", 650},
	{"舒肤佳纯白清香香皂 108g", "块", "日用品", 500},
	{"高露洁全效牙膏 120g", "支", "日用品", 1590},
	{"蓝月亮深层洁净洗衣液 1kg", "瓶", "日用品", 2490},
	{"立白洗洁精 1.12kg", "瓶", "日用品", 1190},
	{"南孚碱性电池 5号 2粒", "卡", "日用品", 990},
	{"晨光中性笔 0.5mm 黑", "支", "文具", 250},
	{"青岛啤酒经典 500ml", "罐", "酒水", 650},
	{"雪花勇闯天涯 500ml", "罐", "酒水", 550},
	{"红星二锅头 500ml", "瓶", "酒水", 2000},
	{"茶叶蛋", "个", "熟食", 200},
	{"关东煮（三串）", "份", "熟食", 800},
}

// DemoProductCount is how many products SeedDemo adds.
var DemoProductCount = len(demoProducts)

// DemoBarcode is the EAN-13 barcode of the i-th demo product.
func DemoBarcode(i int) string {
	prefix := fmt.Sprintf("6901234%05d", 10000+i*7)
	return prefix + string(app.EAN13CheckDigit(prefix))
}

// IsDemo reports whether this data folder holds the demo data.
func (db *DB) IsDemo(ctx context.Context) bool {
	// A read error counts as "not a demo": the safe side, since a demo
	// folder shows PINs on the login screen.
	v, err := db.GetSetting(ctx, SettingDemo, "")
	return err == nil && v == "1"
}

// Configured reports whether this data folder has a terminal set up (demo
// or live).
func (db *DB) Configured(ctx context.Context) (bool, error) {
	v, err := db.GetSetting(ctx, SettingTerminalID, "")
	return v != "", err
}

// NewTerminalCode makes a terminal code no other terminal of the merchant
// is likely to have: "T" and five random letters and digits. It goes into
// every order and payment number (app.TerminalInfo.NumberPrefix), so two
// terminals — two demo folders on one sandbox included — never make the
// same number.
func NewTerminalCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "T" + string(b)
}

// SeedDemo fills an empty database with the demo merchant, store,
// terminal, staff and products, and marks it as a demo folder. It does
// nothing when a terminal is already configured.
func (db *DB) SeedDemo(ctx context.Context, hasher auth.PINHasher, now time.Time) (bool, error) {
	if ok, err := db.Configured(ctx); err != nil || ok {
		return false, err
	}
	hashes := make([]string, len(DemoStaff))
	for i, s := range DemoStaff {
		h, err := hasher.Hash(s.PIN)
		if err != nil {
			return false, err
		}
		hashes[i] = h
	}
	nowMS := now.UnixMilli()
	seeded := false
	err := db.Write(ctx, func(tx *sql.Tx) error {
		// Checked again where it is written: another process may have set
		// the folder up since (the check above only spares the hashing).
		if v, err := getSetting(ctx, tx, SettingTerminalID); err != nil || v != "" {
			return err
		}
		seeded = true
		res, err := tx.ExecContext(ctx, `INSERT INTO merchant(code, name, provider, created_at) VALUES (?,?,?,?)`,
			"M1900000109", "深圳市演示商贸有限公司", "演示服务商", nowMS)
		if err != nil {
			return err
		}
		mid, _ := res.LastInsertId()
		res, err = tx.ExecContext(ctx, `INSERT INTO store(merchant_id, code, name, address, phone, receipt_footer, created_at)
			VALUES (?,?,?,?,?,?,?)`, mid, "S0001", "好邻居便利店（科技园店）", "深圳市南山区科技园科苑路15号",
			"0755-86001234", "谢谢惠顾，欢迎再次光临！", nowMS)
		if err != nil {
			return err
		}
		sid, _ := res.LastInsertId()
		res, err = tx.ExecContext(ctx, `INSERT INTO terminal(store_id, code, name, cashier_mode, order_prefix, created_at)
			VALUES (?,?,?,?,?,?)`, sid, NewTerminalCode(), "1号收银台", string(app.ModeSaleDeposit), "1001", nowMS)
		if err != nil {
			return err
		}
		tid, _ := res.LastInsertId()
		for i, s := range DemoStaff {
			if _, err := AddStaff(ctx, tx, NewStaff{StoreID: sid, Code: s.Code, Name: s.Name, Role: s.Role,
				PINHash: hashes[i], Grants: s.Grants}, now); err != nil {
				return err
			}
		}
		for i, p := range demoProducts {
			if _, err := insertCatalogProduct(ctx, tx, catalog.Record{StoreID: sid, UpdatedAt: now,
				Product: catalog.Product{Name: p.name, Barcodes: []string{DemoBarcode(i)}, Price: p.price,
					Unit: p.unit, Category: p.category, Active: true, TaxRate: 1300}}); err != nil {
				return err
			}
		}
		for k, v := range map[string]string{SettingDemo: "1", SettingStoreID: fmt.Sprint(sid), SettingTerminalID: fmt.Sprint(tid)} {
			if err := setSetting(ctx, tx, k, v); err != nil {
				return err
			}
		}
		return InsertAudit(ctx, tx, app.AuditEntry{At: now, Action: "seed"})
	})
	return err == nil && seeded, err
}

// LiveSetup is what `pos init` (and the first-start form) asks for.
type LiveSetup struct {
	Merchant     string // the merchant's name; default the store name
	Store        string
	Terminal     string
	AdminCode    string
	AdminName    string
	PIN          string
	Language     string // "zh" | "en"; default zh
	CashierMode  app.CashierMode
	OrderPrefix  string // the channel's cashier-id prefix, if it has one
	TerminalCode string // default NewTerminalCode()
}

// Errors of InitLive.
var (
	ErrAlreadySetUp = app.NewError("setup.already")
	ErrStaffCode    = app.NewError("setup.staff_code")
)

// Validate checks the form before anything is written.
func (l LiveSetup) Validate() error {
	var errs []error
	errs = append(errs, app.CheckText(app.Msg("field.store_name"), l.Store, true, 40),
		app.CheckText(app.Msg("field.terminal_name"), l.Terminal, true, 30),
		app.CheckText(app.Msg("field.admin_name"), l.AdminName, true, 20))
	if c := strings.TrimSpace(l.AdminCode); c == "" || len(c) > 12 || strings.Trim(c, "0123456789") != "" {
		errs = append(errs, ErrStaffCode)
	}
	errs = append(errs, auth.ValidatePIN(l.PIN))
	if l.CashierMode != "" {
		errs = append(errs, app.TerminalInfo{Name: l.Terminal, CashierMode: l.CashierMode}.Validate())
	}
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// InitLive sets up a new data folder for real use: merchant, store, this
// terminal and its first administrator (who holds every permission,
// granting included). It refuses a folder that is already set up and
// writes nothing on bad input.
func (db *DB) InitLive(ctx context.Context, hasher auth.PINHasher, now time.Time, l LiveSetup) (app.TerminalInfo, error) {
	if err := l.Validate(); err != nil {
		return app.TerminalInfo{}, err
	}
	if ok, err := db.Configured(ctx); err != nil {
		return app.TerminalInfo{}, err
	} else if ok {
		return app.TerminalInfo{}, ErrAlreadySetUp
	}
	hash, err := hasher.Hash(l.PIN)
	if err != nil {
		return app.TerminalInfo{}, err
	}
	if l.Merchant == "" {
		l.Merchant = l.Store
	}
	if l.CashierMode == "" {
		l.CashierMode = app.ModeSale
	}
	if l.TerminalCode == "" {
		l.TerminalCode = NewTerminalCode()
	}
	if l.Language == "" {
		l.Language = "zh"
	}
	nowMS := now.UnixMilli()
	var term app.TerminalInfo
	err = db.Write(ctx, func(tx *sql.Tx) error {
		if v, err := getSetting(ctx, tx, SettingTerminalID); err != nil || v != "" {
			if err == nil {
				err = ErrAlreadySetUp
			}
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO merchant(code, name, created_at) VALUES (?,?,?)`, "M"+l.TerminalCode, l.Merchant, nowMS)
		if err != nil {
			return err
		}
		mid, _ := res.LastInsertId()
		res, err = tx.ExecContext(ctx, `INSERT INTO store(merchant_id, code, name, created_at) VALUES (?,?,?,?)`, mid, "S0001", l.Store, nowMS)
		if err != nil {
			return err
		}
		sid, _ := res.LastInsertId()
		res, err = tx.ExecContext(ctx, `INSERT INTO terminal(store_id, code, name, cashier_mode, order_prefix, created_at)
			VALUES (?,?,?,?,?,?)`, sid, l.TerminalCode, l.Terminal, string(l.CashierMode), l.OrderPrefix, nowMS)
		if err != nil {
			return err
		}
		tid, _ := res.LastInsertId()
		admin, err := AddStaff(ctx, tx, NewStaff{Code: strings.TrimSpace(l.AdminCode), Name: strings.TrimSpace(l.AdminName),
			Role: app.RoleAdmin, PINHash: hash}, now)
		if err != nil {
			return err
		}
		for k, v := range map[string]string{SettingStoreID: fmt.Sprint(sid), SettingTerminalID: fmt.Sprint(tid), SettingLanguage: l.Language} {
			if err := setSetting(ctx, tx, k, v); err != nil {
				return err
			}
		}
		term = app.TerminalInfo{ID: tid, StoreID: sid, Code: l.TerminalCode, Name: l.Terminal, CashierMode: l.CashierMode, OrderPrefix: l.OrderPrefix}
		return InsertAudit(ctx, tx, app.AuditEntry{At: now, StaffID: admin, Action: "init", Subject: l.Store, Detail: l.Terminal})
	})
	return term, err
}
