package migrate

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Finding is a destructive statement of a migration.
type Finding struct {
	File string
	Line int
	// What is the statement in short: "DROP TABLE movies".
	What string
}

func (f Finding) String() string { return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.What) }

// Destructive lists the statements of migrations that lose data or can
// (the package documentation lists which), in file and line order, for
// the review's risks. It reads the parse tree, so a DROP TABLE in a
// comment, a string or a function body is not one.
func Destructive(migrations []Migration) []Finding {
	var findings []Finding
	for _, m := range migrations {
		for _, s := range m.Statements {
			// Load parsed every statement already; one that does not parse
			// now came from elsewhere and has nothing to report.
			tree, err := pg_query.Parse(s.SQL)
			if err != nil {
				continue
			}
			for _, raw := range tree.Stmts {
				for _, what := range destructive(raw.Stmt) {
					findings = append(findings, Finding{File: m.File, Line: s.Line, What: what})
				}
			}
		}
	}
	return findings
}

func destructive(node *pg_query.Node) []string {
	switch {
	case node.GetDropStmt() != nil:
		drop := node.GetDropStmt()
		kind := strings.ReplaceAll(strings.TrimPrefix(drop.RemoveType.String(), "OBJECT_"), "_", " ")
		var found []string
		for _, object := range drop.Objects {
			what := "DROP " + kind + " " + objectName(object)
			switch {
			case drop.Behavior == pg_query.DropBehavior_DROP_CASCADE:
				found = append(found, what+" CASCADE (drops what depends on it, columns included)")
			case drop.RemoveType == pg_query.ObjectType_OBJECT_TABLE, drop.RemoveType == pg_query.ObjectType_OBJECT_SCHEMA:
				found = append(found, what)
			}
		}
		return found
	case node.GetDropdbStmt() != nil:
		return []string{"DROP DATABASE " + node.GetDropdbStmt().Dbname}
	case node.GetTruncateStmt() != nil:
		var names []string
		for _, relation := range node.GetTruncateStmt().Relations {
			names = append(names, relationName(relation.GetRangeVar()))
		}
		return []string{"TRUNCATE " + strings.Join(names, ", ")}
	case node.GetDeleteStmt() != nil && node.GetDeleteStmt().WhereClause == nil:
		return []string{"DELETE FROM " + relationName(node.GetDeleteStmt().Relation) + " without WHERE"}
	case node.GetAlterTableStmt() != nil:
		alter := node.GetAlterTableStmt()
		table := relationName(alter.Relation)
		var found []string
		for _, cmd := range alter.Cmds {
			c := cmd.GetAlterTableCmd()
			switch {
			case c == nil:
			case c.Subtype == pg_query.AlterTableType_AT_DropColumn:
				found = append(found, "ALTER TABLE "+table+" DROP COLUMN "+c.Name)
			case c.Subtype == pg_query.AlterTableType_AT_AlterColumnType:
				found = append(found, "ALTER TABLE "+table+" ALTER COLUMN "+c.Name+" TYPE "+typeName(c.Def.GetColumnDef().GetTypeName()))
			}
		}
		return found
	}
	return nil
}

// objectName is a dropped object's name as written: a qualified name (a
// list of strings), a bare name, or a type.
func objectName(node *pg_query.Node) string {
	switch {
	case node.GetList() != nil:
		return qualified(node.GetList().Items)
	case node.GetString_() != nil:
		return node.GetString_().Sval
	case node.GetTypeName() != nil:
		return typeName(node.GetTypeName())
	case node.GetObjectWithArgs() != nil:
		return qualified(node.GetObjectWithArgs().Objname)
	}
	return "?"
}

func qualified(parts []*pg_query.Node) string {
	var names []string
	for _, part := range parts {
		names = append(names, part.GetString_().GetSval())
	}
	return strings.Join(names, ".")
}

func relationName(r *pg_query.RangeVar) string {
	if r.GetSchemaname() != "" {
		return r.GetSchemaname() + "." + r.GetRelname()
	}
	return r.GetRelname()
}

// typeName drops pg_catalog, which the parser adds to built-in types
// (integer is pg_catalog.int4).
func typeName(t *pg_query.TypeName) string {
	var names []string
	for _, part := range t.GetNames() {
		if s := part.GetString_().GetSval(); s != "pg_catalog" {
			names = append(names, s)
		}
	}
	return strings.Join(names, ".")
}
