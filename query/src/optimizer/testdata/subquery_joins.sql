-- Correlated EXISTS by equality: a hash semi join.
SELECT x FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.y = a.x);
-- NOT EXISTS, with an inner-only condition and a residual reading both sides.
SELECT x FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.y = a.x AND b.w > 5 AND b.w < a.z);
-- Uncorrelated IN, next to an ordinary conjunct.
SELECT x FROM a WHERE z = 1 AND x IN (SELECT y FROM b);
-- Correlated IN.
SELECT x FROM a WHERE x IN (SELECT y FROM b WHERE b.w = a.z);
-- NOT IN: a null-aware anti join.
SELECT x FROM a WHERE x NOT IN (SELECT y FROM b WHERE w > 0);
-- Correlated NOT IN stays a subquery.
SELECT x FROM a WHERE x NOT IN (SELECT y FROM b WHERE b.w = a.z);
-- A correlated aggregate stays a subquery.
SELECT x FROM a WHERE EXISTS (SELECT count(*) FROM b WHERE b.y = a.x HAVING count(*) > 1);
-- EXISTS without correlation: a nested loop semi join.
SELECT x FROM a WHERE EXISTS (SELECT 1 FROM c);
-- Two subqueries in one WHERE.
SELECT x FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.y = a.x) AND a.z NOT IN (SELECT k FROM c);
