namespace Rex.Model.Tokenization;

/// <summary>
/// Byte-pair encoding of one long pre-token in O(n log n): a heap of adjacent pairs ordered by (rank, position),
/// stale entries skipped. The same merges in the same order as tiktoken's scan (lowest rank first, leftmost on
/// ties), which is O(n^2): a prompt of a million letters without a break held a gateway core for over ten minutes.
/// </summary>
internal static class BytePairMerge
{
    /// <summary>Appends the ids of `piece`, given as one char per byte (Latin-1), to `ids`.</summary>
    /// <param name="ranks">Every token's bytes, one char per byte, to its id.</param>
    public static void Encode(string piece, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> ranks, List<int> ids)
    {
        if (ranks.TryGetValue(piece.AsSpan(), out var whole))
        {
            ids.Add(whole);
            return;
        }
        // Parts are runs of bytes [i, next[i]); a pair is a part and the one after it. A part's version changes
        // whenever its pair does, which makes the heap's older entries for it stale.
        var n = piece.Length;
        var next = new int[n];
        var prev = new int[n];
        var version = new int[n];
        for (var i = 0; i < n; i++) (next[i], prev[i]) = (i + 1, i - 1);
        var heap = new PriorityQueue<(int Start, int Version), (int Rank, int Start)>();
        for (var i = 0; i < n - 1; i++) Consider(i);
        while (heap.TryDequeue(out var pair, out _))
        {
            var (i, stamp) = pair;
            if (stamp != version[i]) continue;
            var j = next[i];
            next[i] = next[j];
            if (next[j] < n) prev[next[j]] = i;
            version[i]++;
            version[j]++;
            Consider(i);
            if (prev[i] >= 0)
            {
                version[prev[i]]++;
                Consider(prev[i]);
            }
        }
        for (var i = 0; i < n; i = next[i]) ids.Add(ranks[piece.AsSpan(i, next[i] - i)]);

        void Consider(int i)
        {
            var j = next[i];
            if (j < n && ranks.TryGetValue(piece.AsSpan(i, next[j] - i), out var rank)) heap.Enqueue((i, version[i]), (rank, i));
        }
    }
}
