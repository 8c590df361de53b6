using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace LiveCommerce.LoadTest;

/// <summary>PostgreSQL's own ceiling on this machine: pgbench simple-update (-N) at the run's concurrency.</summary>
public static class Pgbench
{
    public static async Task<double?> MeasureAsync(int clients, Action<string> progress)
    {
        var root = ClusterControl.RepoRoot();
        var pgbench = new[] { "/usr/bin/pgbench" }.Concat(Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin", "pgbench")) : [])
            .FirstOrDefault(File.Exists);
        if (pgbench is null) { progress("pgbench not found; no PostgreSQL baseline"); return null; }
        var prepare = $"source '{root}/deploy/lib/postgres.sh' && lc_ensure_postgres && lc_create_database lc_pgbench lc_bench lc-bench-password";
        await Run("bash", ["-c", prepare]);
        var env = new Dictionary<string, string> { ["PGPASSWORD"] = "lc-bench-password" };
        await Run(pgbench, ["-i", "-q", "-s", "10", "-h", "127.0.0.1", "-U", "lc_bench", "lc_pgbench"], env);
        var output = await Run(pgbench, ["-N", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", "2", "-T", "15", "-h", "127.0.0.1", "-U", "lc_bench", "lc_pgbench"], env);
        var match = Regex.Match(output, @"tps = ([0-9.]+) \(without initial connection time\)");
        if (!match.Success) { progress("pgbench output not understood: " + output); return null; }
        var tps = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        progress($"pgbench simple-update, {clients} clients: {tps:F0} tps");
        return tps;
    }

    private static async Task<string> Run(string file, string[] args, Dictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env ?? []) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await output + await errors;
    }
}
