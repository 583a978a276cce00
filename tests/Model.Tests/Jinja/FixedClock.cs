namespace Rex.Model.Tests.Jinja;

/// <summary>The time generate_expected.py gives strftime_now (2025-06-15 09:30:05), in a UTC local zone.</summary>
public sealed class FixedClock : TimeProvider
{
    public static readonly FixedClock Instance = new();

    public override DateTimeOffset GetUtcNow() => new(2025, 6, 15, 9, 30, 5, TimeSpan.Zero);

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
