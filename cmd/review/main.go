// Command review summarizes what a Terraform plan does to a stage and flags
// what could lose data, for a reviewer and as a CI gate.
//
//	go run ./cmd/review --stage production                  synthesize, plan and review
//	go run ./cmd/review --stage production --save DIR       the same, and keep the plan for go run ./cmd/apply
//	go run ./cmd/review --stage production --drift          what changed outside Terraform (a refresh-only plan)
//	go run ./cmd/review --plan-json plan.json [--stage x]    review a plan produced elsewhere
//	go run ./cmd/review --stages-matrix                     the stages of cdktf.json, as JSON for a CI matrix
//
// Exit status: 0 nothing flagged (or risks accepted, or the help, -h; with
// --drift, no drift), 1 error (with --save, also a plan that cannot be
// saved), 2 risks flagged (with --drift, drift found), or a command line
// it does not take: then nothing is on stdout, and stderr has the problem
// and the usage.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"aurora-stages/internal/awsconfig"
	"aurora-stages/internal/cli"
	"aurora-stages/internal/jsiiruntime"
	"aurora-stages/internal/prices"
	"aurora-stages/internal/tfrun"
	"aurora-stages/review"
	"aurora-stages/savedplan"
	"aurora-stages/settings"
	"aurora-stages/stacks"
	"aurora-stages/stacks/addresses"
)

func main() {
	jsiiruntime.Setup()
	jsiiruntime.Exit("review", run(os.Args[1:], os.Stdout, os.Stderr))
}

// about is the first line of the help: what the command does.
const about = "review summarizes what a Terraform plan does to a stage and flags what could lose data, for a reviewer and as a CI gate."

// synopsis is the command lines it takes; the help and every usage error
// print it, then the flags.
const synopsis = `usage: go run ./cmd/review --stage <stage> [--save <folder>] [--format text|markdown] [--accept-risks "<who and why>"]
usage: go run ./cmd/review --stage <stage> --drift [--format text|markdown]
usage: go run ./cmd/review --plan-json <file> [--stage <stage>] [--drift] [--format text|markdown] [--accept-risks "<who and why>"]
usage: go run ./cmd/review --stages-matrix`

var command = cli.Command{Name: "review", About: about, Synopsis: synopsis}

func run(args []string, stdout, stderr io.Writer) int {
	flags := command.Flags()
	stage := flags.String("stage", "", "the stage to plan and review (its stack in cdktf.json)")
	planJSON := flags.String("plan-json", "", "review this `file`, the output of `terraform show -json PLANFILE`, instead of planning")
	format := flags.String("format", "text", "output format: text or markdown")
	accept := flags.String("accept-risks", "", "accept the flagged risks: `who and why`, echoed in the output; exit 0 instead of 2")
	outdir := flags.String("outdir", "cdktf.out", "where to synthesize")
	verbose := flags.Bool("verbose", false, "stream terraform's output to stderr as it runs; without it, the output goes only to review.log in the stage's folder, and to stderr in full if terraform fails")
	matrix := flags.Bool("stages-matrix", false, "print the stages of cdktf.json as a JSON list for a CI matrix (stage, region, role_variable), and nothing else")
	save := flags.String("save", "", "keep the plan in this `folder` (outside the synthesis output), with the stack it was planned from and this review, for go run ./cmd/apply to apply exactly it")
	drift := flags.Bool("drift", false, "only what changed outside Terraform: plan with -refresh-only and list the drift; exit 2 when there is some")
	usageError := func(problem string) int { return command.UsageError(stderr, flags, problem) }
	if code, done := command.Parse(flags, args, stdout, stderr, cli.NoArguments(flags)); done {
		return code
	}
	if *matrix {
		if err := printStagesMatrix(stdout); err != nil {
			fmt.Fprintln(stderr, "review:", err)
			return 1
		}
		return 0
	}
	if *format != "text" && *format != "markdown" {
		return usageError(fmt.Sprintf("--format %q: must be text or markdown", *format))
	}
	if *stage == "" && *planJSON == "" {
		return usageError("name a stage (--stage production) or a plan (--plan-json FILE)")
	}
	if *save != "" && (*planJSON != "" || *drift) {
		return usageError("--save keeps a plan this review makes: with --stage, without --plan-json or --drift")
	}
	if *save != "" {
		if inside, err := within(*save, *outdir); err != nil || inside {
			return usageError(fmt.Sprintf("--save %s: name a folder outside the synthesis output %s, which cdktf empties of other stacks' folders when it synthesizes a few stages", *save, *outdir))
		}
	}
	mode := planMode{refreshOnly: *drift}

	var data []byte
	var err error
	var configRisks []review.Risk
	var plannedAt time.Time
	var cfg *settings.StageConfig
	var refused bool
	if *planJSON != "" {
		data, err = os.ReadFile(*planJSON)
	} else {
		cfg = &settings.StageConfig{}
		plannedAt = time.Now()
		var planned stagePlan
		planned, err = planExplained(*outdir, mode, stderr, func(outdir string, mode planMode) (settings.StageConfig, []byte, error) {
			return planStage(*stage, outdir, mode, *verbose, stderr)
		})
		*cfg, data, refused = planned.cfg, planned.json, planned.refused
		if refused {
			configRisks = append(configRisks, review.Risk{Address: addresses.Cluster, Reason: "refused by prevent_destroy (the stage's preventDestroy): Terraform stops this change before anything is touched; what it would destroy is listed here"})
		}
		configRisks = append(configRisks, review.ConfigRisks(*cfg)...)
	}
	if err != nil {
		fmt.Fprintln(stderr, "review:", err)
		return 1
	}
	plan, err := review.ParsePlan(data)
	if err != nil {
		fmt.Fprintln(stderr, "review:", err)
		return 1
	}
	subject := "stage " + *stage
	if *planJSON != "" {
		subject = "plan file " + filepath.Base(*planJSON)
		if *stage != "" {
			subject = "stage " + *stage + " (plan file " + filepath.Base(*planJSON) + ")"
		}
	}
	if cfg != nil {
		// What the stack ignores is no drift to act on; a refresh-only
		// plan's JSON does not say it.
		stack, err := os.ReadFile(filepath.Join(*outdir, "stacks", *stage, "cdk.tf.json"))
		if err == nil {
			plan.IgnoredChanges, err = review.IgnoredChanges(stack)
		}
		if err != nil {
			fmt.Fprintln(stderr, "review:", err)
			return 1
		}
	}
	if *drift {
		drifted := review.NewDriftReport(subject, plan)
		if *format == "markdown" {
			fmt.Fprint(stdout, drifted.Markdown())
		} else {
			fmt.Fprint(stdout, drifted.Text())
		}
		return drifted.ExitCode()
	}
	report := review.NewReport(subject, plan)
	report.Risks = append(report.Risks, configRisks...)
	region := plan.Region()
	if cfg != nil {
		risks, notes := review.RestoreFindings(*cfg, plan)
		report.Risks, report.Notes = append(report.Risks, risks...), append(report.Notes, notes...)
		region = cfg.Region
		migrations, risks, notes, err := pendingMigrations(*cfg)
		if err != nil {
			fmt.Fprintln(stderr, "review:", err)
			return 1
		}
		report.Migrations = migrations
		report.Risks, report.Notes = append(report.Risks, risks...), append(report.Notes, notes...)
	}
	table, err := prices.Load()
	if err != nil {
		fmt.Fprintln(stderr, "review:", err)
		return 1
	}
	report.Costs = review.EstimateCosts(plan, region, table, time.Now())
	if cfg != nil && cfg.Account.LocalEndpoint != "" {
		report.Costs = review.EstimateEmulatedCosts(plan, region, cfg.StorageType, table, time.Now())
	}
	if report.Costs.Note != "" {
		report.Notes = append(report.Notes, report.Costs.Note)
	}
	report.Acceptance = *accept
	text, markdown := report.Text(), report.Markdown()
	code := report.ExitCode()
	if *save != "" {
		if refused {
			// The plan above was made without the guard, to explain the
			// refusal: it must never be applied.
			code = 1
			err = errors.New("nothing saved: Terraform refused the plan (prevent_destroy), so there is no plan to apply")
		} else {
			var header string
			if header, err = savePlan(*save, *cfg, filepath.Join(*outdir, "stacks", *stage), plannedAt, text, markdown, report); err == nil {
				text, markdown = header+"\n\n"+text, "> "+header+"\n\n"+markdown
			}
		}
		if err != nil {
			code = 1
		}
	}
	if *format == "markdown" {
		fmt.Fprint(stdout, markdown)
	} else {
		fmt.Fprint(stdout, text)
	}
	if err != nil {
		fmt.Fprintln(stderr, "review:", err)
	} else if *save != "" {
		fmt.Fprintf(stderr, "review: the plan is saved in %s: apply exactly it with make apply STAGE=%s PLAN=%s\n", *save, *stage, *save)
	}
	return code
}

// savePlan keeps the plan the review made of a stage in folder, with the
// stack it was planned from and its review, each headed by the line it
// returns: what the plan was made for, from which commit, when, and
// against which state.
func savePlan(folder string, cfg settings.StageConfig, stackDir string, plannedAt time.Time, text, markdown string, report *review.Report) (string, error) {
	planFile := filepath.Join(stackDir, "review.tfplan")
	state, err := savedplan.PlanState(planFile)
	if err != nil {
		return "", err
	}
	account, err := awsconfig.StageAccount(context.Background(), cfg)
	if err != nil {
		return "", err
	}
	m := savedplan.Manifest{Stage: cfg.Stage, Account: account, Region: cfg.Region, Commit: commit(), PlannedAt: plannedAt.UTC(), State: state}
	header := m.Describe()
	saved := savedplan.Review{
		Text: header + "\n\n" + text, Markdown: "> " + header + "\n\n" + markdown,
		ExitStatus: report.ExitCode(), Risks: len(report.Risks),
	}
	return header, savedplan.Save(folder, stackDir, planFile, m, saved)
}

// commit is the revision the stage was synthesized from, "-dirty" when
// the checkout has changes git tracks; "unknown" outside a git checkout.
func commit() string {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		if sha := os.Getenv("GITHUB_SHA"); sha != "" {
			return sha
		}
		return "unknown (not a git checkout)"
	}
	revision := strings.TrimSpace(string(head))
	if changes, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(changes)) > 0 {
		revision += "-dirty"
	}
	return revision
}

// within says whether path is folder or inside it.
func within(path, folder string) (bool, error) {
	absPath, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	absFolder, err := filepath.Abs(folder)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(absFolder, absPath)
	return err == nil && (rel == "." || !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && rel != ".."), nil
}

// matrixEntry is one stage of the pull-request review's matrix.
type matrixEntry struct {
	Stage  string `json:"stage"`
	Region string `json:"region"`
	// RoleVariable names the repository variable that holds the role the
	// stage's review assumes: AWS_REVIEW_ROLE_<STAGE>, in upper case with
	// underscores, as GitHub's variable names require.
	RoleVariable string `json:"role_variable"`
}

// printStagesMatrix lists every stage of cdktf.json, resolved and validated
// as a deploy would: the review workflow's matrix, never a list kept by hand.
func printStagesMatrix(stdout io.Writer) error {
	settings, err := settings.LoadCdktfJSON("cdktf.json", os.Getenv)
	if err != nil {
		return err
	}
	resolved, err := settings.Resolve(settings.StageNames())
	if err != nil {
		return err
	}
	entries := []matrixEntry{}
	for _, cfg := range resolved.Stages {
		entries = append(entries, matrixEntry{
			Stage:        cfg.Stage,
			Region:       cfg.Region,
			RoleVariable: "AWS_REVIEW_ROLE_" + strings.ToUpper(strings.ReplaceAll(cfg.Stage, "-", "_")),
		})
	}
	return json.NewEncoder(stdout).Encode(entries)
}

// planMode is how a review plans a stage.
type planMode struct {
	// refreshOnly plans only what changed outside Terraform (-refresh-only).
	refreshOnly bool
	// withoutGuard plans with preventDestroy off and without the state
	// lock, only to explain a refusal: such a plan is never applied.
	withoutGuard bool
}

// stagePlan is a review's plan of a stage.
type stagePlan struct {
	cfg  settings.StageConfig
	json []byte
	// refused says Terraform refused the plan (prevent_destroy): json is
	// then the plan made without the guard to explain the refusal, which
	// must never be applied.
	refused bool
}

// planExplained plans a stage with plan, synthesized in outdir. Terraform
// refuses a plan that destroys a resource under prevent_destroy without
// saying which change destroys what: then it plans the same stage again
// without the guard, read only, in a folder of its own, to name it.
// Nothing of that plan is ever applied.
func planExplained(outdir string, mode planMode, stderr io.Writer, plan func(outdir string, mode planMode) (settings.StageConfig, []byte, error)) (stagePlan, error) {
	cfg, data, err := plan(outdir, mode)
	if !errors.Is(err, errPreventDestroy) {
		return stagePlan{cfg: cfg, json: data}, err
	}
	fmt.Fprintln(stderr, "review: Terraform refused the plan (prevent_destroy); planning it again without the guard to show what it would destroy")
	mode.withoutGuard = true
	_, data, err = plan(filepath.Join(outdir, "review-without-prevent-destroy"), mode)
	return stagePlan{cfg: cfg, json: data, refused: true}, err
}

// errPreventDestroy says Terraform refused a plan that destroys a resource
// under lifecycle.prevent_destroy.
var errPreventDestroy = errors.New("the plan destroys a resource that has prevent_destroy")

// planStage synthesizes the stage in outdir, plans it in its synthesized
// folder (planFolder) and returns its settings and the saved plan as JSON.
// mode.withoutGuard synthesizes the stage with preventDestroy off, only to
// explain a refusal. The plan and its read share one run of the AWS
// provider (sharedPlugin), started while the stage is synthesized.
func planStage(stage, outdir string, mode planMode, verbose bool, stderr io.Writer) (settings.StageConfig, []byte, error) {
	var cfg settings.StageConfig
	resolved, err := settings.LoadStage(stage, "review plans one stage's database stack")
	if err != nil {
		return cfg, nil, err
	}
	cfg = resolved.Stages[0]
	subject := stage
	if mode.withoutGuard {
		resolved.Stages[0].PreventDestroy = false
		subject = stage + " without prevent_destroy"
	}
	dir := filepath.Join(outdir, "stacks", stage)
	var plugin sharedPlugin
	defer plugin.stop()
	plugin.startFor(dir)
	fmt.Fprintf(stderr, "review: synthesizing %s...\n", subject)
	if err := stacks.Synthesize(outdir, resolved, nil); err != nil {
		return cfg, nil, err
	}
	planJSON, err := planFolder(context.Background(), dir, mode, verbose, stderr, tfrun.Exec{}, func() tfrun.Runner {
		if reattach := plugin.reattach(dir, stderr); reattach != "" {
			return tfrun.Exec{Env: []string{reattach}}
		}
		return tfrun.Exec{}
	})
	return cfg, planJSON, err
}

// planFolder runs a review's terraform steps in the synthesized stage
// folder dir and returns the plan as JSON: init with tf, unless it has
// nothing to do (initDone); then the plan (with -refresh-only for drift,
// without the state lock when it explains a refusal) and its read (show
// -json) with the runner forPlan gives once init is done (terraform
// reattached to the shared plugin, which init may have replaced). It
// prints a line per step to stderr; terraform's own output (some 600
// lines for a first plan) goes to review.log in dir, emptied at each
// review, and to stderr in full only when terraform fails or with
// verbose, which streams it as it comes. A plan Terraform refuses for
// lifecycle.prevent_destroy is errPreventDestroy.
func planFolder(ctx context.Context, dir string, mode planMode, verbose bool, stderr io.Writer, tf tfrun.Runner, forPlan func() tfrun.Runner) ([]byte, error) {
	logPath := filepath.Join(dir, "review.log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	fmt.Fprintf(stderr, "review: terraform's output goes to %s\n", logPath)
	output := io.Writer(log)
	if verbose {
		output = io.MultiWriter(log, stderr)
	}
	terraform := func(step string, stdout io.Writer, args ...string) error {
		fmt.Fprintf(stderr, "review: %s...\n", step)
		fmt.Fprintf(log, "$ terraform %s\n", strings.Join(args, " "))
		if stdout == nil {
			stdout = output
		}
		// One writer for both streams (unless stdout is asked for): exec
		// then writes them in the order terraform does, one write at a
		// time.
		err := tf.Run(ctx, dir, stdout, output, args...)
		if err == nil {
			return nil
		}
		// The log holds what terraform said, this step's error included.
		whole, readErr := os.ReadFile(logPath)
		if bytes.Contains(whole, []byte("has lifecycle.prevent_destroy set")) {
			return errPreventDestroy
		}
		if !verbose && readErr == nil {
			fmt.Fprintf(stderr, "review: terraform's output (%s):\n%s", logPath, whole)
		}
		return fmt.Errorf("terraform %s in %s: %w", args[0], dir, err)
	}
	if initDone(dir) {
		fmt.Fprintln(stderr, "review: terraform init: nothing to do, the folder is initialized for this backend and these providers")
	} else {
		if err := terraform("terraform init", nil, "init", "-input=false", "-no-color"); err != nil {
			return nil, err
		}
		if err := recordInit(dir); err != nil {
			return nil, fmt.Errorf("recording terraform init in %s: %w", dir, err)
		}
	}
	tf = forPlan()
	plan := []string{"plan", "-input=false", "-no-color", "-out=review.tfplan"}
	if mode.refreshOnly {
		plan = append(plan, "-refresh-only")
	}
	if mode.withoutGuard {
		plan = append(plan, "-lock=false")
	}
	if err := terraform("planning", nil, plan...); err != nil {
		return nil, err
	}
	var planJSON bytes.Buffer
	if err := terraform("reading the plan", &planJSON, "show", "-json", "review.tfplan"); err != nil {
		return nil, err
	}
	if planJSON.Len() == 0 {
		return nil, errors.New("terraform show -json printed nothing")
	}
	return planJSON.Bytes(), nil
}
