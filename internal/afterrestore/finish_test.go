package afterrestore

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

const clusterID = "main-movies-pr-7-cluster"

// fakeRDS is a restored cluster: each switch reads off until it was asked
// for, and then lag more reads (RDS applies it while the cluster is
// "modifying").
type fakeRDS struct {
	dataAPI, iamAuth bool
	lag              int
	calls            []string
	err              error
}

func (f *fakeRDS) DescribeDBClusters(_ context.Context, in *rds.DescribeDBClustersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	status := "available"
	if f.lag > 0 {
		f.lag--
		status = "modifying"
	}
	settled := status == "available"
	return &rds.DescribeDBClustersOutput{DBClusters: []types.DBCluster{{
		DBClusterIdentifier:              in.DBClusterIdentifier,
		DBClusterArn:                     aws.String("arn:aws:rds:us-east-1:123456789012:cluster:" + aws.ToString(in.DBClusterIdentifier)),
		HttpEndpointEnabled:              aws.Bool(f.dataAPI && settled),
		IAMDatabaseAuthenticationEnabled: aws.Bool(f.iamAuth && settled),
		Status:                           aws.String(status),
	}}}, nil
}

func (f *fakeRDS) EnableHttpEndpoint(_ context.Context, in *rds.EnableHttpEndpointInput, _ ...func(*rds.Options)) (*rds.EnableHttpEndpointOutput, error) {
	f.calls = append(f.calls, "EnableHttpEndpoint "+aws.ToString(in.ResourceArn))
	if f.err != nil {
		return nil, f.err
	}
	f.dataAPI, f.lag = true, 2
	return &rds.EnableHttpEndpointOutput{}, nil
}

func (f *fakeRDS) ModifyDBCluster(_ context.Context, in *rds.ModifyDBClusterInput, _ ...func(*rds.Options)) (*rds.ModifyDBClusterOutput, error) {
	f.calls = append(f.calls, "ModifyDBCluster "+aws.ToString(in.DBClusterIdentifier))
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToBool(in.EnableIAMDatabaseAuthentication) && aws.ToBool(in.ApplyImmediately) {
		f.iamAuth, f.lag = true, 1
	}
	return &rds.ModifyDBClusterOutput{}, nil
}

func finish(t *testing.T, api *fakeRDS, c Cluster) (string, time.Duration, error) {
	t.Helper()
	var out strings.Builder
	var slept time.Duration
	err := Finish(context.Background(), api, c, &out, func(d time.Duration) { slept += d })
	return out.String(), slept, err
}

func TestFinishLeavesWhatIsOnAlone(t *testing.T) {
	api := &fakeRDS{dataAPI: true, iamAuth: true}
	out, slept, err := finish(t, api, Cluster{ID: clusterID, IAMAuthentication: true})
	if err != nil || len(api.calls) != 0 || slept != 0 {
		t.Errorf("calls %v, slept %s, error %v: want none", api.calls, slept, err)
	}
	if want := clusterID + ": IAM database authentication is on\n" + clusterID + ": the Data API is on\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

// A restore from a snapshot: both off; each asked for and waited for, in
// turn.
func TestFinishTurnsEachOnAndWaitsUntilRDSSaysSo(t *testing.T) {
	api := &fakeRDS{}
	out, slept, err := finish(t, api, Cluster{ID: clusterID, IAMAuthentication: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ModifyDBCluster " + clusterID, "EnableHttpEndpoint arn:aws:rds:us-east-1:123456789012:cluster:" + clusterID}
	if strings.Join(api.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls %v, want %v", api.calls, want)
	}
	if slept != 3*Poll || out != clusterID+": IAM database authentication turned on\n"+clusterID+": the Data API turned on\n" {
		t.Errorf("slept %s, output %q", slept, out)
	}
}

// A stage without IAM authentication gets none.
func TestFinishTurnsOnOnlyWhatTheStageWants(t *testing.T) {
	api := &fakeRDS{}
	if _, _, err := finish(t, api, Cluster{ID: clusterID}); err != nil {
		t.Fatal(err)
	}
	if len(api.calls) != 1 || !strings.HasPrefix(api.calls[0], "EnableHttpEndpoint") {
		t.Errorf("calls %v, want EnableHttpEndpoint alone", api.calls)
	}
}

func TestFinishGivesUpAfterTheTimeout(t *testing.T) {
	err := finishWith(t, &stuck{&fakeRDS{}}, Cluster{ID: clusterID})
	if err == nil || !strings.Contains(err.Error(), "does not report it on") {
		t.Errorf("error %v, want a timeout", err)
	}
}

// stuck never reports the Data API on.
type stuck struct{ *fakeRDS }

func (s *stuck) EnableHttpEndpoint(ctx context.Context, in *rds.EnableHttpEndpointInput, o ...func(*rds.Options)) (*rds.EnableHttpEndpointOutput, error) {
	s.calls = append(s.calls, "EnableHttpEndpoint")
	return &rds.EnableHttpEndpointOutput{}, nil
}

func finishWith(t *testing.T, api API, c Cluster) error {
	return Finish(context.Background(), api, c, &strings.Builder{}, func(time.Duration) {})
}

func TestFinishNamesTheClusterWhenRDSRefuses(t *testing.T) {
	api := &fakeRDS{err: errors.New("AccessDenied")}
	err := finishWith(t, api, Cluster{ID: clusterID})
	if err == nil || !strings.Contains(err.Error(), "the Data API on for "+clusterID) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("error %v, want the switch, the cluster and RDS's reason", err)
	}
}

// On the emulator each call is sent once and its answer (moto's "not
// implemented") is reported, not waited for.
func TestFinishOnTheEmulatorSendsEachCallOnce(t *testing.T) {
	api := &fakeRDS{err: errors.New("500 not implemented")}
	out, slept, err := finish(t, api, Cluster{ID: clusterID, IAMAuthentication: true, Emulator: true})
	if err != nil || len(api.calls) != 2 || slept != 0 {
		t.Errorf("calls %v, slept %s, error %v: want both calls sent once, no wait", api.calls, slept, err)
	}
	if !strings.Contains(out, "the Data API asked for; the emulator cannot show it on (error: 500 not implemented)") {
		t.Errorf("output %q", out)
	}
}
