package main

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"aurora-stages/internal/prices"
)

// rule says how one price of the table is found in a service's offer file:
// the product in the region whose usage type ends with usageType (other
// regions than us-east-1 prefix it: EU-Aurora:ServerlessV2Usage) and whose
// attributes have the values given.
type rule struct {
	name      string
	service   string
	usageType string
	// attributes tell twins with the same usage type apart. Where an
	// attribute allows several values, a product with an earlier one wins:
	// storage priced for Aurora PostgreSQL over storage priced for Any
	// engine, which is how some regions list it.
	attributes []attribute
	unit       conversion
}

type attribute struct {
	key    string
	values []string
}

// conversion turns the offer's unit into the table's.
type conversion struct {
	// from is the offer units the price may have; empty allows any, kept
	// as AWS spells it.
	from []string
	// to is the table's unit, "" for the offer's own.
	to string
	// factor multiplies the offer's price into the table's unit; 0 is 1.
	factor int64
}

var auroraPostgreSQL = attribute{"databaseEngine", []string{"Aurora PostgreSQL", "Any"}}

// rules are the prices generated, in the table's order. DataAPI has none:
// the RDS offer has no Data API product that this command knows to match
// (see dataAPINote).
var rules = []rule{
	{name: prices.ACUHourStandard, service: "AmazonRDS", usageType: "Aurora:ServerlessV2Usage", attributes: []attribute{auroraPostgreSQL}},
	{name: prices.ACUHourIOOptimized, service: "AmazonRDS", usageType: "Aurora:ServerlessV2IOOptimizedUsage", attributes: []attribute{auroraPostgreSQL}},
	// Standard and I/O-Optimized storage are twins but for volumeType and
	// usage type.
	{name: prices.StorageStandard, service: "AmazonRDS", usageType: "Aurora:StorageUsage", attributes: []attribute{auroraPostgreSQL, {"volumeType", []string{"General Purpose-Aurora"}}}},
	{name: prices.StorageIOOptimized, service: "AmazonRDS", usageType: "Aurora:IO-OptimizedStorageUsage", attributes: []attribute{auroraPostgreSQL, {"volumeType", []string{"IO Optimized-Aurora"}}}},
	// AWS prices each I/O; the table, a million of them.
	{name: prices.IORequests, service: "AmazonRDS", usageType: "Aurora:StorageIOUsage", attributes: []attribute{auroraPostgreSQL}, unit: conversion{from: []string{"IOs"}, to: "1M requests", factor: 1_000_000}},
	{name: prices.Backup, service: "AmazonRDS", usageType: "Aurora:BackupUsage", attributes: []attribute{auroraPostgreSQL}},
	// Performance Insights' long-term retention for Serverless v2 (FMR:
	// the retention beyond the free 7 days); priced per ACU-month, which
	// is the table's unit, so any other unit fails rather than be guessed
	// at.
	{name: prices.PerformanceInsights, service: "AmazonRDS", usageType: "PI_LTR_FMR:Serverless", attributes: []attribute{auroraPostgreSQL}, unit: conversion{from: []string{"ACU-Months", "ACU-Month", "ACU-Mo"}}},
	{name: prices.KMSKey, service: "awskms", usageType: "KMS-Keys"},
	{name: prices.Secret, service: "AWSSecretsManager", usageType: "AWSSecretsManager-Secrets"},
	{name: prices.LogsIngestion, service: "AmazonCloudWatch", usageType: "DataProcessing-Bytes"},
	{name: prices.Alarm, service: "AmazonCloudWatch", usageType: "CW:AlarmMonitorUsage"},
}

// dataAPINote is said on every run, so that a reader of the table knows
// why its Data API price, if any, is transcribed.
const dataAPINote = prices.DataAPI + " is not generated: the AmazonRDS offer has no Data API product this command knows to match; a Data API price already in the table is kept"

// match finds a rule's price in a region of an offer. It fails, naming
// the price, the region and the candidates, when no product or more than
// one matches.
func (r rule) match(o *offer, region, published string) (prices.Price, error) {
	where := fmt.Sprintf("%s in %s", r.name, region)
	var sameUsage []product
	for _, p := range o.Products {
		if p.Attributes["regionCode"] == region && strings.HasSuffix(p.Attributes["usagetype"], r.usageType) {
			sameUsage = append(sameUsage, p)
		}
	}
	if len(sameUsage) == 0 {
		return prices.Price{}, fmt.Errorf("%s: no product of %s has a usage type ending %s", where, o.location, r.usageType)
	}
	matches, best := []product{}, -1
	for _, p := range sameUsage {
		rank, ok := r.rank(p)
		switch {
		case !ok || (best >= 0 && rank > best):
		case best < 0 || rank < best:
			matches, best = []product{p}, rank
		default:
			matches = append(matches, p)
		}
	}
	switch {
	case len(matches) == 0:
		return prices.Price{}, fmt.Errorf("%s: none of the products with a usage type ending %s has %s; candidates: %s", where, r.usageType, r.wanted(), r.describe(sameUsage))
	case len(matches) > 1:
		return prices.Price{}, fmt.Errorf("%s: %d products have a usage type ending %s and %s, expected one: %s", where, len(matches), r.usageType, r.wanted(), r.describe(matches))
	}
	p := matches[0]
	dimension, tiered, err := paidTier(o, p)
	if err != nil {
		return prices.Price{}, fmt.Errorf("%s: %w", where, err)
	}
	usd, unit, converted, err := r.unit.apply(dimension)
	if err != nil {
		return prices.Price{}, fmt.Errorf("%s: SKU %s: %w", where, p.SKU, err)
	}
	note := fmt.Sprintf("SKU %s (%s). AWS: %q.", p.SKU, r.attributesOf(p), dimension.Description) + tiered + converted
	return prices.Price{
		Name:      r.name,
		Region:    region,
		Service:   r.service,
		UsageType: p.Attributes["usagetype"],
		Unit:      unit,
		USD:       usd,
		Published: published,
		Source:    o.location,
		Note:      note,
	}, nil
}

// rank is the preference of a product that has every attribute: the sum
// of the positions of its values among those allowed, 0 the best.
func (r rule) rank(p product) (int, bool) {
	rank := 0
	for _, a := range r.attributes {
		i := slices.Index(a.values, p.Attributes[a.key])
		if i < 0 {
			return 0, false
		}
		rank += i
	}
	return rank, true
}

func (r rule) wanted() string {
	if len(r.attributes) == 0 {
		return "no other condition"
	}
	var parts []string
	for _, a := range r.attributes {
		parts = append(parts, fmt.Sprintf("%s %s", a.key, strings.Join(quoteAll(a.values), " or ")))
	}
	return strings.Join(parts, ", ")
}

// describe lists products as candidates, sorted by SKU.
func (r rule) describe(products []product) string {
	var parts []string
	for _, p := range products {
		parts = append(parts, fmt.Sprintf("SKU %s (%s)", p.SKU, r.attributesOf(p)))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

func (r rule) attributesOf(p product) string {
	parts := []string{"usagetype " + p.Attributes["usagetype"], "productFamily " + p.ProductFamily}
	for _, a := range r.attributes {
		value, ok := p.Attributes[a.key]
		if !ok {
			value = "(none)"
		}
		parts = append(parts, a.key+" "+value)
	}
	return strings.Join(parts, ", ")
}

func quoteAll(values []string) []string {
	var quoted []string
	for _, v := range values {
		quoted = append(quoted, fmt.Sprintf("%q", v))
	}
	return quoted
}

// paidTier is a product's on-demand price: its only price dimension, or,
// when the price is tiered, the first tier, the one that begins at 0. A
// first tier at $0 is a free allowance (the first 10 alarms, say), which
// the review does not count: the tier that begins where it ends is taken
// instead. A price of $0 with no tier after it is refused: none of the
// table's prices is free, so it is the wrong product. tiered says, for
// the entry's note, which tier was taken ("" when there was one price).
func paidTier(o *offer, p product) (dimension priceDimension, tiered string, err error) {
	var dimensions []priceDimension
	for _, term := range o.Terms.OnDemand[p.SKU] {
		for _, d := range term.PriceDimensions {
			dimensions = append(dimensions, d)
		}
	}
	if len(dimensions) == 0 {
		return priceDimension{}, "", fmt.Errorf("SKU %s has no on-demand price", p.SKU)
	}
	beginningAt := func(begin string) ([]priceDimension, error) {
		want, ok := new(big.Rat).SetString(begin)
		if !ok {
			return nil, fmt.Errorf("SKU %s has a tier ending at %q, not a number", p.SKU, begin)
		}
		var tiers []priceDimension
		for _, d := range dimensions {
			if got, ok := new(big.Rat).SetString(d.BeginRange); ok && got.Cmp(want) == 0 {
				tiers = append(tiers, d)
			}
		}
		if len(tiers) != 1 {
			return nil, fmt.Errorf("SKU %s has %d on-demand prices and %d of them begin at %s, expected one", p.SKU, len(dimensions), len(tiers), begin)
		}
		return tiers, nil
	}
	first := dimensions[0]
	if len(dimensions) > 1 {
		tiers, err := beginningAt("0")
		if err != nil {
			return priceDimension{}, "", err
		}
		first = tiers[0]
	}
	if !free(first) {
		if len(dimensions) == 1 {
			return first, "", nil
		}
		return first, fmt.Sprintf(" Tiered: the first of %d tiers is taken (beginRange 0, endRange %s %s).", len(dimensions), first.EndRange, first.Unit), nil
	}
	if len(dimensions) == 1 || first.EndRange == "Inf" {
		return priceDimension{}, "", fmt.Errorf("SKU %s is priced at 0 USD with no paid tier (%q): none of the table's prices is free, so this is not the product", p.SKU, first.Description)
	}
	tiers, err := beginningAt(first.EndRange)
	if err != nil {
		return priceDimension{}, "", err
	}
	paid := tiers[0]
	if free(paid) {
		return priceDimension{}, "", fmt.Errorf("SKU %s is priced at 0 USD in its first two tiers: none of the table's prices is free, so this is not the product", p.SKU)
	}
	return paid, fmt.Sprintf(" Tiered: the first %s %s are free (AWS's tier at 0 USD, not counted); the next of %d tiers is taken (beginRange %s, endRange %s).", first.EndRange, first.Unit, len(dimensions), paid.BeginRange, paid.EndRange), nil
}

// free is a price dimension at 0 USD. A price that is not a number is
// not free; apply refuses it.
func free(d priceDimension) bool {
	usd, ok := new(big.Rat).SetString(d.PricePerUnit["USD"])
	return ok && usd.Sign() == 0
}

// apply reads a price dimension's USD price in the table's unit, exactly,
// and says how it was converted ("" when it was not).
func (c conversion) apply(d priceDimension) (usd, unit, note string, err error) {
	if len(c.from) > 0 && !slices.Contains(c.from, d.Unit) {
		return "", "", "", fmt.Errorf("unit %q, expected %s", d.Unit, strings.Join(quoteAll(c.from), " or "))
	}
	price, ok := d.PricePerUnit["USD"]
	if !ok {
		return "", "", "", fmt.Errorf("no USD price")
	}
	factor := max(c.factor, 1)
	usd, err = multiply(price, factor)
	if err != nil {
		return "", "", "", err
	}
	if c.to == "" {
		return usd, d.Unit, "", nil
	}
	return usd, c.to, fmt.Sprintf(" AWS's unit is %s, at %s USD; multiplied by %d exactly for the table's %s.", d.Unit, price, factor, c.to), nil
}

// multiply is a decimal price times a whole number, exactly, as a decimal
// without trailing zeros: multiply("0.0000002000", 1000000) is "0.2".
func multiply(price string, factor int64) (string, error) {
	amount, ok := new(big.Rat).SetString(price)
	if !ok || strings.ContainsAny(price, "eE/") || amount.Sign() < 0 {
		return "", fmt.Errorf("price %q is not a decimal amount", price)
	}
	amount.Mul(amount, new(big.Rat).SetInt64(factor))
	// A whole factor adds no decimal places: the price's are enough.
	places := 0
	if dot := strings.IndexByte(price, '.'); dot >= 0 {
		places = len(price) - dot - 1
	}
	decimal := amount.FloatString(places)
	if strings.Contains(decimal, ".") {
		decimal = strings.TrimRight(strings.TrimRight(decimal, "0"), ".")
	}
	return decimal, nil
}
