package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// AccountSettings are the settings that differ per AWS account rather than
// per stage. Each comes from cdktf.json's context and may be overridden by
// an environment variable (see accountSettingSources). Their comments are
// their reference in docs/settings.md, as StageConfig's are.
type AccountSettings struct {
	// Service names the application; it prefixes every resource name.
	// Allowed: lowercase letters, digits and single hyphens, starting with a
	// letter; not starting with aws or ssm (SSM reserves them).
	Service string `json:"service"`
	// Region is the AWS region of the state bucket, and of every stage that
	// names none. Allowed: an AWS region code.
	Region string `json:"region"`
	// StateBucket is the S3 bucket that holds every stage's Terraform
	// state; `cdktf deploy bootstrap` creates it. Required: an S3 bucket
	// name you own (cdktf.json ships movies-terraform-state-change-me:
	// replace it).
	StateBucket string `json:"stateBucket"`
	// StateKeyPrefix, if set, is put in front of every stage's state key,
	// [<prefix>/]<service>/<stage>/terraform.tfstate. Allowed: path
	// segments joined by single slashes, no leading or trailing slash.
	StateKeyPrefix string `json:"stateKeyPrefix"`
	// LocalEndpoint, if set, points the AWS provider and the S3 backend at
	// an AWS emulator on that URL (docs/local.md). Empty for a real account.
	LocalEndpoint string `json:"localEndpoint"`
	// StateRoleARN, if set, is the role the S3 backend assumes to reach the
	// state bucket: every stage's state in one tooling account, each
	// stage's resources in its own. Allowed: an IAM role ARN.
	StateRoleARN string `json:"stateRoleArn"`
	// AlarmTopicARN, if set, is the SNS topic every stage's alarms tell,
	// unless the stage names its own. Allowed: as a stage's alarmTopicArn.
	AlarmTopicARN string `json:"alarmTopicArn"`
	// App is the command cdktf.json runs to synthesize (its "app"): a
	// restored stage runs it again to turn the Data API on.
	App string `json:"-"`
	// Deployer says who deploys, in the session name of an assumed role:
	// DB_DEPLOYER, else GITHUB_ACTOR, else USER.
	Deployer string `json:"-"`
	// Tags are the team's tags (owner, cost centre...) on every resource of
	// every stack, the state bucket's included; a stage's own tags win over
	// them. Allowed: as a stage's tags.
	Tags map[string]string `json:"tags"`
}

// accountSetting ties an account setting to its context key and environment variable.
type accountSetting struct {
	contextKey string
	envVar     string
	field      func(*AccountSettings) *string
}

var accountSettingSources = []accountSetting{
	{"service", "DB_SERVICE", func(a *AccountSettings) *string { return &a.Service }},
	{"region", "DB_REGION", func(a *AccountSettings) *string { return &a.Region }},
	{"stateBucket", "DB_STATE_BUCKET", func(a *AccountSettings) *string { return &a.StateBucket }},
	{"stateKeyPrefix", "DB_STATE_KEY_PREFIX", func(a *AccountSettings) *string { return &a.StateKeyPrefix }},
	{"localEndpoint", "DB_LOCAL_ENDPOINT", func(a *AccountSettings) *string { return &a.LocalEndpoint }},
	{"stateRoleArn", "DB_STATE_ROLE_ARN", func(a *AccountSettings) *string { return &a.StateRoleARN }},
	{"alarmTopicArn", "DB_ALARM_TOPIC_ARN", func(a *AccountSettings) *string { return &a.AlarmTopicARN }},
}

// deployerVariables say who deploys, the first one set wins.
var deployerVariables = []string{"DB_DEPLOYER", "GITHUB_ACTOR", "USER"}

// defaultAccountSettings apply where neither the context nor the environment
// sets a value. There is no default state bucket: bucket names are global,
// so every account must choose its own.
func defaultAccountSettings() AccountSettings {
	return AccountSettings{Service: "movies", Region: "us-east-1", Tags: map[string]string{}}
}

// defaultStateVersionRetentionDays keeps replaced state versions for a
// quarter: long enough to notice and roll back a bad apply.
const defaultStateVersionRetentionDays = 90

// defaultStages are the stages that exist when the context lists none.
var defaultStages = []string{"dev", "production"}

// Settings is the app's whole configuration, as read from cdktf.json's
// context: the account settings and one entry of overrides per stage.
type Settings struct {
	Account AccountSettings
	// Stages maps each stage name to its entry: setting name to JSON value.
	Stages map[string]map[string]json.RawMessage
	// Previews is the entry every preview stage (pr-<number>) is built
	// from, nil when context.previews is not set.
	Previews map[string]json.RawMessage
	// StateVersionRetentionDays is how long the bootstrap stack's bucket
	// keeps a replaced state version. Allowed: 1 to 3650.
	StateVersionRetentionDays int `json:"stateVersionRetentionDays"`
	// Clock, if set, is the time a restore's time is checked against
	// instead of the machine's (for tests).
	Clock func() time.Time
	// sources says where each account setting came from, for error messages.
	sources map[string]string
}

// LoadCdktfJSON reads the context of a cdktf.json file and applies the
// environment variable overrides from getenv (os.Getenv in the app).
func LoadCdktfJSON(path string, getenv func(string) string) (*Settings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	var file struct {
		App     string          `json:"app"`
		Context json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %w", path, err)
	}
	if len(file.Context) == 0 {
		file.Context = []byte("{}")
	}
	settings, err := ParseContext(file.Context, getenv)
	if err != nil {
		return nil, err
	}
	settings.Account.App = file.App
	return settings, nil
}

// DefaultApp is the app command of this repository's cdktf.json.
const DefaultApp = "go run ."

// LocalCredentials are the fixed keys an emulator accepts, for the stacks'
// provider and backend and for the commands' SDK clients alike.
const LocalCredentials = "test"

// LoadStage reads cdktf.json in the current folder (with the environment's
// overrides) and resolves one stage, for the commands that work on a single
// stage. The bootstrap stack is no stage: notAStage says why the command
// has nothing to do with it.
func LoadStage(stage, notAStage string) (*Stacks, error) {
	settings, err := LoadCdktfJSON("cdktf.json", os.Getenv)
	if err != nil {
		return nil, err
	}
	resolved, err := settings.Resolve([]string{stage})
	if err != nil {
		return nil, err
	}
	if len(resolved.Stages) != 1 {
		return nil, fmt.Errorf("%q is not a stage: %s", stage, notAStage)
	}
	return resolved, nil
}

// ParseContext reads settings from a cdktf.json context object and applies
// the environment variable overrides from getenv. It reports every problem
// with the shape of the context at once; the values are checked later, by
// Resolve.
func ParseContext(context []byte, getenv func(string) string) (*Settings, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(context, &raw); err != nil {
		return nil, &ConfigError{Problems: []string{fmt.Sprintf("context: not a JSON object: %v", err)}}
	}
	settings := &Settings{
		Account:                   defaultAccountSettings(),
		StateVersionRetentionDays: defaultStateVersionRetentionDays,
		sources:                   map[string]string{},
	}
	var problems []string

	known := map[string]bool{"stages": true, "stateVersionRetentionDays": true, "tags": true, "previews": true}
	if value, ok := raw["previews"]; ok {
		if err := json.Unmarshal(value, &settings.Previews); err != nil || settings.Previews == nil {
			problems = append(problems, fmt.Sprintf("context.previews = %s: must be an object of stage settings, the entry of every preview stage pr-<number>, e.g. {\"restoreFrom\": {\"stage\": \"staging\"}}", value))
		}
	}
	if value, ok := raw["tags"]; ok {
		if err := json.Unmarshal(value, &settings.Account.Tags); err != nil || settings.Account.Tags == nil {
			problems = append(problems, fmt.Sprintf("context.tags = %s: must be an object of tag keys to string values, e.g. {\"owner\": \"platform\"}", value))
		}
	}
	if value, ok := raw["stateVersionRetentionDays"]; ok {
		if err := json.Unmarshal(value, &settings.StateVersionRetentionDays); err != nil || string(value) == "null" {
			problems = append(problems, fmt.Sprintf("context.stateVersionRetentionDays = %s: must be a whole number of days", value))
		}
	}
	for _, s := range accountSettingSources {
		known[s.contextKey] = true
		settings.sources[s.contextKey] = "default"
		if value, ok := raw[s.contextKey]; ok {
			if err := json.Unmarshal(value, s.field(&settings.Account)); err != nil {
				problems = append(problems, fmt.Sprintf("context.%s = %s: must be a string", s.contextKey, value))
			}
			settings.sources[s.contextKey] = "cdktf.json context." + s.contextKey
		}
		if value := getenv(s.envVar); value != "" {
			*s.field(&settings.Account) = value
			settings.sources[s.contextKey] = "environment variable " + s.envVar
		}
	}
	for _, variable := range deployerVariables {
		if settings.Account.Deployer = getenv(variable); settings.Account.Deployer != "" {
			break
		}
	}
	for _, key := range sortedKeys(raw) {
		if !known[key] {
			problems = append(problems, fmt.Sprintf("context.%s: unknown setting; %s", key, suggest(key, sortedKeys(known))))
		}
	}

	settings.Stages = map[string]map[string]json.RawMessage{}
	if value, ok := raw["stages"]; ok {
		var stages map[string]json.RawMessage
		if err := json.Unmarshal(value, &stages); err != nil || stages == nil {
			problems = append(problems, fmt.Sprintf("context.stages = %s: must be an object that maps each stage name to its settings, e.g. {\"dev\": {}, \"production\": {}}", value))
		}
		for _, stage := range sortedKeys(stages) {
			var entry map[string]json.RawMessage
			if err := json.Unmarshal(stages[stage], &entry); err != nil {
				problems = append(problems, fmt.Sprintf("stage %q: entry = %s: must be an object of settings ({} keeps the profile's defaults)", stage, stages[stage]))
				continue
			}
			if entry == nil {
				entry = map[string]json.RawMessage{}
			}
			settings.Stages[stage] = entry
		}
	} else {
		for _, stage := range defaultStages {
			settings.Stages[stage] = map[string]json.RawMessage{}
		}
	}
	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	return settings, nil
}

// StageNames lists the configured stages in a stable order.
func (s *Settings) StageNames() []string {
	return sortedKeys(s.Stages)
}

// BootstrapStack is the ID of the stack that creates the state bucket.
const BootstrapStack = "bootstrap"

// BootstrapConfig is what the bootstrap stack is built from.
type BootstrapConfig struct {
	Account AccountSettings
	// StateVersionRetentionDays is how long a replaced version of a state
	// file is kept in the bucket before it expires.
	StateVersionRetentionDays int
}

// Stacks is what one synthesis builds.
type Stacks struct {
	// Bootstrap is nil when the command line named only stages.
	Bootstrap *BootstrapConfig
	Stages    []StageConfig
	// Warnings are allowed but risky settings, one line each, for the
	// commands to print.
	Warnings []string
}

// Resolve validates the settings and resolves the stacks named on the
// command line: the bootstrap stack and every stage when only is empty.
// It returns every problem found, in any stage, at once.
func (s *Settings) Resolve(only []string) (*Stacks, error) {
	var problems []string
	resolved := &Stacks{}
	names := s.StageNames()
	if len(names) == 0 {
		problems = append(problems, "context.stages is empty: configure at least one stage, e.g. {\"dev\": {}}")
	}
	withBootstrap := len(only) == 0
	if len(only) > 0 {
		var selected []string
		for _, name := range uniqueInOrder(only) {
			if name == BootstrapStack {
				withBootstrap = true
			} else if msg := s.unlisted(name); msg == "" {
				selected = append(selected, name)
			} else {
				problems = append(problems, msg)
			}
		}
		names = selected
	}
	problems = append(problems, s.validateAccount(names, withBootstrap)...)
	if withBootstrap {
		resolved.Bootstrap = &BootstrapConfig{Account: s.Account, StateVersionRetentionDays: s.StateVersionRetentionDays}
	}

	for _, stage := range names {
		var cfg StageConfig
		var entryProblems []string
		switch entry, listed := s.Stages[stage]; {
		case listed:
			cfg, entryProblems = resolveStage(stage, entry, s.Account)
		case IsPreview(stage):
			cfg, entryProblems = resolveStage(stage, s.Previews, s.Account)
		default:
			cfg, entryProblems = s.drillStage(stage)
		}
		problems = append(problems, entryProblems...)
		problems = append(problems, cfg.Validate()...)
		problems = append(problems, s.validateRestore(cfg)...)
		resolved.Warnings = append(resolved.Warnings, cfg.NetworkWarnings()...)
		resolved.Stages = append(resolved.Stages, cfg)
	}
	problems = append(problems, s.validatePreviews(names)...)
	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	return resolved, nil
}

// PlaceholderStateBucket is the state bucket cdktf.json ships: a name to
// replace, refused when bootstrap is planned for a real account.
const PlaceholderStateBucket = "movies-terraform-state-change-me"

// samplePreview is the preview stage context.previews is checked as when
// no preview is being built: every preview is built from that entry alike.
const samplePreview = PreviewPrefix + "1"

// validatePreviews checks context.previews with every resolve, as a
// preview stage built from it, so a bad entry fails make synth and the
// review rather than the first pull request labelled preview.
func (s *Settings) validatePreviews(names []string) []string {
	if s.Previews == nil || slices.ContainsFunc(names, IsPreview) {
		return nil
	}
	cfg, problems := resolveStage(samplePreview, s.Previews, s.Account)
	problems = append(problems, cfg.Validate()...)
	problems = append(problems, s.validateRestore(cfg)...)
	for i, problem := range problems {
		problems[i] = strings.ReplaceAll(problem, fmt.Sprintf("stage %q", samplePreview), "context.previews (every preview's entry, checked as "+samplePreview+")")
	}
	return problems
}

// unlisted says why a stage named on the command line cannot be built, ""
// when it can: a stage of cdktf.json, a preview (pr-<number>, when
// context.previews is set) or a restore drill of a listed stage.
func (s *Settings) unlisted(name string) string {
	if _, ok := s.Stages[name]; ok {
		return ""
	}
	configured := strings.Join(append([]string{BootstrapStack}, s.StageNames()...), ", ")
	switch {
	case IsPreview(name) && s.Previews == nil:
		return fmt.Sprintf("stage %q is a preview's name, but cdktf.json's context has no previews entry to build it from; configured stacks: %s", name, configured)
	case IsPreview(name):
		return ""
	case strings.HasPrefix(name, PreviewPrefix):
		return fmt.Sprintf("stage %q is not configured, and a preview stage is named pr-<number> (the pull request's, e.g. pr-42); configured stacks: %s", name, configured)
	case strings.HasPrefix(name, DrillPrefix):
		if _, ok := s.Stages[strings.TrimPrefix(name, DrillPrefix)]; ok {
			return ""
		}
		return fmt.Sprintf("stage %q is not configured, and a restore drill is named drill-<stage> after a configured stage; configured stacks: %s", name, configured)
	}
	return fmt.Sprintf("stage %q named on the command line is not configured; configured stacks: %s", name, configured)
}

// resolveStage starts from the stage's profile and applies its entry.
func resolveStage(stage string, entry map[string]json.RawMessage, account AccountSettings) (StageConfig, []string) {
	var problems []string
	profile := defaultProfileFor(stage)
	if value, ok := entry["profile"]; ok {
		if err := json.Unmarshal(value, &profile); err != nil || profiles[profile] == nil {
			problems = append(problems, fmt.Sprintf("stage %q: profile = %s: must be one of %s", stage, value, strings.Join(sortedKeys(profiles), ", ")))
			profile = defaultProfileFor(stage)
		}
	}
	cfg := profiles[profile]()
	cfg.Stage = stage
	cfg.Account = account
	cfg.Region = account.Region

	fields := stageSettingFields()
	for _, key := range sortedKeys(entry) {
		if key == "profile" {
			continue
		}
		index, ok := fields[key]
		if !ok {
			problems = append(problems, fmt.Sprintf("stage %q: %s: unknown setting; %s", stage, key, suggest(key, append(sortedKeys(fields), "profile"))))
			continue
		}
		target := reflect.ValueOf(&cfg).Elem().Field(index)
		value := reflect.New(target.Type())
		err := json.Unmarshal(entry[key], value.Interface())
		var unknown unknownKeyError
		if errors.As(err, &unknown) {
			problems = append(problems, fmt.Sprintf("stage %q: %s.%s: unknown key; %s", stage, key, unknown.key, suggest(unknown.key, restoreFromKeys)))
			continue
		}
		if err != nil || string(entry[key]) == "null" {
			problems = append(problems, fmt.Sprintf("stage %q: %s = %s: must be %s", stage, key, entry[key], describeType(target.Type())))
			continue
		}
		target.Set(value.Elem())
	}
	if cfg.AlarmTopicARN == "" {
		cfg.AlarmTopicARN = account.AlarmTopicARN
	}
	return cfg, problems
}

// stageSettingFields maps each overridable setting's JSON name to its
// field index in StageConfig.
func stageSettingFields() map[string]int {
	fields := map[string]int{}
	t := reflect.TypeOf(StageConfig{})
	for i := 0; i < t.NumField(); i++ {
		if name := jsonKey(t.Field(i)); name != "" {
			fields[name] = i
		}
	}
	return fields
}

// describeType is typeName in a sentence: "must be a whole number",
// "must be true or false".
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return typeName(t)
	}
	if t == reflect.TypeOf(&RestoreFrom{}) {
		return "an " + typeName(t) + ": " + restoreFromSyntax
	}
	return "a " + typeName(t)
}

// typeName is how the settings' reference and the error messages name a
// setting's type.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int:
		return "whole number"
	case reflect.Float64:
		return "number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "list of " + typeName(t.Elem()) + "s"
	case reflect.Map:
		return "map of " + typeName(t.Elem()) + "s"
	case reflect.Pointer:
		if t.Elem() == reflect.TypeOf(RestoreFrom{}) {
			return "object"
		}
	}
	return t.String()
}

// jsonKey is a settings field's key in cdktf.json; "" for a field that is
// not a setting.
func jsonKey(field reflect.StructField) string {
	key, _, _ := strings.Cut(field.Tag.Get("json"), ",")
	if key == "-" {
		return ""
	}
	return key
}

// suggest names the known setting closest to a mistyped one, when one is
// close (a typo, a wrong case: at most a quarter of its letters off), and
// lists every known setting otherwise.
func suggest(key string, known []string) string {
	best, bestDistance := "", len(key)
	for _, name := range known {
		if d := editDistance(strings.ToLower(key), strings.ToLower(name)); d < bestDistance {
			best, bestDistance = name, d
		}
	}
	if best != "" && bestDistance <= max(1, len(best)/4) {
		return "did you mean " + best + "?"
	}
	return "allowed: " + strings.Join(known, ", ")
}

// editDistance is the Levenshtein distance: the fewest single-letter
// insertions, deletions and substitutions that turn a into b.
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current := make([]int, len(b)+1)
		current[0] = i
		for j := 1; j <= len(b); j++ {
			substitution := previous[j-1]
			if a[i-1] != b[j-1] {
				substitution++
			}
			current[j] = min(previous[j]+1, current[j-1]+1, substitution)
		}
		previous = current
	}
	return previous[len(b)]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// uniqueInOrder drops repeated names: "go run . dev dev" builds dev once
// instead of failing on a duplicate stack ID.
func uniqueInOrder(names []string) []string {
	var unique []string
	for _, name := range names {
		if !slices.Contains(unique, name) {
			unique = append(unique, name)
		}
	}
	return unique
}
