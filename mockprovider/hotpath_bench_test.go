package mockprovider

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkRedactorString redacts a token response body with a redactor
// that knows as many tokens as a long serve run keeps: the cost must not
// grow with the number of secrets.
func BenchmarkRedactorString(b *testing.B) {
	for _, n := range []int{10, 2048, 100000} {
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			r := &Redactor{}
			for i := 0; i < n; i++ {
				r.Add(fmt.Sprintf("00D000000000001!AQ.%040d", i), fmt.Sprintf("AT#%d", i))
			}
			body := `{"access_token":"00D000000000001!AQ.` + fmt.Sprintf("%040d", n/2) + `","refresh_token":"5Aep861not-a-known-one","signature":"aGVsbG8gd29ybGQ=","scope":"api refresh_token","instance_url":"https://example.my.salesforce.com","id":"https://login.salesforce.com/id/00D000000000001/005000000000001","token_type":"Bearer","issued_at":"1764676800000"}`
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if out := r.String(body); !strings.Contains(out, "[AT#") {
					b.Fatal("not redacted")
				}
			}
		})
	}
}

// BenchmarkRedactorAdd adds one token (three spellings at most).
func BenchmarkRedactorAdd(b *testing.B) {
	r := &Redactor{}
	vals := make([]string, b.N)
	for i := range vals {
		vals[i] = fmt.Sprintf("00D000000000001!AQ.%040d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Add(vals[i], "AT#1")
	}
}

// BenchmarkJournalAppend appends a refresh exchange to a full journal.
func BenchmarkJournalAppend(b *testing.B) {
	j := NewJournal(1000, 0, 0)
	e := Entry{Time: time.Now(), Host: "login.salesforce.com", Method: "POST", Path: "/services/oauth2/token",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: strings.Repeat("x", 250),
		Kind: KindToken, Grant: "refresh_token", Status: 200, ResponseBody: strings.Repeat("y", 600), Issued: []string{"AT#2", "RT#2"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j.Append(e)
	}
}

// BenchmarkAuthorityRefresh chains refreshes on one family with rotation
// and reuse detection, past the store's bound so that eviction is part
// of the cost.
func BenchmarkAuthorityRefresh(b *testing.B) {
	for _, rot := range []Rotation{RotateReuseDetection, RotateKeepOld} {
		b.Run(string(rot), func(b *testing.B) {
			a := NewAuthority(&Clock{}, Policy{Rotation: rot}, nil, 1)
			rt := a.Mint("c", "").Refresh.Value
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g, err := a.Refresh(rt, "c")
				if err != nil {
					b.Fatal(err)
				}
				rt = g.Refresh.Value
			}
		})
	}
}

// BenchmarkReuseDetection signs in, refreshes, and presents the
// rotated-out refresh token again, which revokes the family: one op is
// the three, on a store past its bound.
func BenchmarkReuseDetection(b *testing.B) {
	a := NewAuthority(&Clock{}, Policy{Rotation: RotateReuseDetection}, nil, 1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		first := a.Mint("c", "").Refresh.Value
		if _, err := a.Refresh(first, "c"); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Refresh(first, "c"); err == nil {
			b.Fatal("reuse accepted")
		}
	}
}
