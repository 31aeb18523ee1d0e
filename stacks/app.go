package stacks

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"aurora-stages/internal/jsiiruntime"
	"aurora-stages/settings"

	"github.com/aws/jsii-runtime-go"
	awsjsii "github.com/cdktf/cdktf-provider-aws-go/aws/v19/jsii"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
	cdktfjsii "github.com/hashicorp/terraform-cdk-go/cdktf/jsii"
)

// Synthesize writes <outdir>/stacks/<id>/cdk.tf.json for each stack; an
// empty outdir means cdktf's default (cdktf.out, or what the cdktf CLI sets).
// written, if not nil, is told each stack's ID and the file written for it.
// jsii reports errors from its Node.js side as panics; they come back as an
// error here, so a user reads one message instead of a stack trace.
func Synthesize(outdir string, stacks *settings.Stacks, written func(stack, path string)) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis failed: %v", r)
		}
	}()
	phase := phaseTimer(os.Getenv("AURORA_STAGES_TIMINGS") != "")
	// cdktf's App creates only the last folder of its output folder: a
	// nested --output (build/cdktf.out) whose parent does not exist would
	// fail with ENOENT.
	if err := os.MkdirAll(outputFolder(outdir), 0o755); err != nil {
		return fmt.Errorf("creating the output folder: %w", err)
	}
	jsiiruntime.Starting()
	// Loading the libraries explicitly (jsii would on first use) only lets
	// the timings tell the phases apart.
	cdktfjsii.Initialize()
	phase("start-up: Node.js runtime, cdktf and constructs loaded")
	awsjsii.Initialize()
	phase("provider load: the AWS provider's assembly and modules")
	appConfig := &cdktf.AppConfig{}
	if outdir != "" {
		appConfig.Outdir = jsii.String(outdir)
	}
	app := cdktf.NewApp(appConfig)
	var ids []string
	if stacks.Bootstrap != nil {
		NewBootstrapStack(app, *stacks.Bootstrap)
		ids = append(ids, settings.BootstrapStack)
	}
	for _, cfg := range stacks.Stages {
		NewDatabaseStack(app, cfg)
		ids = append(ids, cfg.Stage)
	}
	phase(fmt.Sprintf("stack construction: %d stacks", len(ids)))
	app.Synth()
	phase("writing: cdk.tf.json and manifest")
	for _, id := range ids {
		if written != nil {
			written(id, filepath.Join(*app.Outdir(), "stacks", id, "cdk.tf.json"))
		}
	}
	return nil
}

// outputFolder is where the App writes: outdir, else the folder the cdktf
// CLI names (CDKTF_OUTDIR, from --output or cdktf.json's output), else
// cdktf's default.
func outputFolder(outdir string) string {
	if outdir != "" {
		return outdir
	}
	if dir := os.Getenv("CDKTF_OUTDIR"); dir != "" {
		return dir
	}
	return "cdktf.out"
}

// processStart approximates when the process started: package
// initialization runs first thing.
var processStart = time.Now()

// phaseTimer returns a function that, when on, prints the time since the
// previous phase (the first since the process started) on stderr.
func phaseTimer(on bool) func(name string) {
	last := processStart
	return func(name string) {
		if !on {
			return
		}
		now := time.Now()
		fmt.Fprintf(os.Stderr, "timing: %6.3f s  %s\n", now.Sub(last).Seconds(), name)
		last = now
	}
}
