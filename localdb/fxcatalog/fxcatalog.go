// Package fxcatalog makes large, realistic catalogues for tests and
// benchmarks: a million products whose names look like a Chinese
// supermarket's (brand, flavour, product, pack size), so search is measured
// on the shapes and pinyin a store has, not on "商品123".
package fxcatalog

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/localdb"
)

var (
	brands   = strings.Fields("农夫山泉 怡宝 可口 百事 康师傅 统一 伊利 蒙牛 光明 娃哈哈 旺旺 乐事 奥利奥 德芙 士力架 雀巢 双汇 金龙鱼 海天 李锦记 老干妈 王老吉 加多宝 红牛 脉动 元气森林 农心 白象 今麦郎 三只松鼠 良品铺子 百草味 洽洽 徐福记 好丽友 达利园 盼盼 上好佳 卫龙 五粮液 茅台 青岛 雪花 燕京 哈尔滨 百威 长城 张裕 立白 蓝月亮 舒肤佳 高露洁 云南白药 清风 维达 心相印 安慕希 纯甄 金典 特仑苏 银鹭 露露 六个核桃 椰树 北冰洋 冰峰 大窑 汇源 美汁源 果粒橙 尖叫 东鹏 乐虎 战马 魔爪 宝矿力 佳得乐 三得利 东方树叶 小茗同学 海之言 冰露 景田 百岁山 恒大 昆仑山 西藏 依云 屈臣氏 巴黎水 圣培露")
	flavours = strings.Fields("原味 香辣 麻辣 番茄 黑椒 烧烤 芝士 草莓 香草 抹茶 柠檬 青柠 蜜桃 葡萄 荔枝 西瓜 椰子 海盐 红烧 酸菜 藤椒 孜然 五香 蒜香 无糖 低脂 全脂 经典 特浓 清爽")
	nouns    = strings.Fields("饮用水 纯净水 矿泉水 可乐 雪碧 冰红茶 绿茶 奶茶 酸奶 纯牛奶 牛肉面 方便面 火腿肠 薯片 饼干 巧克力 口香糖 面包 蛋糕 瓜子 花生 核桃 牛肉干 鸭脖 辣条 啤酒 白酒 红酒 洗衣液 洗洁精 牙膏 牙刷 洗发水 沐浴露 纸巾 湿巾 卷纸 食用油 酱油 醋 味精 盐 白糖 大米 面粉 挂面 鸡蛋 香肠 榨菜 咖啡 果汁 橙汁 苹果汁 椰汁 凉茶 功能饮料 气泡水 苏打水 电池 打火机 雨伞 毛巾 拖鞋 袜子 充电线 笔记本 圆珠笔 胶带")
	specs    = strings.Fields("250ml 330ml 500ml 550ml 600ml 1L 1.5L 2L 50g 70g 100g 200g 250g 500g 1kg 5kg 6入 12入 24入 大包 小包 家庭装 礼盒装")
	units    = strings.Fields("瓶 罐 袋 盒 包 桶 支 条 个 件")
)

// mix spreads i over the lists so neighbours differ in every part.
func mix(i, salt int) int {
	x := uint64(i)*0x9E3779B97F4A7C15 + uint64(salt)*0xBF58476D1CE4E5B9
	x ^= x >> 31
	x *= 0x94D049BB133111EB
	x ^= x >> 29
	return int(x >> 1)
}

// Product is the i-th product: a name, an EAN-13 (GS1 China 69, unique
// for i < 10^10), a price of ￥0.50–￥999.99, a unit and a category.
func Product(i int) catalog.Product {
	name := brands[mix(i, 1)%len(brands)]
	if mix(i, 2)%3 > 0 {
		name += flavours[mix(i, 3)%len(flavours)]
	}
	noun := nouns[mix(i, 4)%len(nouns)]
	name += noun + " " + specs[mix(i, 5)%len(specs)]
	return catalog.Product{
		Name:     name,
		Barcodes: []string{EAN13(i)},
		Price:    app.Money(50 + mix(i, 6)%99_950),
		Unit:     units[mix(i, 7)%len(units)],
		Category: noun,
		TaxRate:  1300,
		Active:   mix(i, 8)%50 != 0, // one in fifty disabled
	}
}

// EAN13 is a valid EAN-13 for i: 69, ten digits of i, check digit.
func EAN13(i int) string {
	d := fmt.Sprintf("69%010d", i)
	return d + string(app.EAN13CheckDigit(d))
}

// Row is Product(i) as a file row.
func Row(i int) catalog.Row {
	p := Product(i)
	return catalog.FormatRow(catalog.Record{Product: p})
}

// CSV is a product file of n rows from first, UTF-8 with a Chinese header.
func CSV(first, n int) []byte {
	var b strings.Builder
	b.WriteString("名称,条码,价格,单位,分类,税率,启用\r\n")
	for i := first; i < first+n; i++ {
		r := Row(i)
		b.WriteString(r.Name + "," + r.Barcodes[0] + "," + r.Price + "," + r.Unit + "," + r.Category + "," + r.TaxRate + "," + r.Active + "\r\n")
	}
	return []byte(b.String())
}

// Fill adds products first … first+n-1 to a store through the catalogue's
// own writes, in transactions of 50,000, the terms worked out on the other
// cores meanwhile.
func Fill(ctx context.Context, db *localdb.DB, storeID int64, first, n int) error {
	const batch = 50_000
	for start := first; start < first+n; start += batch {
		end := min(first+n, start+batch)
		terms := make([][]string, end-start)
		var wg sync.WaitGroup
		for w := 0; w < runtime.NumCPU(); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := start + w; i < end; i += runtime.NumCPU() {
					terms[i-start] = catalog.IndexTerms(Product(i).Name)
				}
			}()
		}
		wg.Wait()
		err := db.CatalogTx(ctx, func(tx catalog.Tx) error {
			for i := start; i < end; i++ {
				if _, err := tx.Insert(catalog.Record{StoreID: storeID, Product: Product(i)}, terms[i-start]); err != nil {
					return fmt.Errorf("product %s: %w", strconv.Itoa(i), err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
