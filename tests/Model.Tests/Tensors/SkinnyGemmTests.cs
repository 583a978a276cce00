using Rex.Model.Tensors;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Tensors;

public class SkinnyGemmTests
{
    // Every row count the kernel takes, widths that leave a partial block of weight rows (out % 4 != 0) and that
    // take both one and several threads (in x out x rows above and below its parallel threshold).
    public static TheoryData<int, int, int> Shapes()
    {
        var shapes = new TheoryData<int, int, int>();
        for (var rows = 1; rows <= SkinnyGemm.MaxRows; rows++) shapes.Add(rows, 24, 13);
        shapes.Add(1, 512, 1027);
        shapes.Add(7, 512, 1027);
        shapes.Add(16, 1024, 4096);
        return shapes;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesLibtorchsLinear(int rows, int input, int output)
    {
        using var scope = NewDisposeScope();
        TorchThreads.Configure(2);
        var generator = manual_seed(rows * 1000 + output);
        var x = randn(rows, input, generator: generator);
        var weight = randn(output, input, generator: generator);
        var bias = randn(output, generator: generator);
        Assert.True(SkinnyGemm.Applies(x, weight));
        var expected = nn.functional.linear(x.to(ScalarType.Float64), weight.to(ScalarType.Float64), bias.to(ScalarType.Float64));
        var actual = SkinnyGemm.Linear(x, weight, bias);
        Assert.Equal([rows, output], actual.shape);
        // float32 sums of `input` products of unit normals: error grows like sqrt(input) * eps * |terms|.
        Assert.True(actual.to(ScalarType.Float64).allclose(expected, rtol: 1e-5, atol: 1e-4 * Math.Sqrt(input)));
    }

    [Fact]
    public void ARowsResultDoesNotDependOnTheOtherRowsOfItsBatch()
    {
        using var scope = NewDisposeScope();
        var generator = manual_seed(5);
        var x = randn(SkinnyGemm.MaxRows, 256, generator: generator);
        var weight = randn(1030, 256, generator: generator);
        var whole = SkinnyGemm.Linear(x, weight);
        for (var row = 0; row < SkinnyGemm.MaxRows; row++)
        {
            // Bit for bit, alone and in every position of a batch of 2 and 5.
            Assert.True(whole[row].eq(SkinnyGemm.Linear(x.narrow(0, row, 1), weight)[0]).all().item<bool>(), $"row {row} alone");
            var start = Math.Min(row, SkinnyGemm.MaxRows - 5);
            Assert.True(whole[row].eq(SkinnyGemm.Linear(x.narrow(0, start, 5), weight)[row - start]).all().item<bool>(), $"row {row} of 5");
        }
    }

    [Fact]
    public void IntoWritesARowRangeOfALargerOutputAndLeavesTheRestAlone()
    {
        using var scope = NewDisposeScope();
        var generator = manual_seed(6);
        var x = randn(3, 64, generator: generator);
        var weight = randn(20, 64, generator: generator);
        var output = full(7, 20, float.NaN);
        SkinnyGemm.Into(x, weight, output.narrow(0, 2, 3));
        Assert.True(output.narrow(0, 2, 3).allclose(nn.functional.linear(x, weight), rtol: 1e-5, atol: 1e-4));
        Assert.True(output.narrow(0, 0, 2).isnan().all().item<bool>());
        Assert.True(output.narrow(0, 5, 2).isnan().all().item<bool>());
    }

    [Fact]
    public void IntoAColumnRangeGivesTheColumnsOfTheWholeProductOnAnyThreads()
    {
        using var scope = NewDisposeScope();
        var generator = manual_seed(8);
        var x = randn(5, 128, generator: generator);
        var weight = randn(1001, 128, generator: generator);
        var whole = SkinnyGemm.Linear(x, weight);
        var output = full(5, 1001, float.NaN);
        // Two ranges that split a block of four weight rows, computed on one thread and on three.
        SkinnyGemm.Into(x, weight.narrow(0, 0, 501), output.narrow(1, 0, 501), threads: 1);
        SkinnyGemm.Into(x, weight.narrow(0, 501, 500), output.narrow(1, 501, 500), threads: 3);
        Assert.True(output.eq(whole).all().item<bool>());
    }

    [Fact]
    public void WhatTheKernelDoesNotTakeGoesToLibtorch()
    {
        using var scope = NewDisposeScope();
        var generator = manual_seed(7);
        var weight = randn(12, 16, generator: generator);
        var tooMany = randn(SkinnyGemm.MaxRows + 1, 16, generator: generator);
        var bf16 = randn(2, 16, generator: generator).to(ScalarType.BFloat16);
        var ragged = randn(2, 12, generator: generator);
        var transposed = randn(16, 2, generator: generator).t();
        Assert.False(SkinnyGemm.Applies(tooMany, weight));
        Assert.False(SkinnyGemm.Applies(bf16, weight.to(ScalarType.BFloat16)));
        Assert.False(SkinnyGemm.Applies(ragged, randn(12, 12, generator: generator)));
        Assert.False(SkinnyGemm.Applies(transposed, weight));
        Assert.True(SkinnyGemm.Linear(tooMany, weight).allclose(nn.functional.linear(tooMany, weight)));
        Assert.True(SkinnyGemm.Linear(transposed, weight).allclose(nn.functional.linear(transposed, weight)));
        Assert.Throws<ArgumentException>(() => SkinnyGemm.Into(tooMany, weight, empty(SkinnyGemm.MaxRows + 1, 12)));
        Assert.Throws<ArgumentException>(() => SkinnyGemm.Into(randn(2, 16), weight, empty(2, 11)));
    }
}
