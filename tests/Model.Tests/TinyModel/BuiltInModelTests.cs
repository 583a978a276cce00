using Rex.Model.Config;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.Model.Tests.TinyModel;

public sealed class BuiltInModelTests
{
    [Fact]
    public void IsDeterministicAndHasTheFixturesShape()
    {
        using var first = new TemporaryDirectory();
        using var second = new TemporaryDirectory();
        BuiltInModel.Write(first.Path);
        BuiltInModel.Write(second.Path);
        foreach (var file in Directory.GetFiles(first.Path).Select(Path.GetFileName))
            Assert.Equal(File.ReadAllBytes(Path.Combine(first.Path, file!)), File.ReadAllBytes(Path.Combine(second.Path, file!)));
        var fixture = ModelConfigReader.ReadDirectory(TestPaths.DbrxTiny);
        var written = ModelConfigReader.ReadDirectory(first.Path);
        Assert.Equal((fixture.ModelType, fixture.HiddenSize, fixture.NumLayers, fixture.VocabSize, fixture.Attention, fixture.Moe, fixture.Norm),
            (written.ModelType, written.HiddenSize, written.NumLayers, written.VocabSize, written.Attention, written.Moe, written.Norm));
        Assert.Equal(new FileInfo(Path.Combine(TestPaths.DbrxTiny, "model.safetensors")).Length,
            new FileInfo(Path.Combine(first.Path, "model.safetensors")).Length, tolerance: 4096);
    }

    [Fact]
    public void IsCreatedOnceUnderRexHome()
    {
        using var home = new TemporaryDirectory();
        var previous = Environment.GetEnvironmentVariable("REX_HOME");
        Environment.SetEnvironmentVariable("REX_HOME", home.Path);
        try
        {
            var path = BuiltInModel.EnsureCreated();
            Assert.StartsWith(home.Path, path);
            var written = File.GetLastWriteTimeUtc(Path.Combine(path, "model.safetensors"));
            Assert.Equal(path, BuiltInModel.EnsureCreated());
            Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(path, "model.safetensors")));
            Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(path)!, "*.partial-*"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("REX_HOME", previous);
        }
    }
}
