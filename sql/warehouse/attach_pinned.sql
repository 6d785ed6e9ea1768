-- Create/attach the publishable file as `dst`, written in an older storage format so BI tools
-- that bundle an older DuckDB can open it.
ATTACH $path AS dst (STORAGE_VERSION $storage_version);
