-- report/seed_a100_tflops: dense FP16 TFLOPS of one scenario's A100-family SKUs ($families:
-- chipcast.contracts.A100_FAMILIES, bound as a list) (grain: sku); allowed: an export regime
-- of the scenario lists the SKU, i.e. that world can ship it.
SELECT s.sku, s.value AS tflops,
       EXISTS (
           SELECT 1 FROM stg_export_regimes AS r
           WHERE r.run_id = s.run_id AND r.scenario = s.scenario AND r.sku = s.sku
       ) AS allowed
FROM stg_chip_specs AS s
JOIN stg_chips AS c ON c.run_id = s.run_id AND c.scenario = s.scenario AND c.sku = s.sku
WHERE s.run_id = $run_id AND s.scenario = $scenario AND s.metric = 'dense_fp16_tflops'
    AND list_contains($families, c.family)
ORDER BY allowed DESC, s.sku;
