package mockprovider

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"os"
	"time"
	"unicode/utf16"
)

// WriteJKS writes a Java trust store holding only the CA certificate, in
// the JKS format every JVM reads (javax.net.ssl.trustStore), protected by
// password. It holds no private key.
func (ca *CA) WriteJKS(path, password string) error {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.BigEndian, v) }
	utf := func(s string) { w(uint16(len(s))); b.WriteString(s) } // ASCII only here
	w(uint32(0xFEEDFEED))
	w(uint32(2)) // version
	w(uint32(1)) // one entry
	w(uint32(2)) // trusted certificate entry
	utf("refreshproof-mock-ca")
	w(uint64(time.Now().UnixMilli()))
	utf("X.509")
	w(uint32(len(ca.Cert.Raw)))
	b.Write(ca.Cert.Raw)
	// The integrity digest: SHA-1 over the password (UTF-16BE), the
	// phrase "Mighty Aphrodite", and the store.
	h := sha1.New()
	for _, c := range utf16.Encode([]rune(password)) {
		_ = binary.Write(h, binary.BigEndian, c)
	}
	h.Write([]byte("Mighty Aphrodite"))
	h.Write(b.Bytes())
	b.Write(h.Sum(nil))
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("mockprovider: %w", err)
	}
	return nil
}
