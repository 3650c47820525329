package scenarios

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/refreshproof/refreshproof/mockprovider"
)

type schemaNode struct {
	Ref                  string                 `json:"$ref"`
	Type                 any                    `json:"type"`
	Description          string                 `json:"description"`
	Enum                 []string               `json:"enum"`
	Required             []string               `json:"required"`
	Properties           map[string]*schemaNode `json:"properties"`
	AdditionalProperties any                    `json:"additionalProperties"`
	Items                *schemaNode            `json:"items"`
	Defs                 map[string]*schemaNode `json:"$defs"`
}

func loadSchema(t *testing.T) *schemaNode {
	t.Helper()
	data, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var root schemaNode
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	var raw map[string]any
	_ = json.Unmarshal(data, &raw)
	if raw["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("schema.json: $schema = %v, want draft 2020-12", raw["$schema"])
	}
	return &root
}

// TestSchemaInSync keeps schema.json and the decoder describing the same
// format: the same objects, fields, required fields and enums.
func TestSchemaInSync(t *testing.T) {
	root := loadSchema(t)
	object := func(name string) *schemaNode {
		if name == "scenario" {
			return root
		}
		n := root.Defs[name]
		if n == nil {
			t.Fatalf("schema.json has no $defs/%s", name)
		}
		return n
	}
	resolve := func(n *schemaNode) *schemaNode {
		if strings.HasPrefix(n.Ref, "#/$defs/") {
			return root.Defs[strings.TrimPrefix(n.Ref, "#/$defs/")]
		}
		return n
	}

	var defs []string
	for name := range root.Defs {
		if name != "duration" {
			defs = append(defs, name)
		}
	}
	var objects []string
	for name := range objectFields {
		if name != "scenario" {
			objects = append(objects, name)
		}
	}
	sort.Strings(defs)
	sort.Strings(objects)
	if diff := cmp.Diff(objects, defs); diff != "" {
		t.Errorf("objects of the decoder (-) and $defs of schema.json (+) differ:\n%s", diff)
	}

	for name, fields := range objectFields {
		n := object(name)
		if n.AdditionalProperties != false {
			t.Errorf("schema %s: additionalProperties must be false, as the decoder refuses unknown fields", name)
		}
		var props []string
		for p, pn := range n.Properties {
			props = append(props, p)
			if pn.Description == "" && resolve(pn).Description == "" {
				t.Errorf("schema %s.%s has no description", name, p)
			}
		}
		want := slices.Clone(fields)
		sort.Strings(want)
		sort.Strings(props)
		if diff := cmp.Diff(want, props); diff != "" {
			t.Errorf("fields of %s: decoder (-) and schema.json (+) differ:\n%s", name, diff)
		}
	}

	if diff := cmp.Diff([]string{"name", "provider"}, root.Required); diff != "" {
		t.Errorf("required fields (-decoder +schema):\n%s", diff)
	}
	enums := []struct {
		object, field string
		want          []string
	}{
		{"scenario", "provider", Providers},
		{"credentials", "accessToken", initialAccessStates},
		{"tokens", "rotation", enumValues(mockprovider.Rotations)},
		{"match", "endpoint", enumValues(mockprovider.Endpoints)},
		{"match", "tokenState", enumValues(mockprovider.TokenStates)},
	}
	for _, e := range enums {
		p := object(e.object).Properties[e.field]
		if p == nil {
			t.Errorf("schema %s.%s missing", e.object, e.field)
			continue
		}
		if diff := cmp.Diff(e.want, p.Enum); diff != "" {
			t.Errorf("enum %s.%s (-model +schema):\n%s", e.object, e.field, diff)
		}
	}
}

// TestSchemaDurations checks that the fields the schema calls durations
// are the ones the decoder reads as durations.
func TestSchemaDurations(t *testing.T) {
	root := loadSchema(t)
	var got []string
	for name := range objectFields {
		n := root
		if name != "scenario" {
			n = root.Defs[name]
		}
		for p, pn := range n.Properties {
			if pn.Ref == "#/$defs/duration" {
				got = append(got, name+"."+p)
			}
		}
	}
	sort.Strings(got)
	want := []string{"respond.delay", "step.advance", "tokens.accessTokenJitter", "tokens.accessTokenLifetime", "tokens.concurrentRefreshWindow", "tokens.familyLifetime", "tokens.refreshTokenIdle"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("duration fields (-want +schema):\n%s", diff)
	}
	// And the decoder refuses a number without unit in each of them.
	for _, f := range want {
		object, field, _ := strings.Cut(f, ".")
		doc := map[string]string{
			"tokens":  "name: d\nprovider: salesforce\ntokens: {" + field + ": 5}\n",
			"respond": "name: d\nprovider: salesforce\nrules: [{match: {endpoint: api}, respond: {" + field + ": 5}}]\n",
			"step":    "name: d\nprovider: salesforce\nsteps: [{" + field + ": 5}]\n",
		}[object]
		if _, err := Parse("d.yaml", []byte(doc)); err == nil || !strings.Contains(err.Error(), "has no unit") {
			t.Errorf("%s: 5 without unit: %v", f, err)
		}
	}
}
