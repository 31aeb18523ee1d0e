// Package afterrestore finishes a restored cluster: it turns on what RDS's
// restore calls, and the AWS provider's create after them, leave off.
//
// RDS takes no Data API switch in a restore (RestoreDBClusterToPointInTime,
// RestoreDBClusterFromSnapshot), and the provider calls EnableHttpEndpoint
// only when enable_http_endpoint changes on an existing cluster. Nor does
// the provider send iam_database_authentication_enabled with a restore from
// a snapshot (it does with a point-in-time restore). A restored cluster
// would come up without them, and the next deploy would switch them on. A
// stage with restoreFrom therefore runs Finish once, from a creation-time
// provisioner on its cluster (stacks/restore.go), so both are on when the
// deploy that restored it ends and a plan after it is clean.
package afterrestore

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// API is the part of the RDS client Finish uses.
type API interface {
	DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
	EnableHttpEndpoint(context.Context, *rds.EnableHttpEndpointInput, ...func(*rds.Options)) (*rds.EnableHttpEndpointOutput, error)
	ModifyDBCluster(context.Context, *rds.ModifyDBClusterInput, ...func(*rds.Options)) (*rds.ModifyDBClusterOutput, error)
}

// Poll is how often Finish reads the cluster back, and Timeout how long it
// waits for RDS to report a switch on.
const (
	Poll    = 10 * time.Second
	Timeout = 15 * time.Minute
)

// Cluster is the restored cluster and what it should have on.
type Cluster struct {
	ID string
	// IAMAuthentication is the stage's iamDatabaseAuthentication.
	IAMAuthentication bool
	// Emulator is true on an emulator that implements no EnableHttpEndpoint
	// and reflects no change of IAM authentication (moto 5.2.5; see
	// stacks.EmulatorLacksRestoreSwitches): the calls are sent once each,
	// for a test to read from the recorded requests, and not waited for.
	Emulator bool
}

// Finish turns on, in turn, IAM database authentication (when the stage
// wants it) and the Data API, each unless RDS reports it on already, and
// waits until RDS reports it on. It says what it did on out.
func Finish(ctx context.Context, api API, c Cluster, out io.Writer, sleep func(time.Duration)) error {
	cluster, err := describe(ctx, api, c.ID)
	if err != nil {
		return err
	}
	switches := []struct {
		name   string
		wanted bool
		on     func(types.DBCluster) bool
		send   func() error
	}{
		{"IAM database authentication", c.IAMAuthentication, func(d types.DBCluster) bool { return aws.ToBool(d.IAMDatabaseAuthenticationEnabled) }, func() error {
			_, err := api.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{
				DBClusterIdentifier: aws.String(c.ID), EnableIAMDatabaseAuthentication: aws.Bool(true), ApplyImmediately: aws.Bool(true),
			}, c.retries)
			return err
		}},
		{"the Data API", true, func(d types.DBCluster) bool { return aws.ToBool(d.HttpEndpointEnabled) }, func() error {
			_, err := api.EnableHttpEndpoint(ctx, &rds.EnableHttpEndpointInput{ResourceArn: cluster.DBClusterArn}, c.retries)
			return err
		}},
	}
	for _, s := range switches {
		if !s.wanted {
			continue
		}
		if s.on(cluster) {
			fmt.Fprintf(out, "%s: %s is on\n", c.ID, s.name)
			continue
		}
		err := s.send()
		if c.Emulator {
			fmt.Fprintf(out, "%s: %s asked for; the emulator cannot show it on (error: %v)\n", c.ID, s.name, err)
			continue
		}
		if err != nil {
			return fmt.Errorf("turning %s on for %s: %w", s.name, c.ID, err)
		}
		for waited := time.Duration(0); ; waited += Poll {
			if cluster, err = describe(ctx, api, c.ID); err != nil {
				return err
			}
			if s.on(cluster) && aws.ToString(cluster.Status) == "available" {
				fmt.Fprintf(out, "%s: %s turned on\n", c.ID, s.name)
				break
			}
			if waited >= Timeout {
				return fmt.Errorf("%s was turned on for %s, but RDS does not report it on (status %s) after %s", s.name, c.ID, aws.ToString(cluster.Status), Timeout)
			}
			sleep(Poll)
		}
	}
	return nil
}

// retries sends a call once on an emulator: moto answers a call it does
// not implement with a server error, which the SDK would retry.
func (c Cluster) retries(o *rds.Options) {
	if c.Emulator {
		o.RetryMaxAttempts = 1
	}
}

func describe(ctx context.Context, api API, clusterID string) (types.DBCluster, error) {
	out, err := api.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(clusterID)})
	if err != nil {
		return types.DBCluster{}, fmt.Errorf("reading cluster %s: %w", clusterID, err)
	}
	if len(out.DBClusters) != 1 {
		return types.DBCluster{}, fmt.Errorf("reading cluster %s: RDS returned %d clusters", clusterID, len(out.DBClusters))
	}
	return out.DBClusters[0], nil
}
