#!/usr/bin/env python3
"""Summarises tools/bench-fed-noniid.sh CSVs: per setting and alpha, test AUC mean ± sd over seeds for pooled, local-only
and each federated strategy, then federated minus pooled per seed (mean and median) and whether it is within 0.02."""
import csv
import statistics as st
import sys
from collections import defaultdict

rows = [r for path in sys.argv[1:] for r in csv.DictReader(open(path))]
groups = defaultdict(list)
for r in rows:
    groups[(r["setting"], r["alpha"])].append(r)
strategies = ["fedavg", "fedprox", "fedadam"]


def ms(values):
    return f"{st.mean(values):.3f} ± {st.stdev(values):.3f}" if len(values) > 1 else f"{values[0]:.3f}"


print("| setting lr:rounds:local_epochs[:mu[:server_lr]] | α | seeds | pooled | local-only | FedAvg | FedProx | FedAdam |")
print("|---|---|---|---|---|---|---|---|")
gaps = {}
for (setting, alpha), rs in sorted(groups.items()):
    # pooled and local-only do not depend on the strategy: take them from any row of the seed.
    by = {s: {int(r["seed"]): r for r in rs if r["strategy"] == s} for s in strategies}
    present = [s for s in strategies if by[s]]
    seeds = sorted(set.intersection(*(set(by[s]) for s in present)))
    if not seeds:
        continue
    first = by[present[0]]
    pooled = [float(first[k]["pooled_auc"]) for k in seeds]
    local = [float(first[k]["local_only_auc"]) for k in seeds]
    fed = {s: [float(by[s][k]["federated_auc"]) for k in seeds] for s in present}
    print(f"| {setting} | {alpha} | {','.join(map(str, seeds))} | {ms(pooled)} | {ms(local)} | " + " | ".join(ms(fed[s]) if s in fed else "-" for s in strategies) + " |")
    gaps[(setting, alpha)] = (seeds, {s: [f - p for f, p in zip(fed[s], pooled)] for s in present})

print()
print("federated minus pooled, per seed: mean / median (✓ = within 0.02)")
for (setting, alpha), (seeds, g) in gaps.items():
    cells = []
    for s in g:
        mean, med = st.mean(g[s]), st.median(g[s])
        cells.append(f"{s} {mean:+.3f}{'✓' if round(mean, 3) >= -0.02 else '✗'} / {med:+.3f}{'✓' if round(med, 3) >= -0.02 else '✗'}")
    print(f"{setting} α={alpha} seeds {','.join(map(str, seeds))}: " + "; ".join(cells) + "   per seed: " +
          " ".join(f"{s}[{' '.join(f'{x:+.2f}' for x in g[s])}]" for s in g))
