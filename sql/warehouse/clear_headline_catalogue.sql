-- warehouse/clear_headline_catalogue: empty headline_catalogue before it is rewritten from
-- chipcast.contracts.HEADLINES (grain: headline).
DELETE FROM headline_catalogue;
