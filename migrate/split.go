package migrate

import (
	"errors"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
)

// splitStatement is a statement with what Load checks about it.
type splitStatement struct {
	Statement
	// outsideTransaction names a statement PostgreSQL refuses inside a
	// transaction block ("CREATE INDEX CONCURRENTLY"); "" for the others.
	outsideTransaction string
	// transactionControl names a statement that begins or ends a
	// transaction ("COMMIT"), which a file must not hold.
	transactionControl string
}

// lineError is an error at a line of the file; Line 0 when PostgreSQL
// did not say where.
type lineError struct {
	Line    int
	Message string
}

func (e *lineError) Error() string { return e.Message }

// split cuts a file into its statements with PostgreSQL's own parser
// (libpg_query): it knows every lexical rule (dollar quotes and their
// tags, E” strings, standard_conforming_strings, nested comments, quoted
// identifiers) as the server does, and a file it cannot parse is refused
// here, with its line, rather than after the statements before the error
// ran. Each statement starts at its first token, past the comments before
// it; its line is that token's.
func split(text string) ([]splitStatement, error) {
	tree, err := pg_query.Parse(text)
	if err != nil {
		var parseErr *parser.Error
		if errors.As(err, &parseErr) && parseErr.Cursorpos > 0 {
			return nil, &lineError{Line: lineOfCharacter(text, parseErr.Cursorpos), Message: "PostgreSQL cannot parse it: " + parseErr.Message}
		}
		return nil, &lineError{Message: "PostgreSQL cannot parse it: " + err.Error()}
	}
	scan, err := pg_query.Scan(text)
	if err != nil {
		return nil, &lineError{Message: "PostgreSQL cannot scan it: " + err.Error()}
	}
	var statements []splitStatement
	next := 0 // the first token not yet looked at
	for _, raw := range tree.Stmts {
		end := len(text)
		if raw.StmtLen > 0 {
			end = int(raw.StmtLocation + raw.StmtLen)
		}
		start := -1
		for ; next < len(scan.Tokens); next++ {
			token := scan.Tokens[next]
			if int(token.Start) >= end {
				break
			}
			if int(token.Start) >= int(raw.StmtLocation) && token.Token != pg_query.Token_SQL_COMMENT && token.Token != pg_query.Token_C_COMMENT {
				start = int(token.Start)
				break
			}
		}
		if start < 0 {
			return nil, &lineError{Line: lineOfByte(text, int(raw.StmtLocation)), Message: "PostgreSQL's parser and scanner disagree on where a statement starts: report this file with the migrate package's version of pg_query_go"}
		}
		s := splitStatement{Statement: Statement{SQL: strings.TrimRightFunc(text[start:end], isSpace), Line: lineOfByte(text, start)}}
		s.outsideTransaction, s.transactionControl = classify(raw.Stmt)
		statements = append(statements, s)
	}
	return statements, nil
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v'
}

// lineOfByte is the line, from 1, of text's byte offset.
func lineOfByte(text string, offset int) int {
	return 1 + strings.Count(text[:offset], "\n")
}

// lineOfCharacter is the line of a position PostgreSQL reports: characters,
// not bytes, from 1.
func lineOfCharacter(text string, position int) int {
	line, characters := 1, 0
	for _, r := range text {
		if characters++; characters >= position {
			break
		}
		if r == '\n' {
			line++
		}
	}
	return line
}

// classify says whether a statement cannot run in a transaction block (as
// PostgreSQL's PreventInTransactionBlock callers decide), and whether it
// is transaction control.
func classify(node *pg_query.Node) (outsideTransaction, transactionControl string) {
	switch {
	case node.GetIndexStmt() != nil && node.GetIndexStmt().Concurrent:
		return "CREATE INDEX CONCURRENTLY", ""
	case node.GetDropStmt() != nil && node.GetDropStmt().Concurrent:
		return "DROP INDEX CONCURRENTLY", ""
	case node.GetReindexStmt() != nil:
		reindex := node.GetReindexStmt()
		if hasOption(reindex.Params, "concurrently") {
			return "REINDEX CONCURRENTLY", ""
		}
		switch reindex.Kind {
		case pg_query.ReindexObjectType_REINDEX_OBJECT_SYSTEM:
			return "REINDEX SYSTEM", ""
		case pg_query.ReindexObjectType_REINDEX_OBJECT_DATABASE:
			return "REINDEX DATABASE", ""
		case pg_query.ReindexObjectType_REINDEX_OBJECT_SCHEMA:
			return "REINDEX SCHEMA", ""
		}
	case node.GetVacuumStmt() != nil && node.GetVacuumStmt().IsVacuumcmd:
		return "VACUUM", ""
	case node.GetCreatedbStmt() != nil:
		return "CREATE DATABASE", ""
	case node.GetDropdbStmt() != nil:
		return "DROP DATABASE", ""
	case node.GetAlterDatabaseStmt() != nil && hasOption(node.GetAlterDatabaseStmt().Options, "tablespace"):
		return "ALTER DATABASE ... SET TABLESPACE", ""
	case node.GetCreateTableSpaceStmt() != nil:
		return "CREATE TABLESPACE", ""
	case node.GetDropTableSpaceStmt() != nil:
		return "DROP TABLESPACE", ""
	case node.GetAlterSystemStmt() != nil:
		return "ALTER SYSTEM", ""
	case node.GetCreateSubscriptionStmt() != nil:
		return "CREATE SUBSCRIPTION", ""
	case node.GetDropSubscriptionStmt() != nil:
		return "DROP SUBSCRIPTION", ""
	case node.GetClusterStmt() != nil && node.GetClusterStmt().Relation == nil:
		return "CLUSTER without a table", ""
	case node.GetAlterTableStmt() != nil:
		for _, cmd := range node.GetAlterTableStmt().Cmds {
			c := cmd.GetAlterTableCmd()
			if c != nil && c.Subtype == pg_query.AlterTableType_AT_DetachPartition && c.Def.GetPartitionCmd().GetConcurrent() {
				return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY", ""
			}
		}
	case node.GetTransactionStmt() != nil:
		switch kind := node.GetTransactionStmt().Kind; kind {
		case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT, pg_query.TransactionStmtKind_TRANS_STMT_RELEASE, pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
			// Savepoints live inside the file's transaction.
		default:
			return "", strings.ReplaceAll(strings.TrimPrefix(kind.String(), "TRANS_STMT_"), "_", " ")
		}
	}
	return "", ""
}

// hasOption says whether a list of options (DefElem) names option.
func hasOption(options []*pg_query.Node, option string) bool {
	for _, o := range options {
		if o.GetDefElem().GetDefname() == option {
			return true
		}
	}
	return false
}
