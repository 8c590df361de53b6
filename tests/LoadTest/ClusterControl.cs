using System.Diagnostics;
using System.Globalization;

namespace LiveCommerce.LoadTest;

/// <summary>The local cluster: start/stop through deploy/local-cluster.sh, SIGKILL a silo, sample processes' CPU and memory.</summary>
public sealed class ClusterControl(Options options, Action<string> progress)
{
    public sealed record ProcessSample(string Name, double CpuPercent, double RssMb);

    private readonly Dictionary<string, (double CpuSeconds, long At)> _last = [];

    public List<(double Second, List<ProcessSample> Samples)> Samples { get; } = [];

    public async Task<int> ScriptAsync(params string[] args)
    {
        var script = Path.Combine(RepoRoot(), "deploy", "local-cluster.sh");
        var start = new ProcessStartInfo("bash", [script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["LC_CLUSTER_DIR"] = StateDir(options);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = (await output + await errors).Trim();
        if (text.Length > 0) progress(string.Join(" | ", text.Split('\n').TakeLast(3)));
        return process.ExitCode;
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Actors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }

    /// <summary>The folder where deploy/local-cluster.sh keeps pid files, keys and the connection string.</summary>
    public static string StateDir(Options options) =>
        Path.IsPathRooted(options.ClusterDir) ? options.ClusterDir : Path.Combine(RepoRoot(), options.ClusterDir);

    /// <summary>The cluster's processes by name (silo-0, silo-1, ..., api) from the script's pid files.</summary>
    public Dictionary<string, int> Processes()
    {
        var dir = StateDir(options);
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir, "*.pid").ToDictionary(f => Path.GetFileNameWithoutExtension(f),
            f => int.TryParse(File.ReadAllText(f).Trim(), out var pid) ? pid : 0).Where(p => p.Value > 0).ToDictionary();
    }

    /// <summary>The front doors' resident memory together (api, api-1, ...), in KB; 0 when none is known.</summary>
    public long FrontDoorsRssKb() => Processes().Where(p => p.Key.StartsWith("api", StringComparison.Ordinal)).Sum(p =>
    {
        try { return long.Parse(File.ReadLines($"/proc/{p.Value}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or InvalidOperationException) { return 0L; }
    });

    /// <summary>CPU (percent of one core since the previous sample) and resident memory of each cluster process.</summary>
    public void Sample(double second)
    {
        var samples = new List<ProcessSample>();
        foreach (var (name, pid) in Processes())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var cpuSeconds = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
                var rssKb = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
                var now = Stopwatch.GetTimestamp();
                var cpu = _last.TryGetValue(name, out var last) ? (cpuSeconds - last.CpuSeconds) / Stopwatch.GetElapsedTime(last.At, now).TotalSeconds * 100 : 0;
                _last[name] = (cpuSeconds, now);
                samples.Add(new ProcessSample(name, Math.Round(cpu, 1), Math.Round(long.Parse(rssKb, CultureInfo.InvariantCulture) / 1024.0, 1)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException) { }
        }
        if (samples.Count > 0) Samples.Add((second, samples));
    }
}
