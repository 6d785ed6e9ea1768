-- report/seed_class: the model class that most of one scenario's releases use, with its
-- parameters (grain: metric): the class's own row, else the default row ($default,
-- chipcast.contracts.DEFAULT_KEY); point values in each metric's unit (stg_model_classes).
-- firms counts the firms that release a model of that class.
WITH class AS (
    SELECT model_class, count(DISTINCT firm) AS firms
    FROM stg_model_releases
    WHERE run_id = $run_id AND scenario = $scenario
    GROUP BY model_class
    ORDER BY count(*) DESC, model_class
    LIMIT 1
)
SELECT c.model_class, c.firms, m.metric,
       coalesce(any_value(m.value) FILTER (WHERE m.model_class = c.model_class),
                any_value(m.value) FILTER (WHERE m.model_class = $default)) AS value
FROM class AS c
JOIN stg_model_classes AS m
    ON m.run_id = $run_id AND m.scenario = $scenario
    AND m.model_class IN (c.model_class, $default)
GROUP BY c.model_class, c.firms, m.metric
ORDER BY m.metric;
