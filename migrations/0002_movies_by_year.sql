-- The consumer looks movies up by year.
CREATE INDEX movies_year ON movies (year);

-- A function body is one statement however many semicolons it holds:
-- the migrate package splits files with PostgreSQL's own parser.
CREATE FUNCTION movies_in_decade(decade integer) RETURNS SETOF text
LANGUAGE plpgsql STABLE AS $body$
DECLARE
    first_year integer := decade - decade % 10;
BEGIN
    -- The decade of 1999 is 1990 to 1999; a title may hold a ';'.
    RETURN QUERY
        SELECT title FROM movies
        WHERE year BETWEEN first_year AND first_year + 9
        ORDER BY year, title;
END;
$body$;
