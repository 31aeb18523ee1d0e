package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"aurora-stages/internal/prices"
)

// regenerate prices every rule in every region from the offers, merges
// the prices into the table at out and writes it, and, when changesOut is
// not "", what changed (changes) there. It writes nothing when any price
// fails; every failure is said, not just the first.
func regenerate(ctx context.Context, source offerSource, regions []string, out, changesOut string, stderr io.Writer) error {
	existing, err := readTable(out)
	if err != nil {
		return err
	}
	var generated []prices.Price
	var failures []string
	for _, region := range regions {
		for _, service := range services() {
			found, errs := priceService(ctx, source, service, region, stderr)
			for _, err := range errs {
				failures = append(failures, err.Error())
			}
			generated = append(generated, found...)
		}
	}
	fmt.Fprintln(stderr, "prices:", dataAPINote)
	if len(failures) > 0 {
		return fmt.Errorf("%s not written; %d failed:\n  %s", out, len(failures), strings.Join(failures, "\n  "))
	}
	table := merge(existing, generated, stderr)
	data, err := encode(table)
	if err != nil {
		return err
	}
	if _, err := prices.Parse(data); err != nil {
		return fmt.Errorf("%s not written: the generated table does not pass prices.Parse: %w", out, err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	if changesOut != "" {
		if err := os.WriteFile(changesOut, []byte(changes(existing, table)), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "prices: wrote %s: %d prices, %d of them generated from the offers\n", out, len(table.Prices), len(generated))
	return nil
}

// services are the offer codes of the rules, in order.
func services() []string {
	var codes []string
	for _, r := range rules {
		if !slices.Contains(codes, r.service) {
			codes = append(codes, r.service)
		}
	}
	return codes
}

// priceService prices one service's rules in one region. A region the
// service's offer does not cover is left out, said on stderr.
func priceService(ctx context.Context, source offerSource, service, region string, stderr io.Writer) ([]prices.Price, []error) {
	var names []string
	for _, r := range rules {
		if r.service == service {
			names = append(names, r.name)
		}
	}
	o, err := source.load(ctx, service, region)
	if errors.Is(err, errNoOffer) {
		fmt.Fprintf(stderr, "prices: left out in %s: %s (%v)\n", region, strings.Join(names, ", "), err)
		return nil, nil
	}
	if err != nil {
		return nil, []error{err}
	}
	if !o.covers(region) {
		fmt.Fprintf(stderr, "prices: left out in %s: %s (%s has no product in %s)\n", region, strings.Join(names, ", "), o.location, region)
		return nil, nil
	}
	published, err := o.published()
	if err != nil {
		return nil, []error{err}
	}
	var found []prices.Price
	var failures []error
	for _, r := range rules {
		if r.service != service {
			continue
		}
		p, err := r.match(o, region, published)
		if err != nil {
			failures = append(failures, err)
			continue
		}
		found = append(found, p)
	}
	return found, failures
}

func (o *offer) covers(region string) bool {
	for _, p := range o.Products {
		if p.Attributes["regionCode"] == region {
			return true
		}
	}
	return false
}

// readTable reads the table to regenerate; a file that does not exist yet
// is an empty table.
func readTable(path string) (*prices.Table, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &prices.Table{}, nil
	}
	if err != nil {
		return nil, err
	}
	t, err := prices.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// merge replaces the table's entries for a name and region the offers
// priced (transcribed or generated before) and keeps the others, saying
// so on stderr. The result is sorted by region, then in the order of
// internal/prices' names.
func merge(existing *prices.Table, generated []prices.Price, stderr io.Writer) *prices.Table {
	priced := map[[2]string]bool{}
	for _, p := range generated {
		priced[[2]string{p.Name, p.Region}] = true
	}
	merged := slices.Clone(generated)
	for _, p := range existing.Prices {
		if priced[[2]string{p.Name, p.Region}] {
			continue
		}
		how := "generated"
		if p.Transcribed {
			how = "transcribed"
		}
		fmt.Fprintf(stderr, "prices: kept %s in %s (%s, published %s): the offers read did not price it\n", p.Name, p.Region, how, p.Published)
		merged = append(merged, p)
	}
	slices.SortStableFunc(merged, func(a, b prices.Price) int {
		return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(nameOrder(a.Name), nameOrder(b.Name)), cmp.Compare(a.Name, b.Name))
	})
	return &prices.Table{Prices: merged}
}

// nameOrder is a name's place in prices.Names; a name it does not know
// comes last.
func nameOrder(name string) int {
	if i := slices.Index(prices.Names, name); i >= 0 {
		return i
	}
	return len(prices.Names)
}

// encode writes the table as prices.json is written: indented, with "&"
// and "<" as they are (sources are URLs).
func encode(t *prices.Table) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(t); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// changes says, in Markdown for a pull request's description, each price
// of table that is new or differs from existing in amount or unit, with
// both; and how many others only got a newer date and source.
func changes(existing, table *prices.Table) string {
	var rows []string
	redated := 0
	for _, p := range table.Prices {
		was, ok := existing.Find(p.Region, p.Name)
		switch {
		case !ok:
			rows = append(rows, fmt.Sprintf("| `%s` | %s | none | %s |", p.Name, p.Region, priceCell(p)))
		case was.Amount().Cmp(p.Amount()) != 0 || was.Unit != p.Unit:
			rows = append(rows, fmt.Sprintf("| `%s` | %s | %s | %s |", p.Name, p.Region, priceCell(was), priceCell(p)))
		case was != p:
			redated++
		}
	}
	var b strings.Builder
	switch len(rows) {
	case 0:
		b.WriteString("No price changed.\n")
	default:
		fmt.Fprintf(&b, "%d %s changed or added:\n\n| price | region | before | after |\n| --- | --- | --- | --- |\n%s\n", len(rows), plural(len(rows), "price", "prices"), strings.Join(rows, "\n"))
	}
	if redated > 0 {
		fmt.Fprintf(&b, "\n%d other %s the same, newly dated from the offer files.\n", redated, plural(redated, "price is", "prices are"))
	}
	return b.String()
}

// priceCell is a price as the changes list it: amount, unit, date and
// whether it was transcribed.
func priceCell(p prices.Price) string {
	how := ""
	if p.Transcribed {
		how = "transcribed, "
	}
	return fmt.Sprintf("%s USD per %s (%spublished %s)", p.USD, p.Unit, how, p.Published)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
