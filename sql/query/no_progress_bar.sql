-- Session setting of a `chipcast query` connection (grain: none): no progress bar on stderr.
SET enable_progress_bar = false;
