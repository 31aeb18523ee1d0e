package stacks

import (
	"strconv"
	"strings"

	"aurora-stages/settings"
	"aurora-stages/stacks/addresses"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawssubnet"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/rdscluster"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/rdsclusterinstance"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// readerPromotionTier puts the readers in a tier whose instances Aurora
// keeps at the writer's capacity (tiers 0 and 1), so a failover lands on a
// reader that can carry the writer's load.
const readerPromotionTier = 1

// instanceSettings are what the writer and every reader share.
type instanceSettings struct {
	cluster        rdscluster.RdsCluster
	key            *string
	monitoringRole *string
}

// newInstances creates the cluster's writer and cfg.Readers readers, all
// db.serverless with the same monitoring, Performance Insights,
// minor-upgrade and maintenance settings. Each reader is a resource of its
// own (reader_1, reader_2...), so adding or removing one plans nothing for
// the others.
func newInstances(stack cdktf.TerraformStack, cfg settings.StageConfig, shared instanceSettings) {
	writer := newInstance(stack, cfg, shared, addresses.WriterID, cfg.WriterIdentifier(), nil, nil)
	if cfg.Readers == 0 {
		return
	}
	zones := readerZones(stack, cfg, writer)
	for n := 1; n <= cfg.Readers; n++ {
		var zone *string
		if zones != "" {
			// The n-th of the other zones, round the list.
			zone = jsii.String("${element(" + zones + ", " + strconv.Itoa(n-1) + ")}")
		}
		newInstance(stack, cfg, shared, "reader_"+strconv.Itoa(n), cfg.ReaderIdentifier(n), jsii.Number(readerPromotionTier), zone)
	}
}

// newInstance is one db.serverless instance of the cluster. No
// engine_version: it follows the cluster's, and an instance with a version
// of its own would diff against every minor upgrade AWS applies.
func newInstance(stack cdktf.TerraformStack, cfg settings.StageConfig, shared instanceSettings, id, identifier string, promotionTier *float64, zone *string) rdsclusterinstance.RdsClusterInstance {
	return rdsclusterinstance.NewRdsClusterInstance(stack, jsii.String(id), &rdsclusterinstance.RdsClusterInstanceConfig{
		Identifier:         jsii.String(identifier),
		ClusterIdentifier:  shared.cluster.Id(),
		InstanceClass:      jsii.String("db.serverless"),
		Engine:             shared.cluster.Engine(),
		PubliclyAccessible: jsii.Bool(false),
		PromotionTier:      promotionTier,
		AvailabilityZone:   zone,
		// Explicit, though it is AWS's default: a security review reads it here.
		AutoMinorVersionUpgrade:            jsii.Bool(cfg.AutoMinorVersionUpgrade),
		PerformanceInsightsEnabled:         jsii.Bool(cfg.PerformanceInsights),
		PerformanceInsightsRetentionPeriod: ifEnabled(cfg.PerformanceInsights, jsii.Number(float64(cfg.PerformanceInsightsRetentionDays))),
		PerformanceInsightsKmsKeyId:        ifEnabled(cfg.PerformanceInsights, shared.key),
		MonitoringInterval:                 jsii.Number(float64(cfg.MonitoringIntervalSeconds)),
		MonitoringRoleArn:                  shared.monitoringRole,
		PreferredMaintenanceWindow:         optional(cfg.MaintenanceWindow),
		ApplyImmediately:                   jsii.Bool(cfg.ApplyImmediately),
		Lifecycle:                          emulatorInstanceLifecycle(cfg.Account),
		Tags:                               &map[string]*string{"Name": jsii.String(identifier)},
	})
}

// readerZones is a Terraform expression for the Availability Zones of the
// stage's subnets other than the writer's, sorted; "" where the stage names
// no subnets (the default VPC, or an existing subnet group), and AWS
// places each reader. The writer is never pinned: availability_zone
// replaces an instance when it changes, and the writer of a deployed stage
// stays where it is.
func readerZones(stack cdktf.TerraformStack, cfg settings.StageConfig, writer rdsclusterinstance.RdsClusterInstance) string {
	if len(cfg.SubnetIDs) == 0 {
		return ""
	}
	zones := make([]string, len(cfg.SubnetIDs))
	for i, subnetID := range cfg.SubnetIDs {
		subnet := dataawssubnet.NewDataAwsSubnet(stack, jsii.String("subnet_"+strconv.Itoa(i+1)), &dataawssubnet.DataAwsSubnetConfig{Id: jsii.String(subnetID)})
		zones[i] = *subnet.Fqn() + ".availability_zone"
	}
	return "sort(setsubtract([" + strings.Join(zones, ", ") + "], [" + *writer.Fqn() + ".availability_zone]))"
}

// optional sends a setting only when it is set: empty leaves AWS its choice.
func optional(value string) *string {
	if value == "" {
		return nil
	}
	return jsii.String(value)
}
