package mockprovider

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// streamAll writes text to a Stream of r in the pieces sizes gives and
// returns what came out after Flush.
func streamAll(r *Redactor, text string, sizes func() int) string {
	var out bytes.Buffer
	s := r.Stream(&out)
	for len(text) > 0 {
		n := min(max(1, sizes()), len(text))
		if _, err := s.Write([]byte(text[:n])); err != nil {
			panic(err)
		}
		text = text[n:]
	}
	if err := s.Flush(); err != nil {
		panic(err)
	}
	return out.String()
}

func TestStream(t *testing.T) {
	rt := "5Aep861abc.defghijklmnopqrstuvwxyz0123456789"
	secret := "s3cr~t with/space+plus"
	r := NewRedactor(map[string]string{rt: "RT#1", secret: "CLIENT_SECRET#1", rt + ".more": "RT#2", "short1": "X#1"})
	cases := []struct{ name, in, want string }{
		{"none", "nothing to hide here, nothing at all", "nothing to hide here, nothing at all"},
		{"whole", "RT=" + rt + "\n", "RT=[RT#1]\n"},
		{"at the end", "RT=" + rt, "RT=[RT#1]"},
		{"longest wins", "RT=" + rt + ".more!", "RT=[RT#2]!"},
		{"query escaped", "GET /x?s=" + url.QueryEscape(secret) + "&y", "GET /x?s=[CLIENT_SECRET#1]&y"},
		{"path escaped", "GET /x/" + url.PathEscape(secret) + "/y", "GET /x/[CLIENT_SECRET#1]/y"},
		{"short", "a short1 b", "a [X#1] b"},
		{"many", strings.Repeat("RT="+rt+"\n", 500), strings.Repeat("RT=[RT#1]\n", 500)},
	}
	splits := map[string]func(rnd *rand.Rand) func() int{
		"one write":   func(*rand.Rand) func() int { return func() int { return 1 << 30 } },
		"bytewise":    func(*rand.Rand) func() int { return func() int { return 1 } },
		"seven":       func(*rand.Rand) func() int { return func() int { return 7 } },
		"random":      func(rnd *rand.Rand) func() int { return func() int { return 1 + rnd.IntN(60) } },
		"random long": func(rnd *rand.Rand) func() int { return func() int { return 1 + rnd.IntN(4096) } },
	}
	for _, c := range cases {
		for sname, split := range splits {
			t.Run(c.name+"/"+sname, func(t *testing.T) {
				for seed := range uint64(20) {
					if got := streamAll(r, c.in, split(rand.New(rand.NewPCG(seed, 1)))); got != c.want {
						t.Fatalf("seed %d: got %.200q, want %.200q", seed, got, c.want)
					}
				}
			})
		}
	}
}

// TestStreamAgreesWithString: however a text is split into writes, the
// stream redacts it as String redacts it whole, with secrets that overlap,
// contain each other and share their last bytes.
func TestStreamAgreesWithString(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	alphabet := "ab/+ %="
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return string(b)
	}
	for round := range 300 {
		secrets := map[string]string{}
		var list []string
		for i := range 1 + rnd.IntN(6) {
			v := word(6 + rnd.IntN(14))
			secrets[v] = fmt.Sprintf("S#%d", i)
			list = append(list, v)
		}
		r := NewRedactor(secrets)
		var b strings.Builder
		for b.Len() < 400 {
			switch rnd.IntN(3) {
			case 0:
				b.WriteString(word(rnd.IntN(10)))
			case 1:
				b.WriteString(list[rnd.IntN(len(list))])
			default:
				b.WriteString(url.QueryEscape(list[rnd.IntN(len(list))]))
			}
		}
		in := b.String()
		want := r.String(in)
		if got := streamAll(r, in, func() int { return 1 + rnd.IntN(30) }); got != want {
			t.Fatalf("round %d: secrets %q\nin     %q\nstream %q\nString %q", round, list, in, got, want)
		}
	}
}

// TestStreamGrowingSet: a secret added while the stream runs is redacted
// from then on, also when part of it came before it was added (it is
// still held back), and a longer secret holds back more.
func TestStreamGrowingSet(t *testing.T) {
	r := &Redactor{}
	var out bytes.Buffer
	s := r.Stream(&out)
	at1 := "first-access-token-0123456789"
	rt2 := "second-refresh-token-is-longer-than-the-first-0123456789"
	r.Add(at1, "AT#1")
	write := func(p string) {
		t.Helper()
		if _, err := s.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	write("a " + at1 + " b " + rt2[:20])
	r.Add(rt2, "RT#1") // issued while the component printed it
	write(rt2[20:] + " c")
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "a [AT#1] b [RT#1] c"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestStreamHoldsBack: a stream keeps no more than the longest secret
// less one byte, and a nil redactor passes everything on at once.
func TestStreamHoldsBack(t *testing.T) {
	secret := "0123456789abcdef" // 16 bytes
	r := NewRedactor(map[string]string{secret: "S#1"})
	var out bytes.Buffer
	s := r.Stream(&out)
	in := strings.Repeat("x", 100)
	if _, err := s.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if got, want := out.Len(), 100-(len(secret)-1); got != want {
		t.Errorf("passed on %d bytes of 100, want %d", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != in {
		t.Errorf("after Close: %q", out.String())
	}
	var none bytes.Buffer
	e := (&Redactor{}).Stream(&none)
	if _, err := e.Write([]byte(in)); err != nil || none.String() != in {
		t.Errorf("a redactor that knows no secret: %q, %v", none.String(), err)
	}
	var plain bytes.Buffer
	n := (*Redactor)(nil).Stream(&plain)
	if _, err := n.Write([]byte(secret)); err != nil || plain.String() != secret {
		t.Errorf("nil redactor: %q, %v", plain.String(), err)
	}
}

// BenchmarkStream writes component output in pipe-sized chunks through a
// redactor that knows many tokens, while tokens keep being issued.
func BenchmarkStream(b *testing.B) {
	rnd := newRandSource(1)
	r := &Redactor{}
	var tokens []string
	for i := range 4096 {
		tokens = append(tokens, "1.AVEA"+rnd.alnum(300))
		r.Add(tokens[i], fmt.Sprintf("RT#%d", i))
	}
	line := []byte("RT=" + tokens[17] + " and some ordinary log text follows here\n")
	chunk := bytes.Repeat(line, 4096/len(line)+1)[:4096]
	s := r.Stream(discard{})
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%64 == 0 {
			r.Add(rnd.alnum(40), "AT#x")
		}
		if _, err := s.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestJournalCutKeepsNoPieceOfASecret: a body cut at the journal's limit
// ends before a secret the limit would split, not inside it.
func TestJournalCutKeepsNoPieceOfASecret(t *testing.T) {
	tok := "1.AVEAsplit-at-the-journal-limit-0123456789"
	r := NewRedactor(map[string]string{tok: "RT#1", "other-secret-9876543210": "AT#1"})
	for _, cut := range []int{1, 10, len(tok) - 1} {
		j := NewJournal(10, 100, 0)
		j.secrets = func() *Redactor { return r }
		body := strings.Repeat("x", 100-cut) + tok + " tail"
		e := j.Append(Entry{Body: body, ResponseBody: strings.Repeat("y", 100-cut) + url.QueryEscape(tok)})
		if e.Body != strings.Repeat("x", 100-cut) || e.ResponseBody != strings.Repeat("y", 100-cut) || !e.BodyTruncated || !e.ResponseBodyTruncated {
			t.Errorf("cut %d into the token: body %q, response %q, truncated %v %v", cut, e.Body, e.ResponseBody, e.BodyTruncated, e.ResponseBodyTruncated)
		}
	}
	p, err := New(fakeDialect{}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Journal().secrets == nil {
		t.Error("the provider's journal cuts without knowing the secrets")
	}
}
