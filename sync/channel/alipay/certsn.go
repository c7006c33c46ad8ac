package alipay

import (
	"crypto/md5"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf16"
)

// Certificate serial numbers as the Alipay open platform computes them
// for public-key certificate mode (公钥证书模式): app_cert_sn,
// alipay_root_cert_sn and alipay_cert_sn are not X.509 serial numbers but
//
//	md5_hex( issuer DN + decimal serial number )
//
// with the issuer DN written as Java's X500Principal.getName() does
// (RFC 2253: RDNs last to first, "CN=…,OU=…,O=…,C=CN"), as the platform's
// SDKs do (AlipaySignature.getCertSN / AntCertificationUtil.getCertSN in
// the Java SDK, getSN in alipay-sdk for Node). The root SN joins, with
// "_", the SNs of those certificates of the root file that are RSA-signed
// (signature algorithm OID under 1.2.840.113549.1.1); the real root file
// also holds SM2 and ECDSA certificates, which are skipped — and which
// crypto/x509 cannot always parse, so this reads only the fields it needs.

// rsaSignatureArc is the PKCS#1 signature algorithms' OID arc
// (sha1WithRSAEncryption 1.2.840.113549.1.1.5, sha256WithRSAEncryption …1.11, …).
const rsaSignatureArc = "1.2.840.113549.1.1."

type certOuter struct {
	TBS    tbsPrefix
	SigAlg algorithmID
}

// tbsPrefix is the start of a TBSCertificate; the fields after the issuer
// are not read.
type tbsPrefix struct {
	Version int `asn1:"optional,explicit,default:0,tag:0"`
	Serial  *big.Int
	SigAlg  algorithmID
	Issuer  asn1.RawValue
}

type algorithmID struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type attrTypeValue struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rdnSET is one relative distinguished name (an ASN.1 SET: the type name
// ends in SET for encoding/asn1).
type rdnSET []attrTypeValue

// certSN is the Alipay SN of one DER certificate.
func certSN(der []byte) (sn string, sigAlg string, err error) {
	var c certOuter
	if rest, err := asn1.Unmarshal(der, &c); err != nil || len(rest) != 0 {
		return "", "", errors.New("not an X.509 certificate")
	}
	if c.TBS.Serial == nil {
		return "", "", errors.New("certificate without a serial number")
	}
	name, err := rfc2253(c.TBS.Issuer.FullBytes)
	if err != nil {
		return "", "", err
	}
	sum := md5.Sum([]byte(name + c.TBS.Serial.String()))
	return hex.EncodeToString(sum[:]), c.SigAlg.Algorithm.String(), nil
}

// pemCerts returns the DER bytes of every CERTIFICATE block in text.
func pemCerts(text []byte) ([][]byte, error) {
	var out [][]byte
	for {
		var b *pem.Block
		b, text = pem.Decode(text)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			out = append(out, b.Bytes)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM CERTIFICATE found")
	}
	return out, nil
}

// leafCertSN is the SN of the first certificate of a PEM file (an app or
// Alipay public-key certificate file may carry its issuer after it).
func leafCertSN(text []byte) (string, error) {
	ders, err := pemCerts(text)
	if err != nil {
		return "", err
	}
	sn, _, err := certSN(ders[0])
	return sn, err
}

// rootCertSN is alipay_root_cert_sn of a root certificate file.
func rootCertSN(text []byte) (string, error) {
	ders, err := pemCerts(text)
	if err != nil {
		return "", err
	}
	var sns []string
	for i, der := range ders {
		sn, alg, err := certSN(der)
		if err != nil {
			return "", fmt.Errorf("certificate %d: %w", i+1, err)
		}
		if strings.HasPrefix(alg, rsaSignatureArc) {
			sns = append(sns, sn)
		}
	}
	if len(sns) == 0 {
		return "", errors.New("no RSA-signed certificate in the root certificate file")
	}
	return strings.Join(sns, "_"), nil
}

// rfc2253Keywords are the attribute types Java's RFC 2253 output names by
// keyword; any other is written as its OID with the value's DER in hex.
var rfc2253Keywords = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
	"2.5.4.11": "OU", "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1": "UID",
}

// rfc2253 writes a DER Name as java.security.auth.x500.X500Principal
// getName() does.
func rfc2253(der []byte) (string, error) {
	var rdns []rdnSET
	if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) != 0 {
		return "", errors.New("unreadable issuer name")
	}
	parts := make([]string, 0, len(rdns))
	for i := len(rdns) - 1; i >= 0; i-- {
		avas := make([]string, 0, len(rdns[i]))
		for _, a := range rdns[i] {
			key, known := rfc2253Keywords[a.Type.String()]
			if s, ok := directoryString(a.Value); known && ok {
				avas = append(avas, key+"="+escape2253(s))
				continue
			}
			avas = append(avas, a.Type.String()+"=#"+hex.EncodeToString(a.Value.FullBytes))
		}
		parts = append(parts, strings.Join(avas, "+"))
	}
	return strings.Join(parts, ","), nil
}

// directoryString decodes the string types a name attribute uses.
func directoryString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, asn1.TagT61String, asn1.TagNumericString:
		return string(v.Bytes), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	}
	return "", false
}

// escape2253 escapes an attribute value as RFC 2253 section 2.4 asks.
func escape2253(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(",+\"\\<>;", r),
			i == 0 && (r == '#' || r == ' '),
			i == len(s)-1 && r == ' ':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
