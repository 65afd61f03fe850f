-- Through the projection onto the sort (a top-N sort).
SELECT x + 1 FROM a ORDER BY z LIMIT 10;
-- With an offset: the sort keeps limit + offset rows.
SELECT x FROM a ORDER BY x DESC LIMIT 5 OFFSET 20;
-- Into both branches of UNION ALL, and on to their sorts.
(SELECT x FROM a ORDER BY x LIMIT 100) UNION ALL (SELECT y FROM b) LIMIT 3 OFFSET 1;
-- UNION (without ALL) removes duplicates: the limit stays above.
SELECT x FROM a UNION SELECT y FROM b LIMIT 3;
-- A parameter is not a constant: nothing goes into the branches.
SELECT x FROM a UNION ALL SELECT y FROM b LIMIT $1;
-- OFFSET alone stays where it is.
SELECT x FROM a ORDER BY x OFFSET 3;
