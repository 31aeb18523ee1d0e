// Package review reads a Terraform plan (the JSON of `terraform show -json`)
// and tells a reviewer, in a screenful, what it does to a stage and what in
// it could lose data or break the stage's consumers.
package review

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Plan is the part of Terraform's JSON plan format this package reads.
type Plan struct {
	FormatVersion   string           `json:"format_version"`
	ResourceChanges []ResourceChange `json:"resource_changes"`
	// ResourceDrift is what Terraform found changed outside it while
	// refreshing: before is the state's value, after AWS's.
	ResourceDrift []ResourceChange `json:"resource_drift"`
	Configuration struct {
		ProviderConfig map[string]struct {
			// An expression is a value or, for a block, a list of them.
			Expressions map[string]json.RawMessage `json:"expressions"`
		} `json:"provider_config"`
		RootModule struct {
			Resources []ConfiguredResource `json:"resources"`
		} `json:"root_module"`
	} `json:"configuration"`
	// IgnoredChanges, if set, names the attributes each resource's
	// lifecycle.ignore_changes lists, by the resource's address without an
	// instance key (see IgnoredChanges): drift on them is left out.
	IgnoredChanges map[string][]string `json:"-"`
}

// ConfiguredResource is a resource block of the configuration: which
// arguments it sets (not their values: some are known only at apply).
type ConfiguredResource struct {
	// Address is the block's, without an instance key.
	Address     string                     `json:"address"`
	Expressions map[string]json.RawMessage `json:"expressions"`
}

// Region is the AWS provider's region as the configuration sets it, ""
// when it is not a constant.
func (p *Plan) Region() string {
	var region struct {
		ConstantValue string `json:"constant_value"`
	}
	_ = json.Unmarshal(p.Configuration.ProviderConfig["aws"].Expressions["region"], &region)
	return region.ConstantValue
}

// ResourceChange is one resource's planned change.
type ResourceChange struct {
	Address string `json:"address"`
	Mode    string `json:"mode"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Change  Change `json:"change"`
	// ActionReason says why, when the reason is not a changed argument
	// (replace_by_triggers, replace_because_tainted...).
	ActionReason string `json:"action_reason"`
}

// actionReasons renders the reasons a reviewer must see, where no
// attribute shows why a resource is replaced.
var actionReasons = map[string]string{
	"replace_by_triggers":     "its replace_triggered_by changed",
	"replace_because_tainted": "tainted by a failed apply",
	"replace_by_request":      "-replace requested",
}

// Change holds the values before and after, and what Terraform knows of them.
type Change struct {
	Actions         []string `json:"actions"`
	Before          any      `json:"before"`
	After           any      `json:"after"`
	AfterUnknown    any      `json:"after_unknown"`
	BeforeSensitive any      `json:"before_sensitive"`
	AfterSensitive  any      `json:"after_sensitive"`
	ReplacePaths    [][]any  `json:"replace_paths"`
}

// ParsePlan reads the JSON of `terraform show -json <planfile>`.
func ParsePlan(data []byte) (*Plan, error) {
	var plan Plan
	if err := json.Unmarshal(data, &plan); err != nil {
		return nil, fmt.Errorf("not a Terraform JSON plan: %w", err)
	}
	if plan.FormatVersion == "" {
		return nil, fmt.Errorf("not a Terraform JSON plan: no format_version (produce it with `terraform show -json PLANFILE`)")
	}
	return &plan, nil
}

// Action is what a plan does to one resource.
type Action string

const (
	NoOp    Action = "no-op"
	Create  Action = "create"
	Update  Action = "update in place"
	Replace Action = "replace"
	Delete  Action = "delete"
	Read    Action = "read"
	Forget  Action = "forget"
)

// action folds Terraform's action list into one Action.
func (c Change) action() Action {
	switch {
	case slices.Equal(c.Actions, []string{"create"}):
		return Create
	case slices.Equal(c.Actions, []string{"update"}):
		return Update
	case slices.Equal(c.Actions, []string{"delete"}):
		return Delete
	case len(c.Actions) == 2 && slices.Contains(c.Actions, "create") && slices.Contains(c.Actions, "delete"):
		return Replace
	case slices.Equal(c.Actions, []string{"read"}):
		return Read
	case slices.Equal(c.Actions, []string{"forget"}):
		return Forget
	}
	return NoOp
}

// writeOnly lists the arguments whose value Terraform never stores: a plan
// shows them as null, and a review never prints them.
var writeOnly = []string{"master_password_wo", "secret_string_wo", "value_wo", "password_wo"}

// AttributeChange is one top-level attribute that differs before and after.
type AttributeChange struct {
	Name              string
	Before, After     string
	ForcesReplacement bool
}

// attributeChanges lists the attributes that change, old and new value as
// a reviewer should see them: sensitive and write-only values are never
// printed, unknown ones say so.
func (c Change) attributeChanges() []AttributeChange {
	before, _ := c.Before.(map[string]any)
	after, _ := c.After.(map[string]any)
	afterUnknown, _ := c.AfterUnknown.(map[string]any)
	beforeSensitive, _ := c.BeforeSensitive.(map[string]any)
	afterSensitive, _ := c.AfterSensitive.(map[string]any)

	names := map[string]bool{}
	for name := range before {
		names[name] = true
	}
	for name := range after {
		names[name] = true
	}
	for name := range afterUnknown {
		names[name] = true
	}
	var changes []AttributeChange
	for _, name := range sortedNames(names) {
		unknown := isTrue(afterUnknown[name])
		forcesReplacement := slices.ContainsFunc(c.ReplacePaths, func(path []any) bool { return len(path) > 0 && path[0] == name })
		switch {
		case forcesReplacement:
			// Always shown: this is why the resource is replaced.
		case unknown && !hasSensitive(beforeSensitive[name]) && !strings.HasSuffix(name, "_wo_version"):
			// Computed by AWS (an ARN, an endpoint): noise in a review. A
			// write-only argument's version is not: when it changes, a new
			// secret is sent, even if the number is only known at apply.
			continue
		case reflect.DeepEqual(before[name], after[name]):
			continue
		case isZero(before[name]) && isZero(after[name]):
			// An unset argument the provider read back as "", 0 or false.
			continue
		}
		change := AttributeChange{Name: name, Before: render(before[name]), After: render(after[name]), ForcesReplacement: forcesReplacement}
		if before == nil {
			change.Before = "(none)"
		}
		if after == nil {
			change.After = "(none)"
		}
		if unknown {
			change.After = "(known after apply)"
		}
		if hasSensitive(beforeSensitive[name]) {
			change.Before = "(sensitive)"
		}
		if hasSensitive(afterSensitive[name]) {
			change.After = "(sensitive)"
		}
		if slices.Contains(writeOnly, name) {
			change.Before, change.After = "(sensitive)", "(sensitive)"
		}
		changes = append(changes, change)
	}
	return changes
}

// replacedBy lists the attributes that force a replacement.
func (c Change) replacedBy() []string {
	var names []string
	for _, path := range c.ReplacePaths {
		if len(path) > 0 {
			if name, ok := path[0].(string); ok && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names
}

func render(value any) string {
	switch v := value.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", v)
	}
	data, err := json.Marshal(value)
	if err != nil {
		return fmt.Sprint(value)
	}
	return string(data)
}

func isTrue(value any) bool {
	b, ok := value.(bool)
	return ok && b
}

// hasSensitive is true when a sensitivity marker, or any part of it, is true.
func hasSensitive(marker any) bool {
	switch m := marker.(type) {
	case bool:
		return m
	case []any:
		return slices.ContainsFunc(m, hasSensitive)
	case map[string]any:
		for _, v := range m {
			if hasSensitive(v) {
				return true
			}
		}
	}
	return false
}

// isZero is true for null, "", 0, false, and lists and objects of nothing
// but such values.
func isZero(value any) bool {
	switch v := value.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case float64:
		return v == 0
	case bool:
		return !v
	case []any:
		return !slices.ContainsFunc(v, func(item any) bool { return !isZero(item) })
	case map[string]any:
		for _, item := range v {
			if !isZero(item) {
				return false
			}
		}
		return true
	}
	return false
}

func sortedNames(set map[string]bool) []string {
	names := make([]string, 0, len(set))
	for name := range set {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// number reads a numeric attribute; ok is false when it is absent or unknown.
func number(values any, name string) (float64, bool) {
	m, _ := values.(map[string]any)
	n, ok := m[name].(float64)
	return n, ok
}

// nested reads the first block of a nested block attribute, as Terraform
// writes a block of max one item: a list of one object.
func nested(values any, name string) map[string]any {
	m, _ := values.(map[string]any)
	list, _ := m[name].([]any)
	if len(list) == 0 {
		return nil
	}
	block, _ := list[0].(map[string]any)
	return block
}

func str(values any, name string) string {
	m, _ := values.(map[string]any)
	s, _ := m[name].(string)
	return s
}

func boolean(values any, name string) (bool, bool) {
	m, _ := values.(map[string]any)
	b, ok := m[name].(bool)
	return b, ok
}
