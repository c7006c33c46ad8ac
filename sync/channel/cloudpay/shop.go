package cloudpay

import (
	"context"
	"fmt"

	"cashier/app"
	"cashier/sync/channel"
)

// StaffInfo is a shop's cashier as Cloud Pay knows it.
type StaffInfo struct {
	StaffID     string `json:"staff_id"`
	StaffName   string `json:"staff_name"`
	Remark      string `json:"remark"`
	ShopManager bool   `json:"shop_manager"`
}

// DeviceInfo is a shop's registered device.
type DeviceInfo struct {
	DeviceID   string `json:"device_id"`
	DeviceType int    `json:"device_type"` // 1 code payment, 2 QR, 3 both, 4 fixed QR
	DeviceName string `json:"device_name"`
	Remark     string `json:"remark"`
}

// ShopInfo is one shop of the sub-merchant.
type ShopInfo struct {
	ShopID       string       `json:"shop_id"`
	ShopName     string       `json:"shop_name"`
	OutShopID    string       `json:"out_shop_id"`
	Province     string       `json:"province"`
	City         string       `json:"city"`
	District     string       `json:"district"`
	Address      string       `json:"address"`
	Phone        string       `json:"phone"`
	FeeType      string       `json:"fee_type"`
	OutShopIDURL string       `json:"out_shop_id_url"`
	StaffInfos   []StaffInfo  `json:"staff_infos"`
	DeviceInfos  []DeviceInfo `json:"device_infos"`
}

// ShopInfoPage is one page of query_sub_mch_shop_info.
type ShopInfoPage struct {
	TotalCount int        `json:"total_count"`
	ShopInfos  []ShopInfo `json:"shop_infos"`
}

type shopInfoRequest struct {
	OutMchID    string `json:"out_mch_id"`
	OutSubMchID string `json:"out_sub_mch_id"`
	NonceStr    string `json:"nonce_str"`
	PageNum     int    `json:"page_num"`
	PageSize    int    `json:"page_size"`
}

// QuerySubMchShopInfo reads the sub-merchant's shops with their staff and
// devices (query_sub_mch_shop_info), page numbers from 1, at most 100 per
// page. A NotSent error means nothing was sent; any other error means the
// answer was missing or could not be trusted (it changes no money).
func (c *Client) QuerySubMchShopInfo(ctx context.Context, pageNum, pageSize int) (ShopInfoPage, error) {
	if pageNum < 1 || pageSize < 1 || pageSize > 100 {
		return ShopInfoPage{}, app.NotSent("页码从1开始，每页1到100条 / page numbers start at 1 and pages hold 1 to 100 rows")
	}
	req := shopInfoRequest{OutMchID: c.cfg.OutMchID, OutSubMchID: c.cfg.OutSubMchID, NonceStr: channel.Nonce(), PageNum: pageNum, PageSize: pageSize}
	a, err := c.call(ctx, "query_sub_mch_shop_info", req, "shops", false)
	if err != nil {
		return ShopInfoPage{}, err
	}
	if a.bad != nil {
		return ShopInfoPage{}, fmt.Errorf("云支付门店信息不可用 / Cloud Pay shop info cannot be used: %s", a.bad.Message)
	}
	if *a.head.Status != statusOK {
		return ShopInfoPage{}, fmt.Errorf("云支付拒绝查询门店信息 / Cloud Pay refused the shop query: %d %s", *a.head.Status, c.redact(a.head.Description))
	}
	var out ShopInfoPage
	if bad := c.decodeMember("query_sub_mch_shop_info", "shops", a, &out); bad != nil {
		return ShopInfoPage{}, fmt.Errorf("云支付门店信息格式不对 / the Cloud Pay shop info is malformed")
	}
	return out, nil
}
