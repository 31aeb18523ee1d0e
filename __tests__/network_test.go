package tests

// The network against a local AWS: a stage placed in a VPC of its own,
// made with the AWS SDK as a team's network would be, and a stage planned
// in an account without a default VPC.

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"aurora-stages/internal/localaws"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// teamNetwork is a VPC with two subnets in two Availability Zones and a
// client's security group.
type teamNetwork struct {
	vpc, subnetA, subnetB, client string
}

func newTeamNetwork(t *testing.T, emulator *localaws.Emulator) teamNetwork {
	t.Helper()
	ctx := localaws.Context(t)
	client := emulator.EC2()
	vpc, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.50.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	n := teamNetwork{vpc: aws.ToString(vpc.Vpc.VpcId)}
	for i, zone := range []string{"us-east-1a", "us-east-1b"} {
		subnet, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(zone), CidrBlock: aws.String([]string{"10.50.1.0/24", "10.50.2.0/24"}[i])})
		if err != nil {
			t.Fatal(err)
		}
		*[]*string{&n.subnetA, &n.subnetB}[i] = aws.ToString(subnet.Subnet.SubnetId)
	}
	group, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("movies-api"), Description: aws.String("the database's client"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		t.Fatal(err)
	}
	n.client = aws.ToString(group.GroupId)
	return n
}

// A stage in the team's VPC, deployed through a role of its own account
// (the settings of a team's stage): read back, then another source added,
// then a reader added in the other zone and removed again.
func TestLocalStageInTheTeamsVPC(t *testing.T) {
	p := newProject(t, `{"dev": {}}`)
	n := newTeamNetwork(t, p.emulator)
	stageWith := func(cidrs string, readers int) string {
		return `{"dev": {"vpcId": "` + n.vpc + `", "subnetIds": ["` + n.subnetA + `", "` + n.subnetB + `"],
		  "allowedSecurityGroupIds": ["` + n.client + `"], "allowedCidrs": [` + cidrs + `], "readers": ` + strconv.Itoa(readers) + `,
		  "accountId": "123456789012", "assumeRoleArn": "arn:aws:iam::123456789012:role/deploy/aurora-stages",
		  "tags": {"owner": "platform", "cost-centre": "cc-42"}, "alarmTopicArn": "` + alarmTopic + `"}}`
	}
	stage := func(cidrs string) string { return stageWith(cidrs, 0) }
	p.setStages(stage(`"10.60.0.0/16"`))
	p.createStateBucket()
	p.deploy("dev")

	if !t.Run("deployed through its role", func(t *testing.T) { expectDeployedThroughItsRole(t, p.in(t)) }) ||
		!t.Run("the team's tags on its resources", func(t *testing.T) { expectTeamTags(t, p.in(t)) }) ||
		!t.Run("alarms telling the team's topic", func(t *testing.T) { expectAlarms(t, p.in(t)) }) ||
		!t.Run("in the team's VPC", func(t *testing.T) { expectInTheTeamsVPC(t, p.in(t), n) }) {
		return
	}
	t.Run("another source adds one rule", func(t *testing.T) {
		p := p.in(t)
		p.setStages(stage(`"10.60.0.0/16", "10.70.0.0/16"`))
		risks := p.planAndCheck("dev")
		plan := p.savedPlanActions("dev")
		if want := map[string][]string{"aws_vpc_security_group_ingress_rule.ingress_from_10_70_0_0_16": {"create"}}; !maps.EqualFunc(plan, want, slices.Equal) {
			t.Errorf("adding a CIDR plans %v, want only its rule created", plan)
		}
		if len(risks) != 0 {
			t.Errorf("adding a CIDR: risks %q, want none", risks)
		}
		p.applyCheckedPlan("dev")
		if got := p.ingressSources(p.parameter("movies-dev-security-group-id")); len(got) != 3 || !slices.Contains(got, "10.70.0.0/16 tcp 5432-5432") {
			t.Errorf("after adding 10.70.0.0/16: ingress %q", got)
		}
		p.expectCleanReplan("dev")
	})
	t.Run("a reader added in the other zone, then removed", func(t *testing.T) {
		expectReaderAddedAndRemoved(t, p.in(t), func(readers int) string { return stageWith(`"10.60.0.0/16", "10.70.0.0/16"`, readers) })
	})
}

// alarmTopic is the team's SNS topic in the VPC stage's account and region:
// moto keeps an alarm's actions without looking the topic up.
const alarmTopic = "arn:aws:sns:us-east-1:123456789012:movies-alarms"

// The stage's alarms as CloudWatch holds them: the capacity at the ceiling
// and the writer's CPU, telling the topic, missing data not breaching; the
// failover events sent to the topic.
func expectAlarms(t *testing.T, p *project) {
	got := map[string]string{}
	for _, a := range p.emulator.MetricAlarms(t) {
		var dimensions []string
		for _, d := range a.Dimensions {
			dimensions = append(dimensions, d.Name+"="+d.Value)
		}
		got[a.AlarmName] = fmt.Sprintf("%s %s %s %s %g over %dx%ds, missing %s, alarm %v, ok %v",
			a.MetricName, dimensions, a.Statistic, a.ComparisonOperator, a.Threshold,
			a.EvaluationPeriods, a.Period, a.TreatMissingData, a.AlarmActions, a.OKActions)
	}
	want := map[string]string{
		"movies-dev-capacity-at-ceiling":  "ServerlessDatabaseCapacity [DBClusterIdentifier=main-movies-dev-cluster] Maximum GreaterThanOrEqualToThreshold 3.6 over 3x300s, missing notBreaching, alarm [" + alarmTopic + "], ok [" + alarmTopic + "]",
		"main-movies-dev-writer-cpu-high": "CPUUtilization [DBInstanceIdentifier=main-movies-dev-writer] Average GreaterThanThreshold 90 over 3x300s, missing notBreaching, alarm [" + alarmTopic + "], ok [" + alarmTopic + "]",
	}
	if !maps.Equal(got, want) {
		t.Errorf("alarms\n got %q\nwant %q", got, want)
	}
	subscriptions, err := p.emulator.RDS().DescribeEventSubscriptions(localaws.Context(t), &rds.DescribeEventSubscriptionsInput{SubscriptionName: aws.String("movies-dev-failover")})
	if err != nil || len(subscriptions.EventSubscriptionsList) != 1 {
		t.Fatalf("the failover event subscription: %v", err)
	}
	if s := subscriptions.EventSubscriptionsList[0]; aws.ToString(s.SnsTopicArn) != alarmTopic || aws.ToString(s.SourceType) != "db-cluster" ||
		!slices.Equal(s.SourceIdsList, []string{"main-movies-dev-cluster"}) || !slices.Equal(s.EventCategoriesList, []string{"failover"}) {
		t.Errorf("failover events: topic %s, source %s %q, categories %q; want %s, db-cluster [main-movies-dev-cluster], [failover]",
			aws.ToString(s.SnsTopicArn), aws.ToString(s.SourceType), s.SourceIdsList, s.EventCategoriesList, alarmTopic)
	}
}

// The stage's tags are on the cluster, the writer, the secret and a
// parameter, beside the stack's own.
func expectTeamTags(t *testing.T, p *project) {
	ctx := localaws.Context(t)
	want := map[string]string{"owner": "platform", "cost-centre": "cc-42", "service": "movies", "stage": "dev", "managed-by": "cdktf"}
	clusters, err := p.emulator.RDS().DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("main-movies-dev-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	instances, err := p.emulator.RDS().DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("main-movies-dev-writer")})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := p.emulator.SecretsManager().DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("movies-dev-credentials")})
	if err != nil {
		t.Fatal(err)
	}
	parameter, err := p.emulator.SSM().ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String("movies-dev-resource-arn")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{
		"cluster":   tagMap(clusters.DBClusters[0].TagList, func(tag rdstypes.Tag) (*string, *string) { return tag.Key, tag.Value }),
		"writer":    tagMap(instances.DBInstances[0].TagList, func(tag rdstypes.Tag) (*string, *string) { return tag.Key, tag.Value }),
		"secret":    tagMap(secret.Tags, func(tag smtypes.Tag) (*string, *string) { return tag.Key, tag.Value }),
		"parameter": tagMap(parameter.TagList, func(tag ssmtypes.Tag) (*string, *string) { return tag.Key, tag.Value }),
	}
	for resource, tags := range got {
		delete(tags, "Name")
		if !maps.Equal(tags, want) {
			t.Errorf("%s tags %v, want %v and its Name", resource, tags, want)
		}
	}
}

// tagMap reads one service's tags as a map: each SDK has a Tag type of its
// own.
func tagMap[T any](tags []T, pair func(T) (*string, *string)) map[string]string {
	m := map[string]string{}
	for _, tag := range tags {
		key, value := pair(tag)
		m[aws.ToString(key)] = aws.ToString(value)
	}
	return m
}

// Adding a reader to a deployed stage creates that reader and nothing
// else, in a zone other than the writer's; removing it deletes it alone,
// flagged as the last reader. Neither restarts or modifies the writer or
// the cluster (the calls the deploys sent).
func expectReaderAddedAndRemoved(t *testing.T, p *project, stage func(readers int) string) {
	untouched := []string{"ModifyDBCluster", "ModifyDBInstance", "RebootDBInstance", "RebootDBCluster", "DeleteDBCluster", "FailoverDBCluster"}
	changesBefore := len(p.emulator.QueryCalls(untouched...))
	instances := func() map[string]rdstypes.DBInstance {
		out, err := p.emulator.RDS().DescribeDBInstances(localaws.Context(t), &rds.DescribeDBInstancesInput{})
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]rdstypes.DBInstance{}
		for _, instance := range out.DBInstances {
			byID[aws.ToString(instance.DBInstanceIdentifier)] = instance
		}
		return byID
	}

	p.setStages(stage(1))
	if risks := p.planAndCheck("dev"); len(risks) != 0 {
		t.Errorf("adding a reader: risks %q, want none", risks)
	}
	if plan, want := p.savedPlanActions("dev"), map[string][]string{"aws_rds_cluster_instance.reader_1": {"create"}, "aws_cloudwatch_metric_alarm.cpu_high_reader_1": {"create"}}; !maps.EqualFunc(plan, want, slices.Equal) {
		t.Errorf("adding a reader plans %v, want only the reader and its CPU alarm created", plan)
	}
	p.applyCheckedPlan("dev")
	running := instances()
	reader, writer := running["main-movies-dev-reader-1"], running["main-movies-dev-writer"]
	if aws.ToString(reader.DBInstanceClass) != "db.serverless" || aws.ToString(reader.DBClusterIdentifier) != "main-movies-dev-cluster" ||
		aws.ToInt32(reader.PromotionTier) != 1 || aws.ToBool(reader.PubliclyAccessible) {
		t.Errorf("reader: class %s, cluster %s, promotion tier %d, public %v; want db.serverless in main-movies-dev-cluster, tier 1, not public",
			aws.ToString(reader.DBInstanceClass), aws.ToString(reader.DBClusterIdentifier), aws.ToInt32(reader.PromotionTier), aws.ToBool(reader.PubliclyAccessible))
	}
	if zone := aws.ToString(reader.AvailabilityZone); zone == "" || zone == aws.ToString(writer.AvailabilityZone) {
		t.Errorf("reader in zone %q, the writer in %q: want another zone of the stage's subnets", zone, aws.ToString(writer.AvailabilityZone))
	}
	if len(running) != 2 {
		t.Errorf("instances after adding a reader: %q, want the writer and reader-1", slices.Sorted(maps.Keys(running)))
	}
	p.expectCleanReplan("dev")

	p.setStages(stage(0))
	risks := p.planAndCheck("dev")
	if want := []string{"aws_rds_cluster_instance.reader_1: deleted, the cluster's last reader: no failover target: when the writer or its Availability Zone fails, Aurora must create a new instance before the database answers again (minutes of downtime)"}; !slices.Equal(risks, want) {
		t.Errorf("removing the last reader: risks %q, want %q", risks, want)
	}
	if plan, want := p.savedPlanActions("dev"), map[string][]string{"aws_rds_cluster_instance.reader_1": {"delete"}, "aws_cloudwatch_metric_alarm.cpu_high_reader_1": {"delete"}}; !maps.EqualFunc(plan, want, slices.Equal) {
		t.Errorf("removing the reader plans %v, want only the reader and its CPU alarm deleted", plan)
	}
	p.applyCheckedPlan("dev")
	if running := instances(); len(running) != 1 || aws.ToString(running["main-movies-dev-writer"].DBInstanceIdentifier) == "" {
		t.Errorf("instances after removing the reader: %q, want the writer alone", slices.Sorted(maps.Keys(running)))
	}
	var changes []localaws.QueryCall
	for _, call := range p.emulator.QueryCalls(untouched...)[changesBefore:] {
		if call.Get("DBInstanceIdentifier") != "main-movies-dev-reader-1" {
			changes = append(changes, call)
		}
	}
	if len(changes) != 0 {
		t.Errorf("adding and removing a reader sent %d calls that change the cluster or the writer: %v", len(changes), changes)
	}
	p.expectCleanReplan("dev")
}

func expectInTheTeamsVPC(t *testing.T, p *project, n teamNetwork) {
	ctx := localaws.Context(t)
	clusters, err := p.emulator.RDS().DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("main-movies-dev-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	cluster := clusters.DBClusters[0]
	groups, err := p.emulator.RDS().DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: cluster.DBSubnetGroup})
	if err != nil {
		t.Fatal(err)
	}
	var subnets []string
	for _, s := range groups.DBSubnetGroups[0].Subnets {
		subnets = append(subnets, aws.ToString(s.SubnetIdentifier))
	}
	slices.Sort(subnets)
	if want := slices.Sorted(slices.Values([]string{n.subnetA, n.subnetB})); aws.ToString(cluster.DBSubnetGroup) != "movies-dev" || !slices.Equal(subnets, want) {
		t.Errorf("subnet group %s with %q; want movies-dev with %q", aws.ToString(cluster.DBSubnetGroup), subnets, want)
	}
	var clusterGroups []string
	for _, g := range cluster.VpcSecurityGroups {
		clusterGroups = append(clusterGroups, aws.ToString(g.VpcSecurityGroupId))
	}
	databaseGroup := p.parameter("movies-dev-security-group-id")
	if !slices.Equal(clusterGroups, []string{databaseGroup}) {
		t.Errorf("cluster security groups %q; want only the stage's %s (movies-dev-security-group-id)", clusterGroups, databaseGroup)
	}
	described, err := p.emulator.EC2().DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{databaseGroup}})
	if err != nil || len(described.SecurityGroups) != 1 {
		t.Fatalf("describing the stage's security group %s: %v", databaseGroup, err)
	}
	if g := described.SecurityGroups[0]; aws.ToString(g.GroupName) != "movies-dev-database" || aws.ToString(g.VpcId) != n.vpc {
		t.Errorf("security group %s in %s; want movies-dev-database in %s", aws.ToString(g.GroupName), aws.ToString(g.VpcId), n.vpc)
	}
	if got, want := p.ingressSources(databaseGroup), []string{"10.60.0.0/16 tcp 5432-5432", n.client + " tcp 5432-5432"}; !slices.Equal(got, want) {
		t.Errorf("ingress %q, want %q", got, want)
	}
	if egress := p.egressRules(databaseGroup); len(egress) != 0 {
		t.Errorf("egress %q, want none: the database initiates nothing", egress)
	}
	p.expectCleanReplan("dev")
}

// An account without a default VPC: the plan stops on a message that says
// which settings to set.
func TestLocalNoDefaultVPC(t *testing.T) {
	p := newProject(t, `{"dev": {}}`)
	ctx := localaws.Context(t)
	client := p.emulator.EC2()
	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("moto's default VPC: %v (err %v)", vpcs, err)
	}
	vpc := vpcs.Vpcs[0].VpcId
	subnets, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{aws.ToString(vpc)}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subnets.Subnets {
		if _, err := client.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: s.SubnetId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: vpc}); err != nil {
		t.Fatalf("deleting the default VPC: %v", err)
	}
	p.createStateBucket()

	out, err := p.cdktf("diff", "dev")
	if err == nil {
		t.Fatalf("cdktf diff dev without a default VPC succeeded:\n%s", tail(out, 30))
	}
	// Terraform wraps long messages in a box; compare the words.
	words := strings.Join(strings.Fields(strings.ReplaceAll(out, "│", " ")), " ")
	want := "stage dev has no vpcId and the account has no default VPC in us-east-1: set vpcId and subnetIds (or subnetGroupName) in the stage's entry in cdktf.json"
	if !strings.Contains(words, want) || strings.Contains(words, "no matching EC2 VPC found") {
		t.Errorf("cdktf diff dev: want our message\n  %s\n%s", want, tail(out, 30))
	}
}

// ingressSources lists a security group's ingress rules as
// "<source> <protocol> <from>-<to>", sorted.
func (p *project) ingressSources(groupID string) []string {
	return p.securityGroupRules(groupID, false)
}

func (p *project) egressRules(groupID string) []string {
	return p.securityGroupRules(groupID, true)
}

func (p *project) securityGroupRules(groupID string, egress bool) []string {
	p.t.Helper()
	out, err := p.emulator.EC2().DescribeSecurityGroupRules(localaws.Context(p.t), &ec2.DescribeSecurityGroupRulesInput{
		Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{groupID}}},
	})
	if err != nil {
		p.t.Fatalf("describing the rules of %s: %v", groupID, err)
	}
	var rules []string
	for _, r := range out.SecurityGroupRules {
		if aws.ToBool(r.IsEgress) != egress {
			continue
		}
		source := aws.ToString(r.CidrIpv4) + aws.ToString(r.CidrIpv6)
		if r.ReferencedGroupInfo != nil {
			source = aws.ToString(r.ReferencedGroupInfo.GroupId)
		}
		rules = append(rules, source+" "+aws.ToString(r.IpProtocol)+" "+itoa(aws.ToInt32(r.FromPort))+"-"+itoa(aws.ToInt32(r.ToPort)))
	}
	slices.Sort(rules)
	return rules
}

// savedPlanActions reads the plan planAndCheck saved: each resource that
// changes, with its actions.
func (p *project) savedPlanActions(stage string) map[string][]string {
	p.t.Helper()
	actions := map[string][]string{}
	for _, rc := range p.savedPlan(stage).ResourceChanges {
		if !slices.Equal(rc.Change.Actions, []string{"no-op"}) && !slices.Equal(rc.Change.Actions, []string{"read"}) {
			actions[rc.Address] = rc.Change.Actions
		}
	}
	return actions
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
