using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Rex.Silo.Telemetry;

/// <summary>What an expert silo measures: rows each expert replica served, by layer and expert (bounded: never per request).</summary>
public static class SiloMetrics
{
    public const string MeterName = "Rex.Silo";

    static readonly Meter Meter = new(MeterName);

    static readonly Counter<long> RowsServed = Meter.CreateCounter<long>("rex.silo.rows_served", "{row}",
        "Rows the silo's expert replicas ran, by silo, layer and expert");

    public static void CountRows(string silo, int layer, int expert, int rows)
    {
        if (!RowsServed.Enabled) return;
        RowsServed.Add(rows, new TagList { { "rex.silo", silo }, { "rex.layer", layer }, { "rex.expert", expert } });
    }
}
