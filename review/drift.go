package review

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// DriftedResource is one resource changed outside Terraform.
type DriftedResource struct {
	Address string
	// Deleted is true when the resource is gone from AWS.
	Deleted bool
	// Attributes are the changed arguments: Before is the state's value,
	// After AWS's. Sensitive and write-only values are never printed.
	Attributes []AttributeChange
	// Reverted is what the plan does about it, in words; "" in a
	// refresh-only plan, which changes nothing.
	Reverted string
}

// guardedAttributes are the attributes whose drift counts even where the
// configuration does not set them: the stacks manage a security group's
// rules as resources of their own, so a rule added in AWS shows only in the
// group's ingress.
var guardedAttributes = map[string][]string{
	"aws_security_group": {"ingress"},
}

// FindDrift lists a plan's drift, in the plan's order, each with what the
// plan does about it. Only the arguments the configuration sets count:
// what AWS computes (an instance joining cluster_members, tags_all) is no
// one's change. In a plan that is not refresh-only, drift the plan keeps
// as AWS has it, on an argument the configuration sets to another
// constant, is left out: the configuration ignores it (ignore_changes,
// such as a secret version's labels, which AWS moves itself). A
// refresh-only plan cannot tell by itself: the attributes the plan's
// IgnoredChanges lists (read from the synthesized stack) are left out of
// both kinds of plan.
func FindDrift(plan *Plan) []DriftedResource {
	var drift []DriftedResource
	for _, f := range findDrift(plan) {
		drift = append(drift, f.DriftedResource)
	}
	return drift
}

// driftFinding is a drifted resource with its drift as Terraform wrote it,
// narrowed to the attributes listed.
type driftFinding struct {
	DriftedResource
	change ResourceChange
}

func findDrift(plan *Plan) []driftFinding {
	planned := map[string]Change{}
	for _, rc := range plan.ResourceChanges {
		planned[rc.Address] = rc.Change
	}
	// Terraform plans no change at all in -refresh-only mode.
	refreshOnly := len(plan.ResourceChanges) == 0
	var findings []driftFinding
	for _, rc := range plan.ResourceDrift {
		if rc.Mode != "" && rc.Mode != "managed" {
			continue
		}
		change, inPlan := planned[rc.Address]
		plannedAction := change.action()
		switch rc.Change.action() {
		case Delete:
			f := driftFinding{DriftedResource{Address: rc.Address, Deleted: true}, rc}
			switch {
			case refreshOnly:
			case plannedAction == Create || plannedAction == Replace:
				f.Reverted = "created again by this plan"
			default:
				f.Reverted = "not created again by this plan"
			}
			findings = append(findings, f)
		case Update:
			f := driftFinding{DriftedResource{Address: rc.Address}, rc}
			shown := map[string]bool{}
			var fates []attributeFate
			for _, a := range rc.Change.attributeChanges() {
				if !strings.HasPrefix(rc.Address, "module.") && slices.Contains(plan.IgnoredChanges[rc.Type+"."+rc.Name], a.Name) {
					continue
				}
				constant, configured := plan.configuredArgument(rc, a.Name)
				if !configured && !slices.Contains(guardedAttributes[rc.Type], a.Name) {
					continue
				}
				if !refreshOnly && inPlan && plannedAction != Delete {
					fate := fateOf(a.Name, rc.Change, change, constant)
					if fate.ignored {
						continue
					}
					fates = append(fates, fate)
				}
				shown[a.Name] = true
				f.Attributes = append(f.Attributes, a)
			}
			if len(f.Attributes) == 0 {
				continue
			}
			switch {
			case refreshOnly:
			case !inPlan:
				f.Reverted = "not reverted: this plan leaves the resource out"
			case plannedAction == Delete:
				f.Reverted = "deleted by this plan"
			default:
				f.Reverted = describeFates(fates)
			}
			f.change.Change.Before, f.change.Change.After = only(rc.Change.Before, shown), only(rc.Change.After, shown)
			findings = append(findings, f)
		}
	}
	return findings
}

// attributeFate is what a plan does to one drifted attribute.
type attributeFate struct {
	reverted, adopted, ignored bool
	// otherwise says what becomes of it when it is not reverted.
	otherwise string
}

// fateOf compares the plan's value of a drifted attribute with the
// state's, AWS's and, when it is a constant, the configuration's.
func fateOf(name string, drift, change Change, constant any) attributeFate {
	planned := valueOf(change.After, name)
	keptAsAWSHasIt := reflect.DeepEqual(planned, valueOf(drift.After, name))
	switch {
	case isTrue(valueOf(change.AfterUnknown, name)):
		return attributeFate{otherwise: name + " becomes a value known after apply"}
	case reflect.DeepEqual(planned, valueOf(drift.Before, name)):
		return attributeFate{reverted: true}
	case keptAsAWSHasIt && constant != nil && reflect.DeepEqual(constant, planned):
		return attributeFate{adopted: true, otherwise: name + " adopted: the configuration now sets it as AWS has it"}
	case keptAsAWSHasIt && constant != nil:
		return attributeFate{ignored: true}
	case keptAsAWSHasIt:
		return attributeFate{otherwise: name + " stays as AWS has it"}
	case hasSensitive(valueOf(change.AfterSensitive, name)):
		return attributeFate{otherwise: name + " becomes another (sensitive) value"}
	}
	return attributeFate{otherwise: name + " becomes " + render(planned)}
}

// describeFates says in words what a plan does to a resource's drift.
func describeFates(fates []attributeFate) string {
	var reverted, adopted int
	var otherwise []string
	for _, fate := range fates {
		if fate.reverted {
			reverted++
			continue
		}
		if fate.adopted {
			adopted++
		}
		otherwise = append(otherwise, fate.otherwise)
	}
	switch {
	case reverted == len(fates):
		return "reverted by this plan"
	case adopted == len(fates):
		return "adopted by this plan: the configuration now sets it as AWS has it"
	case reverted == 0:
		return "not reverted by this plan: " + strings.Join(otherwise, "; ")
	}
	return "partly reverted by this plan: " + strings.Join(otherwise, "; ")
}

// configuredArgument says whether the configuration sets the argument and,
// when it sets a constant, its value. A plan that carries no configuration
// of the resource (a module's, or a plan made by hand) counts as setting
// every argument, to no known constant.
func (p *Plan) configuredArgument(rc ResourceChange, name string) (constant any, configured bool) {
	if strings.HasPrefix(rc.Address, "module.") {
		return nil, true
	}
	for _, resource := range p.Configuration.RootModule.Resources {
		if resource.Address == rc.Type+"."+rc.Name {
			expression, set := resource.Expressions[name]
			var value struct {
				ConstantValue any `json:"constant_value"`
			}
			_ = json.Unmarshal(expression, &value)
			return value.ConstantValue, set
		}
	}
	return nil, true
}

// only keeps the named attributes of a resource's values.
func only(values any, names map[string]bool) map[string]any {
	m, _ := values.(map[string]any)
	kept := map[string]any{}
	for name := range names {
		kept[name] = m[name]
	}
	return kept
}

func valueOf(values any, name string) any {
	m, _ := values.(map[string]any)
	return m[name]
}

// DriftRisks are the drifts on what the risks already guard, as risks
// whose Reason starts "changed outside Terraform: ".
func DriftRisks(plan *Plan) []Risk {
	var risks []Risk
	for _, f := range findDrift(plan) {
		for _, reason := range driftReasons(f.change) {
			risks = append(risks, Risk{Address: f.Address, Reason: "changed outside Terraform: " + reason})
		}
	}
	return risks
}

// driftReasons says what one drift breaks or loses, as the risks of a
// plan that did the same would.
func driftReasons(rc ResourceChange) []string {
	before, after := rc.Change.Before, rc.Change.After
	if rc.Change.action() == Delete {
		switch {
		case rc.Type == "aws_ssm_parameter":
			return []string{parameterDeleted}
		case rc.Type == instanceType && rc.Address != writerAddress:
			return []string{"deleted: " + readerLost}
		case dataResources[rc.Type] != "":
			return []string{"deleted: " + dataResources[rc.Type]}
		}
		return nil
	}
	var reasons []string
	switch rc.Type {
	case "aws_rds_cluster":
		for _, risk := range clusterRisks(rc) {
			reasons = append(reasons, risk.Reason)
		}
	case "aws_ssm_parameter":
		if str(before, "value") != str(after, "value") {
			reasons = append(reasons, parameterValueChanged)
		}
	case "aws_vpc_security_group_ingress_rule":
		for _, argument := range []string{"cidr_ipv4", "cidr_ipv6", "referenced_security_group_id", "prefix_list_id", "from_port", "to_port", "ip_protocol"} {
			if was, now := valueOf(before, argument), valueOf(after, argument); !reflect.DeepEqual(was, now) {
				reasons = append(reasons, fmt.Sprintf("the rule's %s changed from %s to %s: it may admit clients the stage's settings do not name", argument, render(was), render(now)))
			}
		}
		reasons = append(reasons, openToTheInternet(after)...)
	case "aws_security_group":
		if added := addedRules(before, after); len(added) > 0 {
			reasons = append(reasons, fmt.Sprintf("ingress rules added in AWS, admitting clients the stage's settings do not name: %s", strings.Join(added, "; ")))
		}
	}
	return reasons
}

// addedRules lists a security group's ingress rules AWS has and the state
// does not, each as its ports and sources.
func addedRules(before, after any) []string {
	was, _ := valueOf(before, "ingress").([]any)
	now, _ := valueOf(after, "ingress").([]any)
	var added []string
	for _, rule := range now {
		if slices.ContainsFunc(was, func(old any) bool { return reflect.DeepEqual(old, rule) }) {
			continue
		}
		var sources []string
		for _, list := range []string{"cidr_blocks", "ipv6_cidr_blocks", "security_groups", "prefix_list_ids"} {
			values, _ := valueOf(rule, list).([]any)
			for _, source := range values {
				sources = append(sources, fmt.Sprint(source))
			}
		}
		from, _ := number(rule, "from_port")
		to, _ := number(rule, "to_port")
		added = append(added, fmt.Sprintf("ports %g-%g from %s", from, to, strings.Join(sources, ", ")))
	}
	return added
}

// DriftReport is the daily drift check's output: a refresh-only plan's
// drift alone.
type DriftReport struct {
	// Subject names what was checked: "stage production", or a plan file.
	Subject string
	Drift   []DriftedResource
	Risks   []Risk
}

// NewDriftReport reads a refresh-only plan.
func NewDriftReport(subject string, plan *Plan) *DriftReport {
	return &DriftReport{Subject: subject, Drift: FindDrift(plan), Risks: DriftRisks(plan)}
}

// ExitCode is 0 when nothing changed outside Terraform, 2 when something
// did, flagged or not: either way the state and AWS disagree.
func (d *DriftReport) ExitCode() int {
	if len(d.Drift) > 0 {
		return 2
	}
	return 0
}

// howToResolve is what the daily check tells whoever reads it to do.
const howToResolve = "A deploy of the stage reverts each change; to keep one instead, set the stage's settings to match it, then deploy."

// Text renders the check for a terminal or a pipeline log.
func (d *DriftReport) Text() string {
	var b strings.Builder
	if len(d.Drift) == 0 {
		fmt.Fprintf(&b, "Drift of %s: nothing changed outside Terraform.\n", d.Subject)
		return b.String()
	}
	fmt.Fprintf(&b, "Drift of %s: %s changed outside Terraform\n", d.Subject, resources(len(d.Drift)))
	writeDriftText(&b, d.Drift)
	fmt.Fprintf(&b, "\n%s\n", howToResolve)
	writeRisks(&b, d.Risks, false)
	return b.String()
}

// Markdown renders the check for an issue or a chat message.
func (d *DriftReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Drift of %s\n\n", d.Subject)
	if len(d.Drift) == 0 {
		b.WriteString("Nothing changed outside Terraform.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%s changed outside Terraform.\n\n", resources(len(d.Drift)))
	writeDriftTable(&b, d.Drift, false)
	fmt.Fprintf(&b, "\n%s\n", howToResolve)
	writeRisks(&b, d.Risks, true)
	return b.String()
}

func resources(n int) string {
	if n == 1 {
		return "1 resource"
	}
	return fmt.Sprintf("%d resources", n)
}

// writeDriftText lists the drift, indented apart from the plan's changes.
func writeDriftText(b *strings.Builder, drift []DriftedResource) {
	for _, d := range drift {
		symbol, notes := "~", []string{}
		if d.Deleted {
			symbol, notes = "-", append(notes, "deleted in AWS")
		}
		if d.Reverted != "" {
			notes = append(notes, d.Reverted)
		}
		suffix := ""
		if len(notes) > 0 {
			suffix = " (" + strings.Join(notes, ", ") + ")"
		}
		fmt.Fprintf(b, "  %s %s%s\n", symbol, d.Address, suffix)
		for _, a := range d.Attributes {
			fmt.Fprintf(b, "      %s: %s in the state, %s in AWS\n", a.Name, a.Before, a.After)
		}
	}
}

// writeDriftTable lists the drift as a table, with what the plan does
// about each resource when there is a plan.
func writeDriftTable(b *strings.Builder, drift []DriftedResource, withPlan bool) {
	b.WriteString("| resource | attribute | in the state | in AWS |")
	if withPlan {
		b.WriteString(" this plan |")
	}
	b.WriteString("\n| --- | --- | --- | --- |")
	if withPlan {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	row := func(address, attribute, before, after, reverted string) {
		fmt.Fprintf(b, "| %s | %s | %s | %s |", address, attribute, before, after)
		if withPlan {
			// Plain words, but a planned value in them may hold a "|".
			fmt.Fprintf(b, " %s |", strings.ReplaceAll(reverted, "|", `\|`))
		}
		b.WriteString("\n")
	}
	for _, d := range drift {
		address := "`" + d.Address + "`"
		if d.Deleted {
			row(address, "deleted in AWS", "", "", d.Reverted)
		}
		for i, a := range d.Attributes {
			reverted := ""
			if i == 0 {
				reverted = d.Reverted
			} else {
				address = ""
			}
			row(address, "`"+a.Name+"`", cell(a.Before), cell(a.After), reverted)
		}
	}
}

// IgnoredChanges reads, from a synthesized stack (cdk.tf.json), the
// attributes each resource's lifecycle.ignore_changes names, by the
// resource's address, for Plan.IgnoredChanges: a refresh-only plan's JSON
// does not say them, and drift on them is no one's to revert.
func IgnoredChanges(stack []byte) (map[string][]string, error) {
	var config struct {
		Resource map[string]map[string]struct {
			Lifecycle struct {
				IgnoreChanges json.RawMessage `json:"ignore_changes"`
			} `json:"lifecycle"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(stack, &config); err != nil {
		return nil, fmt.Errorf("reading the stack's ignore_changes: %w", err)
	}
	ignored := map[string][]string{}
	for resourceType, resources := range config.Resource {
		for name, resource := range resources {
			var names []string
			if len(resource.Lifecycle.IgnoreChanges) == 0 || json.Unmarshal(resource.Lifecycle.IgnoreChanges, &names) != nil {
				// Absent, or "all", which no stack sets: such a
				// resource's drift is still shown.
				continue
			}
			for _, path := range names {
				// An attribute's part (tags["owner"]) counts as the
				// attribute: drift is shown per top-level attribute.
				top, _, _ := strings.Cut(strings.SplitN(path, "[", 2)[0], ".")
				ignored[resourceType+"."+name] = append(ignored[resourceType+"."+name], top)
			}
		}
	}
	return ignored, nil
}
