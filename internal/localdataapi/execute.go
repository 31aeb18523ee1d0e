package localdataapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// session is the connection a call runs on, and how to give it back: close
// a connection of the call's own (or hand it to a Releaser backend), or
// hand a transaction's on to its next call.
type session struct {
	conn    *pgx.Conn
	release func(reusable bool)
}

func (h *Handler) openSession(ctx context.Context, resourceARN, secretARN, database, transactionID string) (*session, error) {
	if transactionID != "" {
		tx, err := h.takeTransaction(transactionID, resourceARN)
		if err != nil {
			return nil, err
		}
		return &session{conn: tx.conn, release: func(bool) { h.returnTransaction(tx) }}, nil
	}
	conn, err := h.connect(ctx, resourceARN, secretARN, database)
	if err != nil {
		return nil, err
	}
	return &session{conn: conn, release: h.giveBack(conn)}, nil
}

// giveBack is how a connection from the backend is given back: to a
// Releaser backend, or closed.
func (h *Handler) giveBack(conn *pgx.Conn) func(reusable bool) {
	if releaser, ok := h.backend.(Releaser); ok {
		return func(reusable bool) { releaser.Release(conn, reusable) }
	}
	return func(bool) { closeQuietly(conn) }
}

func closeQuietly(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Close(ctx) // the connection is done with either way
}

type outcome struct {
	answer any
	err    error
}

// withTimeout runs work on the session's connection and answers
// StatementTimeoutException once h.StatementTimeout has passed, as AWS does
// after 45 s. Without continueAfterTimeout the statement is cancelled, as
// AWS's is; with it, the statement runs on and the connection is released
// when it ends. The work runs on its own context: a caller that hangs up
// does not stop a statement on AWS either.
func (h *Handler) withTimeout(s *session, continueAfterTimeout bool, work func(ctx context.Context) (any, error)) (any, error) {
	done := make(chan outcome, 1)
	h.running.Add(1)
	go func() {
		defer h.running.Done()
		answer, err := work(context.Background())
		done <- outcome{answer, err}
	}()
	timer := time.NewTimer(h.StatementTimeout)
	defer timer.Stop()
	select {
	case o := <-done:
		s.release(true)
		return o.answer, o.err
	case <-timer.C:
	}
	pid := s.conn.PgConn().PID()
	if !continueAfterTimeout {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.conn.PgConn().CancelRequest(ctx) // best effort: the statement may have just ended
		cancel()
		<-done
		s.release(false)
		return nil, statementTimeout(pid)
	}
	h.running.Add(1)
	go func() {
		defer h.running.Done()
		<-done
		s.release(false)
	}()
	return nil, statementTimeout(pid)
}

// maxSQLBytes is the longest statement the Data API takes (SqlStatement's
// max in its model).
const maxSQLBytes = 65536

func checkSQL(sql string) error {
	if strings.TrimSpace(sql) == "" {
		return badRequest("The request's sql is empty: give the statement to run")
	}
	if len(sql) > maxSQLBytes {
		return badRequest("The request's sql is %d bytes; the Data API takes at most %d: split the statement", len(sql), maxSQLBytes)
	}
	return nil
}

func validateOptions(req *executeStatementRequest) (options, error) {
	var opts options
	switch req.ResultSetOptions.DecimalReturnType {
	case "", "STRING":
	case "DOUBLE_OR_LONG":
		opts.decimalAsNumber = true
	default:
		return opts, badRequest("resultSetOptions.decimalReturnType is %q; the allowed values are STRING and DOUBLE_OR_LONG", req.ResultSetOptions.DecimalReturnType)
	}
	switch req.ResultSetOptions.LongReturnType {
	case "", "LONG":
	case "STRING":
		opts.longAsString = true
	default:
		return opts, badRequest("resultSetOptions.longReturnType is %q; the allowed values are LONG and STRING", req.ResultSetOptions.LongReturnType)
	}
	switch req.FormatRecordsAs {
	case "", "NONE", "JSON":
	default:
		return opts, badRequest("formatRecordsAs is %q; the allowed values are NONE and JSON", req.FormatRecordsAs)
	}
	return opts, nil
}

// The Data API ignores schema for Aurora PostgreSQL (its model: "Currently,
// the schema parameter isn't supported"), and so does the handler.

func (h *Handler) executeStatement(ctx context.Context, req *executeStatementRequest) (any, error) {
	if err := requireRequest(req.ResourceArn, req.SecretArn); err != nil {
		return nil, err
	}
	if err := checkSQL(req.SQL); err != nil {
		return nil, err
	}
	opts, err := validateOptions(req)
	if err != nil {
		return nil, err
	}
	stmt, err := bind(req.SQL, req.Parameters)
	if err != nil {
		return nil, err
	}
	if err := h.checkPaused(req.ResourceArn); err != nil {
		return nil, err
	}
	s, err := h.openSession(ctx, req.ResourceArn, req.SecretArn, req.Database, req.TransactionID)
	if err != nil {
		return nil, err
	}
	return h.withTimeout(s, req.ContinueAfterTimeout, func(ctx context.Context) (any, error) {
		return h.run(ctx, s.conn, stmt, req, opts)
	})
}

// executeStatementAnswer is ExecuteStatement's response; pointers tell an
// empty list, which AWS sends, from an absent one.
type executeStatementAnswer struct {
	Records                *[][]field       `json:"records,omitempty"`
	ColumnMetadata         []columnMetadata `json:"columnMetadata,omitempty"`
	NumberOfRecordsUpdated int64            `json:"numberOfRecordsUpdated"`
	GeneratedFields        *[]field         `json:"generatedFields,omitempty"`
	FormattedRecords       *string          `json:"formattedRecords,omitempty"`
}

func (h *Handler) run(ctx context.Context, conn *pgx.Conn, stmt *boundStatement, req *executeStatementRequest, opts options) (any, error) {
	rr := conn.PgConn().ExecParams(ctx, stmt.sql, stmt.values, stmt.oids, stmt.formats, nil)
	// The descriptions live in the connection's buffer, which the metadata
	// query would overwrite.
	fields := slices.Clone(rr.FieldDescriptions())
	records := [][]field{}
	size := 0
	var failure error
	for rr.NextRow() {
		if failure != nil {
			continue // read to the end so the connection stays usable
		}
		row := make([]field, len(fields))
		for i, raw := range rr.Values() {
			size += len(raw)
			row[i], failure = decodeValue(raw, fields[i].DataTypeOID, opts)
			if failure != nil {
				break
			}
		}
		if size > h.ResultSizeLimit {
			failure = responseTooLarge()
		}
		records = append(records, row)
	}
	tag, err := rr.Close()
	if err != nil {
		return nil, err
	}
	if failure != nil {
		return nil, failure
	}
	answer := &executeStatementAnswer{}
	if len(fields) == 0 {
		answer.NumberOfRecordsUpdated = tag.RowsAffected()
		answer.GeneratedFields = &[]field{}
		return answer, nil
	}
	if req.FormatRecordsAs == "JSON" {
		formatted, err := formatRecords(fields, records)
		if err != nil {
			return nil, err
		}
		if len(formatted) > h.FormattedRecordsLimit {
			return nil, responseTooLarge()
		}
		answer.FormattedRecords = &formatted
		return answer, nil
	}
	answer.Records = &records
	if req.IncludeResultMetadata {
		if answer.ColumnMetadata, err = describeColumns(ctx, conn, fields); err != nil {
			return nil, err
		}
	}
	return answer, nil
}

// formatRecords renders records as formatRecordsAs JSON does: one object per
// row, keyed by column label in the result's order.
func formatRecords(fields []pgconn.FieldDescription, records [][]field) (string, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for r, row := range records {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for i, f := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			appendString(&b, fields[i].Name)
			b.WriteByte(':')
			v, err := json.Marshal(f.jsonValue())
			if err != nil {
				return "", err
			}
			b.Write(v)
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.String(), nil
}

// describeColumns reads from the catalog what pgJDBC would report about the
// result's columns: the tables they come from, NOT NULL, serial and identity
// columns, and the names of types that are not built in. One round trip,
// made only when the caller asked for metadata.
func describeColumns(ctx context.Context, conn *pgx.Conn, fields []pgconn.FieldDescription) ([]columnMetadata, error) {
	var tables, types []string
	for _, fd := range fields {
		if fd.TableOID != 0 {
			tables = append(tables, strconv.FormatUint(uint64(fd.TableOID), 10))
		}
		types = append(types, strconv.FormatUint(uint64(fd.DataTypeOID), 10))
	}
	query := fmt.Sprintf(`SELECT 't', oid::text, '', typname, '', '' FROM pg_catalog.pg_type WHERE oid IN (%s)`, strings.Join(types, ","))
	if len(tables) > 0 {
		query += fmt.Sprintf(` UNION ALL
SELECT 'a', a.attrelid::text, a.attnum::text, c.relname, a.attnotnull::text,
       (a.attidentity <> '' OR coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%%', false))::text
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid IN (%s) AND a.attnum > 0`, strings.Join(tables, ","))
	}
	result := conn.PgConn().ExecParams(ctx, query, nil, nil, nil, nil).Read()
	if result.Err != nil {
		return nil, result.Err
	}
	typeNames := map[string]string{}
	columns := map[string]columnFacts{}
	for _, row := range result.Rows {
		if string(row[0]) == "t" {
			typeNames[string(row[1])] = string(row[3])
			continue
		}
		columns[string(row[1])+"/"+string(row[2])] = columnFacts{
			tableName:     string(row[3]),
			notNull:       string(row[4]) == "true",
			autoIncrement: string(row[5]) == "true",
		}
	}
	metadata := make([]columnMetadata, len(fields))
	for i, fd := range fields {
		facts, fromTable := columns[strconv.FormatUint(uint64(fd.TableOID), 10)+"/"+strconv.Itoa(int(fd.TableAttributeNumber))]
		metadata[i] = describeColumn(fd, typeNames[strconv.FormatUint(uint64(fd.DataTypeOID), 10)], facts, fromTable)
	}
	return metadata, nil
}

func (h *Handler) batchExecuteStatement(ctx context.Context, req *batchExecuteStatementRequest) (any, error) {
	if err := requireRequest(req.ResourceArn, req.SecretArn); err != nil {
		return nil, err
	}
	if err := checkSQL(req.SQL); err != nil {
		return nil, err
	}
	statements := make([]*boundStatement, len(req.ParameterSets))
	for i, set := range req.ParameterSets {
		stmt, err := bind(req.SQL, set)
		if err != nil {
			return nil, err
		}
		statements[i] = stmt
	}
	if err := h.checkPaused(req.ResourceArn); err != nil {
		return nil, err
	}
	s, err := h.openSession(ctx, req.ResourceArn, req.SecretArn, req.Database, req.TransactionID)
	if err != nil {
		return nil, err
	}
	// Outside a transaction the batch is one: a failing set leaves none of
	// the others behind.
	ownTransaction := req.TransactionID == ""
	return h.withTimeout(s, false, func(ctx context.Context) (any, error) {
		if ownTransaction {
			if err := execSimple(ctx, s.conn, "BEGIN"); err != nil {
				return nil, err
			}
		}
		results := make([]updateResult, len(statements))
		for i, stmt := range statements {
			if _, err := s.conn.PgConn().ExecParams(ctx, stmt.sql, stmt.values, stmt.oids, stmt.formats, nil).Close(); err != nil {
				if ownTransaction {
					_ = execSimple(ctx, s.conn, "ROLLBACK") // the connection is closed next anyway
				}
				return nil, err
			}
			results[i] = updateResult{GeneratedFields: []field{}}
		}
		if ownTransaction {
			if err := execSimple(ctx, s.conn, "COMMIT"); err != nil {
				return nil, err
			}
		}
		return map[string]any{"updateResults": results}, nil
	})
}

func execSimple(ctx context.Context, conn *pgx.Conn, sql string) error {
	_, err := conn.PgConn().Exec(ctx, sql).ReadAll()
	return err
}
