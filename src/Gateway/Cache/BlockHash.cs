namespace Rex.Gateway.Cache;

/// <summary>
/// Prefix-cache keys: a full block's hash covers its tokens and, through its parent's hash, every token before
/// it, so equal hashes mean equal prefixes (up to collisions, which the block manager rules out by comparing
/// the stored tokens on a hit). FNV-1a over 64 bits: cheap, and stable within a process, which is all a cache needs.
/// </summary>
public static class BlockHash
{
    public const ulong Root = 14695981039346656037UL;

    public static ulong Of(ulong parent, Func<int, int> tokenAt, int start, int count)
    {
        var hash = parent;
        for (var i = start; i < start + count; i++)
        {
            var token = (uint)tokenAt(i);
            for (var b = 0; b < 4; b++)
            {
                hash ^= (token >> (8 * b)) & 0xFF;
                hash *= 1099511628211UL;
            }
        }
        return hash;
    }
}
