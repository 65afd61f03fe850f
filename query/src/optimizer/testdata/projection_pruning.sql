-- The sort holds only the column it returns and its key.
SELECT x FROM a ORDER BY z;
-- Both sides of a hash join keep only the keys and what is returned (after filter pushdown).
SELECT a.x, b.w FROM a, b, c WHERE a.x = b.y AND b.w = c.k;
-- An aggregation reads one column of a wider join.
SELECT sum(b.w) FROM a JOIN b ON a.x = b.y GROUP BY a.x;
-- A derived table's unused expression is dropped; a function call is kept.
SELECT s.x FROM (SELECT x, z * 2 AS d, abs(z) AS f FROM a) s ORDER BY s.x;
-- A subquery's outer reference pins its input row: nothing is pruned below it.
SELECT x FROM a WHERE z > (SELECT max(w) FROM b WHERE b.y = a.x) ORDER BY x;
-- count(*) needs no column.
SELECT count(*) FROM a JOIN b ON a.x = b.y;
-- DISTINCT keeps what it reads; below it is pruned afresh.
SELECT DISTINCT x FROM a ORDER BY x;
