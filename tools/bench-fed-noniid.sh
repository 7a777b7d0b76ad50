#!/usr/bin/env bash
# Non-IID federated vs pooled grid on the planted-witness cohort (240 slides, 32-d, 8% witnesses shifted 1.0 in 8 dims),
# written to disk and read back as the CLI reads it, then FederationSimulation.RunAsync (what `pathofed fed simulate` runs)
# through `PathoFed.Benchmarks.Federation sim --from-disk`, which also takes --strategy-options (FedProx mu, FedAdam server lr).
# One run per (setting, alpha, seed, strategy), in sequence; each run trains pooled, local-only and federated with the same
# lr and epochs (rounds x local epochs). Appends one CSV row per run to OUT (skips rows already there, so it resumes).
#   tools/bench-fed-noniid.sh OUT.csv "SEEDS" "ALPHAS" "SETTINGS..."
#   a setting is  lr:rounds:local_epochs[:fedprox_mu[:fedadam_server_lr]], e.g. 0.003:50:1  or  0.003:50:1:0.01:0.03
# STRATEGIES="fedadam" restricts the strategies run. DATA="--musk tools/data/musk1/clean1.data" runs on MUSK1 instead of
# the planted cohort. Summarise with tools/summarise-fed-noniid.py OUT.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1; seeds=$2; alphas=$3; shift 3
dotnet build tools/PathoFed.Benchmarks.Federation -c Release -nologo -v quiet >/dev/null
dll=tools/PathoFed.Benchmarks.Federation/bin/Release/net10.0/PathoFed.Benchmarks.Federation.dll
[[ -f $out ]] || echo "setting,alpha,seed,strategy,lr,rounds,local_epochs,strategy_options,pooled_auc,local_only_auc,federated_auc,sites_mss_msi" >"$out"
for setting in "$@"; do
  IFS=: read -r lr rounds epochs mu slr <<<"$setting"
  mu=${mu:-0.01}; slr=${slr:-0.01}
  for alpha in $alphas; do
    for seed in $seeds; do
      for strategy in ${STRATEGIES:-fedavg fedprox fedadam}; do
        case $strategy in
          fedprox) opts="{\"proximal_mu\":$mu}" ;;
          fedadam) opts="{\"server_learning_rate\":$slr}" ;;
          *) opts="" ;;
        esac
        key="$setting,$alpha,$seed,$strategy,"
        grep -q "^$key" "$out" && continue
        line=$(dotnet "$dll" sim ${DATA:---from-disk} --partition dirichlet --alpha "$alpha" --seed "$seed" --rounds "$rounds" \
          --local-epochs "$epochs" --lr "$lr" --strategy "$strategy" ${opts:+--strategy-options "$opts"} | grep '^RESULT')
        get() { sed -E "s/.* $1=([^ ]*).*/\1/" <<<"$line"; }
        sites=$(sed -E 's/.* sites=(.*)$/\1/' <<<"$line")
        echo "$setting,$alpha,$seed,$strategy,$lr,$rounds,$epochs,${opts//,/;},$(get pooled),$(get local),$(get federated),$sites" | tee -a "$out"
      done
    done
  done
done
