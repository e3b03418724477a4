"""bench/results.md: the goals met or not, then every figure as a table, from results.json."""

from __future__ import annotations

GOALS = {
    "audio_to_features": "pipeline >= 2x the naive recipe and >= 500x real time",
    "scale": "time linear in library size (within 15 %), peak RSS flat (within 10 %)",
    "training": "streamed >= 0.9x in-memory samples/s, memory bounded",
    "inference": "`predict` cold start < 2 s; folder >= 200x real time",
    "disk": "(no goal: bytes relative to the library)",
}


def goal_rows(figures: dict) -> list[list[str]]:
    """[figure, goal, measured, met] for each figure that ran."""
    rows = []
    if "audio_to_features" in figures:
        f = figures["audio_to_features"]
        speed = f["sides"]["pipeline"]["x_real_time"]
        rows.append(["1 audio to features", GOALS["audio_to_features"],
                     f"{f['speedup_vs_naive']}x naive (at most {f['speedup_bound_on_idle_cores']}x on idle cores), "
                     f"{speed}x real time", _met(f["speedup_vs_naive"] >= 2 and speed >= 500)])
    if "scale" in figures:
        f = figures["scale"]
        stages, pipeline = f["stages"], f["pipeline"]
        growing = {name: s for name, s in stages.items() if s["grows"]}
        fixed = {name: s for name, s in stages.items() if not s["grows"]}
        memory_name, memory_stage = max(stages.items(), key=lambda item: item[1]["peak_rss_growth"])
        measured = (f"whole pipeline off its line: wall {pipeline['wall_fit']['max_deviation']:.0%}, CPU "
                    f"{pipeline['cpu_fit']['max_deviation']:.0%}")
        if growing:
            measured += (f"; stages that grow with the library ({', '.join(growing)}): worst wall "
                         f"{_worst(growing, 'wall_fit')}, CPU {_worst(growing, 'cpu_fit')}")
        if fixed:
            measured += (f"; fixed-cost stages ({', '.join(fixed)}, not judged: start-up noise): up to "
                         f"{_worst(fixed, 'wall_fit')}")
        measured += (f"; worst RSS growth {memory_stage['peak_rss_growth']:.0%} ({memory_name}; "
                     f"{memory_stage['peak_rss_growth_last_doubling']:.0%} over the last doubling)")
        linear = pipeline["wall_fit"]["linear"] and all(s["wall_fit"]["linear"] for s in growing.values())
        rows.append(["2 scale", GOALS["scale"], measured, _met(linear and all(s["flat"] for s in stages.values()))])
    if "training" in figures:
        f = figures["training"]
        default = list(f["inputs"])[1]  # the first streamed input: params.yaml's chunk size
        ratio = f["inputs"][default]["vs_in_memory"]
        growth = f.get("streamed_rss_growth_at_2x_clips")
        measured = f"{default}: {ratio}x in-memory"
        if growth is not None:
            measured += (f"; peak RSS {f['peak_rss_mb'][default]} MB streamed, {f['peak_rss_mb']['in-memory']} MB "
                         f"in memory, streamed on twice the clips {growth:+.0%}")
        bounded = growth is not None and growth <= 0.10
        rows.append(["3 training", GOALS["training"], measured, _met(ratio >= 0.9 and bounded)])
    if "inference" in figures:
        f = figures["inference"]
        cold, speed = f["cold_start_s"]["litert"], f["folder"]["runs"]["litert"]["x_real_time"]
        rows.append(["4 inference", GOALS["inference"], f"cold start {cold} s, folder {speed}x real time",
                     _met(cold < 2 and speed >= 200)])
    if "scale" in figures:
        size, disk = list(figures["scale"]["disk"].items())[-1]
        rows.append(["5 disk", GOALS["disk"], f"{size}: artifacts {disk['artifacts_over_library']}x, "
                     f"DVC cache {disk['dvc_cache_over_library']}x the library", "-"])
    return rows


def _worst(stages: dict, fit: str) -> str:
    name, stage = max(stages.items(), key=lambda item: item[1][fit]["max_deviation"])
    return f"{stage[fit]['max_deviation']:.0%} ({name})"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# spectrogenre benchmarks",
        "",
        f"{m['cpu']}, {m['cores_used']} of {m['cores_total']} cores, {m['memory_gb']} GB, {m['platform']}, "
        f"Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        "Ratios compare sides measured in the same run. Peak memory is the peak RSS of a command's process, "
        "summed over its processes (a stage and its workers). The 1-minute load average before and after "
        f"each figure shows how busy the machine was: above {m['cores_used']}, other work shared the cores.",
        "",
        "## Goals",
        "",
        *_table(["figure", "goal", "measured", "met"], goal_rows(results["figures"])),
    ]
    for name, figure in results["figures"].items():
        lines += ["", f"## {name.replace('_', ' ')}", "",
                  f"`{figure['command']}` on {figure['date']}, code {figure['code']}; {figure['library']}; "
                  f"load {figure['load'][0]} -> {figure['load'][1]}; took {figure['took_s']} s.", "",
                  *RENDER[name](figure)]
    return "\n".join(lines) + "\n"


def _audio(f: dict) -> list[str]:
    stages = list(dict.fromkeys(stage for side in f["sides"].values() for stage in side.get("stages", {})))
    rows = [[name, s["seconds"], s["cpu_seconds"], f"{s['x_real_time']}x", s["peak_rss_mb"],
             *(_wall_cpu(s["stages"][stage]) if stage in s.get("stages", {}) else "" for stage in stages)]
            for name, s in f["sides"].items()]
    before = f", {f['speedup_vs_before']}x the pipeline before (`{f['before']}`)" if "speedup_vs_before" in f else ""
    return [
        f"{f['tracks']} tracks, {f['audio_hours']} h of audio, best of {f['rounds']} round(s).", "",
        *_table(["side", "seconds", "CPU s", "real time", "peak RSS MB", *(f"{s} s (CPU)" for s in stages)], rows),
        "", f"Pipeline speed-up: {f['speedup_vs_naive']}x the naive recipe{before}. With every core free it could "
        f"be at most {f['speedup_bound_on_idle_cores']}x the naive recipe (cores x naive CPU s / pipeline CPU s).",
        *(_steps(f) if "steps" in f else []),
    ]


def _steps(f: dict) -> list[str]:
    totals = f["steps_total"]
    rows = [[name, sides.get("naive", ""), sides.get("pipeline", "")] for name, sides in f["steps"].items()]
    return ["", "Where the CPU time goes: each step of both recipes alone on the same tracks, in one process "
            "(`python -m bench.audio_to_features steps LIBRARY`):", "",
            *_table(["step", "naive CPU s", "pipeline CPU s"], [*rows, ["all", *totals.values()]]), "",
            f"The pipeline's steps cost {totals['pipeline'] / totals['naive']:.2f}x the naive recipe's CPU time. "
            f"Spread over {f['cores']} cores that is about {f['speedup_bound_from_steps']}x the naive recipe: "
            f"{f['cores']}x would need the pipeline's steps to cost no more CPU time than the naive recipe's."]


def _wall_cpu(times: dict) -> str:
    return f"{times['seconds']} ({times['cpu_seconds']})"


def _scale(f: dict) -> list[str]:
    factors = f["factors"]
    rows = [[name, "grows" if s["grows"] else "fixed cost", *s["seconds"], _line(s["wall_fit"]), *s["cpu_seconds"],
             _line(s["cpu_fit"]), *s["peak_rss_mb"], f"{s['peak_rss_growth']:.0%}",
             f"{s['peak_rss_growth_last_doubling']:.0%}"]
            for name, s in f["stages"].items()]
    p = f["pipeline"]
    rows.append(["**all stages**", "", *p["seconds"], _line(p["wall_fit"]), *p["cpu_seconds"], _line(p["cpu_fit"]),
                 *[""] * (len(factors) + 2)])
    header = ["stage", "time", *(f"s x{x}" for x in factors), "line (off by)", *(f"CPU s x{x}" for x in factors),
              "CPU line (off by)", *(f"RSS MB x{x}" for x in factors), "RSS growth",
              f"x{factors[-2]} -> x{factors[-1]}"]
    commits = ", ".join(f"{s} s" for s in f["dvc_commit_seconds"])
    rounds = f.get("rounds", 1)
    each = f"Each size ran {rounds} times: times are the fastest round, memory the largest peak. " if rounds > 1 else ""
    return [f"Training runs {f['train_epochs']} epoch(s) at every size. {each}`dvc commit` took {commits}. "
            "A stage's time grows when its line at the largest size is at least twice its line at the smallest; "
            "the others are fixed cost (process start-up, work with a cap), and their few seconds' distance from a "
            "line is start-up noise, so the goal judges the whole pipeline and the stages that grow.", "",
            *_table(header, rows), "", "### disk", "", *_disk(f["disk"])]


def _line(fit: dict) -> str:
    return f"{fit['fixed']} + {fit['per_factor']}·x ({fit['max_deviation']:.0%})"


def _disk(disk: dict) -> list[str]:
    stages = list(next(iter(disk.values()))["artifact_bytes"])
    rows = [[size, f"{d['library_bytes'] / 2**20:.0f}", *(f"{d['artifact_bytes'][s] / 2**20:.1f}" for s in stages),
             d["artifacts_over_library"], d["dvc_cache_over_library"], d["artifacts_and_cache_on_disk_over_library"]]
            for size, d in disk.items()]
    return _table(["size", "library MiB", *(f"{s} MiB" for s in stages), "artifacts / library",
                   "DVC cache / library", "artifacts + cache on disk / library"], rows)


def _training(f: dict) -> list[str]:
    memory = f.get("peak_rss_mb", {})
    rows = [[name, s["samples_per_second"], s["vs_in_memory"], " ".join(map(str, s.get("vs_in_memory_rounds", []))),
             s["cpu_ms_per_sample"], memory.get(name, s.get("peak_rss_mb", ""))] for name, s in f["inputs"].items()]
    rows += [[name, "", "", "", "", mb] for name, mb in memory.items() if name not in f["inputs"]]
    return [f"{f['clips']} clips (in memory: {f['in_memory_data_mb']} MB as float32), batch {f['batch_size']}, "
            f"shuffle_chunks {f.get('shuffle_chunks', '')}; {f['rounds']} interleaved epoch(s) per input, the median "
            "(vs in-memory: the median of each round's ratio to the in-memory epoch beside it).", "",
            *_table(["input", "samples/s", "vs in-memory", "each round", "CPU ms/sample",
                     "peak RSS MB (1 epoch alone)"], rows)]


def _inference(f: dict) -> list[str]:
    rows = [[name, seconds, f["warm_latency_s"].get(name, ""), f["peak_rss_mb"].get(name, "")]
            for name, seconds in f["cold_start_s"].items()]
    folder = f["folder"]
    runs = [[name, r["seconds"], f"{r['x_real_time']}x", r["peak_rss_mb"]] for name, r in folder["runs"].items()]
    return [f"One {f['song_seconds']} s mp3; cold start: median of {f['repeats']} new process(es).", "",
            *_table(["backend", "cold start s", "warm latency s", "peak RSS MB (warm)"], rows), "",
            f"`spectrogenre predict` on a folder of {folder['tracks']} tracks ({folder['audio_hours']} h):", "",
            *_table(["predict", "seconds", "real time", "peak RSS MB"], runs)]


def _train_data_path(f: dict) -> list[str]:
    rows = [[name, r["peak_rss_mb"], *(r["seconds"].get(k, "") for k in ("standardisation", "train", "val"))]
            for name, r in f["runs"].items()]
    growth = ", ".join(f"{name} {g:+.0%}" for name, g in f["peak_rss_growth"].items())
    return [f"The train stage's data path without the model: standardisation, one shuffled epoch of chunk_dataset "
            f"over {f['train_clips_x1']} train clips x factor, one in-order pass over {f['val_clips_x1']} val clips "
            f"x factor; {f.get('chunk_mb', 64):g} MiB chunks, shuffle_chunks {f.get('shuffle_chunks', 2)}; "
            f"each in its own process. Peak RSS growth "
            f"x{f['factors'][0]} -> x{f['factors'][-1]}: {growth}.", "",
            *_table(["run", "peak RSS MB", "standardisation s", "train epoch s", "val pass s"], rows)]


RENDER = {"audio_to_features": _audio, "scale": _scale, "training": _training, "train_data_path": _train_data_path,
          "inference": _inference}
