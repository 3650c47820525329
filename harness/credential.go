package harness

import (
	"fmt"
	"strings"

	"github.com/refreshproof/refreshproof/mockprovider"
)

// TopLevel is the CredentialField of a component whose token response
// fields are the credential's own top-level keys (cfg.access_token).
const TopLevel = "."

// CredentialPath splits a CredentialField into the keys of its path in
// cfg: "oauth" is cfg.oauth, "auth.oauth2.keys" is cfg.auth.oauth2.keys
// (the REST API component's layout), "." is cfg itself.
func CredentialPath(field string) []string {
	if field == TopLevel || field == "" {
		return nil
	}
	return strings.Split(field, ".")
}

// AtPath returns the object at path in keys; ok is false when there is
// none.
func AtPath(keys map[string]any, path []string) (map[string]any, bool) {
	cur := keys
	for _, k := range path {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, cur != nil
}

// setPath sets keys at path to v, making the objects on the way; v's
// fields are merged into keys when path is empty.
func setPath(keys map[string]any, path []string, v any) {
	if len(path) == 0 {
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				keys[k] = x
			}
		}
		return
	}
	cur := keys
	for _, k := range path[:len(path)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = v
}

// credentialValues are what a Credential field's template may name.
func credentialValues(p *mockprovider.Provider, info mockprovider.Info) map[string]string {
	c := p.Client()
	return map[string]string{"clientId": c.ID, "clientSecret": c.Secret, "tokenUrl": info.TokenURL, "authUrl": info.AuthURL}
}

// expandCredential fills a Credential field's {{name}} references.
func expandCredential(v string, values map[string]string) (string, error) {
	var err error
	out := templateRE.ReplaceAllStringFunc(v, func(ref string) string {
		name := strings.TrimSpace(ref[2 : len(ref)-2])
		val, ok := values[name]
		if !ok {
			err = fmt.Errorf("harness: credential field value %q names %s; known are {{clientId}}, {{clientSecret}}, {{tokenUrl}} and {{authUrl}}", v, ref)
		}
		return val
	})
	return out, err
}

// seedKeys are the account's keys when a run starts: the sign-in token
// response at the component's credential path, and the component's other
// credential fields.
func (c *Component) seedKeys(signIn any, p *mockprovider.Provider, info mockprovider.Info) (map[string]any, error) {
	keys := map[string]any{}
	setPath(keys, CredentialPath(c.CredentialField), signIn)
	values := credentialValues(p, info)
	for path, v := range c.Credential {
		val, err := expandCredential(v, values)
		if err != nil {
			return nil, err
		}
		setPath(keys, strings.Split(path, "."), val)
	}
	return keys, nil
}
