// Command previews finds and cleans up the pull requests' preview stages
// (pr-<number>, built from cdktf.json's context.previews), for
// .github/workflows/preview.yml and for a person cleaning up by hand.
//
//	go run ./cmd/previews list [--older-than 7d] [--format lines|json]   the deployed previews, found by their clusters' tags
//	go run ./cmd/previews show --stage pr-42                            a preview's region and SSM parameter names, as JSON
//	go run ./cmd/previews delete-state --stage pr-42                    delete a destroyed preview's state from the state bucket
//
// Exit status: 0 success (or the help, -h), 1 an error, 2 a usage error,
// said with the usage.
//
// A preview is found by the tags the provider puts on every resource of a
// stage (settings/tags.go's DefaultTags): stage = pr-<number> and service
// = the configured service, on its RDS cluster, whose creation time is the
// preview's age. The cluster is the one resource every stage has and the
// one that costs; a preview whose cluster is gone but whose other
// resources remain is not listed (destroy it by name).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"aurora-stages/internal/awsconfig"
	"aurora-stages/internal/cli"
	"aurora-stages/internal/stagestate"
	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, awsWorld()))
}

// about is the first line of the help: what the command does.
const about = "previews lists the pull requests' preview stages (pr-<number>, found by their clusters' tags), shows one's region and SSM parameters, and deletes a destroyed one's Terraform state."

// command is the command line previews takes: a subcommand and its flags.
var command = cli.Subcommands{
	Command: cli.Command{Name: "previews", About: about},
	List: []cli.Subcommand{
		{Name: "list", Line: "list [--older-than <age>] [--format lines|json]", Flags: func() *flag.FlagSet { flags, _, _ := newListFlags(); return flags }},
		{Name: "show", Line: "show --stage pr-<n>", Flags: func() *flag.FlagSet { flags, _ := newStageFlags("show"); return flags }},
		{Name: "delete-state", Line: "delete-state --stage pr-<n>", Flags: func() *flag.FlagSet { flags, _ := newStageFlags("delete-state"); return flags }},
	},
}

// printUsage writes the command lines the command takes, each with its
// flags; the help and every usage error print them.
func printUsage(w io.Writer) { command.PrintUsage(w) }

// rdsAPI is the part of the RDS client the command uses.
type rdsAPI interface {
	DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
}

// world is what the command reaches outside itself; the tests give it
// fakes.
type world struct {
	now func() time.Time
	// loadStage resolves a preview stage from cdktf.json and the
	// environment.
	loadStage func(stage string) (settings.StageConfig, error)
	// rds is an RDS client of the stage's region and role.
	rds func(ctx context.Context, cfg settings.StageConfig) (rdsAPI, error)
	// deleteState deletes the stage's state and lock objects.
	deleteState func(ctx context.Context, cfg settings.StageConfig) (int, error)
}

func awsWorld() world {
	return world{
		now: time.Now,
		loadStage: func(stage string) (settings.StageConfig, error) {
			resolved, err := settings.LoadStage(stage, "a preview is a stage, pr-<number>")
			if err != nil {
				return settings.StageConfig{}, err
			}
			return resolved.Stages[0], nil
		},
		rds: func(ctx context.Context, cfg settings.StageConfig) (rdsAPI, error) {
			awsCfg, err := awsconfig.Stage(ctx, cfg)
			if err != nil {
				return nil, err
			}
			return rds.NewFromConfig(awsCfg), nil
		},
		deleteState: stagestate.DeleteStage,
	}
}

// errStop says the command line was answered (a help, a usage error)
// with stop's exit status.
type errStop struct{ code int }

func (e errStop) Error() string { return fmt.Sprintf("stopped with exit status %d", e.code) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer, w world) int {
	sub, code, done := command.Select(args, stdout, stderr)
	if done {
		return code
	}
	var err error
	switch sub {
	case "list":
		err = list(ctx, args[1:], stdout, stderr, w)
	case "show":
		err = show(args[1:], stdout, stderr, w)
	case "delete-state":
		err = deleteState(ctx, args[1:], stdout, stderr, w)
	}
	var stop errStop
	switch {
	case errors.As(err, &stop):
		return stop.code
	case err != nil:
		fmt.Fprintln(stderr, "previews:", err)
		return 1
	}
	return 0
}

// parse parses a subcommand's flags with check: a help or a usage error
// has been answered when it returns errStop.
func parse(sub string, flags *flag.FlagSet, args []string, stdout, stderr io.Writer, check func() error) error {
	if code, done := command.Parse(sub, flags, args, stdout, stderr, check); done {
		return errStop{code}
	}
	return nil
}

// newStageFlags is the flag set of show and delete-state.
func newStageFlags(name string) (flags *flag.FlagSet, stage *string) {
	flags = flag.NewFlagSet(name, flag.ContinueOnError)
	return flags, flags.String("stage", "", "the preview stage, pr-<number> (required)")
}

// stageFlag parses the --stage of show and delete-state: a preview's name.
func stageFlag(name string, args []string, stdout, stderr io.Writer) (string, error) {
	flags, stage := newStageFlags(name)
	err := parse(name, flags, args, stdout, stderr, func() error {
		if !settings.IsPreview(*stage) {
			return fmt.Errorf("--stage %q: name a preview stage, pr-<number> (e.g. pr-42)", *stage)
		}
		return nil
	})
	return *stage, err
}

// preview is a deployed preview stage, as list prints it.
type preview struct {
	Stage       string    `json:"stage"`
	PullRequest int       `json:"pull_request"`
	Created     time.Time `json:"created"`
	// AgeHours is whole hours since the cluster was created.
	AgeHours int `json:"age_hours"`
}

// newListFlags is the flag set of list.
func newListFlags() (flags *flag.FlagSet, olderThan, format *string) {
	flags = flag.NewFlagSet("list", flag.ContinueOnError)
	olderThan = flags.String("older-than", "0s", "list only previews created longer ago than this: a Go duration (36h) or days (7d)")
	format = flags.String("format", "lines", "lines (stage, pull request, created, age) or json")
	return flags, olderThan, format
}

func list(ctx context.Context, args []string, stdout, stderr io.Writer, w world) error {
	flags, olderThan, format := newListFlags()
	var minAge time.Duration
	err := parse("list", flags, args, stdout, stderr, func() error {
		var err error
		if minAge, err = parseAge(*olderThan); err != nil {
			return fmt.Errorf("--older-than %q: %v", *olderThan, err)
		}
		if *format != "lines" && *format != "json" {
			return fmt.Errorf("--format %q: must be lines or json", *format)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Every preview is built from the same entry, context.previews, so any
	// preview's settings say where all of them are: the region, the role,
	// the service.
	template, err := w.loadStage(settings.PreviewPrefix + "1")
	if err != nil {
		return err
	}
	api, err := w.rds(ctx, template)
	if err != nil {
		return err
	}
	previews, err := findPreviews(ctx, api, template.Account.Service, w.now(), minAge)
	if err != nil {
		return err
	}
	if *format == "json" {
		return json.NewEncoder(stdout).Encode(previews)
	}
	for _, p := range previews {
		fmt.Fprintf(stdout, "%s\tpull request #%d\tcreated %s\t%s old\n", p.Stage, p.PullRequest, p.Created.Format(time.RFC3339), formatAge(p.AgeHours))
	}
	return nil
}

// findPreviews lists the clusters tagged as a preview of the service,
// created at least minAge before now, by pull request number.
func findPreviews(ctx context.Context, api rdsAPI, service string, now time.Time, minAge time.Duration) ([]preview, error) {
	previews := []preview{}
	input := &rds.DescribeDBClustersInput{}
	for {
		page, err := api.DescribeDBClusters(ctx, input)
		if err != nil {
			return nil, fmt.Errorf("listing the RDS clusters: %w", err)
		}
		for _, cluster := range page.DBClusters {
			tags := tagMap(cluster.TagList)
			if tags["service"] != service || !settings.IsPreview(tags["stage"]) || cluster.ClusterCreateTime == nil {
				continue
			}
			created := cluster.ClusterCreateTime.UTC()
			age := now.Sub(created)
			if age < minAge {
				continue
			}
			number, _ := strconv.Atoi(strings.TrimPrefix(tags["stage"], settings.PreviewPrefix))
			previews = append(previews, preview{Stage: tags["stage"], PullRequest: number, Created: created, AgeHours: int(age.Hours())})
		}
		if aws.ToString(page.Marker) == "" {
			break
		}
		input.Marker = page.Marker
	}
	slices.SortFunc(previews, func(a, b preview) int { return a.PullRequest - b.PullRequest })
	return previews, nil
}

func tagMap(tags []rdstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, tag := range tags {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}

// parseAge reads a Go duration (36h, 0s) or a number of days (7d), which
// Go's durations lack.
func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, errors.New("must be a whole number of days (7d) or a duration (36h)")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("must be a duration (36h) or a whole number of days (7d)")
	}
	return d, nil
}

// formatAge says an age in days and hours: 8d3h.
func formatAge(hours int) string {
	if hours < 24 {
		return fmt.Sprintf("%dh", hours)
	}
	return fmt.Sprintf("%dd%dh", hours/24, hours%24)
}

// shown is what show prints about a preview: where it is and what its
// consumers read.
type shown struct {
	Stage       string `json:"stage"`
	PullRequest int    `json:"pull_request"`
	Service     string `json:"service"`
	Region      string `json:"region"`
	// Parameters are the SSM parameters the stage publishes, by what they
	// hold.
	Parameters map[string]string `json:"parameters"`
}

func show(args []string, stdout, stderr io.Writer, w world) error {
	stage, err := stageFlag("show", args, stdout, stderr)
	if err != nil {
		return err
	}
	cfg, err := w.loadStage(stage)
	if err != nil {
		return err
	}
	number, _ := strconv.Atoi(strings.TrimPrefix(stage, settings.PreviewPrefix))
	return json.NewEncoder(stdout).Encode(shown{
		Stage:       stage,
		PullRequest: number,
		Service:     cfg.Account.Service,
		Region:      cfg.Region,
		Parameters: map[string]string{
			"credentials_arn":   cfg.CredentialsArnParameter(),
			"resource_arn":      cfg.ResourceArnParameter(),
			"reader_endpoint":   cfg.ReaderEndpointParameter(),
			"security_group_id": cfg.SecurityGroupParameter(),
		},
	})
}

// deleteState deletes a preview's state, after checking that its cluster
// is gone: the state of a stage that still exists is what destroys it.
func deleteState(ctx context.Context, args []string, stdout, stderr io.Writer, w world) error {
	stage, err := stageFlag("delete-state", args, stdout, stderr)
	if err != nil {
		return err
	}
	cfg, err := w.loadStage(stage)
	if err != nil {
		return err
	}
	api, err := w.rds(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = api.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(cfg.ClusterIdentifier())})
	var notFound *rdstypes.DBClusterNotFoundFault
	switch {
	case err == nil:
		return fmt.Errorf("stage %s: cluster %s still exists; destroy the stage first (DB_STAGES=%s npx cdktf destroy %s --auto-approve): its state is what destroys it", stage, cfg.ClusterIdentifier(), stage, stage)
	case !errors.As(err, &notFound):
		return fmt.Errorf("stage %s: checking that cluster %s is gone: %w", stage, cfg.ClusterIdentifier(), err)
	}
	deleted, err := w.deleteState(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: deleted %d object versions of s3://%s/%s and its lock\n", stage, deleted, cfg.Account.StateBucket, cfg.StateKey())
	return nil
}
