package stacks

import (
	"fmt"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// Synthesize writes <outdir>/stacks/<stage>/cdk.tf.json for each stage; an
// empty outdir means cdktf's default (cdktf.out, or what the cdktf CLI sets).
// jsii reports errors from its Node.js side as panics; they come back as an
// error here, so a user reads one message instead of a stack trace.
func Synthesize(outdir string, configs []StageConfig) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis failed: %v", r)
		}
	}()
	appConfig := &cdktf.AppConfig{}
	if outdir != "" {
		appConfig.Outdir = jsii.String(outdir)
	}
	app := cdktf.NewApp(appConfig)
	for _, cfg := range configs {
		NewDatabaseStack(app, cfg)
	}
	app.Synth()
	return nil
}
