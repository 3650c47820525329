package mockprovider

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// replacerRedact is the plain definition the Redactor must agree with:
// every spelling of every secret of six bytes or more, longest first, in
// one strings.Replacer.
func replacerRedact(secrets map[string]string, s string) string {
	type pair struct{ from, to string }
	var pairs []pair
	for v, l := range secrets {
		if len(v) < minSecret {
			continue
		}
		for _, sp := range spellings(v) {
			pairs = append(pairs, pair{sp, "[" + l + "]"})
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i].from) > len(pairs[j].from) })
	var args []string
	for _, p := range pairs {
		args = append(args, p.from, p.to)
	}
	return strings.NewReplacer(args...).Replace(s)
}

func TestRedactorString(t *testing.T) {
	secrets := map[string]string{
		"5Aep861abc.defghijkl":      "RT#1",
		"00D000000000001!AQx_y.z":   "AT#1",
		"short1":                    "CLIENT_SECRET#1", // six bytes: the shortest redacted
		"tiny":                      "IGNORED",         // too short to redact
		"5Aep861abc.defghijkl.more": "RT#2",            // contains RT#1
		"with space&amp=sign":       "CLIENT_SECRET#2",
	}
	r := NewRedactor(secrets)
	cases := []struct{ name, in, want string }{
		{"none", "nothing secret here", "nothing secret here"},
		{"whole", "5Aep861abc.defghijkl", "[RT#1]"},
		{"embedded", "x5Aep861abc.defghijkly", "x[RT#1]y"},
		{"longest wins", "rt=5Aep861abc.defghijkl.more&", "rt=[RT#2]&"},
		{"query escaped", "access_token=" + url.QueryEscape("00D000000000001!AQx_y.z"), "access_token=[AT#1]"},
		{"form escaped", "s=" + url.QueryEscape("with space&amp=sign"), "s=[CLIENT_SECRET#2]"},
		{"path escaped", "/x/" + url.PathEscape("with space&amp=sign") + "/y", "/x/[CLIENT_SECRET#2]/y"},
		{"short secret", "secret=short1 and short1", "secret=[CLIENT_SECRET#1] and [CLIENT_SECRET#1]"},
		{"too short ignored", "tiny", "tiny"},
		{"at the very end", "Bearer 00D000000000001!AQx_y.z", "Bearer [AT#1]"},
		{"several", "5Aep861abc.defghijkl,00D000000000001!AQx_y.z", "[RT#1],[AT#1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := r.String(c.in); got != c.want {
				t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
			}
			if got, want := r.String(c.in), replacerRedact(secrets, c.in); got != want {
				t.Errorf("String(%q) = %q, the replacer gives %q", c.in, got, want)
			}
		})
	}
}

// TestRedactorAgreesWithReplacer compares the indexed redactor with the
// replacer on random texts built from secrets, their fragments and noise,
// with many secrets sharing prefixes and suffixes as real tokens do.
func TestRedactorAgreesWithReplacer(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	alpha := "abcAB01.!_-%"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rnd.IntN(len(alpha))]
		}
		return string(b)
	}
	for round := 0; round < 200; round++ {
		secrets := map[string]string{}
		var vals []string
		for i := 0; i < 1+rnd.IntN(12); i++ {
			v := word(4 + rnd.IntN(14))
			if rnd.IntN(3) == 0 && len(vals) > 0 { // shares a prefix or suffix with another
				o := vals[rnd.IntN(len(vals))]
				if rnd.IntN(2) == 0 {
					v = o[:len(o)/2] + v
				} else {
					v += o[len(o)/2:]
				}
			}
			secrets[v] = fmt.Sprintf("S#%d", i)
			vals = append(vals, v)
		}
		r := NewRedactor(secrets)
		var text strings.Builder
		for i := 0; i < 20; i++ {
			switch v := vals[rnd.IntN(len(vals))]; rnd.IntN(4) {
			case 0:
				text.WriteString(v)
			case 1:
				text.WriteString(url.QueryEscape(v))
			case 2:
				text.WriteString(v[:rnd.IntN(len(v))])
			default:
				text.WriteString(word(rnd.IntN(6)))
			}
		}
		s := text.String()
		if got, want := r.String(s), replacerRedact(secrets, s); got != want {
			t.Fatalf("round %d: secrets %q\ntext %q\ngot  %q\nwant %q", round, secrets, s, got, want)
		}
	}
}

func TestRedactorAddRemove(t *testing.T) {
	r := &Redactor{}
	if got := r.String("secret-token-0001;"); got != "secret-token-0001;" {
		t.Fatalf("the zero redactor changed %q", got)
	}
	// Many values, so that the filter grows several times.
	val := func(i int) string { return fmt.Sprintf("secret-token-%04d;", i) }
	for i := 0; i < 5000; i++ {
		r.Add(val(i), fmt.Sprintf("AT#%d", i))
	}
	for _, i := range []int{0, 1, 999, 4999} {
		in := "Bearer " + val(i) + "."
		if got, want := r.String(in), fmt.Sprintf("Bearer [AT#%d].", i); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	r.Remove(val(999))
	if got := r.String(val(999)); got != val(999) {
		t.Errorf("a removed value is still redacted: %q", got)
	}
	if got := r.String(val(998)); got != "[AT#998]" {
		t.Errorf("removing one value forgot another: %q", got)
	}
	r.Add(val(998), "RT#1")
	if got := r.String(val(998)); got != "[RT#1]" {
		t.Errorf("adding a value again keeps the old label: %q", got)
	}
}
