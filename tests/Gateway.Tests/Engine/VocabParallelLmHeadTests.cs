using Rex.Gateway.Engine;
using Rex.Model;
using Rex.Model.Checkpoint;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;
using Rex.Model.Tokenization;
using Rex.Tests;
using static TorchSharp.torch;

namespace Rex.Gateway.Tests.Engine;

/// <summary>
/// The LM head split by vocabulary over threads against the unsplit head of the fixture model: the same logits
/// bit for bit, and the argmax torch would pick, ties included.
/// </summary>
public sealed class VocabParallelLmHeadTests : IDisposable
{
    readonly Backbone backbone;

    public VocabParallelLmHeadTests()
    {
        using var model = ModelDirectory.Open(TestPaths.DbrxTiny);
        backbone = new Backbone(model.Config, new WeightReader(model.Weights, model.Config, ComputePlacement.Cpu), ComputePlacement.Cpu);
    }

    // Runs on a thread in inference mode, as the engine's loop does.
    static T OnEngineThread<T>(Func<T> work)
    {
        var result = default(T);
        var thread = new Thread(() =>
        {
            using var inference = inference_mode();
            result = work();
        });
        thread.Start();
        thread.Join();
        return result!;
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(7, 2)]
    [InlineData(32, 3)]
    public void Logits_and_argmax_are_the_unsplit_heads(int rows, int threads)
    {
        var (expected, expectedArgmax, actual, argmax) = OnEngineThread(() =>
        {
            using var lmHead = new VocabParallelLmHead(backbone, threads);
            using var scope = NewDisposeScope();
            var hidden = randn([rows, backbone.Config.HiddenSize], generator: new TorchSharp.torch.Generator(seed: 7));
            var unsplit = backbone.Logits(hidden);
            var (split, splitArgmax) = lmHead.Logits(hidden);
            return (unsplit.data<float>().ToArray(), unsplit.argmax(-1).data<long>().ToArray(), split.data<float>().ToArray(), splitArgmax);
        });

        Assert.Equal(expected, actual);
        Assert.Equal(expectedArgmax, argmax);
    }

    [Fact]
    public void A_tie_across_slices_goes_to_the_first_index_as_in_torch()
    {
        // A zero hidden state normalizes to zero (DBRX's norms have no bias): every logit is 0, a tie across all slices.
        var (logits, argmax) = OnEngineThread(() =>
        {
            using var lmHead = new VocabParallelLmHead(backbone, 3);
            using var scope = NewDisposeScope();
            var (split, splitArgmax) = lmHead.Logits(zeros([2, backbone.Config.HiddenSize]));
            return (split.data<float>().ToArray(), splitArgmax!);
        });

        Assert.All(logits, l => Assert.Equal(0f, l));
        Assert.Equal([0L, 0L], argmax);
    }

    [Fact]
    public void One_thread_leaves_the_head_unsplit()
    {
        var argmax = OnEngineThread(() =>
        {
            using var lmHead = new VocabParallelLmHead(backbone, 1);
            using var scope = NewDisposeScope();
            return lmHead.Logits(zeros([2, backbone.Config.HiddenSize])).Argmax;
        });

        Assert.Null(argmax);
    }

    public void Dispose() => backbone.Dispose();

    // Seeded sequences with every kind of sampling; split over 3 threads, penalties apply in the first two ranges and
    // the last range's greedy rows use the argmax.
    static Sequence[] SeededSequences() =>
    [
        .. new SamplingParams[]
        {
            new() { Temperature = 0.9, PresencePenalty = 1, FrequencyPenalty = 0.5 }, new() { Temperature = 1 }, new() { Temperature = 0.7, TopK = 20 },
            new() { Temperature = 1.2, TopP = 0.5, FrequencyPenalty = 1 }, new(), new() { Logprobs = 3 }, new() { Temperature = 1, Logprobs = 2 },
        }.Select((sampling, i) => new Sequence([1, 2, 3], sampling with { Seed = 40 + i, MaxTokens = 100 }, [0], DbrxTokenizer.Default, 1000)),
    ];

    [Fact]
    public void Sampling_split_by_rows_draws_what_one_thread_draws()
    {
        var (split, unsplit) = OnEngineThread(() =>
        {
            using var lmHead = new VocabParallelLmHead(backbone, 3);
            using var scope = NewDisposeScope();
            var (splitSequences, unsplitSequences) = (SeededSequences(), SeededSequences());
            for (var step = 0; step < 5; step++)
            {
                var (logits, argmax) = lmHead.Logits(randn([splitSequences.Length, backbone.Config.HiddenSize], generator: new TorchSharp.torch.Generator(seed: (ulong)step)));
                lmHead.SampleNext(logits, splitSequences, argmax);
                SequenceSampler.SampleNext(logits, unsplitSequences, argmax);
            }
            return (splitSequences, unsplitSequences);
        });

        for (var i = 0; i < split.Length; i++)
        {
            Assert.Equal(5, split[i].OutputIds.Count);
            Assert.Equal(unsplit[i].OutputIds, split[i].OutputIds);
            Assert.Equal(unsplit[i].OutputLogprobs.Select(l => l.Logprob), split[i].OutputLogprobs.Select(l => l.Logprob));
        }
        Assert.All(split[5].OutputLogprobs, l => Assert.Equal(3, l.Top.Count));
    }
}
