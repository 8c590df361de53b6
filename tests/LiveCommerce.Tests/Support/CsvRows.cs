using CsvHelper;

namespace LiveCommerce.Tests.Support;

/// <summary>A downloaded CSV read back with CsvHelper: one dictionary per data row, by header name.</summary>
public static class CsvRows
{
    public static List<Dictionary<string, string>> Parse(byte[] csv)
    {
        using var reader = CsvReader.Create(csv, CsvReaderOptions.Default with { Separator = ',' });
        var rows = new List<Dictionary<string, string>>();
        while (reader.Read())
            rows.Add(reader.Headers.Select((h, i) => (h, i)).ToDictionary(x => x.h, x => reader[x.i].ToString()));
        return rows;
    }
}
