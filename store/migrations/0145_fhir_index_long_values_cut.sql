-- The search index keeps a value by its first 1,024 bytes (indexedMax,
-- store/resource_indexed.go), and a search looks for a value as it is
-- kept. On SQLite a value written before that rule was kept whole, so a
-- search by it, now cut, did not find its resource. The migration's Go
-- step cuts the longer values of the index already written; on
-- PostgreSQL, which refused them then, it finds none.
SELECT 1;
