using System.CommandLine;
using Rex.Cli.Models;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex model download REPO [--revision R] [--dir DIR] [--endpoint URL] [--token T]`: the files Rex loads of a Hugging
/// Face Hub model repository, into a model directory (the chart's download init container runs it).
/// </summary>
internal static class ModelDownloadCommand
{
    const string PublicHub = "https://huggingface.co";

    public static Command Create()
    {
        var repo = new Argument<string>("REPO") { Description = "the model repository, e.g. databricks/dbrx-instruct" };
        var revision = new Option<string>("--revision") { Description = "branch, tag or commit", DefaultValueFactory = _ => "main" };
        var directory = new Option<string?>("--dir") { Description = "directory to write the model into (default: the repository's name, below the current one)" };
        var endpoint = new Option<string>("--endpoint")
        {
            Description = $"the Hub (or a mirror of it); default: HF_ENDPOINT, else {PublicHub}",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } set ? set : PublicHub,
        };
        // HF_TOKEN is read at run time, not as the option's default, which --help would print.
        var token = new Option<string?>("--token") { Description = "access token of gated and private models, sent as Authorization: Bearer; default: HF_TOKEN" };
        var download = new Command("download", "Download the files Rex needs of a Hugging Face Hub model (config, safetensors weights, tokenizer, chat template)")
        {
            repo, revision, directory, endpoint, token,
        };
        CliAction.Set(download, (parse, writer) =>
        {
            var name = parse.GetValue(repo)!;
            var target = Path.GetFullPath(parse.GetValue(directory) ?? name[(name.LastIndexOf('/') + 1)..]);
            using var http = new HttpClient();
            http.DefaultRequestHeaders.UserAgent.ParseAdd("rex");
            var hub = new HubDownload(http, parse.GetValue(endpoint)!.TrimEnd('/'), parse.GetValue(token) ?? Environment.GetEnvironmentVariable("HF_TOKEN"));
            hub.Run(name, parse.GetValue(revision)!, target, parse.InvocationConfiguration.Error, CancellationToken.None).GetAwaiter().GetResult();
            writer.WriteLine(target);
        });
        return download;
    }
}
