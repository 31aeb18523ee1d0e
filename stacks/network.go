package stacks

import (
	"net/netip"
	"regexp"
	"strings"

	"aurora-stages/settings"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsvpcs"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dbsubnetgroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/securitygroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/vpcsecuritygroupingressrule"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// PostgresPort is the cluster's port, set explicitly so that the security
// group's rules and the cluster cannot disagree.
const PostgresPort = 5432

// network is where the cluster goes: its security group and, unless RDS's
// default applies, its DB subnet group.
type network struct {
	// securityGroupID is the security group's ID, read once: each read of
	// an attribute is a round trip to jsii's runtime, paid per stack.
	securityGroupID *string
	// subnetGroup is the DB subnet group's name, or nil for RDS's default
	// group of the default VPC.
	subnetGroup *string
}

// newNetwork gives the stage's database a security group of its own, in
// the stage's VPC or the region's default one, that lets in only the
// allowed sources on the database's port and nothing out: the database
// initiates no connection. The VPC's default security group, shared with
// whatever else runs there, is never used.
func newNetwork(stack cdktf.TerraformStack, cfg settings.StageConfig) network {
	vpc := jsii.String(cfg.VPCID)
	var lifecycle *cdktf.TerraformResourceLifecycle
	if cfg.VPCID == "" {
		// The plural data source finds no VPC without failing, so the plan
		// can stop with a message of ours instead of "no matching VPC".
		defaults := dataawsvpcs.NewDataAwsVpcs(stack, jsii.String("default_vpc"), &dataawsvpcs.DataAwsVpcsConfig{
			Filter: &[]*dataawsvpcs.DataAwsVpcsFilter{{Name: jsii.String("is-default"), Values: jsii.Strings("true")}},
		})
		// one() of an empty list is null, so the precondition below speaks
		// first; element() would fail on its own message.
		ids := *defaults.Fqn() + ".ids"
		vpc = jsii.String("${one(" + ids + ")}")
		lifecycle = &cdktf.TerraformResourceLifecycle{Precondition: &[]*cdktf.Precondition{{
			Condition: "${length(" + ids + ") == 1}",
			ErrorMessage: jsii.String("stage " + cfg.Stage + " has no vpcId and the account has no default VPC in " + cfg.Region +
				": set vpcId and subnetIds (or subnetGroupName) in the stage's entry in cdktf.json"),
		}}}
	}
	group := securitygroup.NewSecurityGroup(stack, jsii.String("database"), &securitygroup.SecurityGroupConfig{
		Name:        jsii.String(cfg.SecurityGroupName()),
		Description: jsii.String("Aurora PostgreSQL cluster " + cfg.ClusterIdentifier() + ": the allowed sources on its port, nothing out"),
		VpcId:       vpc,
		Lifecycle:   lifecycle,
		Tags:        &map[string]*string{"Name": jsii.String(cfg.SecurityGroupName())},
	})
	groupID := group.Id()
	for _, source := range cfg.AllowedSecurityGroupIDs {
		rule := ingressRule(cfg, groupID, "from security group "+source)
		rule.ReferencedSecurityGroupId = jsii.String(source)
		rule.Lifecycle = emulatorReferencedRuleLifecycle(cfg.Account)
		vpcsecuritygroupingressrule.NewVpcSecurityGroupIngressRule(stack, ruleID("from_"+source), rule)
	}
	for _, cidr := range cfg.AllowedCIDRs {
		rule := ingressRule(cfg, groupID, "from "+cidr)
		if netip.MustParsePrefix(cidr).Addr().Is4() {
			rule.CidrIpv4 = jsii.String(cidr)
		} else {
			rule.CidrIpv6 = jsii.String(cidr)
		}
		vpcsecuritygroupingressrule.NewVpcSecurityGroupIngressRule(stack, ruleID("from_"+cidr), rule)
	}

	n := network{securityGroupID: groupID}
	switch {
	case len(cfg.SubnetIDs) > 0:
		n.subnetGroup = dbsubnetgroup.NewDbSubnetGroup(stack, jsii.String("subnets"), &dbsubnetgroup.DbSubnetGroupConfig{
			Name:        jsii.String(cfg.DBSubnetGroupName()),
			Description: jsii.String("Subnets of the Aurora PostgreSQL cluster " + cfg.ClusterIdentifier()),
			SubnetIds:   jsii.Strings(cfg.SubnetIDs...),
			Tags:        &map[string]*string{"Name": jsii.String(cfg.DBSubnetGroupName())},
		}).Name()
	case cfg.SubnetGroupName != "":
		n.subnetGroup = jsii.String(cfg.SubnetGroupName)
	}
	return n
}

func ingressRule(cfg settings.StageConfig, groupID *string, from string) *vpcsecuritygroupingressrule.VpcSecurityGroupIngressRuleConfig {
	return &vpcsecuritygroupingressrule.VpcSecurityGroupIngressRuleConfig{
		SecurityGroupId: groupID,
		Description:     jsii.String("PostgreSQL " + from + " to " + cfg.ClusterIdentifier()),
		IpProtocol:      jsii.String("tcp"),
		FromPort:        jsii.Number(PostgresPort),
		ToPort:          jsii.Number(PostgresPort),
		Tags:            &map[string]*string{"Name": jsii.String(cfg.SecurityGroupName() + " " + from)},
	}
}

// nonIdentifier is what a construct ID (a Terraform resource name) cannot
// hold: a rule's ID comes from its source, so adding or removing one source
// never renames the rules of the others.
var nonIdentifier = regexp.MustCompile(`[^A-Za-z0-9_]`)

func ruleID(source string) *string {
	return jsii.String("ingress_" + strings.Trim(nonIdentifier.ReplaceAllString(source, "_"), "_"))
}
