#!/bin/sh
# The local AWS target: moto's server, from a project-local virtual
# environment, behind the emulator's front (cmd/local-aws), which passes
# every call on to moto but the Data API's, answered with real SQL on a
# PostgreSQL per cluster. Both on free loopback ports; the front's is the
# one URL consumers set. Everything it keeps is in .local/, the synthesized
# stacks for it included (.local/cdktf.out), apart from the real account's
# cdktf.out.
#
#   install      link .local/venv to an environment with the pinned moto
#                (scripts/cached-venv.sh; idempotent)
#   up           start the emulator, or reuse the one this script started
#   endpoint     print its URL (the front's)
#   show F S     print stage S's outputs from outputs file F and its SSM parameters
#   wait-bucket J P  wait until the state bucket of stack J (its cdk.tf.json)
#                exists; fail if process P, which creates it, ends first
#   down         stop the emulator this script started (the front, its
#                PostgreSQL servers and moto), and nothing else
set -eu

cd "$(dirname "$0")/.."
state=.local
venv=$state/venv
pidfile=$state/moto.pid
motoportfile=$state/moto.port
frontpidfile=$state/front.pid
portfile=$state/front.port
front=$state/bin/local-aws
# Pinned: moto's behaviour is what the local quirks in stacks/target.go and
# docs/local.md's notes were checked against.
moto_version=5.2.5

# alive PIDFILE NAME: the process of PIDFILE runs and is NAME. A pid file
# left by a reboot may name an unrelated process now.
alive() {
	[ -f "$1" ] || return 1
	tr '\0' ' ' < "/proc/$(cat "$1")/cmdline" 2>/dev/null | grep -q "$2" || return 1
}

running() {
	alive "$pidfile" moto_server && alive "$frontpidfile" local-aws
}

responds() {
	"$venv/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/moto-api/', timeout=2)" "$1" 2>/dev/null
}

endpoint() {
	echo "http://127.0.0.1:$(cat "$portfile")"
}

# free_port FILE: the port FILE names if it is free, so URLs people copied
# keep working, else any free one.
free_port() {
	"$venv/bin/python" - "$(cat "$1" 2>/dev/null || echo 0)" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# wait_for URL PIDFILE NAME LOG: until URL answers; fail when the process
# ends first or after 10 s.
wait_for() {
	tries=0
	until responds "$1"; do
		tries=$((tries + 1))
		if [ "$tries" -gt 100 ] || ! alive "$2" "$3"; then
			echo "the AWS emulator did not start; see $4" >&2
			exit 1
		fi
		sleep 0.1
	done
}

install() {
	sh scripts/cached-venv.sh "$venv" "moto[server]==$moto_version"
}

up() {
	install
	if running && responds "$(endpoint)"; then
		echo "AWS emulator already running at $(endpoint) (moto pid $(cat "$pidfile"), front pid $(cat "$frontpidfile"))"
		return
	fi
	stop
	# A fresh emulator holds nothing: what was synthesized and deployed for
	# the last one (its folder, its bootstrap state, its databases) is stale.
	rm -rf "$state/cdktf.out" "$state"/terraform.bootstrap.local.tfstate* "$state/postgres"
	go build -o "$front" ./cmd/local-aws
	motoport=$(free_port "$motoportfile")
	echo "$motoport" > "$motoportfile"
	# AWS managed policies (the Enhanced Monitoring role's) exist only when asked for.
	MOTO_IAM_LOAD_MANAGED_POLICIES=true setsid "$venv/bin/moto_server" -H 127.0.0.1 -p "$motoport" > "$state/moto.log" 2>&1 < /dev/null &
	echo $! > "$pidfile"
	wait_for "http://127.0.0.1:$motoport" "$pidfile" moto_server "$state/moto.log"
	port=$(free_port "$portfile")
	echo "$port" > "$portfile"
	setsid "$front" --moto "http://127.0.0.1:$motoport" --listen "127.0.0.1:$port" --state "$state/postgres" > "$state/front.log" 2>&1 < /dev/null &
	echo $! > "$frontpidfile"
	wait_for "$(endpoint)" "$frontpidfile" local-aws "$state/front.log"
	echo "AWS emulator running at $(endpoint) (moto pid $(cat "$pidfile"), front pid $(cat "$frontpidfile"); logs .local/moto.log, .local/front.log)"
}

show() {
	# $1: the outputs file of `cdktf deploy --outputs-file`; $2: the stage.
	"$venv/bin/python" - "$(endpoint)" "$1" "$2" <<'PY'
import json, sys, boto3
endpoint, outputs_file, stage = sys.argv[1:]
outputs = json.load(open(outputs_file))[stage]
print(f"Outputs of {stage}:")
for name, value in sorted(outputs.items()):
    print(f"  {name} = {value}")
region = outputs["cluster_arn"].split(":")[3]
ssm = boto3.client("ssm", endpoint_url=endpoint, region_name=region, aws_access_key_id="test", aws_secret_access_key="test")
print("SSM parameters:")
for key in ("credentials_arn_parameter", "resource_arn_parameter"):
    name = outputs[key]
    print(f"  {name} = {ssm.get_parameter(Name=name)['Parameter']['Value']}")
PY
}

wait_bucket() {
	# $1: a stack's cdk.tf.json, whose S3 backend names the bucket; $2: the
	# pid of the deploy that creates it.
	"$venv/bin/python" - "$(endpoint)" "$1" "$2" <<'PY'
import json, os, sys, time, boto3, botocore.config, botocore.exceptions
endpoint, stack, creator = sys.argv[1], sys.argv[2], int(sys.argv[3])
backend = json.load(open(stack))["terraform"]["backend"]["s3"]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name=backend["region"], aws_access_key_id="test", aws_secret_access_key="test",
                  config=botocore.config.Config(retries={"total_max_attempts": 1}))
while True:
    try:
        s3.head_bucket(Bucket=backend["bucket"])
        break
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        pass
    try:
        os.kill(creator, 0)
    except ProcessLookupError:
        sys.exit(f"the state bucket {backend['bucket']} was not created: its deploy ended first")
    time.sleep(0.5)
PY
}

# stop: the front first, which stops its PostgreSQL servers on SIGTERM,
# then moto; only processes this script started.
stop() {
	if alive "$frontpidfile" local-aws; then
		pid=$(cat "$frontpidfile")
		kill "$pid"
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	fi
	if alive "$pidfile" moto_server; then
		kill "$(cat "$pidfile")"
	fi
	rm -f "$pidfile" "$frontpidfile"
}

down() {
	if alive "$frontpidfile" local-aws || alive "$pidfile" moto_server; then
		stop
		echo "AWS emulator stopped"
	else
		echo "no AWS emulator started by this project is running"
	fi
	rm -f "$pidfile" "$frontpidfile"
}

case "${1:-}" in
install) install ;;
up) up ;;
endpoint) endpoint ;;
show) show "$2" "$3" ;;
wait-bucket) wait_bucket "$2" "$3" ;;
down) down ;;
*) echo "usage: $0 install|up|endpoint|show OUTPUTS_FILE STAGE|wait-bucket STACK_JSON PID|down" >&2; exit 2 ;;
esac
