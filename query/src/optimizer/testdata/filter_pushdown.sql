-- Each query below is planned without the optimizer, then with filter pushdown; the golden
-- file filter_pushdown.golden shows both plans. Regenerate with UPDATE_GOLDEN=1.
SELECT a.x FROM a, b WHERE a.x = b.y AND a.z = 1 AND b.w > 2;
SELECT * FROM a JOIN b ON a.x = b.y WHERE a.z < b.w;
SELECT * FROM a, b, c WHERE c.k = b.y AND a.x = c.k AND c.k IN (1, 2);
SELECT * FROM a LEFT JOIN b ON a.x = b.y WHERE b.w IS NULL;
SELECT * FROM a WHERE a.x > (SELECT max(y) FROM b WHERE b.w = a.z) AND a.z = 3;
SELECT a.z, count(*) FROM a, b WHERE a.x + 1 = b.y GROUP BY a.z HAVING count(*) > 1;
-- A filter above a window stays above it: below, it would change the window's rows.
SELECT * FROM (SELECT x, row_number() OVER (PARTITION BY z ORDER BY x) AS rn FROM a, b WHERE a.x = b.y) t WHERE rn = 1 AND x > 2;
-- A filter above a WITH query's scan stays above it: the rows are shared by every reference.
WITH w AS (SELECT x, z FROM a) SELECT * FROM w, b WHERE w.x = b.y AND w.z = 1;
-- A lateral function call: conditions on its input go below it.
SELECT * FROM a, generate_series(1, a.x) AS g WHERE a.z = 1 AND g > 2 AND g > a.x;
-- Outer joins: equalities in ON become hash keys, the rest the join's condition; a
-- conjunct over the padded side alone filters that side's input.
SELECT * FROM a LEFT JOIN b ON a.x = b.y AND a.z > b.w AND b.w > 5 AND a.z < 3;
SELECT * FROM a RIGHT JOIN b ON a.x + 1 = b.y AND a.z = 2;
SELECT * FROM a FULL JOIN b ON a.x = b.y AND a.z = b.w AND a.z > 1;
SELECT * FROM a LEFT JOIN b ON a.x < b.y;
