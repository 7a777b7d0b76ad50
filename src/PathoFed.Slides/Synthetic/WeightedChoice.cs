namespace PathoFed.Slides.Synthetic;

/// <summary>Picks an item with probability proportional to its weight, from one uniform draw.</summary>
internal static class WeightedChoice
{
    /// <param name="draw">A uniform draw in [0, total weight); rounding past the end picks the last item.</param>
    public static T Pick<T>(IReadOnlyList<T> items, Func<T, double> weight, double draw)
    {
        foreach (T item in items)
        {
            if (draw < weight(item)) return item;
            draw -= weight(item);
        }
        return items[^1];
    }
}
