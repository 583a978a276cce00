namespace Rex.Model.Tests.Tokenization;

/// <summary>One text and what the reference made of it (see make_expectations.mjs for each field).</summary>
internal sealed record ReferenceCase(string Text, int[] Encode, int[] EncodeChat, string Decode, string DecodeWithSpecials, string DecodeOrdinary);
