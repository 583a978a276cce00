using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Rex.Cli.Models;

/// <summary>
/// Fetches the files Rex needs (<see cref="HubFiles"/>) of one revision of a Hugging Face Hub model repository into a
/// directory: the Hub API lists the revision's files (`GET {endpoint}/api/models/{repo}/revision/{revision}`, its
/// `siblings`), then each comes from `{endpoint}/{repo}/resolve/{revision}/{file}`. A file streams to
/// `{file}.incomplete` and takes its name only once whole, so a directory never holds a cut file under a real name;
/// a second run skips the files already there at the size the Hub reports, and fetches again what an interrupted
/// one left. Every refusal is an <see cref="IOException"/> of one line that says what to change.
/// </summary>
internal sealed class HubDownload(HttpClient http, string endpoint, string? token)
{
    const int CopyBufferBytes = 1 << 20;

    /// <summary>Downloads into `directory`, telling `progress` each file's fate; returns the files Rex needs.</summary>
    public async Task<IReadOnlyList<string>> Run(string repo, string revision, string directory, TextWriter progress, CancellationToken cancellation)
    {
        var files = (await List(repo, revision, cancellation)).Where(HubFiles.IsNeeded).ToList();
        if (!files.Contains("config.json") || !files.Any(f => f.EndsWith(".safetensors", StringComparison.Ordinal)))
            throw new IOException($"{repo} (revision {revision}) at {endpoint} has no config.json and .safetensors weights: not a model Rex can load");
        Directory.CreateDirectory(directory);
        foreach (var file in files) await Fetch(repo, revision, file, directory, progress, cancellation);
        return files;
    }

    async Task<IReadOnlyList<string>> List(string repo, string revision, CancellationToken cancellation)
    {
        using var response = await Get($"{endpoint}/api/models/{repo}/revision/{Uri.EscapeDataString(revision)}", cancellation);
        if (!response.IsSuccessStatusCode) throw Refused(response, $"model repository '{repo}' (revision {revision})");
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellation);
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellation);
            return json.RootElement.GetProperty("siblings").EnumerateArray().Select(s => s.GetProperty("rfilename").GetString()!).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new IOException($"{endpoint} did not list '{repo}' as the Hugging Face Hub API does (siblings[].rfilename): {e.Message}");
        }
    }

    async Task Fetch(string repo, string revision, string file, string directory, TextWriter progress, CancellationToken cancellation)
    {
        var target = Path.Combine(directory, file);
        using var response = await Get($"{endpoint}/{repo}/resolve/{Uri.EscapeDataString(revision)}/{Uri.EscapeDataString(file)}", cancellation);
        if (!response.IsSuccessStatusCode) throw Refused(response, $"{repo}/{file} (revision {revision})");
        var size = response.Content.Headers.ContentLength;
        if (size is not null && File.Exists(target) && new FileInfo(target).Length == size)
        {
            progress.WriteLine($"{file}: complete, {size} bytes");
            return;
        }
        var partial = target + ".incomplete";
        // Streamed: a checkpoint's shards are gigabytes each, never held in memory.
        await using (var body = await response.Content.ReadAsStreamAsync(cancellation))
        await using (var sink = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, CopyBufferBytes, useAsync: true))
            await body.CopyToAsync(sink, CopyBufferBytes, cancellation);
        var written = new FileInfo(partial).Length;
        if (size is not null && written != size)
            throw new IOException($"{repo}/{file}: the download stopped after {written} of {size} bytes; run the command again to fetch it");
        File.Move(partial, target, overwrite: true);
        progress.WriteLine($"{file}: {written} bytes");
    }

    async Task<HttpResponseMessage> Get(string url, CancellationToken cancellation)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        // HttpClient drops the header when the Hub redirects a large file to its CDN, as the CDN's signed URL needs.
        if (!string.IsNullOrEmpty(token)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
        }
        catch (HttpRequestException e)
        {
            throw new IOException($"{endpoint} could not be reached ({e.Message}); set --endpoint or HF_ENDPOINT");
        }
    }

    IOException Refused(HttpResponseMessage response, string what) => response.StatusCode switch
    {
        HttpStatusCode.NotFound => new IOException($"{what} not found at {endpoint} (HTTP 404)"),
        // The Hub also answers 401 for a repository that does not exist, so as not to tell private ones apart.
        HttpStatusCode.Unauthorized => new IOException(
            $"{what} at {endpoint} needs a token (HTTP 401): pass --token or set HF_TOKEN{(string.IsNullOrEmpty(token) ? "" : "; the token given was refused")}"),
        HttpStatusCode.Forbidden => new IOException($"{what} at {endpoint}: the token may not read it (HTTP 403); a gated model's terms must be accepted on the Hub first"),
        _ => new IOException($"{what} at {endpoint}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}"),
    };
}
