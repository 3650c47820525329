package scenarios

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// The built-in catalogue: catalogue/PROVIDER/NAME.yaml.
//
//go:embed catalogue
var catalogueFS embed.FS

var builtin struct {
	once sync.Once
	list []*Scenario
	err  error
}

// loadCatalogue parses every embedded scenario.
func loadCatalogue() ([]*Scenario, error) {
	var list []*Scenario
	var errs []string
	err := fs.WalkDir(catalogueFS, "catalogue", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || path.Ext(p) != ".yaml" {
			return err
		}
		provider := path.Base(path.Dir(p))
		name := strings.TrimSuffix(path.Base(p), ".yaml")
		data, err := catalogueFS.ReadFile(p)
		if err != nil {
			return err
		}
		s, err := Parse("builtin:"+provider+"/"+name, data)
		switch {
		case err != nil:
			errs = append(errs, err.Error())
		case s.Provider != provider || s.Name != name:
			errs = append(errs, fmt.Sprintf("scenario %s: is %s/%s; the file must be catalogue/PROVIDER/NAME.yaml", s.Source, s.Provider, s.Name))
		default:
			list = append(list, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("scenarios: built-in catalogue is broken:\n%s", strings.Join(errs, "\n"))
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Provider != list[j].Provider {
			return list[i].Provider < list[j].Provider
		}
		return list[i].Name < list[j].Name
	})
	return list, nil
}

func catalogue() []*Scenario {
	builtin.once.Do(func() { builtin.list, builtin.err = loadCatalogue() })
	if builtin.err != nil {
		// The catalogue is compiled in and tested; a broken one is a bug
		// in this package, not a user's mistake.
		panic(builtin.err)
	}
	return builtin.list
}

// Catalogue returns the built-in scenarios, sorted by provider, then name.
// The scenarios are copies the caller may change.
func Catalogue() []*Scenario {
	list := catalogue()
	out := make([]*Scenario, len(list))
	for i, s := range list {
		out[i] = s.Clone()
	}
	return out
}

// Builtin returns a copy of the built-in scenario provider/name. An
// unknown name is an error that lists the names it is close to.
func Builtin(provider, name string) (*Scenario, error) {
	if !slices.Contains(Providers, provider) {
		msg := fmt.Sprintf("scenarios: unknown provider %q", provider)
		if s := mockprovider.Suggest(provider, Providers); s != "" {
			return nil, fmt.Errorf("%s; did you mean %q?", msg, s)
		}
		return nil, fmt.Errorf("%s (want one of %s)", msg, strings.Join(Providers, ", "))
	}
	// Read just the one file while the catalogue is not parsed yet:
	// `serve` starts with one scenario, and parsing every one of them
	// would be most of its start-up time.
	if !strings.ContainsAny(name, `/\.`) && name != "" {
		if data, err := catalogueFS.ReadFile("catalogue/" + provider + "/" + name + ".yaml"); err == nil {
			if s, err := Parse("builtin:"+provider+"/"+name, data); err == nil && s.Provider == provider && s.Name == name {
				return s, nil
			}
		}
	}
	var names []string
	for _, s := range catalogue() {
		if s.Provider != provider {
			continue
		}
		if s.Name == name {
			return s.Clone(), nil
		}
		names = append(names, s.Name)
	}
	msg := fmt.Sprintf("scenarios: no built-in %s scenario %q", provider, name)
	if close := closeNames(name, names); len(close) > 0 {
		return nil, fmt.Errorf("%s; did you mean %s?", msg, quoteList(close))
	}
	return nil, fmt.Errorf("%s (see `refreshproof scenarios list`)", msg)
}

// Text returns the YAML a scenario was parsed from: the embedded file of a
// built-in, or the file at its Source path.
func Text(s *Scenario) ([]byte, error) {
	if ref, ok := strings.CutPrefix(s.Source, "builtin:"); ok {
		b, err := catalogueFS.ReadFile("catalogue/" + ref + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("scenarios: no built-in scenario %s", ref)
		}
		return b, nil
	}
	if s.Source == "" {
		return nil, fmt.Errorf("scenarios: scenario %s has no source", s.Name)
	}
	b, err := os.ReadFile(s.Source)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	return b, nil
}

// closeNames returns the names that are a likely typo of name, or contain
// it, or are contained in it, best first.
func closeNames(name string, names []string) []string {
	var out []string
	if s := mockprovider.Suggest(name, names); s != "" {
		out = append(out, s)
	}
	if name == "" {
		return out
	}
	for _, n := range names {
		if (strings.Contains(n, name) || strings.Contains(name, n)) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// Clone returns a deep copy of s.
func (s *Scenario) Clone() *Scenario {
	if s == nil {
		return nil
	}
	c := *s
	c.Labels = slices.Clone(s.Labels)
	c.Credentials.Public = clonePtr(s.Credentials.Public)
	t := &c.Tokens
	t.AccessTokenLifetime = clonePtr(t.AccessTokenLifetime)
	t.AccessTokenJitter = clonePtr(t.AccessTokenJitter)
	t.SlidingAccess = clonePtr(t.SlidingAccess)
	t.RefreshTokenIdle = clonePtr(t.RefreshTokenIdle)
	t.FamilyLifetime = clonePtr(t.FamilyLifetime)
	t.RejectConcurrentRefresh = clonePtr(t.RejectConcurrentRefresh)
	t.ConcurrentRefreshWindow = clonePtr(t.ConcurrentRefreshWindow)
	if s.Salesforce != nil {
		o := *s.Salesforce
		o.WWWAuthenticate = clonePtr(o.WWWAuthenticate)
		c.Salesforce = &o
	}
	if s.Microsoft != nil {
		o := *s.Microsoft
		o.Tenants = slices.Clone(o.Tenants)
		o.IDToken = clonePtr(o.IDToken)
		c.Microsoft = &o
	}
	if s.Secrets != nil {
		o := *s.Secrets
		o.BackgroundRefresh = clonePtr(o.BackgroundRefresh)
		c.Secrets = &o
	}
	if s.Rules != nil {
		c.Rules = make([]Rule, len(s.Rules))
		for i, r := range s.Rules {
			r.Respond.Omit = slices.Clone(r.Respond.Omit)
			if r.Respond.Header != nil {
				h := make(map[string]string, len(r.Respond.Header))
				for k, v := range r.Respond.Header {
					h[k] = v
				}
				r.Respond.Header = h
			}
			c.Rules[i] = r
		}
	}
	if s.Steps != nil {
		c.Steps = make([]Step, len(s.Steps))
		for i, st := range s.Steps {
			if st.Message != nil {
				m := *st.Message
				m.Body = json.RawMessage(slices.Clone([]byte(m.Body)))
				st.Message = &m
			}
			c.Steps[i] = st
		}
	}
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
