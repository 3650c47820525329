package mockprovider

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"sync"
)

// randSource makes token values and IDs. A non-zero seed makes every value
// reproducible, which golden-file tests rely on; zero seeds from the OS.
type randSource struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newRandSource(seed uint64) *randSource {
	if seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	return &randSource{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// alnum returns n random letters and digits.
func (s *randSource) alnum(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[s.r.IntN(len(alnum))]
	}
	return string(b)
}

func (s *randSource) int63n(n int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Int64N(n)
}

// hex returns n random lowercase hex digits.
func (s *randSource) hex(n int) string {
	const digits = "0123456789abcdef"
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[s.r.IntN(16)]
	}
	return string(b)
}

// uuid returns a random version-4 UUID string.
func (s *randSource) uuid() string {
	h := s.hex(32)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}
