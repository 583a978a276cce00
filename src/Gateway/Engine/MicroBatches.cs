namespace Rex.Gateway.Engine;

/// <summary>
/// Splits a step's sequences into micro-batches of similar token counts (whole sequences only: a sequence's
/// rows must meet its KV cache in one place), keeping each micro-batch in step order.
/// </summary>
public static class MicroBatches
{
    public static IReadOnlyList<IReadOnlyList<T>> Split<T>(IReadOnlyList<T> items, Func<T, int> tokens, int numMicroBatches)
    {
        var count = Math.Clamp(numMicroBatches, 1, Math.Max(1, items.Count));
        var groups = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
        var load = new long[count];
        foreach (var index in Enumerable.Range(0, items.Count).OrderByDescending(i => tokens(items[i])))
        {
            var lightest = Array.IndexOf(load, load.Min());
            groups[lightest].Add(index);
            load[lightest] += tokens(items[index]);
        }
        return groups.Where(g => g.Count > 0).Select(g => (IReadOnlyList<T>)g.Order().Select(i => items[i]).ToArray()).ToArray();
    }
}
