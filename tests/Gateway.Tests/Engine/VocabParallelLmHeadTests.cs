using Rex.Gateway.Engine;
using Rex.Model;
using Rex.Model.Checkpoint;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Tests;
using static TorchSharp.torch;

namespace Rex.Gateway.Tests.Engine;

/// <summary>
/// The LM head split by vocabulary over threads against the unsplit head of the fixture model: the same logits
/// bit for bit, and the argmax torch would pick, ties included.
/// </summary>
public sealed class VocabParallelLmHeadTests : IDisposable
{
    readonly DbrxBackbone backbone;

    public VocabParallelLmHeadTests()
    {
        using var model = ModelDirectory.Open(TestPaths.DbrxTiny);
        backbone = new DbrxBackbone(model.Config, new DbrxWeightReader(model.Weights, model.Config, ComputePlacement.Cpu), ComputePlacement.Cpu);
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
            var hidden = randn([rows, backbone.Config.DModel], generator: new TorchSharp.torch.Generator(seed: 7));
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
            var (split, splitArgmax) = lmHead.Logits(zeros([2, backbone.Config.DModel]));
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
            return lmHead.Logits(zeros([2, backbone.Config.DModel])).Argmax;
        });

        Assert.Null(argmax);
    }

    public void Dispose() => backbone.Dispose();
}
