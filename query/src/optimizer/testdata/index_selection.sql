-- Each query below is planned without the optimizer, then with filter pushdown and index
-- selection; index_selection.golden shows both plans. Regenerate with UPDATE_GOLDEN=1.
-- Primary key: a point, a range, BETWEEN, an IN list, a value on the left.
SELECT * FROM d WHERE id = 5;
SELECT * FROM d WHERE id > 10;
SELECT * FROM d WHERE id BETWEEN 3 AND 9;
SELECT * FROM d WHERE id IN (1, 2, 3);
SELECT * FROM d WHERE 7 <= id AND c = 'x';
-- A value of another type is converted when the scan starts.
SELECT * FROM d WHERE id < 2.5;
-- An index: the longest equality prefix wins over the primary key's range.
SELECT * FROM d WHERE b = 5 AND id > 3;
SELECT * FROM d WHERE b = 5 AND c > 'm';
SELECT * FROM d WHERE c = 'x';
-- A unique index point beats a range of the primary key.
SELECT * FROM d WHERE f = 1.5 AND id < 100;
-- A widened column still uses its key; a parameter is a value.
SELECT * FROM d WHERE s = 300;
SELECT * FROM d WHERE id = $1;
-- Composite primary key: equality prefix then a range.
SELECT * FROM e WHERE a = 1 AND b > 2;
SELECT * FROM e WHERE b = 1;
-- Nothing usable: OR, a column on both sides, NOT IN, an expression over the column.
SELECT * FROM d WHERE id = 1 OR id = 2;
SELECT * FROM d WHERE id = b;
SELECT * FROM d WHERE id NOT IN (1, 2);
SELECT * FROM d WHERE id + 1 = 5;
-- In a join, each side's pushed-down filter picks its own key.
SELECT * FROM d, e WHERE d.id = e.a AND e.a = 1 AND d.b = 2;
