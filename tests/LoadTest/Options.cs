using System.Globalization;

namespace LiveCommerce.LoadTest;

/// <summary>Command-line options; every run is bounded by duration and/or request count.</summary>
public sealed class Options
{
    /// <summary>The front doors; requests and viewer connections are spread over them round robin, as a load balancer would.</summary>
    public string[] Urls { get; set; } = ["http://127.0.0.1:5080"];
    public string Url => Urls[0];
    private int _nextUrl = -1;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _down = new();

    /// <summary>The next front door in the round robin that is not marked down (any, if all are).</summary>
    public string NextUrl()
    {
        if (Urls.Length == 1) return Urls[0];
        for (var tries = 0; tries < Urls.Length; tries++)
        {
            var url = Urls[(int)((uint)Interlocked.Increment(ref _nextUrl) % (uint)Urls.Length)];
            if (_down.IsEmpty || !_down.ContainsKey(url)) return url;
        }
        return Urls[(int)((uint)Interlocked.Increment(ref _nextUrl) % (uint)Urls.Length)];
    }

    /// <summary>Like a load balancer's health check: a front door that refused a connection gets no requests until it is ready again.</summary>
    public void MarkDown(string url) => _down[url] = true;
    public void MarkUp(string url) => _down.TryRemove(url, out _);
    public IReadOnlyCollection<string> DownUrls => (IReadOnlyCollection<string>)_down.Keys;
    public string Scenario { get; set; } = "live-evening";
    public string Mode { get; set; } = "open";
    public double Rate { get; set; } = 500;
    public int Concurrency { get; set; } = 64;
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(5);
    public long MaxRequests { get; set; } = long.MaxValue;
    public int Rooms { get; set; } = 20;
    public int Viewers { get; set; } = 2000;
    public int Subscribers { get; set; } = 1000;
    /// <summary>Viewers scenario: before the load starts, hold the subscribers idle and report front-door memory per connection.</summary>
    public bool IdleMemory { get; set; }
    public int Buyers { get; set; } = 20000;
    public int Stock { get; set; } = 1000;
    public double PaidShare { get; set; } = 0.8;
    public double ShipShare { get; set; } = 0.3;
    public double RefundShare { get; set; } = 0.05;
    public double AfterSaleShare { get; set; } = 0.1;
    public double LikesPerSecond { get; set; } = 200;
    public double CommentsPerSecond { get; set; } = 20;
    public string? JwtKeyFile { get; set; }
    public string? JwtKey { get; set; }
    public bool DevTokens { get; set; }
    public string? Database { get; set; }
    public string ResultsDir { get; set; } = "results/load";
    public int[] Silos { get; set; } = [];
    public TimeSpan? KillSiloAt { get; set; }
    public TimeSpan? RestartSiloAt { get; set; }
    public TimeSpan? KillApiAt { get; set; }
    public TimeSpan RestartAfter { get; set; } = TimeSpan.FromSeconds(5);
    public bool Pgbench { get; set; }
    /// <summary>Act as an app subscribed to order.paid and check that every paid order was delivered at least once.</summary>
    public bool Webhooks { get; set; }
    /// <summary>How long to wait after the run for the last deliveries.</summary>
    public TimeSpan WebhookWait { get; set; } = TimeSpan.FromSeconds(90);
    public bool Smoke { get; set; }
    public bool SkipInvariants { get; set; }
    public string ClusterDir { get; set; } = ".local/cluster";

    public const string Help = """
        LiveCommerce load generator: drives the HTTP front door of a running cluster (deploy/local-cluster.sh up).

          dotnet run -c Release --project tests/LoadTest -- [options]

        Scenarios
          --scenario live-evening   R rooms live, viewers joining, likes and comments, order flows (place, pay through
                                    the sandbox, ship, deliver, confirm, refunds) [default]
          --scenario flash-sale     one hot room, one product with --stock units, --buyers buyers pressing at once
          --scenario viewers        the live evening, plus --subscribers S Server-Sent-Events viewers spread over the
                                    rooms: ticks delivered/s, delivery latency p50/p99/max (all ticks and ticks
                                    with a stock delta), event-id gaps (must be 0)
          --idle-memory             viewers: first hold the S subscribers idle (no load yet) and report front-door
                                    resident memory per connection (after minus before, over S; checked <= 64 KB)
          --smoke                   a tiny live evening for CI: a few seconds, invariants checked

        Load
          --mode open|closed        open: --rate order flows started per second whatever the latency (no coordinated
                                    omission); closed: --concurrency clients as fast as they can      [open]
          --rate N                  open-loop arrival rate, flows/s                                   [500]
          --concurrency C           closed-loop clients; flash sale: simultaneous buyers              [64]
          --duration S --warmup S   measured seconds after warm-up seconds                            [30, 5]
          --max-requests N          stop after N measured order flows
          --rooms R --viewers V --buyers B --stock K --subscribers S
          --paid-share --ship-share --refund-share   shares of orders paid; of paid, shipped; refunded  [0.8 0.3 0.05]
          --after-sale-share                        share of delivered orders with an after-sale case  [0.1]
          --likes-per-second --comments-per-second   background interactions                         [200 20]

        Cluster and environment
          --url URL[,URL...]        front doors, used round robin              [the cluster folder's api.ports, else http://127.0.0.1:5080]
          --jwt-key-file PATH       HS256 key to mint tokens (the postgres profile has no token endpoint)
                                                                                                      [.local/cluster/jwt.key]
          --dev-tokens              get tokens from /v1/dev/tokens (embedded profile)
          --db CONNSTR              PostgreSQL for the invariant checks                               [from .local/cluster]
          --cluster-dir DIR         the local cluster's state folder (pid files, keys, port, database) [.local/cluster]
          --silos 1,2,3             run the scenario on a fresh local cluster (and database) of each size
          --kill-silo-at S          SIGKILL silo 1 S seconds into the measured run; restart it --restart-after S later
          --restart-silo-at S       graceful restart of silo 1 S seconds into the measured run (SIGTERM, wait for exit, start)
          --kill-api-at S           SIGKILL front door 1 (of `up --apis 2`); start it --restart-after S later
          --webhooks                also act as a service provider's app: register it (admin), have each merchant grant
                                    it `webhooks`, subscribe order.paid to a receiver served by this process on
                                    127.0.0.1 that verifies every Standard Webhooks signature; after the run wait until
                                    every order seen paid was delivered >= 1 time (an invariant), report duplicates,
                                    bad signatures and pay-to-delivery p50/p99. Off by default, drills included: the
                                    deliveries add load to the silos. Outside the embedded profile the silos need
                                    LiveCommerce:Webhooks:AllowPrivateTargets=true (the local cluster sets it)
          --webhook-wait S          after the run, wait at most S seconds for the last deliveries      [90]
          --pgbench                 measure pgbench simple-update at the same concurrency against the same server
          --results DIR             where result.json, report.md and chart.svg go                     [results/load]
          --skip-invariants         do not check the books at the end (not recommended)
        """;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        var urlGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double D() => double.Parse(Next(), CultureInfo.InvariantCulture);
            int I() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--help" or "-h": throw new HelpRequested();
                case "--url": o.Urls = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => u.TrimEnd('/')).ToArray(); urlGiven = true; break;
                case "--scenario": o.Scenario = Next(); break;
                case "--mode": o.Mode = Next(); break;
                case "--rate": o.Rate = D(); break;
                case "--concurrency": o.Concurrency = I(); break;
                case "--duration": o.Duration = TimeSpan.FromSeconds(D()); break;
                case "--warmup": o.Warmup = TimeSpan.FromSeconds(D()); break;
                case "--max-requests": o.MaxRequests = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--rooms": o.Rooms = I(); break;
                case "--viewers": o.Viewers = I(); break;
                case "--subscribers": o.Subscribers = I(); break;
                case "--idle-memory": o.IdleMemory = true; break;
                case "--buyers": o.Buyers = I(); break;
                case "--stock": o.Stock = I(); break;
                case "--paid-share": o.PaidShare = D(); break;
                case "--ship-share": o.ShipShare = D(); break;
                case "--refund-share": o.RefundShare = D(); break;
                case "--after-sale-share": o.AfterSaleShare = D(); break;
                case "--likes-per-second": o.LikesPerSecond = D(); break;
                case "--comments-per-second": o.CommentsPerSecond = D(); break;
                case "--jwt-key-file": o.JwtKeyFile = Next(); break;
                case "--jwt-key": o.JwtKey = Next(); break;
                case "--dev-tokens": o.DevTokens = true; break;
                case "--db": o.Database = Next(); break;
                case "--results": o.ResultsDir = Next(); break;
                case "--silos": o.Silos = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--kill-silo-at": o.KillSiloAt = TimeSpan.FromSeconds(D()); break;
                case "--restart-after": o.RestartAfter = TimeSpan.FromSeconds(D()); break;
                case "--restart-silo-at": o.RestartSiloAt = TimeSpan.FromSeconds(D()); break;
                case "--kill-api-at": o.KillApiAt = TimeSpan.FromSeconds(D()); break;
                case "--pgbench": o.Pgbench = true; break;
                case "--webhooks": o.Webhooks = true; break;
                case "--webhook-wait": o.WebhookWait = TimeSpan.FromSeconds(D()); break;
                case "--smoke": o.Smoke = true; break;
                case "--skip-invariants": o.SkipInvariants = true; break;
                case "--cluster-dir": o.ClusterDir = Next(); break;
                default: throw new ArgumentException($"unknown option {args[i]} (see --help)");
            }
        }
        // Without --url, the front doors of the cluster whose folder this is (the script records their ports).
        if (!urlGiven) foreach (var name in new[] { "api.ports", "api.port" })
        {
            var portFile = Path.Combine(ClusterControl.StateDir(o), name);
            if (!File.Exists(portFile)) continue;
            var ports = File.ReadAllLines(portFile).Select(l => l.Trim()).Where(l => int.TryParse(l, out _)).ToArray();
            if (ports.Length == 0) continue;
            o.Urls = ports.Select(p => $"http://127.0.0.1:{p}").ToArray();
            break;
        }
        if (o.Smoke)
        {
            if (o.Scenario != "viewers") o.Scenario = "live-evening";
            o.Subscribers = Math.Min(o.Subscribers, 300);
            o.Mode = "open";
            o.Rate = Math.Min(o.Rate, 30);
            o.Duration = TimeSpan.FromSeconds(Math.Min(o.Duration.TotalSeconds, 5));
            o.Warmup = TimeSpan.FromSeconds(1);
            o.Rooms = Math.Min(o.Rooms, 3);
            o.Viewers = Math.Min(o.Viewers, 30);
            o.Buyers = Math.Min(o.Buyers, 200);
            o.LikesPerSecond = Math.Min(o.LikesPerSecond, 20);
            o.CommentsPerSecond = Math.Min(o.CommentsPerSecond, 5);
        }
        if (o.Scenario is not ("live-evening" or "flash-sale" or "viewers")) throw new ArgumentException("--scenario is live-evening, flash-sale or viewers");
        if (o.Subscribers is < 0 or > 200_000) throw new ArgumentException("--subscribers is between 0 and 200000");
        if (o.Mode is not ("open" or "closed")) throw new ArgumentException("--mode is open or closed");
        if (o.Webhooks && o.Scenario == "flash-sale") throw new ArgumentException("--webhooks counts paid orders: the flash sale pays none (use live-evening or viewers)");
        if (o.WebhookWait <= TimeSpan.Zero || o.WebhookWait > TimeSpan.FromMinutes(10)) throw new ArgumentException("--webhook-wait is between 0 and 600 seconds");
        if (o.Rate <= 0 || o.Concurrency <= 0 || o.Duration <= TimeSpan.Zero) throw new ArgumentException("--rate, --concurrency and --duration must be positive");
        return o;
    }
}

public sealed class HelpRequested : Exception;
