namespace PathoFed.Mil.Evaluation;

/// <summary>Survival metrics on predicted risks (higher risk = earlier relapse expected).</summary>
public static class SurvivalMetrics
{
    /// <summary>
    /// Harrell's concordance index. A pair is comparable when the earlier time is an observed event; at equal times, when
    /// one is an event and the other censored (the censored patient is known to have survived at least as long); two
    /// events at the same time, or two censorings, are not comparable. A comparable pair is concordant when the earlier
    /// relapse has the higher risk; equal risks count one half. Matches lifelines' <c>concordance_index</c> with
    /// predicted survival = −risk.
    /// </summary>
    /// <returns>The C-index, or NaN when no pair is comparable (for example, no events).</returns>
    public static double ConcordanceIndex(ReadOnlySpan<double> time, ReadOnlySpan<bool> isEvent, ReadOnlySpan<double> risk)
    {
        ClassificationMetrics.RequireSameLength(time.Length, isEvent.Length, nameof(isEvent));
        ClassificationMetrics.RequireSameLength(time.Length, risk.Length, nameof(risk));
        double concordant = 0;
        long comparable = 0;
        // O(n²) over pairs: slide cohorts are thousands at most, and the plain loop is easy to check against the definition.
        for (int i = 0; i < time.Length; i++)
        {
            if (!isEvent[i]) continue; // only an observed event can be the earlier member of a pair
            for (int j = 0; j < time.Length; j++)
            {
                bool later = time[j] > time[i] || (time[j] == time[i] && !isEvent[j]);
                if (!later) continue;
                comparable++;
                if (risk[i] > risk[j]) concordant += 1;
                else if (risk[i] == risk[j]) concordant += 0.5;
            }
        }
        return comparable == 0 ? double.NaN : concordant / comparable;
    }
}
