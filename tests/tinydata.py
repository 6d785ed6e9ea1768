"""A tiny, hand-checkable input folder: 2 firms, 3 chips, 2 export regimes, 2022-01..2023-12.

Hand-computed facts (used by tests):
- class c1: 6 x 1e11 x 1e12 = 6e23 training FLOPs; at MFU 0.5 for 30 days on 312 TFLOPS that is
  6e23 / (312e12 x 0.5 x 30 x 86,400) = 1,483.86 A100-equivalents, busy in one calendar month.
- firm a releases 2022-07-01 (trains in June 2022); firm b releases 2023-01-01 (December 2022).
- serving: 5e7 users x 1 question x 750 words x 4/3 tokens/word = 5e10 tokens/day;
  x 2 x 1e11 FLOPs = 1e22 FLOPs/day; / (312e12 x 0.5 x 86,400) = 741.93 A100-equivalents.
- retention 0, lifetime 1 year; NVIDIA/Huawei shares 0.8/0.2 in 2022 and 0.5/0.5 in 2023.
- the 2022-10-07 rule makes the A100 illegal from October 2022; the A800 ships from November.
"""

from __future__ import annotations

from pathlib import Path

FILES: dict[str, str] = {
    "chips.csv": """sku,family,aliases,vendor,form_factor,launch_date,source
A100-80GB-SXM,A100,A100,NVIDIA,SXM,2020-11-16,test
A800-80GB-SXM,A800,A800,NVIDIA,SXM,2022-11-08,test
Ascend-910,910,910,Huawei,module,2019-08-23,test
""",
    "chip_specs.csv": """sku,metric,value,unit,dist,low,mode,high,source
A100-80GB-SXM,dense_fp16_tflops,312,TFLOPS,,,,,test
A100-80GB-SXM,price_usd,10000,USD,,,,,test
A800-80GB-SXM,dense_fp16_tflops,312,TFLOPS,,,,,test
A800-80GB-SXM,price_usd,12000,USD,,,,,test
Ascend-910,dense_fp16_tflops,256,TFLOPS,,,,,test
Ascend-910,price_usd,8000,USD,,,,,test
""",
    "vendor_share.csv": """year,vendor,metric,value,unit,dist,low,mode,high,source
2022,NVIDIA,share,0.8,fraction,,,,,test
2022,Huawei,share,0.2,fraction,,,,,test
2023,NVIDIA,share,0.5,fraction,,,,,test
2023,Huawei,share,0.5,fraction,,,,,test
""",
    "firms.csv": """firm,name,name_zh,sector,rationale,source
a,Firm A,甲,internet,test,test
b,Firm B,乙,internet,test,test
""",
    "model_classes.csv": """model_class,metric,value,unit,dist,low,mode,high,source
*,mfu,0.5,fraction,uniform,0.3,,0.6,test
*,training_days,30,days,,,,,test
*,compute_multiplier,1,x,,,,,test
*,experiment_multiplier,1,x,,,,,test
*,bytes_per_param,2,bytes,,,,,test
c1,total_params,1e11,params,,,,,test
c1,active_params,1e11,params,,,,,test
c1,training_tokens,1e12,tokens,,,,,test
""",
    "model_releases.csv": """firm,model,model_class,release_date,source
a,a-1,c1,2022-07-01,test
b,b-1,c1,2023-01-01,test
""",
    "usage.csv": """firm,metric,value,unit,dist,low,mode,high,source
*,dau_target,5e7,users,,,,,test
*,adoption_p,1000,1/year,,,,,test
*,adoption_q,0,1/year,,,,,test
*,questions_per_user_day,1,questions/user/day,,,,,test
*,words_per_answer,750,words,,,,,test
*,tokens_per_word,1.3333333333333333,tokens/word,triangular,1.2,,1.6,test
*,prompt_tokens,0,tokens/question,,,,,test
*,serving_utilization,0.5,fraction,uniform,0.25,,0.75,test
*,peak_to_average,1,x,,,,,test
""",
    "fleet.csv": """metric,value,unit,dist,low,mode,high,source
chip_lifetime_years,1,years,,,,,test
training_fleet_retention,0,fraction,,,,,test
reference_tflops,312,TFLOPS,,,,,test
""",
    "compute_formulas.csv": """name,expression,unit,source
training_flops,6 * active_params * training_tokens,FLOPs,test
inference_flops_per_token,2 * active_params,FLOPs/token,test
tokens_per_day,dau * questions_per_user_day * (words_per_answer * tokens_per_word + prompt_tokens),tokens/day,test
""",
    "export_regimes.csv": """regime,start_date,end_date,sku,mix_share,source
open,2019-01-01,2022-10-07,A100-80GB-SXM,1,test
open,2019-01-01,2022-10-07,Ascend-910,1,test
rule-2022,2022-10-07,,A800-80GB-SXM,1,test
rule-2022,2022-10-07,,Ascend-910,1,test
""",
    "correlations.csv": "group,table,metric,rho,source\n",
    "scenarios/base.yaml": """name: base
description: tiny test world
settings: {start: 2022-01, end: 2023-12, inference_mode: compute}
""",
}

TRAIN_A100E = 6e23 / (312e12 * 0.5 * 30 * 86_400)
SERVE_A100E = 1e22 / (312e12 * 0.5 * 86_400)


def write_tiny_data(folder: Path, replace: dict[str, str] | None = None) -> Path:
    """Write the tiny inputs into `folder` (with some files replaced) and return it."""
    for name, text in {**FILES, **(replace or {})}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
