package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aurora-stages/internal/tfrun"
	"aurora-stages/settings"
)

// The terraform commands of a review, as its log shows them.
const (
	initCommand = "init -input=false -no-color"
	planCommand = "plan -input=false -no-color -out=review.tfplan"
	showCommand = "show -json review.tfplan"
)

const planJSON = `{"format_version": "1.2", "resource_changes": []}`

// preventDestroyRefusal is what Terraform says when a plan destroys a
// resource under lifecycle.prevent_destroy.
const preventDestroyRefusal = "Error: Instance cannot be destroyed: Resource aws_rds_cluster.cluster has lifecycle.prevent_destroy set\n"

// fakeTerraform answers init and plan with a line to stdout and one to
// stderr, show with planJSON; plans, if given, are the plan's answers in
// turn.
func fakeTerraform(plans ...tfrun.Answer) *tfrun.Fake {
	if len(plans) == 0 {
		plans = []tfrun.Answer{{Stdout: "plan says\n", Stderr: "plan warns\n"}}
	}
	return &tfrun.Fake{Script: map[string][]tfrun.Answer{
		"init": {{Stdout: "init says\n", Stderr: "init warns\n"}},
		"plan": plans,
		"show": {{Stdout: planJSON, Stderr: "show warns\n"}},
	}}
}

// synthesized writes the folder a synthesis of stage dev leaves in outdir,
// and returns it.
func synthesized(t *testing.T, outdir string) string {
	t.Helper()
	dir := filepath.Join(outdir, "stacks", "dev")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cdk.tf.json"), []byte(strings.Replace(backendBlock, "%s", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// planWith runs the review's steps in dir with tf; forPlan records, as a
// command, when the plan's runner was asked for.
func planWith(t *testing.T, dir string, mode planMode, verbose bool, tf *tfrun.Fake) ([]byte, string, []string, error) {
	t.Helper()
	var stderr bytes.Buffer
	var commands []string
	data, err := planFolder(context.Background(), dir, mode, verbose, &stderr, tf, func() tfrun.Runner {
		commands = append(commands, "<the plan's runner>")
		return tf
	})
	for _, call := range tf.Calls() {
		if call.Dir != dir {
			t.Errorf("terraform %s ran in %s, want %s", call, call.Dir, dir)
		}
	}
	return data, stderr.String(), commands, err
}

func readLog(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "review.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A first review inits the folder, then plans and reads the plan with the
// plan's runner (the shared plugin's, which init may have replaced): a
// line per step on stderr, terraform's output in review.log only, the
// plan's JSON returned, not logged.
func TestPlanFolderInitsPlansAndReads(t *testing.T) {
	dir := synthesized(t, t.TempDir())
	tf := fakeTerraform()
	data, stderr, _, err := planWith(t, dir, planMode{}, false, tf)
	if err != nil || string(data) != planJSON {
		t.Fatalf("planFolder = %q, %v; want the plan's JSON", data, err)
	}
	if want := []string{initCommand, planCommand, showCommand}; !slices.Equal(tf.Commands(), want) {
		t.Errorf("commands %q\nwant     %q", tf.Commands(), want)
	}
	wantStderr := "review: terraform's output goes to " + filepath.Join(dir, "review.log") + "\n" +
		"review: terraform init...\nreview: planning...\nreview: reading the plan...\n"
	if stderr != wantStderr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, wantStderr)
	}
	wantLog := "$ terraform " + initCommand + "\ninit says\ninit warns\n" +
		"$ terraform " + planCommand + "\nplan says\nplan warns\n" +
		"$ terraform " + showCommand + "\nshow warns\n"
	if log := readLog(t, dir); log != wantLog {
		t.Errorf("review.log:\n%s\nwant:\n%s", log, wantLog)
	}
}

// The plan's runner is asked for after init, never before: init may
// install another provider than the plugin started during the synthesis.
func TestPlanFolderAsksForThePlansRunnerAfterInit(t *testing.T) {
	dir := synthesized(t, t.TempDir())
	init := &tfrun.Fake{}
	plan := fakeTerraform()
	var order []string
	_, err := planFolder(context.Background(), dir, planMode{}, false, &bytes.Buffer{}, init, func() tfrun.Runner {
		order = append(order, "asked after "+strings.Join(init.Commands(), ", "))
		return plan
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(init.Commands(), []string{initCommand}) || !slices.Equal(plan.Commands(), []string{planCommand, showCommand}) ||
		!slices.Equal(order, []string{"asked after " + initCommand}) {
		t.Errorf("init's runner ran %q, the plan's %q (%q); want init with the first, the plan and its read with the second, asked for after init", init.Commands(), plan.Commands(), order)
	}
}

// A folder a review's init left as it is skips init, and says so.
func TestPlanFolderSkipsADoneInit(t *testing.T) {
	dir := t.TempDir()
	stageFolder(t, dir, "", "5.100.0")
	if err := recordInit(dir); err != nil {
		t.Fatal(err)
	}
	tf := fakeTerraform()
	_, stderr, _, err := planWith(t, dir, planMode{}, false, tf)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{planCommand, showCommand}; !slices.Equal(tf.Commands(), want) {
		t.Errorf("commands %q\nwant     %q", tf.Commands(), want)
	}
	if !strings.Contains(stderr, "review: terraform init: nothing to do, the folder is initialized for this backend and these providers\nreview: planning...\n") {
		t.Errorf("stderr lacks the skipped init:\n%s", stderr)
	}
}

// Drift is a refresh-only plan; the plan that explains a refusal takes no
// lock.
func TestPlanFolderModes(t *testing.T) {
	for _, c := range []struct {
		mode planMode
		plan string
	}{
		{planMode{refreshOnly: true}, planCommand + " -refresh-only"},
		{planMode{withoutGuard: true}, planCommand + " -lock=false"},
	} {
		tf := fakeTerraform()
		if _, _, _, err := planWith(t, synthesized(t, t.TempDir()), c.mode, false, tf); err != nil {
			t.Fatal(err)
		}
		if want := []string{initCommand, c.plan, showCommand}; !slices.Equal(tf.Commands(), want) {
			t.Errorf("%+v: commands %q\nwant %q", c.mode, tf.Commands(), want)
		}
	}
}

// A step that fails stops the review with terraform's whole output on
// stderr (it went only to the log), unless --verbose streamed it already.
func TestPlanFolderShowsTheLogOnFailure(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		dir := synthesized(t, t.TempDir())
		tf := fakeTerraform(tfrun.Answer{Stdout: "plan says\n", Stderr: "Error: plan failed\n", Fails: true})
		_, stderr, _, err := planWith(t, dir, planMode{}, verbose, tf)
		if want := "terraform plan in " + dir + ": exit status 1"; err == nil || err.Error() != want {
			t.Errorf("verbose %v: error %v, want %s", verbose, err, want)
		}
		if !slices.Equal(tf.Commands(), []string{initCommand, planCommand}) {
			t.Errorf("verbose %v: commands %q, want none after the failed plan", verbose, tf.Commands())
		}
		log := readLog(t, dir)
		shown := "review: planning...\nreview: terraform's output (" + filepath.Join(dir, "review.log") + "):\n" + log
		streamed := "review: planning...\nplan says\nError: plan failed\n"
		switch {
		case !verbose && (!strings.HasSuffix(stderr, shown) || !strings.HasSuffix(log, "Error: plan failed\n")):
			t.Errorf("stderr ends:\n%s\nwant the log after the step:\n%s", stderr, shown)
		case verbose && (!strings.HasSuffix(stderr, streamed) || strings.Count(stderr, "plan says") != 1):
			t.Errorf("verbose stderr:\n%s\nwant terraform's output once, as it came:\n%s", stderr, streamed)
		}
	}
}

// An init that fails plans nothing; a show that prints nothing is an error.
func TestPlanFolderStopsAtTheFirstProblem(t *testing.T) {
	tf := fakeTerraform()
	tf.Script["init"] = []tfrun.Answer{{Stderr: "Error: no backend\n", Fails: true}}
	dir := synthesized(t, t.TempDir())
	if _, _, _, err := planWith(t, dir, planMode{}, false, tf); err == nil || err.Error() != "terraform init in "+dir+": exit status 1" || len(tf.Commands()) != 1 {
		t.Errorf("failed init: %v, commands %q; want the init's error and nothing run after it", err, tf.Commands())
	}
	tf = fakeTerraform()
	tf.Script["show"] = []tfrun.Answer{{}}
	if _, _, _, err := planWith(t, synthesized(t, t.TempDir()), planMode{}, false, tf); err == nil || err.Error() != "terraform show -json printed nothing" {
		t.Errorf("empty show: %v, want it said", err)
	}
}

// Terraform's refusal (prevent_destroy) is no error of the review: the
// stage is planned again without the guard and without the lock, in a
// folder of its own with its own log, and the plan says it was refused.
func TestPlanExplainedPlansARefusalAgainWithoutTheGuard(t *testing.T) {
	outdir := t.TempDir()
	tf := fakeTerraform(tfrun.Answer{Stdout: "plan says\n", Stderr: preventDestroyRefusal, Fails: true}, tfrun.Answer{Stdout: "plan says\n"})
	var stderr bytes.Buffer
	var planned []string
	plan := func(outdir string, mode planMode) (settings.StageConfig, []byte, error) {
		planned = append(planned, filepath.Base(outdir))
		dir := synthesized(t, outdir)
		data, err := planFolder(context.Background(), dir, mode, false, &stderr, tf, func() tfrun.Runner { return tf })
		return settings.StageConfig{Stage: "dev", PreventDestroy: !mode.withoutGuard}, data, err
	}
	got, err := planExplained(outdir, planMode{}, &stderr, plan)
	if err != nil || !got.refused || string(got.json) != planJSON || !got.cfg.PreventDestroy {
		t.Fatalf("planExplained = %+v, %v; want the unguarded plan, refused, with the stage's own settings", got, err)
	}
	unguarded := filepath.Join(outdir, "review-without-prevent-destroy")
	if want := []string{filepath.Base(outdir), "review-without-prevent-destroy"}; !slices.Equal(planned, want) {
		t.Errorf("planned in %q, want %q", planned, want)
	}
	want := []string{initCommand, planCommand, initCommand, planCommand + " -lock=false", showCommand}
	if !slices.Equal(tf.Commands(), want) {
		t.Errorf("commands %q\nwant     %q", tf.Commands(), want)
	}
	if calls := tf.Calls(); len(calls) == len(want) && (calls[1].Dir != filepath.Join(outdir, "stacks", "dev") || calls[3].Dir != filepath.Join(unguarded, "stacks", "dev")) {
		t.Errorf("the plans ran in %s and %s; want the stage's folder, then the unguarded one", calls[1].Dir, calls[3].Dir)
	}
	for _, line := range []string{
		"review: planning...\nreview: Terraform refused the plan (prevent_destroy); planning it again without the guard to show what it would destroy\n",
		"review: terraform's output goes to " + filepath.Join(unguarded, "stacks", "dev", "review.log") + "\n",
	} {
		if !strings.Contains(stderr.String(), line) {
			t.Errorf("stderr lacks %q:\n%s", line, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "terraform's output (") {
		t.Errorf("the refusal printed terraform's log:\n%s", stderr.String())
	}
	if log := readLog(t, filepath.Join(outdir, "stacks", "dev")); !strings.HasSuffix(log, preventDestroyRefusal) {
		t.Errorf("the refused plan's log:\n%s\nwant it to end with the refusal", log)
	}
}

// Any other error is the review's, and plans nothing more.
func TestPlanExplainedStopsAtOtherErrors(t *testing.T) {
	failure := errors.New("terraform plan in cdktf.out/stacks/dev: exit status 1")
	calls := 0
	_, err := planExplained(t.TempDir(), planMode{}, &bytes.Buffer{}, func(string, planMode) (settings.StageConfig, []byte, error) {
		calls++
		return settings.StageConfig{}, nil, failure
	})
	if !errors.Is(err, failure) || calls != 1 {
		t.Errorf("planExplained = %v after %d plans; want the plan's error after one", err, calls)
	}
}
