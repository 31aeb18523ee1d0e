package stacks

import (
	"fmt"
	"strings"

	"aurora-stages/settings"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsrdscluster"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsrdsclusters"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// newEngineVersion returns the engine version to configure on the cluster:
// the stage's EngineVersion, unless the deployed cluster already runs a
// later minor version of the same major one.
//
// With automatic minor upgrades AWS moves a cluster to a newer minor
// version on its own. The provider then reads that version back, and a
// cluster configured with the older one would plan a downgrade on every
// deploy (which AWS refuses). The app cannot know the deployed version, so
// the plan looks it up: a later minor version is kept, a setting above it
// upgrades, and a change of major version is left to the plan, where
// `make review` checks it against AllowMajorVersionUpgrade.
func newEngineVersion(stack cdktf.TerraformStack, cfg settings.StageConfig) *string {
	// The plural data source finds no cluster without failing, so a first
	// deploy reads nothing; the single one reads the version when it exists.
	existing := dataawsrdsclusters.NewDataAwsRdsClusters(stack, jsii.String("existing_cluster"), &dataawsrdsclusters.DataAwsRdsClustersConfig{
		Filter: &[]*dataawsrdsclusters.DataAwsRdsClustersFilter{{
			Name:   jsii.String("db-cluster-id"),
			Values: jsii.Strings(cfg.ClusterIdentifier()),
		}},
	})
	deployed := dataawsrdscluster.NewDataAwsRdsCluster(stack, jsii.String("deployed_cluster"), &dataawsrdscluster.DataAwsRdsClusterConfig{
		Count:             cdktf.Fn_LengthOf(existing.ClusterIdentifiers()),
		ClusterIdentifier: jsii.String(cfg.ClusterIdentifier()),
	})
	deployedVersion := "try(" + *deployed.Fqn() + "[0].engine_version, \"\")"

	major, minor, _ := strings.Cut(cfg.EngineVersion, ".")
	// Terraform evaluates both sides of && and ?:, so every index is in a try.
	expression := fmt.Sprintf(`${try(split(".", local.deployed_engine_version)[0], "") == %q && try(tonumber(split(".", local.deployed_engine_version)[1]), 0) > %s ? local.deployed_engine_version : %q}`,
		major, minor, cfg.EngineVersion)
	cdktf.NewTerraformLocal(stack, jsii.String("deployed_engine_version"), jsii.String("${"+deployedVersion+"}"))
	return cdktf.NewTerraformLocal(stack, jsii.String("engine_version"), jsii.String(expression)).AsString()
}
