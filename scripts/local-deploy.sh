#!/usr/bin/env bash
# Deploys bootstrap and dev to the emulator scripts/local-aws.sh started,
# for `make local` (which sets up PATH and the Terraform CLI configuration),
# then prints dev's outputs and SSM parameters.
#
# dev's deploy needs the state bucket, not the rest of bootstrap, whose
# lifecycle rule alone takes about 55 s on moto (docs/local.md): so the
# stacks are synthesized once, bootstrap's deploy starts, and dev's starts
# as soon as the bucket exists. Each deploy's lines are prefixed with its
# stack, and kept whole in .local/deploy-<stack>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.local/cdktf.out
DB_LOCAL_ENDPOINT=$(sh scripts/local-aws.sh endpoint)
# CI: cdktf prints plain lines instead of its live view, which two deploys
# writing to one terminal would garble.
export DB_LOCAL_ENDPOINT CI=1
# terraform and the AWS provider plugins it starts are Go programs that
# spend about a third of their CPU collecting garbage: collecting a quarter
# as often took terraform's plan of dev from 1.44 to 1.06 CPU-seconds, for
# some 170 MB more per process.
export GOGC=${GOGC:-400}
start=$SECONDS

echo "synthesizing bootstrap and the stages for $DB_LOCAL_ENDPOINT"
# The app itself, into the folder the cdktf CLI would name: the same files
# as `cdktf synth --output`, without the CLI's 1.5 s of starting Node.js.
CDKTF_OUTDIR=$out go run . || { echo "make local: synthesizing the stacks failed" >&2; exit 1; }

# deploy STACK [ARGS...]: deploys the synthesized STACK, its lines prefixed,
# and says how long it took or that it failed.
deploy() {
	local stack=$1 status=0
	shift
	echo "deploying $stack (whole output: .local/deploy-$stack.log)"
	cdktf deploy "$stack" --skip-synth --auto-approve --output "$out" "$@" 2>&1 |
		tee ".local/deploy-$stack.log" | sed -u "s/^/[$stack] /" || status=$?
	if [ "$status" -eq 0 ]; then
		echo "$stack deployed after $((SECONDS - start)) s"
	else
		echo "make local: deploying $stack failed (exit $status); its whole output: .local/deploy-$stack.log" >&2
	fi
	return "$status"
}

deploy bootstrap &
bootstrap=$!
dev=""
if sh scripts/local-aws.sh wait-bucket "$out/stacks/dev/cdk.tf.json" "$bootstrap"; then
	echo "the state bucket exists after $((SECONDS - start)) s: dev deploys while bootstrap finishes"
	deploy dev --outputs-file .local/outputs.json &
	dev=$!
fi

failed=""
wait "$bootstrap" || failed="bootstrap"
if [ -z "$dev" ]; then
	failed="${failed:+$failed, }dev (not started: no state bucket)"
elif ! wait "$dev"; then
	failed="${failed:+$failed, }dev"
fi
if [ -n "$failed" ]; then
	echo "make local: not deployed: $failed" >&2
	exit 1
fi
sh scripts/local-aws.sh show .local/outputs.json dev
cat <<TXT

Real SQL on dev's own PostgreSQL, through the emulator's Data API:
  make query STAGE=dev LOCAL=1 SQL="select now()"
A consumer (the consumer example, a function, boto3, the AWS CLI) sets:
  AWS_ENDPOINT_URL=$DB_LOCAL_ENDPOINT AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
TXT
