package stacks

import (
	"strconv"

	"aurora-stages/settings"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicyattachment"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/rdsclusterparametergroup"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// newParameterGroup gives the cluster its own parameter group, for the
// PostgreSQL logging settings. Both are dynamic: a change applies without a
// restart.
func newParameterGroup(stack cdktf.TerraformStack, cfg settings.StageConfig) rdsclusterparametergroup.RdsClusterParameterGroup {
	return rdsclusterparametergroup.NewRdsClusterParameterGroup(stack, jsii.String("parameters"), &rdsclusterparametergroup.RdsClusterParameterGroupConfig{
		Name:        jsii.String(cfg.ParameterGroupName()),
		Family:      jsii.String(cfg.ParameterGroupFamily()),
		Description: jsii.String("Logging settings of " + cfg.ClusterIdentifier()),
		Parameter: &[]*rdsclusterparametergroup.RdsClusterParameterGroupParameter{
			{Name: jsii.String("log_statement"), Value: jsii.String(cfg.LogStatement), ApplyMethod: jsii.String("immediate")},
			{Name: jsii.String("log_min_duration_statement"), Value: jsii.String(strconv.Itoa(cfg.LogMinDurationMs)), ApplyMethod: jsii.String("immediate")},
		},
		// A major version upgrade needs a group of the new family (a new
		// name); the cluster must move to it before the old one can go.
		Lifecycle: &cdktf.TerraformResourceLifecycle{CreateBeforeDestroy: jsii.Bool(true)},
		Tags:      &map[string]*string{"Name": jsii.String(cfg.ParameterGroupName())},
	})
}

// newMonitoringRole returns the ARN of the role Enhanced Monitoring
// publishes the writer's OS metrics with, or nil when monitoring is off.
func newMonitoringRole(stack cdktf.TerraformStack, cfg settings.StageConfig, partition func() string) *string {
	if cfg.MonitoringIntervalSeconds == 0 {
		return nil
	}
	trust := dataawsiampolicydocument.NewDataAwsIamPolicyDocument(stack, jsii.String("monitoring_trust"), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{
		Statement: &[]*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{{
			Effect:  jsii.String("Allow"),
			Actions: jsii.Strings("sts:AssumeRole"),
			Principals: &[]*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals{{
				Type:        jsii.String("Service"),
				Identifiers: jsii.Strings("monitoring.rds.amazonaws.com"),
			}},
		}},
	})
	role := iamrole.NewIamRole(stack, jsii.String("monitoring"), &iamrole.IamRoleConfig{
		Name:             jsii.String(cfg.MonitoringRoleName()),
		Description:      jsii.String("Publishes Enhanced Monitoring metrics of " + cfg.WriterIdentifier()),
		AssumeRolePolicy: trust.Json(),
		Tags:             &map[string]*string{"Name": jsii.String(cfg.MonitoringRoleName())},
	})
	iamrolepolicyattachment.NewIamRolePolicyAttachment(stack, jsii.String("monitoring_policy"), &iamrolepolicyattachment.IamRolePolicyAttachmentConfig{
		Role:      role.Name(),
		PolicyArn: jsii.String("arn:" + partition() + ":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"),
	})
	return role.Arn()
}
