// Package stacks holds the domain of this app: the settings of each stage,
// their validation, and the Terraform stack that gives a stage its database.
package stacks

// Profile names. A stage starts from one profile's defaults and may override
// any setting; a stage named "production" starts from productionProfile,
// every other stage from devProfile, unless its entry names a profile.
const (
	DevProfile        = "dev"
	ProductionProfile = "production"
)

// StageConfig is everything one stage's stack is built from. The JSON names
// are the keys a stage entry in cdktf.json's context may override.
type StageConfig struct {
	// Stage is the stage name: the stack ID, part of every resource name.
	Stage string `json:"-"`
	// Profile is the profile the stage's defaults came from.
	Profile string `json:"-"`
	// Account holds the settings that differ per AWS account.
	Account AccountSettings `json:"-"`

	// Region is where the stage's resources live: the account-level region
	// unless the stage's entry names another. The state bucket stays in the
	// account-level region.
	Region string `json:"region"`
	// AssumeRoleARN, if set, is the role the stage's AWS provider assumes
	// (its session named after the stage and the deployer): the stage's
	// resources in an account of their own.
	AssumeRoleARN string `json:"assumeRoleArn"`
	// AccountID, if set, is the only account the stage may be deployed to:
	// credentials of any other account stop the plan (the provider's
	// allowed_account_ids).
	AccountID string `json:"accountId"`

	// EngineVersion is the Aurora PostgreSQL version, pinned so a deploy
	// never upgrades the database by surprise. It must support the Data API
	// and, when MinCapacity is 0, scaling to zero.
	EngineVersion string `json:"engineVersion"`
	// DatabaseName is the database created in the cluster.
	DatabaseName string `json:"databaseName"`
	// MasterUsername is the cluster's master user.
	MasterUsername string `json:"masterUsername"`
	// CredentialsVersion drives the write-only password arguments: raising
	// it generates a new master password and writes it to the cluster and
	// the secret on the next deploy. Terraform never stores the password.
	CredentialsVersion int `json:"credentialsVersion"`

	// MinCapacity and MaxCapacity bound the writer's capacity, in Aurora
	// capacity units (ACU). A minimum of 0 lets the database pause.
	MinCapacity float64 `json:"minCapacity"`
	MaxCapacity float64 `json:"maxCapacity"`
	// AutoPauseSeconds is how long the database stays idle before it pauses.
	// It applies only when MinCapacity is 0; set 0 when MinCapacity is above 0.
	AutoPauseSeconds int `json:"autoPauseSeconds"`

	// BackupRetentionDays is how long automated backups are kept.
	BackupRetentionDays int `json:"backupRetentionDays"`
	// DeletionProtection makes AWS refuse to delete the cluster.
	DeletionProtection bool `json:"deletionProtection"`
	// PreventDestroy makes Terraform refuse any plan that destroys the cluster.
	PreventDestroy bool `json:"preventDestroy"`
	// FinalSnapshot takes a snapshot named FinalSnapshotIdentifier when the
	// cluster is deleted.
	FinalSnapshot bool `json:"finalSnapshot"`
	// FinalSnapshotIdentifier names that snapshot; empty means
	// "<cluster identifier>-final".
	FinalSnapshotIdentifier string `json:"finalSnapshotIdentifier"`
	// KeepAutomatedBackups keeps automated backups after the cluster is deleted.
	KeepAutomatedBackups bool `json:"keepAutomatedBackups"`
	// LogExports lists the log types exported to CloudWatch Logs.
	LogExports []string `json:"logExports"`

	// SecretRecoveryWindowDays is how long a deleted secret can be restored.
	// 0 deletes it at once, so a destroyed stage can be deployed again under
	// the same secret name.
	SecretRecoveryWindowDays int `json:"secretRecoveryWindowDays"`

	// KMSKey is the key that encrypts the cluster's storage, its Performance
	// Insights data and the secret: KMSKeyAWSManaged for the AWS-managed keys
	// (aws/rds, aws/secretsmanager), KMSKeyCreate for a customer-managed key
	// the stack creates (rotated every year, 30 days to cancel a deletion),
	// or the ARN of an existing key in the stage's region. Changing it
	// replaces the cluster.
	KMSKey string `json:"kmsKey"`
	// IAMDatabaseAuthentication lets database users sign in with IAM tokens
	// instead of passwords; the master user keeps its password.
	IAMDatabaseAuthentication bool `json:"iamDatabaseAuthentication"`
	// PerformanceInsights turns Performance Insights on for the writer, kept
	// PerformanceInsightsRetentionDays (7 days is free).
	PerformanceInsights              bool `json:"performanceInsights"`
	PerformanceInsightsRetentionDays int  `json:"performanceInsightsRetentionDays"`
	// MonitoringIntervalSeconds is how often Enhanced Monitoring samples the
	// writer's operating system; 0 turns it off. Above 0 the stack creates
	// the IAM role RDS publishes the metrics with.
	MonitoringIntervalSeconds int `json:"monitoringIntervalSeconds"`
	// AutoMinorVersionUpgrade lets AWS apply minor engine versions to the
	// writer in the maintenance window.
	AutoMinorVersionUpgrade bool `json:"autoMinorVersionUpgrade"`
	// ApplyImmediately makes a deploy apply its changes to the cluster and
	// the writer at once (an engine upgrade included, with its restart),
	// instead of in the next maintenance window.
	ApplyImmediately bool `json:"applyImmediately"`
	// AllowMajorVersionUpgrade lets a change of EngineVersion's major
	// version upgrade the cluster in place; without it AWS refuses the
	// change, and `make review` says so before the deploy.
	AllowMajorVersionUpgrade bool `json:"allowMajorVersionUpgrade"`
	// VPCID places the database in this VPC, with a security group of its
	// own there. Empty: the region's default VPC, looked up at plan time.
	VPCID string `json:"vpcId"`
	// SubnetIDs are the subnets of VPCID the database may run in (at least
	// two, in at least two Availability Zones); the stage creates a DB
	// subnet group "<service>-<stage>" over them. Changing them, or moving
	// a stage off the default VPC, replaces the cluster.
	SubnetIDs []string `json:"subnetIds"`
	// SubnetGroupName names an existing DB subnet group in VPCID, instead of
	// SubnetIDs.
	SubnetGroupName string `json:"subnetGroupName"`
	// AllowedSecurityGroupIDs and AllowedCIDRs (IPv4 or IPv6) are the only
	// sources let in, on the database's port. The Data API needs none.
	AllowedSecurityGroupIDs []string `json:"allowedSecurityGroupIds"`
	AllowedCIDRs            []string `json:"allowedCidrs"`

	// ConsumerRoleNames are existing IAM roles of the stage's account that
	// get the stage's access policy attached: the functions that query the
	// database.
	ConsumerRoleNames []string `json:"consumerRoleNames"`

	// LogStatement and LogMinDurationMs set PostgreSQL's log_statement
	// (which statements are logged: none, ddl, mod or all) and
	// log_min_duration_statement (statements slower than this many
	// milliseconds are logged; -1 turns it off) in the cluster's
	// parameter group.
	LogStatement     string `json:"logStatement"`
	LogMinDurationMs int    `json:"logMinDurationMs"`
}

// Values of KMSKey besides a key ARN.
const (
	KMSKeyAWSManaged = "aws-managed"
	KMSKeyCreate     = "create"
)

// devProfile is cheap and disposable: it scales to zero after an hour idle
// and a destroy removes everything, every time. Changes apply at deploy
// time, so what a deploy did can be tried at once. It leaves out what costs
// money without protecting data (a KMS key, Enhanced Monitoring, log
// exports); the README's security section lists these relaxations.
func devProfile() StageConfig {
	return StageConfig{
		Profile:                  DevProfile,
		EngineVersion:            "16.6",
		DatabaseName:             "main",
		MasterUsername:           "dbadmin",
		CredentialsVersion:       1,
		MinCapacity:              0,
		MaxCapacity:              4,
		AutoPauseSeconds:         3600,
		BackupRetentionDays:      1,
		DeletionProtection:       false,
		PreventDestroy:           false,
		FinalSnapshot:            false,
		KeepAutomatedBackups:     false,
		LogExports:               []string{},
		SecretRecoveryWindowDays: 0,
		SubnetIDs:                []string{},
		AllowedSecurityGroupIDs:  []string{},
		AllowedCIDRs:             []string{},
		ConsumerRoleNames:        []string{},

		KMSKey:                           KMSKeyAWSManaged,
		IAMDatabaseAuthentication:        true,
		PerformanceInsights:              true,
		PerformanceInsightsRetentionDays: 7,
		MonitoringIntervalSeconds:        0,
		AutoMinorVersionUpgrade:          true,
		ApplyImmediately:                 true,
		AllowMajorVersionUpgrade:         false,
		LogStatement:                     "ddl",
		LogMinDurationMs:                 1000,
	}
}

// productionProfile keeps the data: backups for 30 days, deletion refused by
// both AWS and Terraform, a final snapshot and the automated backups kept if
// the cluster is deleted all the same. 256 ACU is Serverless v2's ceiling.
// It passes the Checkov baseline (security/): its own KMS key, logs
// exported, Performance Insights and Enhanced Monitoring every minute.
func productionProfile() StageConfig {
	return StageConfig{
		Profile:                  ProductionProfile,
		EngineVersion:            "16.6",
		DatabaseName:             "main",
		MasterUsername:           "dbadmin",
		CredentialsVersion:       1,
		MinCapacity:              0,
		MaxCapacity:              256,
		AutoPauseSeconds:         10800,
		BackupRetentionDays:      30,
		DeletionProtection:       true,
		PreventDestroy:           true,
		FinalSnapshot:            true,
		KeepAutomatedBackups:     true,
		LogExports:               []string{"postgresql"},
		SecretRecoveryWindowDays: 30,
		SubnetIDs:                []string{},
		AllowedSecurityGroupIDs:  []string{},
		AllowedCIDRs:             []string{},
		ConsumerRoleNames:        []string{},

		KMSKey:                           KMSKeyCreate,
		IAMDatabaseAuthentication:        true,
		PerformanceInsights:              true,
		PerformanceInsightsRetentionDays: 7,
		MonitoringIntervalSeconds:        60,
		AutoMinorVersionUpgrade:          true,
		// Changes wait for the maintenance window: an engine upgrade or a
		// parameter change that restarts the writer does not happen in the
		// middle of the day because a deploy ran then.
		ApplyImmediately:         false,
		AllowMajorVersionUpgrade: false,
		LogStatement:             "ddl",
		LogMinDurationMs:         1000,
	}
}

// profiles maps a profile name to its defaults.
var profiles = map[string]func() StageConfig{
	DevProfile:        devProfile,
	ProductionProfile: productionProfile,
}

// defaultProfileFor is the profile a stage starts from when its entry names none.
func defaultProfileFor(stage string) string {
	if stage == ProductionProfile {
		return ProductionProfile
	}
	return DevProfile
}
