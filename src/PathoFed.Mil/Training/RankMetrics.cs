using PathoFed.Mil.Data;

namespace PathoFed.Mil.Training;

/// <summary>
/// The minimal ranking metrics the trainer reports per epoch (full evaluation lives in Evaluation/): binary AUC and Harrell's
/// C-index, both by counting pairs, ties counting one half.
/// </summary>
internal static class RankMetrics
{
    /// <summary>P(score of a positive &gt; score of a negative); NaN without both classes.</summary>
    public static double Auc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> positive)
    {
        double concordant = 0, pairs = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (!positive[i]) continue;
            for (var j = 0; j < scores.Length; j++)
            {
                if (positive[j]) continue;
                pairs++;
                concordant += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }

        return pairs == 0 ? double.NaN : concordant / pairs;
    }

    /// <summary>Harrell's C: among pairs where the earlier time is an event, how often the earlier one has the higher risk.</summary>
    public static double ConcordanceIndex(ReadOnlySpan<float> risks, ReadOnlySpan<MilTarget> targets)
    {
        double concordant = 0, pairs = 0;
        for (var i = 0; i < risks.Length; i++)
        {
            if (!targets[i].Event) continue;
            for (var j = 0; j < risks.Length; j++)
            {
                if (!(targets[j].Time > targets[i].Time)) continue;
                pairs++;
                concordant += risks[i] > risks[j] ? 1 : risks[i] == risks[j] ? 0.5 : 0;
            }
        }

        return pairs == 0 ? double.NaN : concordant / pairs;
    }
}
