// Package stacks builds the Terraform of each stage from its settings
// (package settings): one database stack per stage, the bootstrap stack
// with the state bucket, and their synthesis through CDKTF and jsii.
package stacks

import (
	"fmt"

	"aurora-stages/settings"
	"aurora-stages/stacks/addresses"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawscalleridentity"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawspartition"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/rdscluster"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/secretsmanagersecret"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ssmparameter"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// AWSProviderConstraint admits the provider versions this stack is written
// for: write-only arguments arrived in 5.88, and 6.0 changed the resources.
const AWSProviderConstraint = ">= 5.88.0, < 6.0.0"

// NewDatabaseStack builds one stage's stack: its Aurora PostgreSQL Serverless
// v2 cluster and writer, the master credentials in Secrets Manager, the two
// SSM parameters that publish the ARNs, and the S3 backend of its state.
// The stack ID is the stage name, so "cdktf deploy <stage>" finds it.
func NewDatabaseStack(scope constructs.Construct, cfg settings.StageConfig) cdktf.TerraformStack {
	stack := cdktf.NewTerraformStack(scope, jsii.String(cfg.Stage))

	newAwsProvider(stack, cfg.Account, deployTarget{
		Region:        cfg.Region,
		AssumeRoleARN: cfg.AssumeRoleARN,
		SessionName:   cfg.SessionName(),
		AccountID:     cfg.AccountID,
	}, settings.DefaultTags(cfg.Account, cfg.Stage, cfg.Tags))
	newS3Backend(stack, cfg.Account, cfg.StateKey())

	// The partition ("aws", "aws-cn", "aws-us-gov") of the ARNs built here,
	// looked up once if any helper needs it.
	var partition *string
	awsPartition := func() string {
		if partition == nil {
			partition = dataawspartition.NewDataAwsPartition(stack, jsii.String("partition"), &dataawspartition.DataAwsPartitionConfig{}).Partition()
		}
		return *partition
	}
	// The account of the ARNs built here, looked up once if any needs it.
	var accountID *string
	awsAccount := func() string {
		if accountID == nil {
			accountID = dataawscalleridentity.NewDataAwsCallerIdentity(stack, jsii.String("account"), &dataawscalleridentity.DataAwsCallerIdentityConfig{}).AccountId()
		}
		return *accountID
	}
	key := newEncryptionKey(stack, cfg, awsPartition, awsAccount)
	encryption := newEncryptionSetting(stack, cfg)
	monitoringRole := newMonitoringRole(stack, cfg, awsPartition)
	parameters := newParameterGroup(stack, cfg)
	engineVersion := newEngineVersion(stack, cfg)
	net := newNetwork(stack, cfg)

	secret := secretsmanagersecret.NewSecretsmanagerSecret(stack, jsii.String("credentials"), &secretsmanagersecret.SecretsmanagerSecretConfig{
		Name:                 jsii.String(cfg.SecretName()),
		KmsKeyId:             key,
		Description:          jsii.String("Master credentials of the " + cfg.Account.Service + " " + cfg.Stage + " Aurora PostgreSQL cluster " + cfg.ClusterIdentifier()),
		RecoveryWindowInDays: jsii.Number(float64(cfg.SecretRecoveryWindowDays)),
		Lifecycle:            &cdktf.TerraformResourceLifecycle{ReplaceTriggeredBy: &[]interface{}{encryption}},
		Tags:                 &map[string]*string{"Name": jsii.String(cfg.SecretName())},
	})
	creds := newMasterPassword(stack, cfg, secret)

	cluster := rdscluster.NewRdsCluster(stack, jsii.String(addresses.ClusterID), &rdscluster.RdsClusterConfig{
		ClusterIdentifier:       jsii.String(cfg.ClusterIdentifier()),
		Engine:                  jsii.String("aurora-postgresql"),
		EngineMode:              jsii.String("provisioned"),
		EngineVersion:           engineVersion,
		Port:                    jsii.Number(PostgresPort),
		DbSubnetGroupName:       net.subnetGroup,
		VpcSecurityGroupIds:     &[]*string{net.securityGroupID},
		DatabaseName:            jsii.String(cfg.DatabaseName),
		MasterUsername:          jsii.String(cfg.MasterUsername),
		MasterPasswordWo:        creds.password,
		MasterPasswordWoVersion: creds.generation,
		EnableHttpEndpoint:      jsii.Bool(true),
		Serverlessv2ScalingConfiguration: &rdscluster.RdsClusterServerlessv2ScalingConfiguration{
			MinCapacity:           jsii.Number(cfg.MinCapacity),
			MaxCapacity:           jsii.Number(cfg.MaxCapacity),
			SecondsUntilAutoPause: autoPause(cfg),
		},
		StorageEncrypted:                 jsii.Bool(true),
		KmsKeyId:                         key,
		IamDatabaseAuthenticationEnabled: jsii.Bool(cfg.IAMDatabaseAuthentication),
		DbClusterParameterGroupName:      parameters.Name(),
		CopyTagsToSnapshot:               jsii.Bool(true),
		StorageType:                      emulatorStorageType(cfg.Account, cfg.StorageType),
		BackupRetentionPeriod:            jsii.Number(float64(cfg.BackupRetentionDays)),
		PreferredBackupWindow:            optional(cfg.BackupWindow),
		PreferredMaintenanceWindow:       optional(cfg.MaintenanceWindow),
		DeletionProtection:               jsii.Bool(cfg.DeletionProtection),
		SkipFinalSnapshot:                jsii.Bool(!cfg.FinalSnapshot),
		FinalSnapshotIdentifier:          finalSnapshot(cfg),
		DeleteAutomatedBackups:           jsii.Bool(!cfg.KeepAutomatedBackups),
		EnabledCloudwatchLogsExports:     jsii.Strings(cfg.LogExports...),
		ApplyImmediately:                 jsii.Bool(cfg.ApplyImmediately),
		AllowMajorVersionUpgrade:         jsii.Bool(cfg.AllowMajorVersionUpgrade),
		RestoreToPointInTime:             pointInTimeRestore(cfg),
		SnapshotIdentifier:               snapshotRestore(cfg),
		Provisioners:                     restoreProvisioner(stack, cfg),
		Lifecycle: &cdktf.TerraformResourceLifecycle{
			PreventDestroy: jsii.Bool(cfg.PreventDestroy),
			// The restore arguments act only when the cluster is created:
			// changing or removing restoreFrom later must not replace it.
			IgnoreChanges:      jsii.Strings(append([]string{"restore_to_point_in_time", "snapshot_identifier"}, emulatorClusterQuirks(cfg.Account)...)...),
			ReplaceTriggeredBy: &[]interface{}{encryption},
		},
		Tags: &map[string]*string{"Name": jsii.String(cfg.ClusterIdentifier())},
	})
	setDatabaseInsights(cluster, cfg, key)

	newInstances(stack, cfg, instanceSettings{cluster: cluster, key: key, monitoringRole: monitoringRole})

	newCredentialsValue(stack, secret, cluster, creds)
	newAlarms(stack, cfg, cluster.Id())

	// Read once each: every read of an attribute is a round trip to jsii's
	// runtime, paid per stack.
	secretArn, clusterArn := secret.Arn(), cluster.Arn()

	credentialsArn := ssmparameter.NewSsmParameter(stack, jsii.String("credentials_arn"), &ssmparameter.SsmParameterConfig{
		Name:        jsii.String(cfg.CredentialsArnParameter()),
		Description: jsii.String("ARN of the Secrets Manager secret with the master credentials of " + cfg.ClusterIdentifier()),
		Type:        jsii.String("String"),
		Value:       secretArn,
	})
	resourceArn := ssmparameter.NewSsmParameter(stack, jsii.String("resource_arn"), &ssmparameter.SsmParameterConfig{
		Name:        jsii.String(cfg.ResourceArnParameter()),
		Description: jsii.String("ARN of the Aurora PostgreSQL cluster " + cfg.ClusterIdentifier() + ", for the Data API"),
		Type:        jsii.String("String"),
		Value:       clusterArn,
	})

	clusterReaderEndpoint := cluster.ReaderEndpoint()
	readerEndpoint := ssmparameter.NewSsmParameter(stack, jsii.String("reader_endpoint"), &ssmparameter.SsmParameterConfig{
		Name:        jsii.String(cfg.ReaderEndpointParameter()),
		Description: jsii.String("Reader endpoint of the Aurora PostgreSQL cluster " + cfg.ClusterIdentifier() + ": the readers, or the writer while there is none"),
		Type:        jsii.String("String"),
		Value:       clusterReaderEndpoint,
	})

	securityGroupID := ssmparameter.NewSsmParameter(stack, jsii.String("security_group"), &ssmparameter.SsmParameterConfig{
		Name:        jsii.String(cfg.SecurityGroupParameter()),
		Description: jsii.String("ID of the security group of " + cfg.ClusterIdentifier() + ": a client's security group that it lets in reaches the database's port"),
		Type:        jsii.String("String"),
		Value:       net.securityGroupID,
	})

	accessPolicy := newAccessPolicy(stack, cfg, databaseAccess{
		parameters: []*string{credentialsArn.Arn(), resourceArn.Arn(), readerEndpoint.Arn(), securityGroupID.Arn()},
		// The cluster's ARN as AWS builds it, not its attribute: the
		// policy's document is a data source, which Terraform reads only at
		// apply when it refers to a resource with a change planned, so every
		// plan that changed the cluster showed the policy updated too.
		cluster: jsii.String(fmt.Sprintf("arn:%s:rds:%s:%s:cluster:%s", awsPartition(), cfg.Region, awsAccount(), cfg.ClusterIdentifier())),
		secret:  secretArn,
		key:     key,
	})

	output(stack, "cluster_arn", clusterArn, "ARN of the cluster, the Data API's resource ARN")
	output(stack, "cluster_endpoint", cluster.Endpoint(), "Writer endpoint of the cluster")
	// Not the parameter's value: the provider marks that sensitive, and an
	// output of it would have to be too.
	output(stack, "cluster_reader_endpoint", clusterReaderEndpoint, "Reader endpoint of the cluster: its readers, or the writer while there is none")
	output(stack, "reader_endpoint_parameter", readerEndpoint.Name(), "SSM parameter that holds the reader endpoint")
	output(stack, "secret_arn", secretArn, "ARN of the secret with the master credentials, the Data API's secret ARN")
	output(stack, "credentials_arn_parameter", credentialsArn.Name(), "SSM parameter that holds the secret's ARN")
	output(stack, "resource_arn_parameter", resourceArn.Name(), "SSM parameter that holds the cluster's ARN")
	output(stack, "security_group_id", net.securityGroupID, "Security group of the database: add it as a source, or name it in allowedSecurityGroupIds")
	output(stack, "security_group_id_parameter", securityGroupID.Name(), "SSM parameter that holds the security group's ID")
	output(stack, "db_subnet_group_name", cluster.DbSubnetGroupName(), "DB subnet group the cluster runs in (default: RDS's default group of the default VPC)")
	output(stack, "access_policy_arn", accessPolicy.Arn(), "IAM policy that lets a consumer query the database through the Data API: attach it to the consumer's role")
	if key != nil {
		output(stack, "kms_key_arn", key, "KMS key of the cluster and the secret, on a stage with a key of its own (kmsKey create or a key's ARN): whoever reads the secret needs kms:Decrypt on it")
	}
	return stack
}

// autoPause is only sent for a cluster that can pause: RDS rejects it
// when the minimum capacity is above 0.
func autoPause(cfg settings.StageConfig) *float64 {
	if cfg.MinCapacity > 0 {
		return nil
	}
	return jsii.Number(float64(cfg.AutoPauseSeconds))
}

// ifEnabled sends a feature's argument only when the feature is on.
func ifEnabled[T any](enabled bool, value *T) *T {
	if !enabled {
		return nil
	}
	return value
}

func finalSnapshot(cfg settings.StageConfig) *string {
	if !cfg.FinalSnapshot {
		return nil
	}
	return jsii.String(cfg.FinalSnapshotName())
}

func output(stack cdktf.TerraformStack, id string, value *string, description string) {
	cdktf.NewTerraformOutput(stack, jsii.String(id), &cdktf.TerraformOutputConfig{
		Value:       value,
		Description: jsii.String(description),
	})
}

// setDatabaseInsights sets the cluster's Database Insights mode; advanced
// also turns Performance Insights on at the cluster, with the stage's
// retention and key, which advanced reads. The prebuilt bindings (AWS
// provider 5.88) have no database_insights_mode, which the provider in use
// (5.100) takes: one escape hatch.
func setDatabaseInsights(cluster rdscluster.RdsCluster, cfg settings.StageConfig, key *string) {
	cluster.AddOverride(jsii.String("database_insights_mode"), cfg.DatabaseInsightsMode)
	if cfg.DatabaseInsightsMode != settings.DatabaseInsightsAdvanced {
		return
	}
	cluster.SetPerformanceInsightsEnabled(true)
	cluster.SetPerformanceInsightsRetentionPeriod(jsii.Number(float64(cfg.PerformanceInsightsRetentionDays)))
	if key != nil {
		cluster.SetPerformanceInsightsKmsKeyId(key)
	}
}
