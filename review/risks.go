package review

import (
	"fmt"
	"slices"
	"strings"

	"aurora-stages/settings"
	"aurora-stages/stacks/addresses"
)

// Risk is one thing in a plan a reviewer must not miss, with its reason.
type Risk struct {
	Address string
	Reason  string
}

// dataResources are the resources whose deletion or replacement loses data
// or credentials, with what is lost.
var dataResources = map[string]string{
	"aws_rds_cluster":           "the database and its automated backups",
	"aws_rds_cluster_instance":  "the writer: the database has no capacity until a new one is up",
	"aws_secretsmanager_secret": "the master credentials every client reads",
	"aws_kms_key":               "the key of the database, its snapshots and the secret: once its deletion window ends, nothing it encrypted can be read",
	"aws_security_group":        "the database's security group: every client it lets in loses its way to the database until the new one is attached, and must be pointed at the new ID",
}

// fixedNames are the resource types whose name AWS holds unique, with the
// argument that names them: two objects cannot have the same name at once.
var fixedNames = map[string]string{
	"aws_rds_cluster":                 "cluster_identifier",
	"aws_rds_cluster_instance":        "identifier",
	"aws_rds_cluster_parameter_group": "name",
	"aws_db_subnet_group":             "name",
	"aws_secretsmanager_secret":       "name",
	"aws_kms_alias":                   "name",
	"aws_iam_role":                    "name",
	"aws_ssm_parameter":               "name",
}

// The stack's resources that hold the master credentials: what clients
// read must be written whenever the cluster is created.
const (
	clusterAddress     = addresses.Cluster
	credentialsAddress = addresses.CredentialsValue
	writerAddress      = addresses.Writer
	instanceType       = "aws_rds_cluster_instance"
)

// A reader's loss: its clients, and a failover target.
const readerLost = "a reader: its connections drop, and the cluster has one failover target fewer until a new one is up"

// noFailoverTarget is what a cluster without readers risks.
const noFailoverTarget = "no failover target: when the writer or its Availability Zone fails, Aurora must create a new instance before the database answers again (minutes of downtime)"

// What a parameter's consumers suffer, whoever changes it.
const (
	parameterDeleted      = "deleted: every consumer that reads this parameter breaks"
	parameterValueChanged = "value changes: every consumer that reads this parameter is affected"
)

// openToTheInternet says how an ingress rule's values open the database's
// port to every address, if they do.
func openToTheInternet(rule any) []string {
	var reasons []string
	for _, argument := range []string{"cidr_ipv4", "cidr_ipv6"} {
		if cidr := str(rule, argument); settings.IsOpenCIDR(cidr) {
			reasons = append(reasons, fmt.Sprintf("opens the database's port to the whole internet (%s %s)", argument, cidr))
		}
	}
	return reasons
}

// FindRisks lists the risky changes of a plan, in the plan's order.
func FindRisks(plan *Plan) []Risk {
	var risks []Risk
	for _, rc := range plan.ResourceChanges {
		if rc.Mode != "" && rc.Mode != "managed" {
			continue
		}
		flag := func(format string, args ...any) {
			risks = append(risks, Risk{Address: rc.Address, Reason: fmt.Sprintf(format, args...)})
		}
		action := rc.Change.action()
		if lost, ok := dataResources[rc.Type]; ok {
			isReader := rc.Type == instanceType && rc.Address != writerAddress
			if isReader {
				lost = readerLost
			}
			switch {
			case action == Delete && isReader:
				// Fewer readers is a setting's intent; the last one's
				// deletion is flagged below.
			case action == Delete:
				flag("deleted: %s", lost)
			case action == Replace:
				forcedBy := strings.Join(rc.Change.replacedBy(), ", ")
				if forcedBy == "" {
					forcedBy = "a replacement requested outside the configuration (-replace or a tainted resource)"
				}
				flag("replaced (destroyed and created anew), forced by %s: %s", forcedBy, lost)
			}
		}
		if nameArgument, ok := fixedNames[rc.Type]; ok && slices.Equal(rc.Change.Actions, []string{"create", "delete"}) {
			if name := str(rc.Change.Before, nameArgument); name != "" && name == str(rc.Change.After, nameArgument) {
				flag("replaced create-before-destroy under the same %s %q: AWS refuses a second object of that name while the first exists, so the apply fails halfway", nameArgument, name)
			}
		}
		if rc.Type == "aws_vpc_security_group_ingress_rule" && (action == Create || action == Update || action == Replace) {
			for _, reason := range openToTheInternet(rc.Change.After) {
				flag("%s", reason)
			}
		}
		if rc.Type == "aws_secretsmanager_secret" && action == Replace {
			if days, _ := number(rc.Change.Before, "recovery_window_in_days"); days > 0 {
				flag("replaced under the same name while AWS keeps the deleted secret restorable for %g days: the new secret cannot take its name, so the apply fails halfway; set secretRecoveryWindowDays to 0 and deploy before this change", days)
			}
		}
		if rc.Type == "aws_rds_cluster" && (action == Update || action == Replace) {
			risks = append(risks, clusterRisks(rc)...)
			risks = append(risks, majorUpgradeRefused(rc)...)
		}
		if rc.Type == "aws_ssm_parameter" && (action == Update || action == Replace || action == Delete) {
			if action == Delete {
				flag("%s", parameterDeleted)
			} else if str(rc.Change.Before, "value") != str(rc.Change.After, "value") {
				// No values here: the provider marks a parameter's value sensitive.
				flag("%s", parameterValueChanged)
			}
		}
	}
	risks = append(risks, credentialsRisks(plan)...)
	return append(risks, lastReaderRisks(plan)...)
}

// lastReaderRisks flags a plan that deletes the last of the cluster's
// readers (the writer stays).
func lastReaderRisks(plan *Plan) []Risk {
	var before, after int
	var deleted string
	for _, rc := range plan.ResourceChanges {
		if rc.Type != instanceType || rc.Address == writerAddress || (rc.Mode != "" && rc.Mode != "managed") {
			continue
		}
		action := rc.Change.action()
		if action != Create {
			before++
		}
		if action == Delete {
			deleted = rc.Address
		} else {
			after++
		}
	}
	if before == 0 || after > 0 {
		return nil
	}
	return []Risk{{deleted, "deleted, the cluster's last reader: " + noFailoverTarget}}
}

// credentialsRisks flags a plan that creates the cluster (or replaces it)
// without writing the credentials clients read: they would keep the old
// endpoint, user and password, and every client would be locked out.
func credentialsRisks(plan *Plan) []Risk {
	actions := map[string]Action{}
	for _, rc := range plan.ResourceChanges {
		actions[rc.Address] = rc.Change.action()
	}
	cluster := actions[clusterAddress]
	if cluster != Create && cluster != Replace {
		return nil
	}
	if credentials := actions[credentialsAddress]; credentials == Create || credentials == Replace {
		return nil
	}
	return []Risk{{clusterAddress, "created anew while " + credentialsAddress + " is not written in the same plan: the secret would keep another cluster's endpoint and password, and every client that reads it is locked out"}}
}

func clusterRisks(rc ResourceChange) []Risk {
	var risks []Risk
	flag := func(format string, args ...any) {
		risks = append(risks, Risk{Address: rc.Address, Reason: fmt.Sprintf(format, args...)})
	}
	before, after := rc.Change.Before, rc.Change.After

	if was, _ := boolean(before, "deletion_protection"); was {
		if now, known := boolean(after, "deletion_protection"); known && !now {
			flag("deletion protection turned off: AWS will no longer refuse to delete the cluster")
		}
	}
	if skippedBefore, known := boolean(before, "skip_final_snapshot"); known && !skippedBefore {
		if skippedAfter, _ := boolean(after, "skip_final_snapshot"); skippedAfter {
			flag("final snapshot skipped: deleting the cluster would keep no copy of its data")
		}
	}
	if was, ok := number(before, "backup_retention_period"); ok {
		if now, ok := number(after, "backup_retention_period"); ok && now < was {
			flag("backups shortened from %g to %g days: older restore points are lost", was, now)
		}
	}
	if was, _ := boolean(before, "enable_http_endpoint"); was {
		if now, known := boolean(after, "enable_http_endpoint"); known && !now {
			flag("Data API turned off: every client that queries through it breaks")
		}
	}
	if scalingBefore, scalingAfter := nested(before, "serverlessv2_scaling_configuration"), nested(after, "serverlessv2_scaling_configuration"); scalingBefore != nil && scalingAfter != nil {
		minBefore, okMin := number(scalingBefore, "min_capacity")
		maxAfter, okMax := number(scalingAfter, "max_capacity")
		if okMin && okMax && maxAfter < minBefore {
			flag("maximum capacity lowered to %g ACU, below the current minimum of %g ACU", maxAfter, minBefore)
		}
	}
	if was, now := str(before, "storage_type"), str(after, "storage_type"); was != "" && now == settings.StorageIOOptimized && was != now {
		flag("storage type changes from %s to %s (I/O-Optimized): AWS allows this switch once in 30 days, the way back to Standard at any time", was, now)
	}
	if was, now := str(before, "engine_version"), str(after, "engine_version"); was != "" && now != "" && settings.EngineMajor(was) != settings.EngineMajor(now) {
		flag("engine major version changes from %s to %s: a major upgrade, with downtime and no way back", was, now)
	}
	return risks
}

// majorUpgradeRefused flags a planned major upgrade in place that AWS will
// refuse. Apart from clusterRisks, which drift shares: a change AWS made
// has no such flag to set.
func majorUpgradeRefused(rc ResourceChange) []Risk {
	before, after := rc.Change.Before, rc.Change.After
	was, now := str(before, "engine_version"), str(after, "engine_version")
	if was == "" || now == "" || settings.EngineMajor(was) == settings.EngineMajor(now) || rc.Change.action() != Update {
		return nil
	}
	if allowed, _ := boolean(after, "allow_major_version_upgrade"); allowed {
		return nil
	}
	return []Risk{{rc.Address, "AWS will refuse this major version upgrade: allow_major_version_upgrade is not set; set \"allowMajorVersionUpgrade\": true in the stage's entry to upgrade in place"}}
}

// ConfigRisks flags what a stage's settings give up that a plan cannot
// show: Terraform's prevent_destroy is not part of a plan, a skipped final
// snapshot only matters on a later destroy, and a missing accountId only
// on the day someone deploys with the wrong credentials.
func ConfigRisks(cfg settings.StageConfig) []Risk {
	if cfg.Profile != settings.ProductionProfile {
		return nil
	}
	var risks []Risk
	address := clusterAddress
	if !cfg.PreventDestroy {
		risks = append(risks, Risk{address, "prevent_destroy is off on a production-profile stage: Terraform will no longer refuse a plan that destroys the database"})
	}
	if !cfg.FinalSnapshot {
		risks = append(risks, Risk{address, "final snapshot skipped on a production-profile stage: a destroy would keep no copy of the data"})
	}
	if cfg.Readers == 0 {
		risks = append(risks, Risk{writerAddress, "no reader on a production-profile stage, " + noFailoverTarget + `; set "readers": 1 or more in the stage's entry`})
	}
	if cfg.AlarmTopicARN == "" {
		risks = append(risks, Risk{clusterAddress, `no alarmTopicArn on a production-profile stage: nobody is told when the database is held at its capacity ceiling, short of CPU or failing over; set "alarmTopicArn" to an SNS topic`})
	}
	if cfg.AccountID == "" {
		risks = append(risks, Risk{"provider.aws", `no accountId on a production-profile stage: nothing stops a deploy with another account's credentials (dev's, say) from creating or changing this stage there; set "accountId" in the stage's entry`})
	}
	return risks
}

// Addresses are the resource addresses the review's rules (risks, costs,
// restores) name: each must be a resource some synthesized stage has, or
// its rule never fires (__tests__ checks it against every golden stage).
func Addresses() []string {
	return []string{clusterAddress, credentialsAddress, writerAddress}
}
