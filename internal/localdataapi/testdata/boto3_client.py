"""Calls the local Data API through boto3's rds-data client and checks the
answers; prints one JSON line of failures and exits 1 when any check fails.

Usage: python boto3_client.py ENDPOINT_URL CLUSTER_ARN SECRET_ARN
"""
import json
import sys

import boto3
from botocore.config import Config

endpoint, cluster, secret = sys.argv[1:4]
client = boto3.client(
    "rds-data",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
    config=Config(retries={"total_max_attempts": 1}),
)
common = {"resourceArn": cluster, "secretArn": secret}
failures = []


def check(what, got, want):
    if got != want:
        failures.append({"check": what, "got": repr(got), "want": repr(want)})


def error_of(call, **kwargs):
    try:
        call(**common, **kwargs)
    except client.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"]
    return None


client.execute_statement(**common, sql="CREATE TABLE boto3_rows (id int, note text, at timestamp, raw bytea)")
inserted = client.execute_statement(
    **common,
    sql="INSERT INTO boto3_rows VALUES (:id, :note, :at, :raw)",
    parameters=[
        {"name": "id", "value": {"longValue": 1}},
        {"name": "note", "value": {"isNull": True}},
        {"name": "at", "value": {"stringValue": "2024-02-29 10:11:12"}, "typeHint": "TIMESTAMP"},
        {"name": "raw", "value": {"blobValue": b"\x00\xff"}},
    ],
)
check("numberOfRecordsUpdated", inserted["numberOfRecordsUpdated"], 1)

selected = client.execute_statement(**common, sql="SELECT id, note, at, raw, 2.5::float8 AS d FROM boto3_rows", includeResultMetadata=True)
check("records", selected["records"], [[{"longValue": 1}, {"isNull": True}, {"stringValue": "2024-02-29 10:11:12"}, {"blobValue": b"\x00\xff"}, {"doubleValue": 2.5}]])
check("column names", [c["name"] for c in selected["columnMetadata"]], ["id", "note", "at", "raw", "d"])
check("column types", [c["typeName"] for c in selected["columnMetadata"]], ["int4", "text", "timestamp", "bytea", "float8"])

formatted = client.execute_statement(**common, sql="SELECT id, note FROM boto3_rows", formatRecordsAs="JSON")
check("formattedRecords", json.loads(formatted["formattedRecords"]), [{"id": 1, "note": None}])

batch = client.batch_execute_statement(
    **common,
    sql="INSERT INTO boto3_rows (id) VALUES (:id)",
    parameterSets=[[{"name": "id", "value": {"longValue": 2}}], [{"name": "id", "value": {"longValue": 3}}]],
)
check("updateResults", len(batch["updateResults"]), 2)

tx = client.begin_transaction(**common)["transactionId"]
client.execute_statement(**common, transactionId=tx, sql="DELETE FROM boto3_rows")
check("rollback", client.rollback_transaction(**common, transactionId=tx)["transactionStatus"], "Rollback Complete")
tx = client.begin_transaction(**common)["transactionId"]
client.execute_statement(**common, transactionId=tx, sql="DELETE FROM boto3_rows WHERE id = 3")
check("commit", client.commit_transaction(**common, transactionId=tx)["transactionStatus"], "Transaction Committed")
count = client.execute_statement(**common, sql="SELECT count(*) FROM boto3_rows")["records"][0][0]
check("rows after rollback and commit", count, {"longValue": 2})

check("unknown transaction", error_of(client.execute_statement, sql="SELECT 1", transactionId=tx)[:2], ("TransactionNotFoundException", 404))
code, status, message = error_of(client.execute_statement, sql="SELECT * FROM nowhere")
check("database error", (code, status), ("DatabaseErrorException", 400))
check("database error message", message.endswith("SQLState: 42P01"), True)
check("array parameter", error_of(client.execute_statement, sql="SELECT :a", parameters=[{"name": "a", "value": {"arrayValue": {"longValues": [1]}}}]),
      ("BadRequestException", 400, "Array parameters are not supported."))
check("too large", error_of(client.execute_statement, sql="SELECT repeat('x', 1024) FROM generate_series(1, 1100)"),
      ("BadRequestException", 400, "Database returned more than the allowed response size limit"))

print(json.dumps({"failures": failures}))
sys.exit(1 if failures else 0)
