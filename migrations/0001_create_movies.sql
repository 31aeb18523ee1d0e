-- The table the consumer example reads (examples/consumer runs
-- select title from movies where year = :year, with year 1999).
CREATE TABLE movies (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL,
    year  integer NOT NULL CHECK (year BETWEEN 1888 AND 2100)
);

INSERT INTO movies (title, year) VALUES
    ('The Matrix', 1999),
    ('Fight Club', 1999),
    ('Alien', 1979),
    ('Spirited Away', 2001);
