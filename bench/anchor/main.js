// The yardstick of `make bench`: the dev stage's Terraform built by a plain
// JavaScript CDKTF app, on the same cdktf, provider and Node.js as the Go
// app, without jsii between them. What the Go app pays per stack beyond
// this is the price of building it from Go.
//
//	CDKTF_OUTDIR=<folder> node main.js <stacks>
//
// The first stack is "dev", the others s1, s2...: each is what the Go app
// synthesizes for a stage of the dev profile in the cdktf.json of the
// repository (cmd/bench-synth checks that dev comes out byte for byte the
// same). Each submodule of the provider is required on its own, as a
// TypeScript app imports it.
"use strict";
const { App, TerraformStack, TerraformOutput, TerraformLocal, S3Backend, DataResource, Fn } = require("cdktf");
const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");
const { DataAwsVpcs } = require("@cdktf/provider-aws/lib/data-aws-vpcs");
const { DataAwsRdsClusters } = require("@cdktf/provider-aws/lib/data-aws-rds-clusters");
const { DataAwsRdsCluster } = require("@cdktf/provider-aws/lib/data-aws-rds-cluster");
const { DataAwsIamPolicyDocument } = require("@cdktf/provider-aws/lib/data-aws-iam-policy-document");
const { DataAwsPartition } = require("@cdktf/provider-aws/lib/data-aws-partition");
const { DataAwsCallerIdentity } = require("@cdktf/provider-aws/lib/data-aws-caller-identity");
const { RdsClusterParameterGroup } = require("@cdktf/provider-aws/lib/rds-cluster-parameter-group");
const { SecurityGroup } = require("@cdktf/provider-aws/lib/security-group");
const { SecretsmanagerSecret } = require("@cdktf/provider-aws/lib/secretsmanager-secret");
const { SecretsmanagerSecretVersion } = require("@cdktf/provider-aws/lib/secretsmanager-secret-version");
const { RdsCluster } = require("@cdktf/provider-aws/lib/rds-cluster");
const { RdsClusterInstance } = require("@cdktf/provider-aws/lib/rds-cluster-instance");
const { SsmParameter } = require("@cdktf/provider-aws/lib/ssm-parameter");
const { IamPolicy } = require("@cdktf/provider-aws/lib/iam-policy");

const service = "movies";
const region = "us-east-1";
const stateBucket = "movies-terraform-state-change-me";
const masterPassword = "ephemeral.aws_secretsmanager_random_password.master_password";
const recordedPassword = "ephemeral.aws_secretsmanager_secret_version.master_password";

function devStage(app, stage) {
  const stack = new TerraformStack(app, stage);
  const prefix = `${service}-${stage}`;
  const clusterIdentifier = `main-${prefix}-cluster`;

  new AwsProvider(stack, "aws", {
    region,
    defaultTags: [{ tags: { service, stage, "managed-by": "cdktf" } }],
  });
  stack.addOverride("terraform.required_providers.aws.version", ">= 5.88.0, < 6.0.0");
  const backend = new S3Backend(stack, {
    bucket: stateBucket,
    key: `${service}/${stage}/terraform.tfstate`,
    region,
    encrypt: true,
  });
  backend.addOverride("use_lockfile", true);

  const encryption = new DataResource(stack, "encryption", { input: { kms_key: "aws-managed" } });
  const encryptionAddress = `${encryption.terraformResourceType}.${encryption.friendlyUniqueId}`;
  const parameters = new RdsClusterParameterGroup(stack, "parameters", {
    name: `${prefix}-aurora-postgresql16`,
    family: "aurora-postgresql16",
    description: `Logging settings of ${clusterIdentifier}`,
    parameter: [
      { name: "log_statement", value: "ddl", applyMethod: "immediate" },
      { name: "log_min_duration_statement", value: "1000", applyMethod: "immediate" },
    ],
    lifecycle: { createBeforeDestroy: true },
    tags: { Name: `${prefix}-aurora-postgresql16` },
  });

  const existing = new DataAwsRdsClusters(stack, "existing_cluster", {
    filter: [{ name: "db-cluster-id", values: [clusterIdentifier] }],
  });
  const deployed = new DataAwsRdsCluster(stack, "deployed_cluster", {
    count: Fn.lengthOf(existing.clusterIdentifiers),
    clusterIdentifier,
  });
  new TerraformLocal(stack, "deployed_engine_version", `\${try(${deployed.fqn}[0].engine_version, "")}`);
  const engineVersion = new TerraformLocal(stack, "engine_version",
    '${try(split(".", local.deployed_engine_version)[0], "") == "16" && try(tonumber(split(".", local.deployed_engine_version)[1]), 0) > 6 ? local.deployed_engine_version : "16.6"}').asString;

  const defaultVpc = new DataAwsVpcs(stack, "default_vpc", {
    filter: [{ name: "is-default", values: ["true"] }],
  });
  const securityGroup = new SecurityGroup(stack, "database", {
    name: `${prefix}-database`,
    description: `Aurora PostgreSQL cluster ${clusterIdentifier}: the allowed sources on its port, nothing out`,
    vpcId: `\${one(${defaultVpc.fqn}.ids)}`,
    lifecycle: {
      precondition: [{
        condition: `\${length(${defaultVpc.fqn}.ids) == 1}`,
        errorMessage: `stage ${stage} has no vpcId and the account has no default VPC in ${region}: set vpcId and subnetIds (or subnetGroupName) in the stage's entry in cdktf.json`,
      }],
    },
    tags: { Name: `${prefix}-database` },
  });

  const secret = new SecretsmanagerSecret(stack, "credentials", {
    name: `${prefix}-credentials`,
    description: `Master credentials of the ${service} ${stage} Aurora PostgreSQL cluster ${clusterIdentifier}`,
    recoveryWindowInDays: 0,
    lifecycle: { replaceTriggeredBy: [encryptionAddress] },
    tags: { Name: `${prefix}-credentials` },
  });

  stack.addOverride(masterPassword, { password_length: 32, exclude_punctuation: true, include_space: false });
  const generated = new TerraformLocal(stack, "generated_password", `\${${masterPassword}.random_password}`).asString;
  const record = new SecretsmanagerSecretVersion(stack, "master_password", {
    secretId: secret.id,
    secretStringWo: Fn.jsonencode({ password: generated }),
    secretStringWoVersion: 1,
    versionStages: ["master-password"],
    lifecycle: { ignoreChanges: ["version_stages"] },
  });
  stack.addOverride(recordedPassword, {
    secret_id: `\${${secret.fqn}.id}`,
    version_id: `\${${record.fqn}.version_id}`,
  });
  const password = new TerraformLocal(stack, "recorded_password", `\${jsondecode(${recordedPassword}.secret_string).password}`).asString;
  const generation = new TerraformLocal(stack, "password_generation", `\${parseint(substr(sha256(${record.fqn}.version_id), 0, 12), 16)}`).asNumber;

  const cluster = new RdsCluster(stack, "cluster", {
    clusterIdentifier,
    engine: "aurora-postgresql",
    engineMode: "provisioned",
    engineVersion,
    port: 5432,
    vpcSecurityGroupIds: [securityGroup.id],
    databaseName: "main",
    masterUsername: "dbadmin",
    masterPasswordWo: password,
    masterPasswordWoVersion: generation,
    enableHttpEndpoint: true,
    serverlessv2ScalingConfiguration: { minCapacity: 0, maxCapacity: 4, secondsUntilAutoPause: 3600 },
    storageEncrypted: true,
    storageType: "aurora",
    iamDatabaseAuthenticationEnabled: true,
    dbClusterParameterGroupName: parameters.name,
    copyTagsToSnapshot: true,
    backupRetentionPeriod: 1,
    deletionProtection: false,
    skipFinalSnapshot: true,
    deleteAutomatedBackups: true,
    enabledCloudwatchLogsExports: [],
    applyImmediately: true,
    allowMajorVersionUpgrade: false,
    lifecycle: {
      preventDestroy: false,
      ignoreChanges: ["restore_to_point_in_time", "snapshot_identifier"],
      replaceTriggeredBy: [encryptionAddress],
    },
    tags: { Name: clusterIdentifier },
  });
  cluster.addOverride("database_insights_mode", "standard");

  new RdsClusterInstance(stack, "writer", {
    identifier: `main-${prefix}-writer`,
    clusterIdentifier: cluster.id,
    instanceClass: "db.serverless",
    engine: cluster.engine,
    publiclyAccessible: false,
    autoMinorVersionUpgrade: true,
    performanceInsightsEnabled: true,
    performanceInsightsRetentionPeriod: 7,
    monitoringInterval: 0,
    applyImmediately: true,
    tags: { Name: `main-${prefix}-writer` },
  });

  new SecretsmanagerSecretVersion(stack, "credentials_value", {
    secretId: secret.id,
    // In the order of the Go map's keys, which jsii sends sorted.
    secretStringWo: Fn.jsonencode({
      dbClusterIdentifier: cluster.clusterIdentifier,
      dbname: cluster.databaseName,
      engine: "postgres",
      host: cluster.endpoint,
      password,
      port: cluster.port,
      username: cluster.masterUsername,
    }),
    secretStringWoVersion: generation,
    lifecycle: { replaceTriggeredBy: [`${cluster.terraformResourceType}.${cluster.friendlyUniqueId}.cluster_resource_id`] },
  });

  const credentialsArn = new SsmParameter(stack, "credentials_arn", {
    name: `${prefix}-credentials-arn`,
    description: `ARN of the Secrets Manager secret with the master credentials of ${clusterIdentifier}`,
    type: "String",
    value: secret.arn,
  });
  const resourceArn = new SsmParameter(stack, "resource_arn", {
    name: `${prefix}-resource-arn`,
    description: `ARN of the Aurora PostgreSQL cluster ${clusterIdentifier}, for the Data API`,
    type: "String",
    value: cluster.arn,
  });
  const readerEndpoint = new SsmParameter(stack, "reader_endpoint", {
    name: `${prefix}-reader-endpoint`,
    description: `Reader endpoint of the Aurora PostgreSQL cluster ${clusterIdentifier}: the readers, or the writer while there is none`,
    type: "String",
    value: cluster.readerEndpoint,
  });
  const securityGroupId = new SsmParameter(stack, "security_group", {
    name: `${prefix}-security-group-id`,
    description: `ID of the security group of ${clusterIdentifier}: a client's security group that it lets in reaches the database's port`,
    type: "String",
    value: securityGroup.id,
  });

  // The cluster's ARN as AWS builds it, as the app names it in the policy.
  const partition = new DataAwsPartition(stack, "partition", {});
  const account = new DataAwsCallerIdentity(stack, "account", {});
  const clusterArn = `arn:${partition.partition}:rds:${region}:${account.accountId}:cluster:${clusterIdentifier}`;
  const document = new DataAwsIamPolicyDocument(stack, "access_policy", {
    statement: [
      {
        sid: "ReadTheStageParameters",
        actions: ["ssm:GetParameter", "ssm:GetParameters"],
        resources: [credentialsArn.arn, resourceArn.arn, readerEndpoint.arn, securityGroupId.arn],
      },
      {
        sid: "QueryThroughTheDataAPI",
        actions: ["rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement", "rds-data:BeginTransaction", "rds-data:CommitTransaction", "rds-data:RollbackTransaction"],
        resources: [clusterArn],
      },
      {
        sid: "ReadTheCredentials",
        actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        resources: [secret.arn],
      },
    ],
  });
  const accessPolicy = new IamPolicy(stack, "access", {
    name: `${prefix}-database-access`,
    description: `Query the ${service} ${stage} database through the Data API: its parameters, the cluster, the credentials`,
    policy: document.json,
    tags: { Name: `${prefix}-database-access` },
  });

  const outputs = [
    ["cluster_arn", cluster.arn, "ARN of the cluster, the Data API's resource ARN"],
    ["cluster_endpoint", cluster.endpoint, "Writer endpoint of the cluster"],
    ["cluster_reader_endpoint", cluster.readerEndpoint, "Reader endpoint of the cluster: its readers, or the writer while there is none"],
    ["reader_endpoint_parameter", readerEndpoint.name, "SSM parameter that holds the reader endpoint"],
    ["secret_arn", secret.arn, "ARN of the secret with the master credentials, the Data API's secret ARN"],
    ["credentials_arn_parameter", credentialsArn.name, "SSM parameter that holds the secret's ARN"],
    ["resource_arn_parameter", resourceArn.name, "SSM parameter that holds the cluster's ARN"],
    ["security_group_id", securityGroup.id, "Security group of the database: add it as a source, or name it in allowedSecurityGroupIds"],
    ["security_group_id_parameter", securityGroupId.name, "SSM parameter that holds the security group's ID"],
    ["db_subnet_group_name", cluster.dbSubnetGroupName, "DB subnet group the cluster runs in (default: RDS's default group of the default VPC)"],
    ["access_policy_arn", accessPolicy.arn, "IAM policy that lets a consumer query the database through the Data API: attach it to the consumer's role"],
  ];
  for (const [id, value, description] of outputs) {
    new TerraformOutput(stack, id, { value, description });
  }
}

const stacks = Number(process.argv[2]);
if (!Number.isInteger(stacks) || stacks < 1) {
  console.error("usage: CDKTF_OUTDIR=<folder> node main.js <number of stacks>");
  process.exit(2);
}
const app = new App();
for (let i = 0; i < stacks; i++) {
  devStage(app, i === 0 ? "dev" : `s${i}`);
}
app.synth();
