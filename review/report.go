package review

import (
	"fmt"
	"strings"
)

// Report is a plan as a reviewer reads it: counts, what changed outside
// Terraform, each changed resource with its changed attributes, and the
// risks.
type Report struct {
	// Subject names what was planned: "stage production", or a plan file.
	Subject string
	Counts  map[Action]int
	Changes []ResourceReport
	// Drift is what changed outside Terraform, listed before the changes.
	Drift []DriftedResource
	Risks []Risk
	// Notes are what a reviewer should know that is no risk.
	Notes []string
	// Costs, if set, is the stage's monthly cost before and after.
	Costs *Costs
	// Acceptance, if set, is who accepted the risks and why; it turns a
	// risky plan into a passing one and is echoed in the output.
	Acceptance string
	// Migrations, if set, are the schema migrations the stage has not
	// applied, which its deploy applies after the plan.
	Migrations *Migrations
}

// Migrations are a stage's pending schema migrations, as far as the review
// could read them.
type Migrations struct {
	Pending []PendingMigration
	// Unknown, if set, says why the stage's history could not be read:
	// then Pending lists every file.
	Unknown string
}

// PendingMigration is one migration file a stage has not applied.
type PendingMigration struct {
	File string
	// FirstLines are its first lines of SQL, comments left out.
	FirstLines []string
}

// write renders the pending migrations in either format.
func (m *Migrations) write(b *strings.Builder, markdown bool) {
	heading := fmt.Sprintf("Migrations pending (%d), applied by the deploy after this plan:", len(m.Pending))
	if len(m.Pending) == 0 {
		heading = "Migrations: none pending."
	}
	if markdown {
		fmt.Fprintf(b, "\n**%s**\n", heading)
	} else {
		fmt.Fprintf(b, "\n%s\n", heading)
	}
	if m.Unknown != "" {
		if markdown {
			fmt.Fprintf(b, "\n_%s_\n", m.Unknown)
		} else {
			fmt.Fprintf(b, "  (%s)\n", m.Unknown)
		}
	}
	if markdown && len(m.Pending) > 0 {
		b.WriteString("\n")
	}
	for _, p := range m.Pending {
		if markdown {
			fmt.Fprintf(b, "- `%s`: `%s`\n", p.File, strings.ReplaceAll(strings.Join(p.FirstLines, " "), "`", "'"))
			continue
		}
		fmt.Fprintf(b, "  %s\n", p.File)
		for _, line := range p.FirstLines {
			fmt.Fprintf(b, "      %s\n", line)
		}
	}
}

// ResourceReport is one changed resource.
type ResourceReport struct {
	Address    string
	Action     Action
	Attributes []AttributeChange
	// Reason is why, when no attribute says it (see actionReasons).
	Reason string
}

// counted are the actions the summary line counts, in its order.
var counted = []Action{Create, Update, Replace, Delete}

// NewReport reads a plan.
func NewReport(subject string, plan *Plan) *Report {
	r := &Report{Subject: subject, Counts: map[Action]int{}, Drift: FindDrift(plan), Risks: append(FindRisks(plan), DriftRisks(plan)...)}
	for _, rc := range plan.ResourceChanges {
		if rc.Mode != "" && rc.Mode != "managed" {
			continue
		}
		action := rc.Change.action()
		if action == NoOp || action == Read {
			continue
		}
		r.Counts[action]++
		report := ResourceReport{Address: rc.Address, Action: action, Reason: actionReasons[rc.ActionReason]}
		if action == Update || action == Replace {
			report.Attributes = rc.Change.attributeChanges()
		}
		r.Changes = append(r.Changes, report)
	}
	return r
}

// ExitCode is 0 when nothing is flagged or the risks were accepted, 2 when
// risks are flagged.
func (r *Report) ExitCode() int {
	if len(r.Risks) > 0 && r.Acceptance == "" {
		return 2
	}
	return 0
}

var symbols = map[Action]string{Create: "+", Update: "~", Replace: "-/+", Delete: "-", Forget: "forget"}

func (r *Report) summaryLine() string {
	var parts []string
	for _, action := range counted {
		parts = append(parts, fmt.Sprintf("%d to %s", r.Counts[action], action))
	}
	return strings.Join(parts, ", ")
}

// Text renders the report for a terminal or a pipeline log.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan for %s: %s\n", r.Subject, r.summaryLine())
	if len(r.Drift) > 0 {
		fmt.Fprintf(&b, "\nChanged outside Terraform (%s):\n", resources(len(r.Drift)))
		writeDriftText(&b, r.Drift)
	}
	if len(r.Changes) == 0 {
		if len(r.Drift) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("No changes.\n")
	}
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "\n%s %s (%s)\n", symbols[c.Action], c.Address, c.describeAction())
		for _, a := range c.Attributes {
			fmt.Fprintf(&b, "    %s: %s -> %s%s\n", a.Name, a.Before, a.After, forces(a))
		}
	}
	if r.Migrations != nil {
		r.Migrations.write(&b, false)
	}
	r.writeVerdict(&b, false)
	if r.Costs != nil {
		r.Costs.write(&b, false)
	}
	return b.String()
}

// Markdown renders the report for a pull-request comment.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Plan for %s\n\n%s\n", r.Subject, r.summaryLine())
	if len(r.Drift) > 0 {
		fmt.Fprintf(&b, "\n**Changed outside Terraform (%s):**\n\n", resources(len(r.Drift)))
		writeDriftTable(&b, r.Drift, true)
	}
	if len(r.Changes) == 0 {
		b.WriteString("\nNo changes.\n")
	} else {
		b.WriteString("\n| action | resource | attribute | before | after |\n| --- | --- | --- | --- | --- |\n")
		for _, c := range r.Changes {
			if len(c.Attributes) == 0 {
				fmt.Fprintf(&b, "| %s | `%s` | | | |\n", c.describeAction(), c.Address)
			}
			for i, a := range c.Attributes {
				action, address := "", ""
				if i == 0 {
					action, address = c.describeAction(), "`"+c.Address+"`"
				}
				fmt.Fprintf(&b, "| %s | %s | `%s`%s | %s | %s |\n", action, address, a.Name, forces(a), cell(a.Before), cell(a.After))
			}
		}
	}
	if r.Migrations != nil {
		r.Migrations.write(&b, true)
	}
	r.writeVerdict(&b, true)
	if r.Costs != nil {
		r.Costs.write(&b, true)
	}
	return b.String()
}

// describeAction is the action, with its reason when one is known.
func (c ResourceReport) describeAction() string {
	if c.Reason == "" {
		return string(c.Action)
	}
	return string(c.Action) + ": " + c.Reason
}

// writeVerdict ends both formats: the notes, the risks, then whether they
// were accepted.
func (r *Report) writeVerdict(b *strings.Builder, markdown bool) {
	emphasis := func(s string) string { return s }
	note := func(n string) string { return "  - " + n + "\n" }
	if markdown {
		emphasis = func(s string) string { return "**" + s + "**" }
		note = func(n string) string { return "- " + n + "\n" }
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(b, "\n%s\n", emphasis("Notes:"))
		if markdown {
			b.WriteString("\n")
		}
		for _, n := range r.Notes {
			b.WriteString(note(n))
		}
	}
	if len(r.Risks) == 0 {
		fmt.Fprintf(b, "\n%s\n", emphasis("No risks flagged."))
		return
	}
	writeRisks(b, r.Risks, markdown)
	if r.Acceptance != "" {
		fmt.Fprintf(b, "\n%s %s\n", emphasis("Risks accepted:"), r.Acceptance)
	} else {
		fmt.Fprintf(b, "\n%s To proceed, rerun with --accept-risks \"<who and why>\".\n", emphasis("Not accepted: exit status 2."))
	}
}

// writeRisks lists the risks under their count, if there are any.
func writeRisks(b *strings.Builder, risks []Risk, markdown bool) {
	if len(risks) == 0 {
		return
	}
	if markdown {
		fmt.Fprintf(b, "\n**RISKS (%d):**\n\n", len(risks))
	} else {
		fmt.Fprintf(b, "\nRISKS (%d):\n", len(risks))
	}
	for _, risk := range risks {
		if markdown {
			fmt.Fprintf(b, "- :warning: `%s`: %s\n", risk.Address, risk.Reason)
		} else {
			fmt.Fprintf(b, "  ! %s: %s\n", risk.Address, risk.Reason)
		}
	}
}

func forces(a AttributeChange) string {
	if a.ForcesReplacement {
		return " (forces replacement)"
	}
	return ""
}

// cell keeps a value from breaking a Markdown table.
func cell(value string) string {
	value = strings.ReplaceAll(value, "|", `\|`)
	if len(value) > 120 {
		value = value[:117] + "..."
	}
	return "`" + value + "`"
}
