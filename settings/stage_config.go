// Package settings holds the settings of each stage: read from cdktf.json's
// context and the environment, resolved against the two profiles, and
// validated. It is data and imports nothing that starts Node.js (no jsii,
// cdktf, constructs or provider bindings), so the commands that only read a
// stage's settings stay small and start at once; package stacks builds the
// Terraform from them.
package settings

// Profile names. A stage starts from one profile's defaults and may override
// any setting; a stage named "production" starts from productionProfile,
// every other stage from devProfile, unless its entry names a profile.
const (
	DevProfile        = "dev"
	ProductionProfile = "production"
)

// StageConfig is everything one stage's stack is built from. The JSON names
// are the keys a stage entry in cdktf.json's context may override.
//
// The comments of the settings are their reference: docs/settings.md is
// generated from them and from the two profiles (go generate ./..., which
// runs cmd/settings-doc; a test fails when it is stale). Each says what the
// setting does, then what is allowed; validate.go enforces the latter.
type StageConfig struct {
	// Stage is the stage name: the stack ID, part of every resource name.
	Stage string `json:"-"`
	// Profile is the profile the stage's defaults came from.
	Profile string `json:"-"`
	// Account holds the settings that differ per AWS account.
	Account AccountSettings `json:"-"`

	// Region is where the stage's resources live; empty means the
	// account-level region. The state bucket stays in the account-level
	// region. Allowed: an AWS region code.
	Region string `json:"region"`
	// AssumeRoleARN, if set, is the role the stage's AWS provider assumes,
	// with the session name aurora-stages-<stage>-<deployer> (DB_DEPLOYER,
	// else GITHUB_ACTOR, else USER): the stage's resources in an account of
	// their own. Allowed: an IAM role ARN,
	// arn:<partition>:iam::<account>:role/<path/><name>, of AccountID's
	// account when that is set.
	AssumeRoleARN string `json:"assumeRoleArn"`
	// AccountID, if set, is the only account the stage may be deployed to
	// (the provider's allowed_account_ids): credentials of any other
	// account stop before the plan. `make review` flags a production-profile
	// stage without it. Allowed: 12 digits.
	AccountID string `json:"accountId"`

	// EngineVersion is the Aurora PostgreSQL version, pinned so a deploy
	// never upgrades the database by surprise; a later minor version AWS
	// applied is kept. Allowed: MAJOR.MINOR with the Data API on Serverless
	// v2 (13.11+, 14.8+, 15.3+, 16.1+, 17.4+) and, when MinCapacity is 0,
	// scaling to zero (13.15+, 14.12+, 15.7+, 16.3+, 17.4+).
	EngineVersion string `json:"engineVersion"`
	// DatabaseName is the database created in the cluster; changing it
	// replaces the cluster. Allowed: 1 to 63 letters, digits and
	// underscores, starting with a letter; not postgres, template0,
	// template1 or rdsadmin.
	DatabaseName string `json:"databaseName"`
	// MasterUsername is the cluster's master user; changing it replaces the
	// cluster. Allowed: as DatabaseName; not admin, public or an rds* role.
	MasterUsername string `json:"masterUsername"`
	// CredentialsVersion drives the write-only password arguments: raising
	// it generates a new master password and writes it to the cluster and
	// the secret on the next deploy. Terraform never stores the password.
	// Allowed: 1 or more.
	CredentialsVersion int `json:"credentialsVersion"`

	// RestoreFrom starts the stage's cluster from another's data, and is
	// read only when the cluster is created: changing or removing it later
	// changes nothing. Exactly one of {"stage": "<stage>"}, an Aurora clone
	// (copy-on-write) of another stage's cluster as it is now; {"stage":
	// "<stage>", "time": "<RFC 3339 time>"}, a point-in-time restore of
	// it; {"snapshot": "<identifier>"}, a restore from a cluster snapshot
	// (a final snapshot, a manual one, or an automated one, whose
	// identifier RDS starts with rds:, such as
	// rds:main-movies-dev-cluster-2026-12-01-03-10). The cluster gets a new master
	// password of its own, and the Data API is turned on after the
	// restore. A clone or point-in-time restore is of a stage in the same
	// account and region, and runs its engine version. Allowed: a source
	// stage of cdktf.json other than this one, a time that has passed; the
	// database name and master user (and, but for a snapshot, the engine
	// version) the source's, where the source is a stage of cdktf.json (a
	// snapshot is traced to its stage by the stage's final snapshot name).
	RestoreFrom *RestoreFrom `json:"restoreFrom"`
	// AllowProductionData lets a stage of the dev profile be made from a
	// production-profile stage's data (RestoreFrom): without it that is
	// refused, so production data does not land in a stage with a dev
	// stage's protections by mistake.
	AllowProductionData bool `json:"allowProductionData"`

	// MinCapacity is the writer's least capacity, in Aurora capacity units
	// (ACU); 0 lets the database pause. Allowed: 0 to 256 in steps of 0.5,
	// at most MaxCapacity.
	MinCapacity float64 `json:"minCapacity"`
	// MaxCapacity is the writer's greatest capacity, in ACU. Allowed: 1 to
	// 256 (Serverless v2's ceiling) in steps of 0.5.
	MaxCapacity float64 `json:"maxCapacity"`
	// AutoPauseSeconds is how long the database stays idle before it
	// pauses. Allowed: 300 to 86400 when MinCapacity is 0; 0 otherwise.
	AutoPauseSeconds int `json:"autoPauseSeconds"`

	// Readers is how many db.serverless readers the cluster runs beside
	// its writer, main-<service>-<stage>-reader-<n>: the instances Aurora
	// promotes when the writer or its Availability Zone fails, instead of
	// creating a new one (minutes of downtime). They scale with the writer
	// (promotion tier 1), so a failover does not land on a reader at its
	// minimum. Where the stage names its subnets, each reader runs in
	// another zone than the writer's. Adding or removing one changes no
	// other instance. Allowed: 0 to 15.
	Readers int `json:"readers"`
	// StorageType is the cluster's storage: aurora (Standard, I/O billed
	// per request) or aurora-iopt1 (I/O-Optimized, no I/O charges for a
	// higher storage and capacity price), changed in place; AWS allows a
	// switch to I/O-Optimized once in 30 days. Allowed: aurora,
	// aurora-iopt1.
	StorageType string `json:"storageType"`

	// BackupRetentionDays is how long automated backups are kept. Allowed:
	// 1 to 35.
	BackupRetentionDays int `json:"backupRetentionDays"`
	// BackupWindow is the daily time, in UTC, automated backups start in;
	// empty lets AWS choose. Allowed: hh24:mi-hh24:mi, at least 30 minutes,
	// not overlapping MaintenanceWindow.
	BackupWindow string `json:"backupWindow"`
	// MaintenanceWindow is the weekly time, in UTC, AWS may apply pending
	// changes and upgrades to the cluster and its instances in; empty lets
	// AWS choose. Allowed: ddd:hh24:mi-ddd:hh24:mi (mon to sun), at least
	// 30 minutes.
	MaintenanceWindow string `json:"maintenanceWindow"`
	// DeletionProtection makes AWS refuse to delete the cluster.
	DeletionProtection bool `json:"deletionProtection"`
	// PreventDestroy makes Terraform refuse any plan that destroys the
	// cluster (lifecycle.prevent_destroy), and its KMS key.
	PreventDestroy bool `json:"preventDestroy"`
	// FinalSnapshot takes a snapshot named FinalSnapshotIdentifier when the
	// cluster is deleted.
	FinalSnapshot bool `json:"finalSnapshot"`
	// FinalSnapshotIdentifier names that snapshot; empty means
	// main-<service>-<stage>-cluster-final. Allowed: RDS snapshot
	// identifier rules, up to 255 characters.
	FinalSnapshotIdentifier string `json:"finalSnapshotIdentifier"`
	// KeepAutomatedBackups keeps automated backups after the cluster is
	// deleted.
	KeepAutomatedBackups bool `json:"keepAutomatedBackups"`
	// LogExports lists the log types exported to CloudWatch Logs. Allowed:
	// postgresql, iam-db-auth-error.
	LogExports []string `json:"logExports"`

	// SecretRecoveryWindowDays is how long a deleted secret can be
	// restored. Allowed: 0 (deleted at once, so a destroyed stage can be
	// deployed again under the same secret name) or 7 to 30.
	SecretRecoveryWindowDays int `json:"secretRecoveryWindowDays"`

	// KMSKey is the key that encrypts the cluster's storage, its
	// Performance Insights data and the secret; changing it replaces the
	// cluster and the secret. Allowed: aws-managed (the AWS-managed keys
	// aws/rds and aws/secretsmanager), create (a customer-managed key the
	// stack creates, rotated every year, 30 days to cancel a deletion) or
	// the ARN of an existing key in the stage's region (of AccountID's
	// account, when that is set).
	KMSKey string `json:"kmsKey"`
	// IAMDatabaseAuthentication lets database users sign in with IAM tokens
	// instead of passwords; the master user keeps its password.
	IAMDatabaseAuthentication bool `json:"iamDatabaseAuthentication"`
	// PerformanceInsights turns Performance Insights on for the writer.
	PerformanceInsights bool `json:"performanceInsights"`
	// PerformanceInsightsRetentionDays is how long Performance Insights
	// keeps its data. Allowed: 7 (free), a multiple of 31 up to 713, or 731.
	PerformanceInsightsRetentionDays int `json:"performanceInsightsRetentionDays"`
	// DatabaseInsightsMode is CloudWatch Database Insights' mode for the
	// cluster, which replaced Performance Insights' console when that
	// reached its end of life (2026-07-31). standard, what AWS runs when
	// nothing is set, is free; advanced adds fleet monitoring, execution
	// plans and lock analysis, billed per ACU-hour, and needs Performance
	// Insights on the cluster with at least 465 days of retention. Both
	// profiles run standard: advanced costs on every ACU-hour, a choice a
	// team makes. Allowed: standard, advanced (with performanceInsights
	// true and performanceInsightsRetentionDays of 465 or more).
	DatabaseInsightsMode string `json:"databaseInsightsMode"`
	// MonitoringIntervalSeconds is how often Enhanced Monitoring samples the
	// writer's operating system; 0 turns it off. Above 0 the stack creates
	// the IAM role RDS publishes the metrics with. Allowed: 0, 1, 5, 10, 15,
	// 30, 60.
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
	// own there; empty means the region's default VPC, looked up at plan
	// time. Allowed: vpc- and 8 or 17 hex digits, with SubnetIDs or
	// SubnetGroupName.
	VPCID string `json:"vpcId"`
	// SubnetIDs are the subnets of VPCID the database may run in; the stage
	// creates a DB subnet group <service>-<stage> over them. Changing them,
	// or moving a stage off the default VPC, replaces the cluster. Allowed:
	// at least two subnet- IDs, in at least two Availability Zones (AWS
	// checks the zones at deploy time).
	SubnetIDs []string `json:"subnetIds"`
	// SubnetGroupName names an existing DB subnet group in VPCID, instead
	// of SubnetIDs (not both).
	SubnetGroupName string `json:"subnetGroupName"`
	// AllowedSecurityGroupIDs are security groups let in on the database's
	// port (5432). The Data API needs none. Allowed: sg- IDs, each once.
	AllowedSecurityGroupIDs []string `json:"allowedSecurityGroupIds"`
	// AllowedCIDRs are networks let in on the database's port. Allowed:
	// IPv4 or IPv6 CIDR blocks at their network address, each once;
	// 0.0.0.0/0 and ::/0 are refused on a production-profile stage and
	// print a warning on every synth elsewhere.
	AllowedCIDRs []string `json:"allowedCidrs"`

	// AlarmTopicARN, if set, is the SNS topic the stage's alarms tell, and
	// tell again when they are OK: capacity held at the ceiling, an
	// instance's CPU high, a failover (docs/stack.md); empty means the
	// account-level alarmTopicArn, and no alarms when that is empty too.
	// `make review` flags a production-profile stage without one. Allowed:
	// a standard SNS topic's ARN in the stage's region (of AccountID's
	// account, when that is set).
	AlarmTopicARN string `json:"alarmTopicArn"`

	// Tags are the team's tags (owner, cost centre...) on every resource of
	// the stage, over the account-level tags; the stack sets service,
	// stage, managed-by and Name itself. Allowed: keys of 1 to 128 and
	// values of up to 256 letters, digits, spaces and _.:/=+-@, no key
	// starting with aws:, none of the stack's own keys, at most 46 with the
	// account's (AWS allows 50 on a resource, the stack's own included).
	Tags map[string]string `json:"tags"`

	// ConsumerRoleNames are existing IAM roles of the stage's account that
	// get the stage's access policy attached: the functions that query the
	// database. Allowed: role names (not ARNs), each once.
	ConsumerRoleNames []string `json:"consumerRoleNames"`

	// LogStatement is PostgreSQL's log_statement: which statements are
	// logged. Allowed: none, ddl, mod, all.
	LogStatement string `json:"logStatement"`
	// LogMinDurationMs is PostgreSQL's log_min_duration_statement:
	// statements slower than this many milliseconds are logged. Allowed: -1
	// (off) or 0 to 2147483647.
	LogMinDurationMs int `json:"logMinDurationMs"`
}

// Values of StorageType.
const (
	StorageStandard    = "aurora"
	StorageIOOptimized = "aurora-iopt1"
)

// Values of KMSKey besides a key ARN.
const (
	KMSKeyAWSManaged = "aws-managed"
	KMSKeyCreate     = "create"
)

// devProfile is cheap and disposable: it scales to zero after an hour idle
// and a destroy removes everything, every time. Changes apply at deploy
// time, so what a deploy did can be tried at once. It leaves out what costs
// money without protecting data (a KMS key, Enhanced Monitoring, log
// exports); docs/security.md lists these relaxations.
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
		Readers:                  0,
		StorageType:              StorageStandard,
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
		Tags:                     map[string]string{},

		KMSKey:                           KMSKeyAWSManaged,
		IAMDatabaseAuthentication:        true,
		PerformanceInsights:              true,
		PerformanceInsightsRetentionDays: 7,
		DatabaseInsightsMode:             DatabaseInsightsStandard,
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
// the cluster is deleted all the same; a reader to fail over to, in another
// zone. 256 ACU is Serverless v2's ceiling.
// It passes the Checkov baseline (security/): its own KMS key, logs
// exported, Performance Insights and Enhanced Monitoring every minute.
func productionProfile() StageConfig {
	return StageConfig{
		Profile:             ProductionProfile,
		EngineVersion:       "16.6",
		DatabaseName:        "main",
		MasterUsername:      "dbadmin",
		CredentialsVersion:  1,
		MinCapacity:         0,
		MaxCapacity:         256,
		AutoPauseSeconds:    10800,
		Readers:             1,
		StorageType:         StorageStandard,
		BackupRetentionDays: 30,
		// Backups at night in Europe and the Americas, maintenance after
		// them on Sunday: neither in the other's way.
		BackupWindow:             "03:00-04:00",
		MaintenanceWindow:        "sun:04:30-sun:05:30",
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
		Tags:                     map[string]string{},

		KMSKey:                           KMSKeyCreate,
		IAMDatabaseAuthentication:        true,
		PerformanceInsights:              true,
		PerformanceInsightsRetentionDays: 7,
		DatabaseInsightsMode:             DatabaseInsightsStandard,
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

// Database Insights' modes (DatabaseInsightsMode).
const (
	DatabaseInsightsStandard = "standard"
	DatabaseInsightsAdvanced = "advanced"
	// DatabaseInsightsAdvancedRetentionDays is the Performance Insights
	// retention advanced mode needs (15 months of 31 days).
	DatabaseInsightsAdvancedRetentionDays = 465
)
