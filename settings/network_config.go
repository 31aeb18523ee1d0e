package settings

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// EC2 resource IDs: a prefix and 8 hex digits (older resources) or 17.
var (
	vpcID           = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	subnetID        = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	securityGroupID = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
	// RDS: 1 to 255 letters, digits, spaces, periods, underscores, hyphens.
	subnetGroupName = regexp.MustCompile(`^[A-Za-z0-9 ._-]{1,255}$`)
)

// minSubnets is RDS's minimum for a DB subnet group; its subnets must also
// span two Availability Zones, which only AWS can check.
const minSubnets = 2

// The sources that open the database to everyone.
var openCIDRs = []string{"0.0.0.0/0", "::/0"}

// validateNetwork checks the network settings; report names the setting,
// the value and the rule, as Validate's other checks do.
func (c StageConfig) validateNetwork(report func(key string, value any, rule string)) {
	if c.VPCID != "" && !vpcID.MatchString(c.VPCID) {
		report("vpcId", c.VPCID, `must be a VPC ID: "vpc-" and 8 or 17 lowercase hex digits`)
	}
	checkIDs := func(key string, ids []string, pattern *regexp.Regexp, rule string) {
		seen := map[string]bool{}
		for _, id := range ids {
			if !pattern.MatchString(id) {
				report(key, id, rule)
			} else if seen[id] {
				report(key, id, "is listed twice")
			}
			seen[id] = true
		}
	}
	checkIDs("subnetIds", c.SubnetIDs, subnetID, `must be a subnet ID: "subnet-" and 8 or 17 lowercase hex digits`)
	checkIDs("allowedSecurityGroupIds", c.AllowedSecurityGroupIDs, securityGroupID, `must be a security group ID: "sg-" and 8 or 17 lowercase hex digits`)

	switch {
	case len(c.SubnetIDs) > 0 && c.SubnetGroupName != "":
		report("subnetGroupName", c.SubnetGroupName, "must not be set together with subnetIds: name an existing DB subnet group, or list the subnets for the stage's own")
	case len(c.SubnetIDs) > 0 && len(c.SubnetIDs) < minSubnets:
		report("subnetIds", asJSON(c.SubnetIDs), fmt.Sprintf("must list at least %d subnets, in at least two Availability Zones (AWS checks the zones at deploy time)", minSubnets))
	}
	if c.SubnetGroupName != "" && !subnetGroupName.MatchString(c.SubnetGroupName) {
		report("subnetGroupName", c.SubnetGroupName, "must be 1 to 255 letters, digits, spaces, periods, underscores or hyphens")
	}
	placed := len(c.SubnetIDs) > 0 || c.SubnetGroupName != ""
	if placed && c.VPCID == "" {
		report("vpcId", c.VPCID, "must be set with subnetIds or subnetGroupName: the database's security group is created in that VPC")
	}
	if c.VPCID != "" && !placed {
		report("vpcId", c.VPCID, "needs subnetIds (at least two, in two Availability Zones) or subnetGroupName: without them the database would stay in the default VPC")
	}

	seen := map[string]bool{}
	for _, cidr := range c.AllowedCIDRs {
		prefix, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			report("allowedCidrs", cidr, "must be an IPv4 or IPv6 CIDR block, such as 10.0.0.0/16 or 2001:db8::/32")
		case prefix.Masked() != prefix:
			report("allowedCidrs", cidr, fmt.Sprintf("must start at its network address: %s", prefix.Masked()))
		case seen[prefix.String()]:
			report("allowedCidrs", cidr, "is listed twice")
		case c.Profile == ProductionProfile && IsOpenCIDR(cidr):
			report("allowedCidrs", cidr, "opens the database's port to the whole internet, which a production-profile stage refuses: list the networks of its clients")
		}
		if err == nil {
			seen[prefix.String()] = true
		}
	}
}

// NetworkWarnings are what the stage's network settings allow but a reader
// should not miss; they are printed on every synth.
func (c StageConfig) NetworkWarnings() []string {
	var warnings []string
	for _, cidr := range c.AllowedCIDRs {
		if IsOpenCIDR(cidr) {
			warnings = append(warnings, fmt.Sprintf("stage %q: allowedCidrs = %q opens the database's port to the whole internet; list the networks of its clients instead", c.Stage, cidr))
		}
	}
	return warnings
}

// IsOpenCIDR says whether a source opens the database to everyone: the
// settings' validation and the review's risks ask the same question.
func IsOpenCIDR(cidr string) bool {
	for _, open := range openCIDRs {
		if strings.EqualFold(cidr, open) {
			return true
		}
	}
	return false
}
