-- Attach a database file read-only under the alias `src` (the source of a copy).
ATTACH $path AS src (READ_ONLY);
