using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Rex.Protos.Api;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>
/// Bytes no gRPC client would send, framed by hand for the rex.v1 methods: random payloads, malformed protobuf
/// (overlong varints, bad wire types, lengths past the end, deep groups, invalid UTF-8), mutations of valid
/// requests, broken frames, unknown methods and odd headers. They reach the server's deserializer and framing.
/// </summary>
public sealed class RawGrpcFuzzer(string address) : IDisposable
{
    const string Target = "grpc-raw";
    const string Generate = "/rex.v1.Rex/Generate";

    /// <summary>Each method with its request parser: the fuzzer knows which bytes grpc-dotnet cannot turn into a request.</summary>
    static readonly (string Path, MessageParser Parser)[] Methods =
    [
        (Generate, GenerateRequest.Parser), ("/rex.v1.Rex/GenerateStream", GenerateRequest.Parser), ("/rex.v1.Rex/Chat", ChatRequest.Parser),
        ("/rex.v1.Rex/ChatStream", ChatRequest.Parser), ("/rex.v1.Rex/Tokenize", TokenizeRequest.Parser),
        ("/rex.v1.Rex/Detokenize", DetokenizeRequest.Parser), ("/rex.v1.Rex/ListModels", ListModelsRequest.Parser),
        ("/rex.v1.Cluster/GetStatus", ClusterStatusRequest.Parser),
    ];

    static readonly Dictionary<string, MessageParser> Parsers = Methods.ToDictionary(m => m.Path, m => m.Parser);

    readonly RawGrpcClient client = new(address);

    public IReadOnlyList<FuzzCase> Cases(int seed)
    {
        var random = new Random(seed);
        return [.. RandomPayloads(random), .. MalformedProtobuf(), .. Mutations(random), .. Framing()];
    }

    /// <param name="isBadFrame">The bytes break gRPC's framing (not only the message inside): grpc-dotnet refuses them itself.</param>
    FuzzCase Case(string name, string path, byte[] body, string contentType = "application/grpc", Dictionary<string, string>? headers = null,
        bool isBadFrame = false) =>
        new(Target, name, async ct =>
        {
            var answer = await client.Post(path, body, ct, contentType, headers);
            if (answer.Http != HttpStatusCode.OK)
                return (int)answer.Http is >= 400 and < 500 ? new FuzzOutcome($"HTTP {(int)answer.Http}") : FuzzOutcome.Broken($"HTTP {(int)answer.Http}", "not a 4xx");
            if (answer.Grpc is not { } code) return FuzzOutcome.Broken("no grpc-status", "HTTP 200 without a gRPC status");
            var refusedByLibrary = isBadFrame || (Parsers.TryGetValue(path, out var parser) && !Parses(parser, body.AsSpan(5)));
            return refusedByLibrary && IsLibraryRefusal(code, answer.Message) ? new FuzzOutcome($"{GrpcOracle.Name(code)} from grpc-dotnet") : GrpcOracle.Judge(code, answer.Message);
        });

    /// <summary>
    /// What grpc-dotnet answers, before any Rex code runs, to a frame it cannot read (INTERNAL, with its own messages)
    /// or a message its deserializer throws on (UNKNOWN, its answer to any exception that is not an RpcException; the
    /// deserializer runs before any interceptor). grpc-java and grpc-go answer INTERNAL to such bytes.
    /// </summary>
    static bool IsLibraryRefusal(StatusCode code, string message) => (code, message) is
        (StatusCode.Unknown, "Exception was thrown by handler.")
        or (StatusCode.Internal, "Incomplete message." or "Additional data after the message received." or "Request did not include grpc-encoding value with compressed message.");

    static bool Parses(MessageParser parser, ReadOnlySpan<byte> payload)
    {
        try
        {
            parser.ParseFrom(payload);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    IEnumerable<FuzzCase> RandomPayloads(Random random)
    {
        foreach (var (method, _) in Methods)
            for (var i = 0; i < 2; i++)
            {
                var payload = new byte[1 + random.Next(64)];
                random.NextBytes(payload);
                yield return Case($"{method} {payload.Length} random bytes", method, RawGrpcClient.Frame(payload));
            }
    }

    IEnumerable<FuzzCase> MalformedProtobuf()
    {
        var sampling = Len(4, [.. Tag(5, 0), .. Varint(1)]); // GenerateRequest.sampling { max_tokens: 1 }
        byte[] invalidUtf8 = [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80, (byte)'a'];
        (string Name, byte[] Payload)[] payloads =
        [
            ("a varint longer than 10 bytes", [.. Tag(1, 0), .. Enumerable.Repeat((byte)0xFF, 11), 0x01]),
            ("wire type 6", [0x0E, 0x01]),
            ("wire type 7", [0x0F, 0x01]),
            ("field number 0", [0x00, 0x01]),
            ("a length past the end", [.. Tag(1, 2), .. Varint(1000), .. "abc"u8]),
            ("a length of 2 GiB", [.. Tag(1, 2), .. Varint(int.MaxValue), .. "abc"u8]),
            ("a negative length", [.. Tag(1, 2), .. Varint(ulong.MaxValue), .. "abc"u8]),
            ("10000 nested unknown groups", [.. Enumerable.Repeat(Tag(15, 3), 10_000).SelectMany(t => t), .. Enumerable.Repeat(Tag(15, 4), 10_000).SelectMany(t => t)]),
            ("an end-group without a start", [.. Tag(15, 4)]),
            ("the text field as a varint", [.. Tag(2, 0), 0x01]),
            ("the sampling field as fixed64", [.. Tag(4, 1), 1, 2, 3, 4, 5, 6, 7, 8]),
            ("field 2 of invalid UTF-8", [.. Len(2, invalidUtf8), .. sampling]),
            ("a chat message of invalid UTF-8", [.. Len(2, [.. Len(1, invalidUtf8), .. Len(2, invalidUtf8)]), .. Len(3, [.. Tag(5, 0), .. Varint(1)])]),
            ("packed token ids cut mid-varint", [.. Len(3, Len(1, [0x80, 0x80])), .. sampling]),
            ("a million packed token ids", [.. Len(3, Len(1, [.. Enumerable.Repeat((byte)0x01, 1_000_000)])), .. sampling]),
            ("both prompts of the oneof", [.. Len(2, "Hi"u8.ToArray()), .. Len(3, Len(1, [0x01])), .. sampling]),
            ("the largest field number", [.. Varint(((1UL << 29) - 1) << 3), 0x01]),
            ("an empty message", []),
        ];
        foreach (var method in (string[])[Generate, "/rex.v1.Rex/GenerateStream", "/rex.v1.Rex/Chat", "/rex.v1.Rex/Detokenize"])
            foreach (var (name, payload) in payloads)
                yield return Case($"{method} {name}", method, RawGrpcClient.Frame(payload));
    }

    IEnumerable<FuzzCase> Mutations(Random random)
    {
        (string Method, byte[] Payload)[] valid =
        [
            (Generate, new GenerateRequest { Text = "Hello, Rex", Sampling = new SamplingParameters { MaxTokens = 2, Temperature = 0.5, Stop = { "x" } } }.ToByteArray()),
            ("/rex.v1.Rex/ChatStream", new ChatRequest { Messages = { new ChatMessage { Role = "user", Content = "Hi" } }, Sampling = new SamplingParameters { MaxTokens = 2 } }.ToByteArray()),
            ("/rex.v1.Rex/Detokenize", new DetokenizeRequest { TokenIds = { 9906, 11, 1050, 100257 } }.ToByteArray()),
        ];
        foreach (var (method, payload) in valid)
            for (var i = 0; i < 12; i++)
            {
                var (what, mutated) = Mutate(random, payload);
                yield return Case($"{method} {what}", method, RawGrpcClient.Frame(mutated));
            }
    }

    static (string What, byte[] Mutated) Mutate(Random random, byte[] payload)
    {
        var at = random.Next(payload.Length);
        return random.Next(4) switch
        {
            0 => ($"bit {at * 8 + at % 8} flipped", [.. payload[..at], (byte)(payload[at] ^ (1 << (at % 8))), .. payload[(at + 1)..]]),
            1 => ($"byte {at} deleted", [.. payload[..at], .. payload[(at + 1)..]]),
            2 => ($"0xFF inserted at {at}", [.. payload[..at], 0xFF, .. payload[at..]]),
            _ => ($"cut to {at} bytes", payload[..at]),
        };
    }

    IEnumerable<FuzzCase> Framing()
    {
        var valid = new GenerateRequest { Text = "Hi", Sampling = new SamplingParameters { MaxTokens = 1 } }.ToByteArray();
        var frame = RawGrpcClient.Frame(valid);
        yield return Case("an empty body", Generate, [], isBadFrame: true);
        yield return Case("an empty body to a streaming method", "/rex.v1.Rex/GenerateStream", [], isBadFrame: true);
        yield return Case("a header declaring 10 bytes, then none", Generate, RawGrpcClient.Frame([], declaredLength: 10), isBadFrame: true);
        yield return Case("a frame cut 3 bytes short", Generate, frame[..^3], isBadFrame: true);
        yield return Case("garbage after the message", Generate, [.. frame, 0xDE, 0xAD], isBadFrame: true);
        yield return Case("two messages to a unary method", Generate, [.. frame, .. frame], isBadFrame: true);
        yield return Case("two messages to a streaming method", "/rex.v1.Rex/GenerateStream", [.. frame, .. frame], isBadFrame: true);
        yield return Case("compressed without grpc-encoding", Generate, RawGrpcClient.Frame(valid, flag: 1), isBadFrame: true);
        yield return Case("gzip that is not gzip", Generate, RawGrpcClient.Frame(valid, flag: 1), headers: new() { ["grpc-encoding"] = "gzip" }, isBadFrame: true);
        yield return Case("an unsupported grpc-encoding", Generate, RawGrpcClient.Frame(valid, flag: 1), headers: new() { ["grpc-encoding"] = "snappy" });
        yield return Case("compressed flag 7", Generate, RawGrpcClient.Frame(valid, flag: 7), isBadFrame: true);
        yield return Case("a declared length of 4 GiB", Generate, RawGrpcClient.Frame(valid, declaredLength: uint.MaxValue), isBadFrame: true);
        yield return Case("a declared length of 20 MiB", Generate, RawGrpcClient.Frame(valid, declaredLength: 20 << 20));
        yield return Case("content-type application/json", Generate, Encoding.UTF8.GetBytes("{\"text\":\"Hi\"}"), "application/json");
        yield return Case("content-type application/grpc+proto", Generate, frame, "application/grpc+proto");
        yield return Case("an unknown method", "/rex.v1.Rex/Nope", frame);
        yield return Case("an unknown service", "/rex.v1.Nope/Generate", frame);
        yield return Case("the root path", "/", frame);
        yield return Case("grpc-timeout of garbage", Generate, frame, headers: new() { ["grpc-timeout"] = "abc" });
        yield return Case("grpc-timeout of 1 ns", Generate, frame, headers: new() { ["grpc-timeout"] = "1n" });
        yield return Case("grpc-timeout of 99999999 hours", Generate, frame, headers: new() { ["grpc-timeout"] = "99999999H" });
        yield return Case("an authorization header of garbage", Generate, frame, headers: new() { ["authorization"] = "Basic !!!" + new string('x', 8000) });
    }

    static byte[] Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    static byte[] Len(int field, byte[] payload) => [.. Tag(field, 2), .. Varint((ulong)payload.Length), .. payload];

    static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        } while (value != 0);
        return [.. bytes];
    }

    public void Dispose() => client.Dispose();
}
