// Package dataapi turns the Data API on for a restored cluster.
//
// RDS takes no Data API switch in a restore (RestoreDBClusterToPointInTime,
// RestoreDBClusterFromSnapshot), and the AWS provider calls
// EnableHttpEndpoint only when enable_http_endpoint changes on an existing
// cluster: a restored cluster would come up without the Data API and get
// it on the next deploy. A stage with restoreFrom therefore runs this once,
// from a creation-time provisioner on its cluster (stacks/restore.go), so
// the Data API is on when the deploy that restored it ends.
package dataapi

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// API is the part of the RDS client Enable uses.
type API interface {
	DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
	EnableHttpEndpoint(context.Context, *rds.EnableHttpEndpointInput, ...func(*rds.Options)) (*rds.EnableHttpEndpointOutput, error)
}

// Poll is how often Enable reads the cluster back, and Timeout how long it
// waits for RDS to report the Data API on.
const (
	Poll    = 10 * time.Second
	Timeout = 10 * time.Minute
)

// Enable turns the Data API on for a cluster unless it is on already, and
// waits until RDS reports it on. It says what it did on out.
func Enable(ctx context.Context, api API, clusterID string, out io.Writer, sleep func(time.Duration)) error {
	cluster, err := describe(ctx, api, clusterID)
	if err != nil {
		return err
	}
	if aws.ToBool(cluster.HttpEndpointEnabled) {
		fmt.Fprintf(out, "the Data API of %s is on already\n", clusterID)
		return nil
	}
	if _, err := api.EnableHttpEndpoint(ctx, &rds.EnableHttpEndpointInput{ResourceArn: cluster.DBClusterArn}); err != nil {
		return fmt.Errorf("turning the Data API on for %s: %w", clusterID, err)
	}
	for waited := time.Duration(0); ; waited += Poll {
		cluster, err := describe(ctx, api, clusterID)
		if err != nil {
			return err
		}
		if aws.ToBool(cluster.HttpEndpointEnabled) {
			fmt.Fprintf(out, "the Data API of %s is on\n", clusterID)
			return nil
		}
		if waited >= Timeout {
			return fmt.Errorf("the Data API of %s was turned on, but RDS still reports it off after %s", clusterID, Timeout)
		}
		sleep(Poll)
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

// SendToEmulator is Enable on an emulator that implements no
// EnableHttpEndpoint (stacks.EmulatorLacksDataAPISwitch): it sends the call
// once, so a test reads from the recorded requests that it was sent for
// the right cluster at the right time, and takes the emulator's error for
// the gap it is. Only AWS can show the Data API on afterwards.
func SendToEmulator(ctx context.Context, api API, clusterID string, out io.Writer) error {
	cluster, err := describe(ctx, api, clusterID)
	if err != nil {
		return err
	}
	if _, err := api.EnableHttpEndpoint(ctx, &rds.EnableHttpEndpointInput{ResourceArn: cluster.DBClusterArn}, func(o *rds.Options) { o.RetryMaxAttempts = 1 }); err != nil {
		fmt.Fprintf(out, "EnableHttpEndpoint sent for %s; the emulator does not implement it (only AWS turns the Data API on)\n", clusterID)
		return nil
	}
	fmt.Fprintf(out, "EnableHttpEndpoint sent for %s\n", clusterID)
	return nil
}
