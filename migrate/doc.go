// Package migrate applies the repository's versioned SQL files (the
// migrations/ folder, NNNN_description.sql) to a stage's Aurora database,
// each once, in version order, through the RDS Data API: the only way the
// stages' databases are reached.
//
// # Files
//
// A file is NNNN_description.sql: four digits of version (0001 and up,
// each version once) and a description of lower-case letters, digits and
// underscores. Its statements are split with PostgreSQL's own parser
// (pg_query_go, libpg_query), since the Data API takes one statement per
// call: semicolons inside dollar-quoted bodies, strings, quoted
// identifiers and comments stay where they are, and each statement keeps
// the line it starts on, for errors.
//
// # All or nothing
//
// Each file runs in one Data API transaction together with the row that
// records it in the history table (HistoryTable), so a file that fails
// leaves neither its changes nor its row; the first file's transaction
// also creates the history table. Each statement must finish within the
// Data API's 45-second call limit: a longer one is cancelled and its file
// rolled back. Before anything runs, the history is compared with the
// files: an applied file whose checksum (or name) changed, an applied
// version with no file, and a pending file below the highest applied
// version (unless Options.AllowOutOfOrder) are all refused.
//
// # Two runs at once
//
// Each file's transaction first takes a transaction-scoped advisory lock
// (pg_advisory_xact_lock on LockKey, per database), waiting up to
// LockWait for a run that holds it, and then re-reads the history: a file
// the other run applied meanwhile is skipped. So two runs at once both
// finish, each file applied once, by whichever run got to it first. The
// lock ends with the transaction: a killed run leaves nothing applied of
// the file it was in, and holds the lock only until the Data API rolls
// its transaction back (AWS does after 3 minutes without a call); a run
// that meets it meanwhile is refused after LockWait with a message saying
// so.
//
// # Files outside a transaction
//
// Some statements cannot run in a transaction block: CREATE INDEX
// CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY (and
// REINDEX SCHEMA, DATABASE or SYSTEM), VACUUM,
// CREATE/DROP DATABASE, CREATE/DROP TABLESPACE, ALTER SYSTEM, ALTER
// TABLE ... DETACH PARTITION ... CONCURRENTLY, CREATE/DROP SUBSCRIPTION,
// CLUSTER without a table. Load refuses them unless the file's first line
// is exactly
//
//	-- migrate: no-transaction
//
// and then the file must hold exactly that one statement. (ALTER TYPE ...
// ADD VALUE runs in a transaction on PostgreSQL 12 and later, which every
// Aurora Serverless v2 engine is; the new value cannot be used until the
// file's transaction commits, so use it in a later file.)
//
// Such a file runs without the guarantees above. Its statement runs on
// its own; the history row is written after it succeeds. Other runs are
// kept out by a lock row (LockTable) with an expiry (LockLease) rather
// than the advisory lock, because no transaction outlives the statement.
// The risk: if the statement fails, or the run is killed, the file is not
// recorded, and whatever the statement did before it failed stays. A
// failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind that IF
// NOT EXISTS then skips: drop it (DROP INDEX CONCURRENTLY IF EXISTS) and
// run again. A killed run's lock row keeps other runs out until it
// expires. The statement must also finish within the Data API's 45-second
// call limit, or it is cancelled. So write such a file as one idempotent
// statement that can simply be run again: CREATE INDEX CONCURRENTLY IF
// NOT EXISTS, DROP INDEX CONCURRENTLY IF EXISTS, VACUUM.
//
// # Destructive statements
//
// Destructive lists, for the review, the statements that lose data or
// that can: DROP TABLE, DROP SCHEMA, DROP DATABASE, any DROP ... CASCADE
// (it drops what depends on the object, columns included), ALTER TABLE
// ... DROP COLUMN, ALTER TABLE ... ALTER COLUMN ... TYPE (a rewrite that
// can truncate or fail on existing values), TRUNCATE, and DELETE without
// WHERE. DROP INDEX and DROP VIEW are left out: they lose no data, and
// both can be created again from the repository.
package migrate
