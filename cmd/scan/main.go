// Command scan synthesizes bootstrap and every stage and holds them to the
// security baseline: Checkov's verdict after the skips and relaxations of
// security/checkov-skips.json.
//
//	go run ./cmd/scan [--outdir DIR] [--checkov PATH] [--policy FILE]
//
// Exit status: 0 the baseline holds (or the help, -h), 1 a check failed or
// the scan could not run, 2 a command line it does not take, said with the
// usage.
package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"aurora-stages/internal/cli"
	"aurora-stages/internal/jsiiruntime"
	"aurora-stages/security"
	"aurora-stages/settings"
	"aurora-stages/stacks"
)

func main() {
	jsiiruntime.Setup()
	jsiiruntime.Exit("scan", run(os.Args[1:], os.Stdout, os.Stderr))
}

// about is the first line of the help: what the command does.
const about = "scan synthesizes bootstrap and every stage and runs Checkov on them, holding them to the security baseline of security/checkov-skips.json."

// synopsis is the command line it takes; the help and every usage error
// print it, then the flags.
const synopsis = "usage: go run ./cmd/scan [--outdir <dir>] [--checkov <executable>] [--policy <file>]"

var command = cli.Command{Name: "scan", About: about, Synopsis: synopsis}

func run(args []string, stdout, stderr io.Writer) int {
	flags := command.Flags()
	outdir := flags.String("outdir", "cdktf.out", "where to synthesize the stacks that are scanned")
	checkov := flags.String("checkov", security.CheckovExecutable, "the Checkov `executable` (make scan installs it there)")
	policyFile := flags.String("policy", security.PolicyFile, "the skips and relaxations `file`")
	if code, done := command.Parse(flags, args, stdout, stderr, cli.NoArguments(flags)); done {
		return code
	}
	report, err := scan(*outdir, *checkov, *policyFile)
	if err != nil {
		fmt.Fprintln(stderr, "scan:", err)
		return 1
	}
	report.WriteText(stdout)
	if !report.OK() {
		return 1
	}
	return 0
}

func scan(outdir, checkov, policyFile string) (*security.Report, error) {
	if _, err := exec.LookPath(checkov); err != nil {
		return nil, fmt.Errorf("no Checkov at %s (%v): `make scan` installs it, or run `sh scripts/python-tool.sh install checkov`", checkov, err)
	}
	policy, err := security.LoadPolicy(policyFile)
	if err != nil {
		return nil, err
	}
	settings, err := settings.LoadCdktfJSON("cdktf.json", os.Getenv)
	if err != nil {
		return nil, err
	}
	resolved, err := settings.Resolve(nil)
	if err != nil {
		return nil, err
	}
	if err := stacks.Synthesize(outdir, resolved, nil); err != nil {
		return nil, err
	}
	result, err := security.RunCheckov([]string{checkov}, filepath.Join(outdir, "stacks"))
	if err != nil {
		return nil, err
	}
	return security.Evaluate(result, security.Profiles(resolved), policy), nil
}
