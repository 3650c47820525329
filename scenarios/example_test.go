package scenarios_test

import (
	"fmt"

	"github.com/refreshproof/refreshproof/scenarios"
)

func ExampleParse() {
	s, err := scenarios.Parse("first-refresh-fails.yaml", []byte(`
name: first-refresh-fails
description: The first refresh is refused; a conforming component reports it.
provider: salesforce
labels: [refresh-rejected]
credentials:
  accessToken: expired
rules:
  - name: refuse-first-refresh
    match: {endpoint: refresh, nth: 1}
    respond: {error: invalid_grant}
steps:
  - message: {body: {query: "SELECT Id FROM Account"}}
  - advance: 3h
  - message: {}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s, len(s.Rules), "rule,", len(s.Steps), "steps")
	fmt.Println(string(s.Steps[0].Message.Body))
	// Output:
	// salesforce/first-refresh-fails 1 rule, 3 steps
	// {"query":"SELECT Id FROM Account"}
}

func ExampleParse_errors() {
	_, err := scenarios.Parse("sf-rotation.yaml", []byte(`name: sf-rotation
provider: salesforce
credentials:
  accessToken: expird
tokens:
  rotate: revoke-old
steps:
  - advance: 1h
    restart: true
`))
	fmt.Println(err)
	// Output:
	// scenario sf-rotation.yaml:4:16: unknown access token state "expird"; did you mean "expired"?
	// scenario sf-rotation.yaml:6:3: unknown field "rotate"; did you mean "rotation"?
	// scenario sf-rotation.yaml:8:5: step has 2 actions (advance, restart); give each its own step, in the order they happen
}

func ExampleScenario_Build() {
	s, err := scenarios.Builtin("microsoft", "expired-access-token")
	if err != nil {
		fmt.Println(err)
		return
	}
	dialect, cfg, err := s.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	// dialect and cfg go to mockprovider.New.
	fmt.Println(dialect.Name(), cfg.InitialAccess)
	// Output: microsoft expired
}

func ExampleSelect() {
	list, err := scenarios.Select(scenarios.Catalogue(), nil, "rotation && salesforce && !secrets")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range list {
		fmt.Println(s)
	}
	// Output:
	// salesforce/rotation
	// salesforce/rotation-reuse-detected
}
