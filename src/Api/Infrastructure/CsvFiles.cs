using System.Globalization;
using CsvHelper;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>
/// CSV downloads, written with CsvHelper: RFC 4180 quoting, and text fields a spreadsheet would run as a formula
/// (<c>= + - @</c>) escaped, since order and ledger text comes from users. Numbers are written as numbers, so a
/// negative amount stays a number.
/// </summary>
public static class CsvFiles
{
    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with { Injection = CsvInjection.Escape };

    public const string ContentType = "text/csv";

    public static byte[] Write<T>(IReadOnlyList<string> header, IEnumerable<T> rows, Action<CsvWriter, T> writeRow)
    {
        using var buffer = new MemoryStream();
        using (var csv = CsvWriter.Create(buffer, Options, leaveOpen: true))
        {
            if (header.Count > 0) csv.WriteHeader(header.ToArray());
            foreach (var row in rows)
            {
                writeRow(csv, row);
                csv.EndRecord();
            }
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// One page of a streamed download: encoded in memory (a page is bounded) and written asynchronously, so a long
    /// file never sits whole in memory and the response is never written synchronously. The header goes with the first page.
    /// </summary>
    public static async Task WritePageAsync<T>(Stream output, bool first, IReadOnlyList<string> header, IEnumerable<T> rows,
        Action<CsvWriter, T> writeRow, CancellationToken cancellationToken)
    {
        var bytes = Write(first ? header : [], rows, writeRow);
        await output.WriteAsync(bytes, cancellationToken);
        await output.FlushAsync(cancellationToken);
    }

    public static void Text(this CsvWriter csv, string? value) => csv.WriteField(value ?? "");

    public static void Number(this CsvWriter csv, long value) => csv.WriteField(value, default);

    public static void Time(this CsvWriter csv, DateTimeOffset? at, string format = "yyyy-MM-ddTHH:mm:ss.ffffffZ") =>
        csv.WriteField(at?.UtcDateTime.ToString(format, CultureInfo.InvariantCulture) ?? "");
}
