-- Each query below is planned without the optimizer, then with filter pushdown, join
-- ordering, index joins and index selection; index_join.golden shows both plans.
-- Regenerate with UPDATE_GOLDEN=1. No table is analyzed: each holds 1000 rows by default.
-- A filtered (small) side probes the other side's primary key.
SELECT * FROM a, d WHERE a.x = d.id AND a.z = 1;
-- The small side goes first whatever the FROM order.
SELECT * FROM d, a WHERE a.x = d.id AND a.z = 1;
-- An index whose first column is the join column.
SELECT * FROM a JOIN d ON d.b = a.x WHERE a.z = 1;
-- A composite primary key probed by its prefix, then by both columns.
SELECT * FROM a, e WHERE e.a = a.x AND a.z = 1;
SELECT * FROM a, e WHERE e.a = a.x AND e.b = a.z AND a.z = 1;
-- A left join probes its right side.
SELECT * FROM (SELECT * FROM a WHERE z = 1) s LEFT JOIN d ON d.id = s.x;
-- Both sides big: a hash join. No key on the join column: a hash join.
SELECT * FROM a, d WHERE a.x = d.id;
SELECT * FROM a, b WHERE a.x = b.y AND a.z = 1;
-- The right side's own filter stays on the probed scan.
SELECT * FROM a, d WHERE a.x = d.id AND a.z = 1 AND d.id < 10;
