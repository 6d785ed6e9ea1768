-- Session setting of a `chipcast query` connection (grain: none): the user's SQL cannot SET.
SET lock_configuration = true;
