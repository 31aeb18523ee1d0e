package dataapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// fakeRDS reports the Data API off until EnableHttpEndpoint was called and
// then offAfterEnable more reads.
type fakeRDS struct {
	on             bool
	offAfterEnable int
	enabled        []string
	enableErr      error
}

func (f *fakeRDS) DescribeDBClusters(_ context.Context, in *rds.DescribeDBClustersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	on := f.on
	if len(f.enabled) > 0 {
		on = f.offAfterEnable == 0
		f.offAfterEnable = max(0, f.offAfterEnable-1)
	}
	return &rds.DescribeDBClustersOutput{DBClusters: []types.DBCluster{{
		DBClusterIdentifier: in.DBClusterIdentifier,
		DBClusterArn:        aws.String("arn:aws:rds:us-east-1:123456789012:cluster:" + aws.ToString(in.DBClusterIdentifier)),
		HttpEndpointEnabled: aws.Bool(on),
	}}}, nil
}

func (f *fakeRDS) EnableHttpEndpoint(_ context.Context, in *rds.EnableHttpEndpointInput, _ ...func(*rds.Options)) (*rds.EnableHttpEndpointOutput, error) {
	if f.enableErr != nil {
		return nil, f.enableErr
	}
	f.enabled = append(f.enabled, aws.ToString(in.ResourceArn))
	return &rds.EnableHttpEndpointOutput{}, nil
}

func TestEnableLeavesAnEnabledClusterAlone(t *testing.T) {
	api := &fakeRDS{on: true}
	var out strings.Builder
	if err := Enable(context.Background(), api, "main-movies-pr-7-cluster", &out, func(time.Duration) { t.Fatal("slept") }); err != nil {
		t.Fatal(err)
	}
	if len(api.enabled) != 0 || !strings.Contains(out.String(), "on already") {
		t.Errorf("EnableHttpEndpoint calls %v, output %q: want none, and that it was on", api.enabled, out.String())
	}
}

func TestEnableTurnsItOnAndWaitsUntilRDSSaysSo(t *testing.T) {
	api := &fakeRDS{offAfterEnable: 2}
	var out strings.Builder
	var slept time.Duration
	if err := Enable(context.Background(), api, "main-movies-pr-7-cluster", &out, func(d time.Duration) { slept += d }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"arn:aws:rds:us-east-1:123456789012:cluster:main-movies-pr-7-cluster"}; len(api.enabled) != 1 || api.enabled[0] != want[0] {
		t.Errorf("EnableHttpEndpoint calls %v, want %v", api.enabled, want)
	}
	if slept != 2*Poll || !strings.Contains(out.String(), "main-movies-pr-7-cluster is on") {
		t.Errorf("slept %s, output %q: want two polls, then on", slept, out.String())
	}
}

func TestEnableGivesUpAfterTheTimeout(t *testing.T) {
	api := &fakeRDS{offAfterEnable: 1 << 30}
	err := Enable(context.Background(), api, "main-movies-pr-7-cluster", &strings.Builder{}, func(time.Duration) {})
	if err == nil || !strings.Contains(err.Error(), "still reports it off") {
		t.Errorf("error %v, want a timeout", err)
	}
}

func TestEnableNamesTheClusterWhenRDSRefuses(t *testing.T) {
	api := &fakeRDS{enableErr: errors.New("AccessDenied")}
	err := Enable(context.Background(), api, "main-movies-pr-7-cluster", &strings.Builder{}, func(time.Duration) {})
	if err == nil || !strings.Contains(err.Error(), "main-movies-pr-7-cluster") || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("error %v, want the cluster and RDS's reason", err)
	}
}
