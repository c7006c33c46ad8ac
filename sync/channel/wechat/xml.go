package wechat

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// encodeXML writes params as WeChat's flat <xml> document, keys sorted.
// Values are escaped as character data (equivalent to CDATA for the
// receiver, and safe for values containing "]]>").
func encodeXML(params map[string]string) []byte {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("<xml>")
	for _, k := range keys {
		b.WriteString("<" + k + ">")
		_ = xml.EscapeText(&b, []byte(params[k]))
		b.WriteString("</" + k + ">")
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

var errNotFlat = errors.New("not a flat <xml> document")

// decodeXML reads WeChat's flat <xml><k>v</k>...</xml> answer. It refuses
// nested elements, a root other than <xml>, duplicate keys (which could
// make the signed value and the believed value differ), text outside the
// children and trailing content. Unknown keys are kept: they take part in
// the signature.
func decodeXML(data []byte) (map[string]string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	out := map[string]string{}
	depth := 0
	var key string
	var val strings.Builder
	sawRoot, closedRoot := false, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if closedRoot {
				return nil, errNotFlat
			}
			depth++
			switch depth {
			case 1:
				if t.Name.Local != "xml" || sawRoot {
					return nil, errNotFlat
				}
				sawRoot = true
			case 2:
				key = t.Name.Local
				if _, dup := out[key]; dup {
					return nil, fmt.Errorf("duplicate element <%s>", key)
				}
				val.Reset()
			default:
				return nil, errNotFlat
			}
		case xml.EndElement:
			if depth == 2 {
				out[key] = val.String()
			}
			depth--
			if depth == 0 {
				closedRoot = true
			}
		case xml.CharData:
			switch depth {
			case 2:
				val.Write(t)
			default:
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, errNotFlat
				}
			}
		case xml.ProcInst, xml.Comment:
			// <?xml ...?> and comments carry nothing.
		case xml.Directive:
			return nil, errNotFlat // no DTDs
		}
	}
	if !sawRoot || !closedRoot {
		return nil, errNotFlat
	}
	return out, nil
}
