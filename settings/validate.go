package settings

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ConfigError lists every problem found in the configuration, so a user
// fixes them in one pass instead of one synth per mistake.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Limits set by AWS. Sources: the Aurora Serverless v2 capacity and
// auto-pause documentation, CreateDBCluster, Secrets Manager and SSM quotas.
const (
	maxACU              = 256
	minMaxACU           = 1
	minAutoPauseSeconds = 300
	maxAutoPauseSeconds = 86400
	minBackupDays       = 1
	maxBackupDays       = 35
	maxRDSIdentifier    = 63
	maxSnapshotName     = 255
	maxSecretName       = 512
	maxParameterName    = 1011
	maxPostgresName     = 63
	maxStateVersionDays = 3650
	maxIAMRoleName      = 64
	// Performance Insights keeps 7 days, whole months of 31 days up to 23,
	// or 731 days.
	maxPIRetentionMonths = 23
	maxPIRetentionDays   = 731
	maxLogDurationMs     = math.MaxInt32
	// An Aurora cluster has up to 15 readers.
	maxReaders = 15
	// Backup and maintenance windows last at least 30 minutes.
	minWindowMinutes = 30
	minutesPerDay    = 24 * 60
	minutesPerWeek   = 7 * minutesPerDay
	// AWS's tag limits: 50 tags on a resource, keys of up to 128
	// characters, values of up to 256.
	maxTagsPerResource = 50
	maxTagKey          = 128
	maxTagValue        = 256
)

// auroraPostgresMinimums gives, per supported major version, the first minor
// version with the Data API on provisioned and Serverless v2 clusters, and the
// first with scaling to 0 ACU. Older majors have neither.
var auroraPostgresMinimums = map[int]struct{ dataAPI, scaleToZero int }{
	13: {11, 15},
	14: {8, 12},
	15: {3, 7},
	16: {1, 3},
	17: {4, 4},
}

var (
	lowercaseName    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	postgresName     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	engineVersion    = regexp.MustCompile(`^(\d+)\.(\d+)$`)
	regionName       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	bucketName       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	stateKeyPrefix   = regexp.MustCompile(`^[A-Za-z0-9!_.*'()/-]*$`)
	secretName       = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)
	parameterName    = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	reservedDBNames  = []string{"postgres", "template0", "template1", "rdsadmin"}
	reservedUsers    = []string{"admin", "public", "rdsadmin", "rdsrepladmin", "rdstopmgr", "rds_superuser", "rds_replication", "rds_password", "rds_iam", "rds_ad"}
	allowedLogExport = []string{"postgresql", "iam-db-auth-error"}
	allowedLogStmt   = []string{"none", "ddl", "mod", "all"}
	allowedStorage   = []string{StorageStandard, StorageIOOptimized}
	weekdays         = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	snsTopicARN      = regexp.MustCompile(`^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})$`)
	tagCharacters    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	dailyWindow      = regexp.MustCompile(`^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$`)
	weeklyWindow     = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$`)
	// RDS Enhanced Monitoring's intervals; 0 is off.
	allowedIntervals = []int{0, 1, 5, 10, 15, 30, 60}
	kmsKeyARN        = regexp.MustCompile(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key/[A-Za-z0-9-]+$`)
)

// validateAccount checks the account settings; a problem there affects
// every listed stage, so the message names them all.
func (s *Settings) validateAccount(stages []string, withBootstrap bool) []string {
	var problems []string
	if withBootstrap {
		stages = append([]string{BootstrapStack}, stages...)
	}
	scope := "all stacks (" + strings.Join(stages, ", ") + ")"
	report := func(key, value, rule string) {
		problems = append(problems, fmt.Sprintf("%s: %s = %q (from %s): %s", scope, key, value, s.sources[key], rule))
	}
	a := s.Account
	if msg := checkLowercaseName(a.Service); msg != "" {
		report("service", a.Service, msg)
	}
	if !regionName.MatchString(a.Region) {
		report("region", a.Region, "must be an AWS region code such as us-east-1 or eu-central-1")
	}
	if msg := checkBucketName(a.StateBucket); msg != "" {
		report("stateBucket", a.StateBucket, msg)
	}
	p := a.StateKeyPrefix
	if !stateKeyPrefix.MatchString(p) || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		report("stateKeyPrefix", p, "must be empty or path segments of letters, digits and !_.*'()- joined by single slashes, with no leading or trailing slash")
	}
	if e := a.LocalEndpoint; e != "" {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") {
			report("localEndpoint", e, "must be empty for a real AWS account, or the URL of an AWS emulator such as http://127.0.0.1:5000")
		}
	}
	if msg := validateStateRole(a.StateRoleARN); msg != "" {
		report("stateRoleArn", a.StateRoleARN, msg)
	}
	for _, msg := range checkTags(a.Tags) {
		problems = append(problems, fmt.Sprintf("%s: tags = %s (from cdktf.json context.tags): %s", scope, asJSON(a.Tags), msg))
	}
	if withBootstrap && (s.StateVersionRetentionDays < 1 || s.StateVersionRetentionDays > maxStateVersionDays) {
		problems = append(problems, fmt.Sprintf("stack %q: context.stateVersionRetentionDays = %d: must be 1 to %d days", BootstrapStack, s.StateVersionRetentionDays, maxStateVersionDays))
	}
	return problems
}

// Validate checks one stage's resolved settings and the names derived from
// them, and returns every problem found. Each message names the stage, the
// setting, the bad value and what is allowed.
func (c StageConfig) Validate() []string {
	var problems []string
	report := func(key string, value any, rule string) {
		if s, ok := value.(string); ok {
			value = strconv.Quote(s)
		}
		problems = append(problems, fmt.Sprintf("stage %q: %s = %v: %s", c.Stage, key, value, rule))
	}

	if msg := checkLowercaseName(c.Stage); msg != "" {
		report("stage name", c.Stage, msg)
	} else if c.Stage == BootstrapStack {
		report("stage name", c.Stage, "is reserved for the stack that creates the state bucket; choose another name")
	}

	if msg := checkEngineVersion(c.EngineVersion, c.MinCapacity == 0); msg != "" {
		report("engineVersion", c.EngineVersion, msg)
	}
	if msg := checkPostgresName(c.DatabaseName, reservedDBNames); msg != "" {
		report("databaseName", c.DatabaseName, msg)
	}
	if msg := checkPostgresName(c.MasterUsername, reservedUsers); msg != "" {
		report("masterUsername", c.MasterUsername, msg)
	}
	if c.CredentialsVersion < 1 {
		report("credentialsVersion", c.CredentialsVersion, "must be a whole number of at least 1; raise it by one to rotate the master password")
	}

	if !isHalfStep(c.MinCapacity) || c.MinCapacity < 0 || c.MinCapacity > maxACU {
		report("minCapacity", c.MinCapacity, fmt.Sprintf("must be 0 to %d ACU in steps of 0.5", maxACU))
	}
	if !isHalfStep(c.MaxCapacity) || c.MaxCapacity < minMaxACU || c.MaxCapacity > maxACU {
		report("maxCapacity", c.MaxCapacity, fmt.Sprintf("must be %d to %d ACU in steps of 0.5", minMaxACU, maxACU))
	}
	if c.MinCapacity > c.MaxCapacity {
		report("minCapacity", c.MinCapacity, fmt.Sprintf("must not exceed maxCapacity (%v)", c.MaxCapacity))
	}
	if c.MinCapacity == 0 {
		if c.AutoPauseSeconds < minAutoPauseSeconds || c.AutoPauseSeconds > maxAutoPauseSeconds {
			report("autoPauseSeconds", c.AutoPauseSeconds, fmt.Sprintf("must be %d to %d seconds when minCapacity is 0", minAutoPauseSeconds, maxAutoPauseSeconds))
		}
	} else if c.MinCapacity > 0 && c.AutoPauseSeconds != 0 {
		report("autoPauseSeconds", c.AutoPauseSeconds, fmt.Sprintf("must be 0 when minCapacity is above 0 (%v): only a database that scales to 0 ACU pauses", c.MinCapacity))
	}

	if c.Readers < 0 || c.Readers > maxReaders {
		report("readers", c.Readers, fmt.Sprintf("must be a whole number from 0 to %d", maxReaders))
	}
	if !slices.Contains(allowedStorage, c.StorageType) {
		report("storageType", c.StorageType, "must be aurora (Standard) or aurora-iopt1 (I/O-Optimized)")
	}

	if c.BackupRetentionDays < minBackupDays || c.BackupRetentionDays > maxBackupDays {
		report("backupRetentionDays", c.BackupRetentionDays, fmt.Sprintf("must be %d to %d days", minBackupDays, maxBackupDays))
	}
	c.validateWindows(report)
	// Unless it is set, the snapshot's name is derived from the service and
	// stage: a bad one of those is reported already.
	if c.FinalSnapshot && (c.FinalSnapshotIdentifier != "" || c.namesAreValid()) {
		if msg := checkRDSIdentifier(c.FinalSnapshotName(), maxSnapshotName); msg != "" {
			report("final snapshot identifier", c.FinalSnapshotName(), msg)
		}
	}
	seen := map[string]bool{}
	for _, logType := range c.LogExports {
		if !slices.Contains(allowedLogExport, logType) || seen[logType] {
			report("logExports", asJSON(c.LogExports), fmt.Sprintf("each entry must be one of %s, at most once", strings.Join(allowedLogExport, ", ")))
			break
		}
		seen[logType] = true
	}
	if c.SecretRecoveryWindowDays != 0 && (c.SecretRecoveryWindowDays < 7 || c.SecretRecoveryWindowDays > 30) {
		report("secretRecoveryWindowDays", c.SecretRecoveryWindowDays, "must be 0 (delete at once) or 7 to 30 days")
	}

	if msg := checkKMSKey(c.KMSKey, c.Region); msg != "" {
		report("kmsKey", c.KMSKey, msg)
	}
	if r := c.PerformanceInsightsRetentionDays; r != 7 && r != maxPIRetentionDays && (r < 31 || r > maxPIRetentionMonths*31 || r%31 != 0) {
		report("performanceInsightsRetentionDays", r, fmt.Sprintf("must be 7 (free), a multiple of 31 up to %d, or %d days", maxPIRetentionMonths*31, maxPIRetentionDays))
	}
	switch {
	case c.DatabaseInsightsMode != DatabaseInsightsStandard && c.DatabaseInsightsMode != DatabaseInsightsAdvanced:
		report("databaseInsightsMode", c.DatabaseInsightsMode, "must be standard or advanced")
	case c.DatabaseInsightsMode == DatabaseInsightsAdvanced && (!c.PerformanceInsights || c.PerformanceInsightsRetentionDays < DatabaseInsightsAdvancedRetentionDays):
		report("databaseInsightsMode", c.DatabaseInsightsMode, fmt.Sprintf("advanced needs Performance Insights on with at least %d days of retention (now performanceInsights %v, performanceInsightsRetentionDays %d): set \"performanceInsights\": true and \"performanceInsightsRetentionDays\": %d (or more, a multiple of 31), or use standard", DatabaseInsightsAdvancedRetentionDays, c.PerformanceInsights, c.PerformanceInsightsRetentionDays, DatabaseInsightsAdvancedRetentionDays))
	}
	if !slices.Contains(allowedIntervals, c.MonitoringIntervalSeconds) {
		report("monitoringIntervalSeconds", c.MonitoringIntervalSeconds, "must be one of 0 (off), 1, 5, 10, 15, 30, 60 seconds")
	}
	if !slices.Contains(allowedLogStmt, c.LogStatement) {
		report("logStatement", c.LogStatement, "must be one of "+strings.Join(allowedLogStmt, ", "))
	}
	if c.LogMinDurationMs < -1 || c.LogMinDurationMs > maxLogDurationMs {
		report("logMinDurationMs", c.LogMinDurationMs, fmt.Sprintf("must be -1 (off) or 0 to %d milliseconds", maxLogDurationMs))
	}

	if msg := checkAlarmTopic(c.AlarmTopicARN, c.Region, c.AccountID); msg != "" {
		report("alarmTopicArn", c.AlarmTopicARN, msg)
	}
	for _, msg := range checkTags(c.Tags) {
		report("tags", asJSON(c.Tags), msg)
	}
	// The stack's own tags count towards AWS's limit (Name is on every
	// resource), and the account's tags are on every resource too.
	if merged := DefaultTags(c.Account, c.Stage, c.Tags); len(merged)+1 > maxTagsPerResource {
		report("tags", asJSON(c.Tags), fmt.Sprintf("with the account's tags makes %d on a resource, the stack's own included: AWS allows %d, so at most %d of the team's", len(merged)+1, maxTagsPerResource, maxTagsPerResource-len(StackOwnTags)))
	}

	c.validateNetwork(report)
	c.validateAccess(report)
	c.validateAccounts(report)

	// The names below are derived from the service and stage names, so a
	// problem there is usually fixed by a shorter service or stage name. A
	// bad service or stage name is reported already, once: the names made
	// from it would only repeat that.
	if !c.namesAreValid() {
		return problems
	}
	// The cluster identifier is longer than the writer's ("-writer"); the
	// last reader's may be longer still ("-reader-15").
	derived := "derived from service and stage"
	if msg := checkRDSIdentifier(c.ClusterIdentifier(), maxRDSIdentifier); msg != "" {
		report("cluster identifier ("+derived+")", c.ClusterIdentifier(), msg)
	} else if c.Readers > 0 && c.Readers <= maxReaders {
		if msg := checkRDSIdentifier(c.ReaderIdentifier(c.Readers), maxRDSIdentifier); msg != "" {
			report("reader identifier ("+derived+")", c.ReaderIdentifier(c.Readers), msg)
		}
	}
	if len(c.SecretName()) > maxSecretName || !secretName.MatchString(c.SecretName()) {
		report("secret name ("+derived+")", c.SecretName(), fmt.Sprintf("must be 1 to %d letters, digits or /_+=.@- characters", maxSecretName))
	}
	for _, name := range []string{c.CredentialsArnParameter(), c.ResourceArnParameter(), c.ReaderEndpointParameter()} {
		if msg := checkParameterName(name); msg != "" {
			report("SSM parameter name ("+derived+")", name, msg)
		}
	}
	// The parameter group name and the KMS alias allow more characters than
	// the cluster identifier; the IAM role name (64) does not.
	if c.MonitoringIntervalSeconds > 0 && len(c.MonitoringRoleName()) > maxIAMRoleName {
		report("monitoring role name ("+derived+")", c.MonitoringRoleName(), fmt.Sprintf("is %d characters: must be at most %d", len(c.MonitoringRoleName()), maxIAMRoleName))
	}
	return problems
}

// checkAlarmTopic checks an alarm topic: CloudWatch tells only a standard
// SNS topic, in the alarm's own region.
func checkAlarmTopic(arn, region, accountID string) string {
	if arn == "" {
		return ""
	}
	m := snsTopicARN.FindStringSubmatch(arn)
	switch {
	case m == nil:
		return "must be a standard SNS topic's ARN, arn:aws:sns:<region>:<account>:<name> (CloudWatch alarms cannot tell a FIFO topic), or empty for no alarms"
	case m[1] != region:
		return fmt.Sprintf("must be a topic in the stage's region %s: CloudWatch alarms tell only topics of their own region", region)
	case accountID != "" && m[2] != accountID:
		return fmt.Sprintf("must be a topic of the stage's account %s (accountId)", accountID)
	}
	return ""
}

// checkTags returns what is wrong with a set of the team's tags, one
// message per bad key, in key order.
func checkTags(tags map[string]string) []string {
	var problems []string
	for _, key := range sortedKeys(tags) {
		value := tags[key]
		switch {
		case slices.Contains(StackOwnTags, key):
			problems = append(problems, fmt.Sprintf("key %q is the stack's own: it sets %s itself", key, strings.Join(StackOwnTags, ", ")))
		case strings.HasPrefix(strings.ToLower(key), "aws:"):
			problems = append(problems, fmt.Sprintf("key %q starts with aws:, which AWS reserves", key))
		case key == "" || utf8.RuneCountInString(key) > maxTagKey || !tagCharacters.MatchString(key):
			problems = append(problems, fmt.Sprintf("key %q must be 1 to %d letters, digits, spaces and _.:/=+-@", key, maxTagKey))
		case utf8.RuneCountInString(value) > maxTagValue || !tagCharacters.MatchString(value):
			problems = append(problems, fmt.Sprintf("the value of %q must be up to %d letters, digits, spaces and _.:/=+-@", key, maxTagValue))
		}
	}
	return problems
}

// validateWindows checks the backup and maintenance windows: AWS's
// formats, 30 minutes at least, and the daily backup window never inside
// the weekly maintenance window, on any day.
func (c StageConfig) validateWindows(report func(key string, value any, rule string)) {
	backupStart, backupLength, backupOK := parseWindow(c.BackupWindow, dailyWindow)
	if c.BackupWindow != "" && (!backupOK || backupLength < minWindowMinutes) {
		report("backupWindow", c.BackupWindow, fmt.Sprintf(`must be hh24:mi-hh24:mi in UTC (as "03:00-04:00"), at least %d minutes, or empty to let AWS choose`, minWindowMinutes))
		backupOK = false
	}
	maintenanceStart, maintenanceLength, maintenanceOK := parseWindow(c.MaintenanceWindow, weeklyWindow)
	if c.MaintenanceWindow != "" && (!maintenanceOK || maintenanceLength < minWindowMinutes) {
		report("maintenanceWindow", c.MaintenanceWindow, fmt.Sprintf(`must be ddd:hh24:mi-ddd:hh24:mi in UTC, days mon to sun (as "sun:04:30-sun:05:30"), at least %d minutes, or empty to let AWS choose`, minWindowMinutes))
		maintenanceOK = false
	}
	if !backupOK || !maintenanceOK {
		return
	}
	for day := range weekdays {
		if overlaps(day*minutesPerDay+backupStart, backupLength, maintenanceStart, maintenanceLength, minutesPerWeek) {
			report("backupWindow", c.BackupWindow, fmt.Sprintf("must not overlap maintenanceWindow (%s): AWS refuses the two at the same time", c.MaintenanceWindow))
			return
		}
	}
}

// parseWindow reads a daily (hh24:mi-hh24:mi) or weekly
// (ddd:hh24:mi-ddd:hh24:mi) window: its start in minutes from the start of
// the day or of Monday, and its length in minutes. A window may run past
// midnight, or past Sunday.
func parseWindow(window string, format *regexp.Regexp) (start, length int, ok bool) {
	m := format.FindStringSubmatch(window)
	if m == nil {
		return 0, 0, false
	}
	period, fields := minutesPerDay, m[1:]
	// A daily window's day is "": index -1, taken as 0.
	minutes := func(day, hour, minute string) int {
		h, _ := strconv.Atoi(hour)
		mi, _ := strconv.Atoi(minute)
		return max(slices.Index(weekdays, day), 0)*minutesPerDay + h*60 + mi
	}
	var end int
	if format == weeklyWindow {
		period = minutesPerWeek
		start, end = minutes(fields[0], fields[1], fields[2]), minutes(fields[3], fields[4], fields[5])
	} else {
		start, end = minutes("", fields[0], fields[1]), minutes("", fields[2], fields[3])
	}
	return start, ((end-start)%period + period) % period, true
}

// overlaps says whether two intervals on a circle of the given period (a
// day, a week) share a minute.
func overlaps(aStart, aLength, bStart, bLength, period int) bool {
	fromAToB := ((bStart-aStart)%period + period) % period
	return fromAToB < aLength || (period-fromAToB)%period < bLength
}

// namesAreValid says whether the service and stage names, which every
// derived name is made of, pass their own rules.
func (c StageConfig) namesAreValid() bool {
	return checkLowercaseName(c.Account.Service) == "" && checkLowercaseName(c.Stage) == ""
}

// checkLowercaseName applies the rules shared by service and stage names:
// they become part of RDS identifiers, which are lowercase, start with a
// letter and have no double or trailing hyphen.
func checkLowercaseName(name string) string {
	if name == "" {
		return "must not be empty"
	}
	if !lowercaseName.MatchString(name) || strings.Contains(name, "--") || strings.HasSuffix(name, "-") {
		return "must start with a lowercase letter and hold only lowercase letters, digits and single hyphens, not ending with a hyphen"
	}
	return ""
}

// checkRDSIdentifier applies the CreateDBCluster rules for cluster, instance
// and snapshot identifiers.
func checkRDSIdentifier(id string, maxLen int) string {
	if len(id) > maxLen {
		return fmt.Sprintf("is %d characters: must be at most %d", len(id), maxLen)
	}
	if !lowercaseName.MatchString(id) || strings.Contains(id, "--") || strings.HasSuffix(id, "-") {
		return "must start with a lowercase letter and hold only lowercase letters, digits and single hyphens, not ending with a hyphen"
	}
	return ""
}

func checkPostgresName(name string, reserved []string) string {
	if name == "" || len(name) > maxPostgresName || !postgresName.MatchString(name) {
		return fmt.Sprintf("must be 1 to %d letters, digits or underscores, starting with a letter", maxPostgresName)
	}
	if slices.Contains(reserved, strings.ToLower(name)) {
		return "is reserved by PostgreSQL or RDS; reserved: " + strings.Join(reserved, ", ")
	}
	return ""
}

func checkEngineVersion(version string, scalesToZero bool) string {
	m := engineVersion.FindStringSubmatch(version)
	allowed := "must be an Aurora PostgreSQL version MAJOR.MINOR with the Data API on Serverless v2 (13.11+, 14.8+, 15.3+, 16.1+, 17.4+) and, for minCapacity 0, scaling to zero (13.15+, 14.12+, 15.7+, 16.3+, 17.4+)"
	if m == nil {
		return allowed
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	minimums, ok := auroraPostgresMinimums[major]
	if !ok || minor < minimums.dataAPI || (scalesToZero && minor < minimums.scaleToZero) {
		return allowed
	}
	return ""
}

// checkKMSKey accepts the two keywords or a key ARN in the stage's region:
// RDS encrypts a cluster only with a key of its own region, and needs the
// key's ARN, not an alias.
func checkKMSKey(key, region string) string {
	allowed := fmt.Sprintf("must be %q (AWS-managed keys), %q (a key the stack creates) or the ARN of a KMS key in %s (arn:aws:kms:%s:<account>:key/<key id>)", KMSKeyAWSManaged, KMSKeyCreate, region, region)
	if key == KMSKeyAWSManaged || key == KMSKeyCreate {
		return ""
	}
	m := kmsKeyARN.FindStringSubmatch(key)
	if m == nil || m[1] != region {
		return allowed
	}
	return ""
}

// checkBucketName applies the S3 general purpose bucket naming rules.
func checkBucketName(name string) string {
	const rule = "must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, not shaped like an IP address"
	if name == "" {
		return "must not be empty: set context.stateBucket in cdktf.json or DB_STATE_BUCKET to a bucket you own"
	}
	if len(name) < 3 || len(name) > 63 || !bucketName.MatchString(name) || strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return rule
	}
	return ""
}

// checkParameterName applies the SSM PutParameter naming rules for a name
// without a path.
func checkParameterName(name string) string {
	lower := strings.ToLower(name)
	if len(name) > maxParameterName || !parameterName.MatchString(name) {
		return fmt.Sprintf("must be 1 to %d letters, digits or _.- characters", maxParameterName)
	}
	if strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		return "must not start with \"aws\" or \"ssm\" (reserved by SSM): choose another service name"
	}
	return ""
}

// jsonText is a value already written as JSON, which report prints as is.
type jsonText string

func asJSON(value any) jsonText {
	data, _ := json.Marshal(value)
	return jsonText(data)
}

func isHalfStep(acu float64) bool {
	return math.Mod(acu*2, 1) == 0
}
