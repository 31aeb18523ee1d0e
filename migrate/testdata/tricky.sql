-- Statements whose semicolons are not where they end; the splitter must
-- cut this file into exactly the statements split_test.go lists.
/* a block comment; /* nested; */ still the comment; */
CREATE TABLE "odd;name" ("semi;colon" text, "quote""d;" int);

INSERT INTO "odd;name" VALUES ('it''s; fine', 1), (E'back\'slash; \\', 2), ('C:\', 3);

SELECT $$dollar; body$$, $tag$ inner $$ not the end; $tag$ AS "x"; SELECT 2 /* two on a line; */;

CREATE FUNCTION movies_total() RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
    note text := $q$ a nested tag; $$ too; $q$;
BEGIN
    -- a comment inside; with a semicolon
    RETURN (SELECT count(*) FROM "odd;name"); /* ; */
END;
$fn$;

SELECT 'multi
line; string'
;
SELECT 'héllo; wörld ✓' AS "ñ;";
SELECT U&'d\0061t\+000061;' AS unicode -- no semicolon after the last statement
