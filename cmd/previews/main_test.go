package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

var testNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// fakeRDS serves its clusters two to a page, as RDS pages with Marker.
type fakeRDS struct {
	clusters []rdstypes.DBCluster
	calls    []*rds.DescribeDBClustersInput
}

func (f *fakeRDS) DescribeDBClusters(_ context.Context, in *rds.DescribeDBClustersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	f.calls = append(f.calls, in)
	if id := aws.ToString(in.DBClusterIdentifier); id != "" {
		for _, c := range f.clusters {
			if aws.ToString(c.DBClusterIdentifier) == id {
				return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{c}}, nil
			}
		}
		return nil, &rdstypes.DBClusterNotFoundFault{Message: aws.String("DBCluster " + id + " not found.")}
	}
	start := 0
	if in.Marker != nil {
		start = len(aws.ToString(in.Marker))
	}
	end := min(start+2, len(f.clusters))
	out := &rds.DescribeDBClustersOutput{DBClusters: f.clusters[start:end]}
	if end < len(f.clusters) {
		out.Marker = aws.String(strings.Repeat("x", end))
	}
	return out, nil
}

func cluster(service, stage string, age time.Duration) rdstypes.DBCluster {
	return rdstypes.DBCluster{
		DBClusterIdentifier: aws.String("main-" + service + "-" + stage + "-cluster"),
		ClusterCreateTime:   aws.Time(testNow.Add(-age)),
		TagList: []rdstypes.Tag{
			{Key: aws.String("service"), Value: aws.String(service)},
			{Key: aws.String("stage"), Value: aws.String(stage)},
			{Key: aws.String("managed-by"), Value: aws.String("cdktf")},
		},
	}
}

// testWorld is the movies service's previews, with the fake's clusters.
func testWorld(api *fakeRDS) (world, *[]string) {
	var deleted []string
	return world{
		now: func() time.Time { return testNow },
		loadStage: func(stage string) (settings.StageConfig, error) {
			return settings.StageConfig{Stage: stage, Region: "eu-west-1", Account: settings.AccountSettings{Service: "movies", StateBucket: "movies-state"}}, nil
		},
		rds: func(context.Context, settings.StageConfig) (rdsAPI, error) { return api, nil },
		deleteState: func(_ context.Context, cfg settings.StageConfig) (int, error) {
			deleted = append(deleted, cfg.Stage)
			return 3, nil
		},
	}, &deleted
}

func runCommand(t *testing.T, w world, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, w)
	return code, stdout.String(), stderr.String()
}

func TestListFindsPreviewsByTheirTags(t *testing.T) {
	api := &fakeRDS{clusters: []rdstypes.DBCluster{
		cluster("movies", "pr-10", 30*time.Hour),
		cluster("movies", "dev", 900*time.Hour),
		cluster("books", "pr-3", 200*time.Hour),
		cluster("movies", "pr-3", 2*time.Hour),
		cluster("movies", "pr-x", 2*time.Hour),
		cluster("movies", "drill-dev", 2*time.Hour),
		{DBClusterIdentifier: aws.String("untagged"), ClusterCreateTime: aws.Time(testNow)},
	}}
	w, _ := testWorld(api)
	code, stdout, stderr := runCommand(t, w, "list")
	want := "pr-3\tpull request #3\tcreated 2026-11-30T10:00:00Z\t2h old\n" +
		"pr-10\tpull request #10\tcreated 2026-11-29T06:00:00Z\t1d6h old\n"
	if code != 0 || stdout != want || stderr != "" {
		t.Errorf("list: exit %d, stderr %q\n got %q\nwant %q", code, stderr, stdout, want)
	}
	if len(api.calls) != 4 {
		t.Errorf("list made %d DescribeDBClusters calls over 7 clusters two to a page, want 4 (every page)", len(api.calls))
	}
}

func TestListOlderThan(t *testing.T) {
	api := &fakeRDS{clusters: []rdstypes.DBCluster{
		cluster("movies", "pr-1", 7*24*time.Hour+time.Minute),
		cluster("movies", "pr-2", 7*24*time.Hour-time.Minute),
		cluster("movies", "pr-3", 40*time.Hour),
	}}
	w, _ := testWorld(api)
	for _, tc := range []struct {
		olderThan string
		want      []string
	}{
		{"7d", []string{"pr-1"}},
		{"168h", []string{"pr-1"}},
		{"36h", []string{"pr-1", "pr-2", "pr-3"}},
		{"0s", []string{"pr-1", "pr-2", "pr-3"}},
		{"8d", nil},
	} {
		code, stdout, stderr := runCommand(t, w, "list", "--older-than", tc.olderThan, "--format", "json")
		var got []preview
		if err := json.Unmarshal([]byte(stdout), &got); code != 0 || err != nil {
			t.Fatalf("list --older-than %s: exit %d, %v\n%s%s", tc.olderThan, code, err, stdout, stderr)
		}
		var stages []string
		for _, p := range got {
			stages = append(stages, p.Stage)
		}
		if strings.Join(stages, " ") != strings.Join(tc.want, " ") {
			t.Errorf("list --older-than %s: %q, want %q", tc.olderThan, stages, tc.want)
		}
	}
}

// The workflow loops over this with jq: its keys and types are a promise.
func TestListJSONShape(t *testing.T) {
	w, _ := testWorld(&fakeRDS{clusters: []rdstypes.DBCluster{cluster("movies", "pr-42", 50*time.Hour)}})
	_, stdout, _ := runCommand(t, w, "list", "--format", "json")
	want := `[{"stage":"pr-42","pull_request":42,"created":"2026-11-28T10:00:00Z","age_hours":50}]` + "\n"
	if stdout != want {
		t.Errorf("list --format json\n got %s\nwant %s", stdout, want)
	}
	w, _ = testWorld(&fakeRDS{})
	if _, stdout, _ := runCommand(t, w, "list", "--format", "json"); stdout != "[]\n" {
		t.Errorf("list --format json without previews: %q, want an empty list", stdout)
	}
}

func TestShow(t *testing.T) {
	w, _ := testWorld(&fakeRDS{})
	code, stdout, _ := runCommand(t, w, "show", "--stage", "pr-42")
	want := `{"stage":"pr-42","pull_request":42,"service":"movies","region":"eu-west-1","parameters":{` +
		`"credentials_arn":"movies-pr-42-credentials-arn","reader_endpoint":"movies-pr-42-reader-endpoint",` +
		`"resource_arn":"movies-pr-42-resource-arn","security_group_id":"movies-pr-42-security-group-id"}}` + "\n"
	if code != 0 || stdout != want {
		t.Errorf("show: exit %d\n got %s\nwant %s", code, stdout, want)
	}
}

func TestDeleteState(t *testing.T) {
	api := &fakeRDS{clusters: []rdstypes.DBCluster{cluster("movies", "pr-1", time.Hour)}}
	w, deleted := testWorld(api)

	code, stdout, stderr := runCommand(t, w, "delete-state", "--stage", "pr-10")
	if code != 0 || stdout != "pr-10: deleted 3 object versions of s3://movies-state/movies/pr-10/terraform.tfstate and its lock\n" || stderr != "" {
		t.Errorf("delete-state pr-10: exit %d\n%s%s", code, stdout, stderr)
	}
	// pr-1's cluster is still there: its state is what destroys it.
	code, _, stderr = runCommand(t, w, "delete-state", "--stage", "pr-1")
	if code != 1 || !strings.Contains(stderr, "cluster main-movies-pr-1-cluster still exists; destroy the stage first") {
		t.Errorf("delete-state of a preview whose cluster exists: exit %d, %q", code, stderr)
	}
	if strings.Join(*deleted, " ") != "pr-10" {
		t.Errorf("deleted the state of %q, want only pr-10's", *deleted)
	}

	w.rds = func(context.Context, settings.StageConfig) (rdsAPI, error) { return nil, errors.New("no credentials") }
	if code, _, stderr := runCommand(t, w, "delete-state", "--stage", "pr-2"); code != 1 || stderr != "previews: no credentials\n" {
		t.Errorf("delete-state without RDS: exit %d, %q", code, stderr)
	}
}

func TestUsage(t *testing.T) {
	w, deleted := testWorld(&fakeRDS{})
	var usage strings.Builder
	printUsage(&usage)
	for _, args := range [][]string{{"-h"}, {"--help"}, {"list", "-h"}, {"delete-state", "--help"}} {
		code, stdout, stderr := runCommand(t, w, args...)
		if code != 0 || stdout != about+"\n"+usage.String() || stderr != "" || !strings.Contains(stdout, "-older-than string") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want what it does and the usage on stdout, exit 0", args, code, stdout, stderr)
		}
	}
	for _, args := range [][]string{
		nil,
		{"destroy"},
		{"list", "--older-than", "a week"},
		{"list", "--older-than", "-1d"},
		{"list", "--format", "yaml"},
		{"list", "extra"},
		{"list", "--stage", "pr-1"},
		{"delete-state"},
		{"delete-state", "--stage", "dev"},
		{"delete-state", "--stage", "pr-01"},
		{"show", "--stage", "drill-dev"},
	} {
		code, stdout, stderr := runCommand(t, w, args...)
		if code != 2 || stdout != "" || !strings.HasSuffix(stderr, "\n"+usage.String()) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2, the problem and the usage on stderr", args, code, stdout, stderr)
		}
	}
	if len(*deleted) > 0 {
		t.Errorf("a usage error deleted state: %q", *deleted)
	}
}
