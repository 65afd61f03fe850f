-- Each query below is planned without the optimizer, then with filter pushdown and join
-- ordering (the plan after shows both rules, since ordering works on pushed conditions).
SELECT * FROM a, b, c WHERE a.x = c.k AND c.k = b.y;
SELECT a.x FROM a, b, c WHERE a.z = 1 AND b.w = a.x AND c.k = 5;
SELECT * FROM a JOIN b ON a.x = b.y JOIN c ON c.k = a.z;
SELECT * FROM a, b WHERE a.x = (SELECT max(k) FROM c WHERE c.k = b.y);
