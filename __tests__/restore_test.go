package tests

// A stage made from another stage's data (restoreFrom), previews
// (pr-<number>) and restore drills (drill-<stage>): validated against their
// source before anything reaches AWS, and synthesized with the restore
// arguments that act only when the cluster is created.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"aurora-stages/settings"
)

// restoreClock is the "now" the restore cases are checked at.
var restoreClock = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// restoreProblems resolves the named stages of a context at restoreClock.
func restoreProblems(t *testing.T, context string, only ...string) []string {
	t.Helper()
	parsed, err := settings.ParseContext([]byte(context), noEnv)
	if err == nil {
		parsed.Clock = func() time.Time { return restoreClock }
		_, err = parsed.Resolve(only)
	}
	return problemsIn(t, err)
}

func TestRestoreFromIsCheckedAgainstItsSource(t *testing.T) {
	cases := []struct {
		name, stages string
		only         []string
		want         string
	}{
		{"a source that is not a stage", `{"dev": {}, "qa": {"restoreFrom": {"stage": "staging"}}}`, nil,
			`stage "qa": restoreFrom = {"stage":"staging"}: stage "staging" is not a stage of cdktf.json (configured: dev, qa)`},
		{"a clone of itself", `{"dev": {"restoreFrom": {"stage": "dev"}}}`, nil,
			`stage "dev": restoreFrom = {"stage":"dev"}: a stage cannot be made from its own data: name another stage`},
		{"a time in the future", `{"dev": {}, "qa": {"restoreFrom": {"stage": "dev", "time": "2026-12-01T00:00:00Z"}}}`, nil,
			`stage "qa": restoreFrom = {"stage":"dev","time":"2026-12-01T00:00:00Z"}: time is in the future (it is 2026-11-30T12:00:00Z now): a point-in-time restore returns to a moment that has passed`},
		{"a malformed time", `{"dev": {}, "qa": {"restoreFrom": {"stage": "dev", "time": "yesterday"}}}`, nil,
			`stage "qa": restoreFrom = {"stage":"dev","time":"yesterday"}: time must be an RFC 3339 time such as 2026-11-30T10:00:00Z`},
		{"a time without its zone", `{"dev": {}, "qa": {"restoreFrom": {"stage": "dev", "time": "2026-11-30T10:00:00"}}}`, nil,
			`stage "qa": restoreFrom = {"stage":"dev","time":"2026-11-30T10:00:00"}: time must be an RFC 3339 time such as 2026-11-30T10:00:00Z`},
		{"both a stage and a snapshot", `{"dev": {}, "qa": {"restoreFrom": {"stage": "dev", "snapshot": "nightly"}}}`, nil,
			`stage "qa": restoreFrom = {"stage":"dev","snapshot":"nightly"}: must be exactly one of {"stage": "<stage>"} (a clone), {"stage": "<stage>", "time": "<RFC 3339 time>"} (a point-in-time restore) or {"snapshot": "<cluster snapshot identifier>"}`},
		{"neither", `{"dev": {}, "qa": {"restoreFrom": {}}}`, nil,
			`stage "qa": restoreFrom = {}: must be exactly one of {"stage": "<stage>"} (a clone), {"stage": "<stage>", "time": "<RFC 3339 time>"} (a point-in-time restore) or {"snapshot": "<cluster snapshot identifier>"}`},
		{"a time with a snapshot", `{"dev": {}, "qa": {"restoreFrom": {"snapshot": "nightly", "time": "2026-11-30T10:00:00Z"}}}`, nil,
			`stage "qa": restoreFrom = {"time":"2026-11-30T10:00:00Z","snapshot":"nightly"}: time goes with stage, not with snapshot (a snapshot is a moment already)`},
		{"a snapshot's ARN", `{"dev": {}, "qa": {"restoreFrom": {"snapshot": "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:nightly"}}}`, nil,
			`stage "qa": restoreFrom = {"snapshot":"arn:aws:rds:us-east-1:123456789012:cluster-snapshot:nightly"}: snapshot must be a cluster snapshot's identifier: a letter, then up to 254 letters, digits and hyphens (rds: first for an automated snapshot), not its ARN`},
		{"a misspelt key", `{"dev": {}, "qa": {"restoreFrom": {"snapshots": "nightly"}}}`, nil,
			`stage "qa": restoreFrom.snapshots: unknown key; did you mean snapshot?`},
		{"a key that is no near miss", `{"dev": {}, "qa": {"restoreFrom": {"cluster": "main-movies-dev-cluster"}}}`, nil,
			`stage "qa": restoreFrom.cluster: unknown key; allowed: snapshot, stage, time`},
		{"not an object", `{"dev": {}, "qa": {"restoreFrom": "dev"}}`, nil,
			`stage "qa": restoreFrom = "dev": must be an object: {"stage": "<stage>"} (a clone), {"stage": "<stage>", "time": "<RFC 3339 time>"} (a point-in-time restore) or {"snapshot": "<cluster snapshot identifier>"}`},
		{"production data into a dev stage", `{"production": {}, "qa": {"restoreFrom": {"stage": "production"}}}`, nil,
			`stage "qa": restoreFrom = {"stage":"production"}: stage "production" holds a production-profile stage's data, and stage "qa" has the dev profile: set "allowProductionData": true in stage "qa"'s entry if that data may go there`},
		{"production's final snapshot into a dev stage", `{"production": {}, "qa": {"restoreFrom": {"snapshot": "main-movies-production-cluster-final"}}}`, nil,
			`stage "qa": restoreFrom = {"snapshot":"main-movies-production-cluster-final"}: snapshot main-movies-production-cluster-final (stage "production"'s final snapshot) holds a production-profile stage's data, and stage "qa" has the dev profile: set "allowProductionData": true in stage "qa"'s entry if that data may go there`},
		{"another database name than the source's", `{"dev": {}, "qa": {"restoreFrom": {"stage": "dev"}, "databaseName": "movies"}}`, nil,
			`stage "qa": databaseName = "movies", but clone of stage dev inherits "main" from stage "dev", whose databaseName that is: set databaseName to "main" in stage "qa" (a restored cluster takes it from its source, and a different value would replace the cluster on the next deploy)`},
		{"another engine version than the clone's source", `{"dev": {}, "qa": {"restoreFrom": {"stage": "dev"}, "engineVersion": "17.4"}}`, nil,
			`stage "qa": engineVersion = "17.4", but clone of stage dev inherits "16.6" from stage "dev", whose engineVersion that is: set engineVersion to "16.6" in stage "qa" (a restored cluster takes it from its source, and a different value would replace the cluster on the next deploy)`},
		{"another master user than the final snapshot's stage", `{"production": {"masterUsername": "owner"}, "qa": {"profile": "production", "restoreFrom": {"snapshot": "main-movies-production-cluster-final"}}}`, nil,
			`stage "qa": masterUsername = "dbadmin", but restore of snapshot main-movies-production-cluster-final inherits "owner" from snapshot main-movies-production-cluster-final (stage "production"'s final snapshot), whose masterUsername that is: set masterUsername to "owner" in stage "qa" (a restored cluster takes it from its source, and a different value would replace the cluster on the next deploy)`},
		{"a clone in another region", `{"dev": {}, "qa": {"restoreFrom": {"stage": "dev"}, "region": "eu-west-1"}}`, nil,
			`stage "qa": restoreFrom = {"stage":"dev"}: stage "dev" is in region us-east-1, stage "qa" in eu-west-1: a clone or point-in-time restore stays in its source's region`},
		{"a preview name that is not pr-<number>", `{"dev": {}}`, []string{"pr-feature"},
			`stage "pr-feature" is not configured, and a preview stage is named pr-<number> (the pull request's, e.g. pr-42); configured stacks: bootstrap, dev`},
		{"a preview number with a leading zero", `{"dev": {}}`, []string{"pr-07"},
			`stage "pr-07" is not configured, and a preview stage is named pr-<number> (the pull request's, e.g. pr-42); configured stacks: bootstrap, dev`},
		{"a drill of no stage", `{"dev": {}}`, []string{"drill-staging"},
			`stage "drill-staging" is not configured, and a restore drill is named drill-<stage> after a configured stage; configured stacks: bootstrap, dev`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			problems := restoreProblems(t, withStages(c.stages), c.only...)
			if !slices.Contains(problems, c.want) {
				t.Errorf("problems:\n  %s\nwant among them:\n  %s", strings.Join(problems, "\n  "), c.want)
			}
		})
	}
}

// A bad previews entry fails every synthesis (the stages of cdktf.json,
// bootstrap, the review's one stage), named as context.previews, not the
// first pull request labelled preview.
func TestThePreviewsEntryIsCheckedWithEverySynthesis(t *testing.T) {
	context := `{` + accountJSON + `, "stages": {"dev": {}}, "previews": {"restoreFrom": {"stage": "staging"}, "maxCapacity": 0.1}}`
	for _, only := range [][]string{nil, {"dev"}, {"bootstrap"}} {
		problems := restoreProblems(t, context, only...)
		for _, want := range []string{
			`context.previews (every preview's entry, checked as pr-1): maxCapacity = 0.1`,
			`context.previews (every preview's entry, checked as pr-1): restoreFrom`,
		} {
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, want) }) {
				t.Errorf("resolving %v: problems\n  %s\nwant one starting %s", only, strings.Join(problems, "\n  "), want)
			}
		}
	}
	// A good entry passes, and a preview is checked as itself.
	good := `{` + accountJSON + `, "stages": {"dev": {}}, "previews": {"restoreFrom": {"stage": "dev"}}}`
	if problems := restoreProblems(t, good); len(problems) != 0 {
		t.Errorf("a good previews entry: %q", problems)
	}
}

func TestAPreviewNeedsThePreviewsEntry(t *testing.T) {
	problems := restoreProblems(t, withStages(`{"dev": {}}`), "pr-42")
	want := `stage "pr-42" is a preview's name, but cdktf.json's context has no previews entry to build it from; configured stacks: bootstrap, dev`
	if !slices.Contains(problems, want) {
		t.Errorf("problems:\n  %s\nwant among them:\n  %s", strings.Join(problems, "\n  "), want)
	}
}

func TestRestoresThatAreAllowed(t *testing.T) {
	for name, stages := range map[string]string{
		"a clone":                                   `{"dev": {}, "qa": {"restoreFrom": {"stage": "dev"}}}`,
		"a point-in-time restore at a past time":    `{"dev": {}, "qa": {"restoreFrom": {"stage": "dev", "time": "2026-11-30T10:00:00+01:00"}}}`,
		"a snapshot of no stage the app knows":      `{"dev": {}, "qa": {"restoreFrom": {"snapshot": "before-migration-42"}}}`,
		"an automated snapshot":                     `{"dev": {}, "qa": {"restoreFrom": {"snapshot": "rds:main-movies-dev-cluster-2026-11-30-03-00"}}}`,
		"production data with the flag":             `{"production": {}, "qa": {"restoreFrom": {"stage": "production"}, "allowProductionData": true}}`,
		"production data into a production profile": `{"production": {}, "staging": {"profile": "production", "restoreFrom": {"stage": "production"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if problems := restoreProblems(t, withStages(stages)); problems != nil {
				t.Errorf("problems: %v", problems)
			}
		})
	}
}

// A preview takes context.previews as its entry, with the dev profile's
// defaults; a restore drill is its source made disposable.
func TestPreviewsAndDrillsResolve(t *testing.T) {
	context := `{` + accountJSON + `, "stages": {"dev": {}, "production": {"readers": 2, "tags": {"owner": "data"}, "consumerRoleNames": ["api"], "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:pager"}},
	  "previews": {"restoreFrom": {"stage": "dev"}, "maxCapacity": 2}}`
	parsed, err := settings.ParseContext([]byte(context), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := parsed.Resolve([]string{"pr-42", "drill-production"})
	if err != nil {
		t.Fatal(err)
	}
	preview, drill := resolved.Stages[0], resolved.Stages[1]
	if preview.Stage != "pr-42" || preview.Profile != settings.DevProfile || preview.MaxCapacity != 2 || preview.RestoreFrom == nil || preview.RestoreFrom.Stage != "dev" || preview.DeletionProtection || preview.SecretRecoveryWindowDays != 0 {
		t.Errorf("preview: %+v", preview)
	}
	if resolved.Bootstrap != nil {
		t.Error("naming a preview built bootstrap too")
	}
	want := settings.RestoreFrom{Stage: "production"}
	if drill.Stage != "drill-production" || drill.RestoreFrom == nil || *drill.RestoreFrom != want || drill.Readers != 0 || drill.DeletionProtection || drill.PreventDestroy ||
		drill.FinalSnapshot || drill.KeepAutomatedBackups || drill.SecretRecoveryWindowDays != 0 || len(drill.ConsumerRoleNames) != 0 || drill.AlarmTopicARN != "" ||
		drill.KMSKey != settings.KMSKeyAWSManaged || drill.Tags["owner"] != "data" || drill.Tags["restore-drill"] != "production" || drill.MinCapacity != 0 {
		t.Errorf("drill: %+v", drill)
	}
}

// The app, run as cdktf runs it (no arguments), builds the stages DB_STAGES
// names: a preview, a point-in-time restore and a snapshot restore, each
// with its restore arguments and the provisioner that turns the Data API
// on; every cluster ignores later changes of those arguments.
func TestRestoredStagesSynthesize(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesis starts Node.js; skipped in -short mode (make test runs it)")
	}
	dir := t.TempDir()
	app := goBinary(t, ".")
	config := `{"language": "go", "app": "` + app + `", "context": {` + accountJSON + `,
	  "stages": {"dev": {}, "production": {}, "staging": {"profile": "production", "restoreFrom": {"stage": "production", "time": "2026-11-30T10:00:00Z"}},
	    "restored": {"restoreFrom": {"snapshot": "before-migration-42"}}},
	  "previews": {"restoreFrom": {"stage": "dev"}}}}`
	if err := os.WriteFile(filepath.Join(dir, "cdktf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(app)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DB_STAGES=pr-7, staging restored,dev", "CDKTF_OUTDIR="+filepath.Join(dir, "out"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("app: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "production:") || strings.Contains(string(out), "bootstrap:") {
		t.Errorf("the app built stacks DB_STAGES does not name:\n%s", out)
	}
	cluster := func(stage string) map[string]any {
		var doc map[string]any
		readJSON(t, filepath.Join(dir, "out", "stacks", stage, "cdk.tf.json"), &doc)
		c, _ := lookup(doc, "resource.aws_rds_cluster.cluster")
		return c.(map[string]any)
	}
	provisioner := func(stage string) any {
		return []any{map[string]any{"local-exec": map[string]any{"command": app + " --finish-restore " + stage, "working_dir": "../../.."}}}
	}
	want := map[string]map[string]any{
		"pr-7": {
			"restore_to_point_in_time": map[string]any{"restore_type": "copy-on-write", "source_cluster_identifier": "main-movies-dev-cluster", "use_latest_restorable_time": true},
			"provisioner":              provisioner("pr-7"),
		},
		"staging": {
			"restore_to_point_in_time": map[string]any{"restore_type": "full-copy", "source_cluster_identifier": "main-movies-production-cluster", "restore_to_time": "2026-11-30T10:00:00Z"},
			"provisioner":              provisioner("staging"),
		},
		"restored": {"snapshot_identifier": "before-migration-42", "provisioner": provisioner("restored")},
		"dev":      {},
	}
	for stage, values := range want {
		c := cluster(stage)
		for _, key := range []string{"restore_to_point_in_time", "snapshot_identifier", "provisioner"} {
			got, _ := json.Marshal(c[key])
			wanted, _ := json.Marshal(values[key])
			if string(got) != string(wanted) {
				t.Errorf("stage %s: cluster %s = %s, want %s", stage, key, got, wanted)
			}
		}
		ignored, _ := lookup(c, "lifecycle.ignore_changes")
		list, _ := ignored.([]any)
		if !slices.Contains(list, any("restore_to_point_in_time")) || !slices.Contains(list, any("snapshot_identifier")) {
			t.Errorf("stage %s: the cluster's ignore_changes %v leave the restore arguments able to replace it", stage, ignored)
		}
	}

	// A name DB_STAGES gives that is no stage: the error says where it came
	// from, since cdktf's command line does not show it.
	cmd = exec.Command(app)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DB_STAGES=dev,pr-x", "CDKTF_OUTDIR="+filepath.Join(dir, "out"))
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), `aurora-stages: DB_STAGES="dev,pr-x": invalid configuration:`) || !strings.Contains(string(out), `stage "pr-x" is not configured`) {
		t.Errorf("a stage of DB_STAGES that is none: %v\n%s", err, out)
	}
}
