using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Rex.Cli.Bench;

/// <summary>
/// The host's memory read bandwidth, the denominator of a CPU decode roofline: every thread sums its share of a
/// buffer far larger than the caches with vector loads, as `../shared/perf/membw.c` does; the best of several passes
/// counts (a pass is a few hundred milliseconds, so one disturbed by another process does not decide it).
/// </summary>
internal static unsafe class MemoryBandwidth
{
    /// <param name="Threads">Threads that read at once.</param>
    /// <param name="BufferBytes">Bytes each pass reads.</param>
    public sealed record Report(int Threads, long BufferBytes, int Passes, double BestGbs, double MedianGbs)
    {
        public override string ToString() =>
            $"memory read bandwidth: {BestGbs:F1} GB/s best, {MedianGbs:F1} GB/s median of {Passes} passes " +
            $"({Threads} threads over {BufferBytes >> 20} MiB); pass it to `rex bench --peak-bandwidth`";
    }

    public static Report Measure(int threads, long bufferBytes, int passes)
    {
        var floats = bufferBytes / sizeof(float) / (Vector256<float>.Count * threads) * (Vector256<float>.Count * threads);
        var buffer = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        try
        {
            // Written once first: untouched pages would all read the kernel's one zero page, from the cache.
            for (long start = 0; start < floats; start += int.MaxValue / 2)
                new Span<float>(buffer + start, (int)Math.Min(int.MaxValue / 2, floats - start)).Fill(1f);
            var slice = floats / threads;
            var sums = new float[threads];
            var rates = new double[passes];
            for (var pass = 0; pass < passes; pass++)
            {
                var clock = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => sums[t] = Sum(buffer + t * slice, slice));
                rates[pass] = floats * sizeof(float) / clock.Elapsed.TotalSeconds / 1e9;
            }
            // A sum nobody reads could be optimised away; every element is 1.
            if (Math.Abs(sums.Sum() - floats) > floats * 1e-3) throw new InvalidOperationException("the bandwidth pass read wrong values");
            Array.Sort(rates);
            return new Report(threads, floats * sizeof(float), passes, rates[^1], rates[passes / 2]);
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    // Four independent accumulators, so the loads, not the additions' latency, bound the loop.
    static float Sum(float* data, long count)
    {
        Vector256<float> a = default, b = default, c = default, d = default;
        var width = Vector256<float>.Count;
        long i = 0;
        for (; i + 4 * width <= count; i += 4 * width)
        {
            a += Vector256.Load(data + i);
            b += Vector256.Load(data + i + width);
            c += Vector256.Load(data + i + 2 * width);
            d += Vector256.Load(data + i + 3 * width);
        }
        var sum = Vector256.Sum(a + b + c + d);
        for (; i < count; i++) sum += data[i];
        return sum;
    }
}
