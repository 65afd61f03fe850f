-- Each query below is planned without the optimizer, then with constant folding.
SELECT x FROM a WHERE z > 9128.11 AND x < 2 + 3 * 4;
SELECT -(-5), 1.5::float8 * 2, CAST('7' AS int), 1 / 0 FROM a WHERE false AND 1 / 0 = 1;
SELECT x FROM a WHERE x IN (1 + 1, 2.5::int, NULL) OR x > (SELECT 1 + 1);
