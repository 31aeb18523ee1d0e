# `make synth` and `make test` install what they need on a fresh machine:
# the Go modules (go.sum) and the npm packages (package-lock.json: the
# cdktf CLI and Node.js 22, the runtime jsii starts for the Go app).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Node.js 22 from node_modules, not the machine's, for npx and the cdktf CLI;
# the app finds it by itself too (internal/jsiiruntime), JSII_NODE only says
# the same.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export JSII_NODE := $(CURDIR)/node_modules/.bin/node
# No update checks against HashiCorp's servers from cdktf or terraform.
export CHECKPOINT_DISABLE := 1
# Where the public Terraform registry is out of reach, providers come from
# a local mirror (see terraform/mirror.tfrc), for make's recipes and, if you
# have no Terraform CLI configuration yet, for your own cdktf commands too
# (scripts/terraform-cli-config.sh). Elsewhere your configuration applies.
export USER_TF_CLI_CONFIG_FILE := $(TF_CLI_CONFIG_FILE)
ifneq ($(wildcard /opt/tf-plugins/registry.terraform.io),)
export TF_CLI_CONFIG_FILE := $(CURDIR)/terraform/mirror.tfrc
# cdktf runs `terraform providers lock` after a stack's first init, and that
# command asks the registry unless told of the mirror.
export TF_CLI_ARGS_providers_lock := -fs-mirror=/opt/tf-plugins
endif

# LOCAL=1 points a target at the emulator make local started (its one
# address, scripts/local-aws.sh endpoint): make query STAGE=dev LOCAL=1 ...
ifdef LOCAL
export DB_LOCAL_ENDPOINT := $(shell sh scripts/local-aws.sh endpoint)
endif

NPM_INSTALLED := node_modules/.package-lock.json
LOCAL_AWS := sh scripts/local-aws.sh
PYTHON_TOOL := sh scripts/python-tool.sh
GO_PACKAGES := ./... ./__tests__/
# The folders of Go sources; gofmt does not skip node_modules as go does.
GO_SOURCES := main.go stacks review savedplan migrate cmd internal examples __tests__

.PHONY: help tools synth scan bench test test-run test-report test-fast local local-down bench-local review apply drift migrate migrate-plan migrate-status unlock query restore-drill plan-fixtures fmt clean

help:
	@echo "make synth   synthesize bootstrap and every stage into cdktf.out/stacks/<stack>/cdk.tf.json"
	@echo "make scan    synthesize every stack and scan it with Checkov against the security baseline (security/)"
	@echo "make test    format check, go vet, and every test (terraform validate, the Checkov scan and the emulator tests included)"
	@echo "make test-report  the last make test's slowest and costliest tests, its wall and CPU time, by kind of process"
	@echo "make test-fast  the tests that need neither Node.js, terraform nor the emulator"
	@echo "make local   start an AWS emulator (moto) and deploy bootstrap and dev to it"
	@echo "make local-down  stop that emulator"
	@echo "make bench   time and measure the memory of synthesizing 3 and 41 stacks N times (N=10): the binary against a plain JavaScript app (bench/anchor), go run, cdktf synth"
	@echo "make bench-local  time make local from a stopped emulator, then a no-op make review and cdktf diff of dev, each against terraform plan in pairs (PAIRS=5)"
	@echo "make review STAGE=<stage> [ARGS=...]  plan a stage and summarize it, risks flagged (exit 2)"
	@echo "make review STAGE=<stage> ARGS=\"--save <folder>\"  the same, and keep the plan, its stack and its review in <folder> for make apply"
	@echo "make apply STAGE=<stage> PLAN=<folder>  apply exactly the plan the review saved there, its review printed first; refused if the state moved since"
	@echo "make drift STAGE=<stage> [ARGS=--format markdown]  what changed outside Terraform (a refresh-only plan): exit 0 none, 2 some"
	@echo "make migrate STAGE=<stage> [ARGS=--allow-out-of-order]  apply the pending schema migrations (migrations/) through the stage's Data API"
	@echo "make migrate-plan STAGE=<stage>  list the migrations that would run; change nothing"
	@echo "make migrate-status STAGE=<stage>  list the applied migrations (who, when) and the pending ones"
	@echo "make unlock STAGE=<stage> [FORCE=1]  show the state lock an interrupted deploy left, and remove it"
	@echo "make query STAGE=<stage> SQL=\"select now()\" [ARGS=\"--format json --param name=value\"]  run one statement through the Data API, as a consumer does"
	@echo "  LOCAL=1 with any of these: against the emulator make local started (real SQL on a local PostgreSQL)"
	@echo "make restore-drill STAGE=<stage> [SQL=\"select 1\"]  clone the stage into drill-<stage>, query the clone, destroy it and delete its state, timing each step"
	@echo "make plan-fixtures  regenerate the review tests' plans against a local AWS emulator"
	@echo "make fmt     gofmt the Go sources"
	@echo "make clean   remove cdktf.out and node_modules"

$(NPM_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund

# Everything synth and test need beyond Go modules, which go fetches itself.
tools: $(NPM_INSTALLED)
	@sh scripts/terraform-cli-config.sh

synth: tools
	go run . $(STAGES)

# Checkov from .local/checkov, pinned by security/checkov-requirements.txt;
# the scan itself needs no network.
scan: tools
	@$(PYTHON_TOOL) install checkov
	go run ./cmd/scan

# The emulator tests spend most of their time in the AWS provider's waits
# (about 30 s per cluster and per instance), so all of them run at once
# although there are fewer cores.
TEST_PARALLEL ?= 12
# gotestsum (pinned in go.mod as a tool) prints go test's own output and
# keeps its events, from which cmd/test-report prints the slowest tests.
TEST_REPORT := .local/test-report.json

# make test is measured by cmd/test-report: it runs test-run, then prints
# the ten slowest tests, the ten whose processes used the most CPU, the
# run's wall and CPU time and that CPU by kind of process (as root, from
# the kernel's process accounting), and last the counts. make test-report
# prints the same again for the last run.
test:
	@go run ./cmd/test-report run -- $(MAKE) --no-print-directory test-run

test-report:
	@go run ./cmd/test-report

# The tests run with a temp directory of their own, which must hold nothing
# of jsii's afterwards (runtime folders, unpacked packages).
test-run: tools
	@$(LOCAL_AWS) install
	@$(PYTHON_TOOL) install checkov
	@$(PYTHON_TOOL) install parliament
	@unformatted="$$(gofmt -l $(GO_SOURCES))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted (run make fmt)"; exit 1; fi
	go vet $(GO_PACKAGES)
	@scratch="$$(mktemp -d)"; status=0; \
	echo "TMPDIR=$$scratch go test -count=1 -timeout 60m -parallel $(TEST_PARALLEL) $(GO_PACKAGES)"; \
	TMPDIR="$$scratch" go tool gotestsum --format standard-quiet --jsonfile $(TEST_REPORT) \
	  -- -count=1 -timeout 60m -parallel $(TEST_PARALLEL) $(GO_PACKAGES) || status=$$?; \
	left="$$(cd "$$scratch" && ls -d jsii-runtime.* jsii-kernel-* *.tgz 2>/dev/null || true)"; \
	rm -rf "$$scratch"; \
	if [ -n "$$left" ]; then echo "jsii left in the temp directory: $$left"; exit 1; fi; \
	exit $$status

N ?= 10
# The yardstick (bench/anchor), from its own lock.
ANCHOR_INSTALLED := bench/anchor/node_modules/.package-lock.json
$(ANCHOR_INSTALLED): bench/anchor/package.json bench/anchor/package-lock.json
	cd bench/anchor && npm ci --no-audit --no-fund

bench: tools $(ANCHOR_INSTALLED)
	go run ./cmd/bench-synth -n $(N)

# Deploys with the real cdktf CLI, terraform and AWS provider to moto on
# 127.0.0.1, synthesizing into .local/cdktf.out so the real account's
# cdktf.out is never touched; dev deploys as soon as bootstrap has made the
# state bucket (scripts/local-deploy.sh). Running it again reuses the
# emulator and changes nothing.
local: tools
	@$(LOCAL_AWS) up
	@bash scripts/local-deploy.sh

local-down:
	@$(LOCAL_AWS) down

bench-local: tools
	@$(LOCAL_AWS) install
	@bash scripts/bench-local.sh

# Plans the stage in its synthesized folder and summarizes the plan; extra
# flags through ARGS, e.g. ARGS="--format markdown" or ARGS="--accept-risks 'who: why'".
review: tools
	@test -n "$(STAGE)" || { echo "name the stage: make review STAGE=production"; exit 1; }
	@go run ./cmd/review --stage "$(STAGE)" $(if $(LOCAL),--outdir .local/cdktf.out) $(ARGS)

# Applies a plan the review saved (make review STAGE=<stage> ARGS="--save
# <folder>"), exactly as reviewed: no synthesis, no new plan; refused when
# the stage's state moved since, or the plan is another stage's, account's
# or region's.
apply:
	@test -n "$(STAGE)" -a -n "$(PLAN)" || { echo "name the stage and the saved plan: make apply STAGE=production PLAN=saved-plan"; exit 1; }
	@go run ./cmd/apply --stage "$(STAGE)" --plan "$(PLAN)"

# What changed in the stage outside Terraform, from a refresh-only plan:
# exit 0 none, 2 some.
drift: tools
	@test -n "$(STAGE)" || { echo "name the stage: make drift STAGE=production"; exit 1; }
	@go run ./cmd/review --stage "$(STAGE)" --drift $(if $(LOCAL),--outdir .local/cdktf.out) $(ARGS)

# The repository's schema migrations (migrations/), through the stage's
# Data API: apply the pending ones, list what would run, or list what is
# applied and pending.
migrate:
	@test -n "$(STAGE)" || { echo "name the stage: make migrate STAGE=dev"; exit 1; }
	@go run ./cmd/migrate --stage "$(STAGE)" $(ARGS)

migrate-plan:
	@test -n "$(STAGE)" || { echo "name the stage: make migrate-plan STAGE=dev"; exit 1; }
	@go run ./cmd/migrate --stage "$(STAGE)" --plan $(ARGS)

migrate-status:
	@test -n "$(STAGE)" || { echo "name the stage: make migrate-status STAGE=dev"; exit 1; }
	@go run ./cmd/migrate --stage "$(STAGE)" --status $(ARGS)

# Shows who holds the stage's state lock, for what and since when; removes
# it after a yes on a terminal, or at once with FORCE=1.
unlock:
	@test -n "$(STAGE)" || { echo "name the stage: make unlock STAGE=dev"; exit 1; }
	@go run ./cmd/unlock --stage "$(STAGE)" $(if $(FORCE),--force)

# Reads the stage's two SSM parameters and calls the Data API with them.
query:
	@test -n "$(STAGE)" -a -n "$(SQL)" || { echo 'name the stage and the statement: make query STAGE=dev SQL="select now()"'; exit 1; }
	@go run ./cmd/query --stage "$(STAGE)" $(ARGS) "$(SQL)"

# Deploys drill-<stage> with the cdktf CLI, queries it through the Data
# API, then destroys it and deletes its state, also when a step fails.
restore-drill: tools
	@test -n "$(STAGE)" || { echo "name the stage: make restore-drill STAGE=production"; exit 1; }
	@go run ./cmd/restore-drill --stage "$(STAGE)" $(if $(SQL),--sql "$(SQL)")

plan-fixtures: tools
	@$(LOCAL_AWS) install
	go test -count=1 -timeout 30m -run TestRegeneratePlanFixtures ./__tests__/ -regen-plans

test-fast:
	go test -count=1 -short $(GO_PACKAGES)

fmt:
	gofmt -w $(GO_SOURCES)

clean: local-down
	rm -rf cdktf.out node_modules .local
