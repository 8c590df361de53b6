namespace LiveCommerce.Grains.Analytics;

/// <summary>
/// A buyer's purchase history in the model's terms: <see cref="X"/> repeat purchases (paid orders − 1),
/// <see cref="Tx"/> weeks from the first to the last purchase, <see cref="T"/> weeks from the first purchase to
/// now, <see cref="Orders"/> paid orders and their mean net value <see cref="MeanValue"/> (yuan).
/// </summary>
public sealed record RfmObservation(double X, double Tx, double T, int Orders, double MeanValue)
{
    public static RfmObservation From(DateTimeOffset first, DateTimeOffset last, DateTimeOffset now, int orders, double meanValue) =>
        new(Math.Max(0, orders - 1), Weeks(last - first), Math.Max(Weeks(now - first), Weeks(last - first)), orders, meanValue);

    private static double Weeks(TimeSpan span) => Math.Max(0, span.TotalDays / 7);
}

/// <summary>BG/NBD parameters: purchase rates λ ~ Gamma(r, α) per week, drop-out probabilities p ~ Beta(a, b).</summary>
public sealed record BgNbdParameters(double R, double Alpha, double A, double B);

/// <summary>Gamma-Gamma parameters: order values ~ Gamma(p, ν) with ν ~ Gamma(q, γ) across buyers.</summary>
public sealed record GammaGammaParameters(double P, double Q, double Gamma);

/// <summary>
/// Customer lifetime value: BG/NBD (Fader, Hardie and Lee 2005) for how many orders a buyer will place, and
/// Gamma-Gamma (Fader, Hardie and Lee 2005b) for what an order of that buyer is worth; both fitted by maximum
/// likelihood (Nelder-Mead on log parameters). Predicted value over a horizon of t weeks =
/// E[orders in t | x, t_x, T] × E[order value | n, m̄]. Pure math, tested without a silo.
/// </summary>
public static class LifetimeValueModel
{
    /// <summary>Published CDNOW estimates (per week), used when too few buyers exist to fit.</summary>
    public static readonly BgNbdParameters DefaultBgNbd = new(0.243, 4.414, 0.793, 2.426);

    /// <summary>Published CDNOW Gamma-Gamma estimates, used when too few buyers exist to fit.</summary>
    public static readonly GammaGammaParameters DefaultGammaGamma = new(6.25, 3.74, 15.44);

    // ---- BG/NBD ------------------------------------------------------------------------------------

    public static double LogLikelihood(BgNbdParameters p, RfmObservation o)
    {
        var (r, alpha, a, b) = (p.R, p.Alpha, p.A, p.B);
        var x = o.X;
        var a1 = LnGamma(r + x) - LnGamma(r) + r * Math.Log(alpha);
        var a2 = LnGamma(a + b) + LnGamma(b + x) - LnGamma(b) - LnGamma(a + b + x);
        var a3 = -(r + x) * Math.Log(alpha + o.T);
        if (x <= 0) return a1 + a2 + a3;
        var a4 = Math.Log(a) - Math.Log(b + x - 1) - (r + x) * Math.Log(alpha + o.Tx);
        return a1 + a2 + LogSumExp(a3, a4);
    }

    public static BgNbdParameters FitBgNbd(IReadOnlyList<RfmObservation> data)
    {
        if (data.Count == 0) return DefaultBgNbd;
        double Objective(double[] v)
        {
            var p = new BgNbdParameters(Math.Exp(v[0]), Math.Exp(v[1]), Math.Exp(v[2]), Math.Exp(v[3]));
            double sum = 0;
            foreach (var o in data) sum += LogLikelihood(p, o);
            return double.IsFinite(sum) ? -sum : double.MaxValue;
        }
        var d = DefaultBgNbd;
        var best = NelderMead(Objective, [Math.Log(d.R), Math.Log(d.Alpha), Math.Log(d.A), Math.Log(d.B)]);
        return new BgNbdParameters(Math.Exp(best[0]), Math.Exp(best[1]), Math.Exp(best[2]), Math.Exp(best[3]));
    }

    /// <summary>Probability the buyer has not dropped out.</summary>
    public static double ProbabilityAlive(BgNbdParameters p, RfmObservation o)
    {
        if (o.X <= 0) return 1;
        return 1 / (1 + p.A / (p.B + o.X - 1) * Math.Pow((p.Alpha + o.T) / (p.Alpha + o.Tx), p.R + o.X));
    }

    /// <summary>E[orders in the next <paramref name="weeks"/> weeks | x, t_x, T] (FHL 2005, eq. 10).</summary>
    public static double ExpectedPurchases(BgNbdParameters p, RfmObservation o, double weeks)
    {
        if (weeks <= 0) return 0;
        var (r, alpha, a, b, x) = (p.R, p.Alpha, p.A, p.B, o.X);
        var z = weeks / (alpha + o.T + weeks);
        var hyp = Hyp2F1(r + x, b + x, a + b + x - 1, z);
        var numerator = (a + b + x - 1) / (a - 1) * (1 - Math.Pow((alpha + o.T) / (alpha + o.T + weeks), r + x) * hyp);
        var denominator = x > 0 ? 1 + a / (b + x - 1) * Math.Pow((alpha + o.T) / (alpha + o.Tx), r + x) : 1;
        return Math.Max(0, numerator / denominator);
    }

    // ---- Gamma-Gamma -------------------------------------------------------------------------------

    public static double LogLikelihood(GammaGammaParameters g, RfmObservation o)
    {
        var (p, q, gamma) = (g.P, g.Q, g.Gamma);
        double n = o.Orders, m = o.MeanValue;
        return LnGamma(p * n + q) - LnGamma(p * n) - LnGamma(q) + q * Math.Log(gamma) + (p * n - 1) * Math.Log(m)
               + p * n * Math.Log(n) - (p * n + q) * Math.Log(gamma + n * m);
    }

    /// <summary>Fits on buyers with at least one order of positive value; q is kept above 1 (finite mean).</summary>
    public static GammaGammaParameters FitGammaGamma(IReadOnlyList<RfmObservation> data)
    {
        var usable = data.Where(o => o.Orders > 0 && o.MeanValue > 0).ToList();
        if (usable.Count == 0) return DefaultGammaGamma;
        double Objective(double[] v)
        {
            var g = new GammaGammaParameters(Math.Exp(v[0]), 1 + Math.Exp(v[1]), Math.Exp(v[2]));
            double sum = 0;
            foreach (var o in usable) sum += LogLikelihood(g, o);
            return double.IsFinite(sum) ? -sum : double.MaxValue;
        }
        var mean = usable.Average(o => o.MeanValue);
        var best = NelderMead(Objective, [Math.Log(2), Math.Log(2), Math.Log(mean)]);
        return new GammaGammaParameters(Math.Exp(best[0]), 1 + Math.Exp(best[1]), Math.Exp(best[2]));
    }

    /// <summary>E[value of an order | n orders of mean m̄] = p(γ + n m̄) / (p n + q − 1).</summary>
    public static double ExpectedOrderValue(GammaGammaParameters g, RfmObservation o)
    {
        if (o.Orders <= 0) return g.P * g.Gamma / (g.Q - 1);
        return g.P * (g.Gamma + o.Orders * o.MeanValue) / (g.P * o.Orders + g.Q - 1);
    }

    // ---- numerics ----------------------------------------------------------------------------------

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7), with the reflection formula below 0.5.</summary>
    public static double LnGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LnGamma(1 - x);
        ReadOnlySpan<double> c =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        x -= 1;
        var sum = c[0];
        for (var i = 1; i < 9; i++) sum += c[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>Gauss hypergeometric ₂F₁(a, b; c; z) by its series, for 0 ≤ z &lt; 1.</summary>
    public static double Hyp2F1(double a, double b, double c, double z)
    {
        double term = 1, sum = 1;
        for (var k = 0; k < 200_000; k++)
        {
            term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
            sum += term;
            if (Math.Abs(term) < 1e-14 * Math.Abs(sum)) break;
        }
        return sum;
    }

    private static double LogSumExp(double u, double v)
    {
        var max = Math.Max(u, v);
        return max + Math.Log(Math.Exp(u - max) + Math.Exp(v - max));
    }

    /// <summary>Minimizes <paramref name="f"/> from <paramref name="start"/> (Nelder-Mead with standard coefficients, restarted once).</summary>
    public static double[] NelderMead(Func<double[], double> f, double[] start, int maxIterations = 4000, double tolerance = 1e-10)
    {
        var best = start;
        for (var restart = 0; restart < 2; restart++) best = NelderMeadOnce(f, best, maxIterations, tolerance);
        return best;
    }

    private static double[] NelderMeadOnce(Func<double[], double> f, double[] start, int maxIterations, double tolerance)
    {
        var n = start.Length;
        var simplex = new double[n + 1][];
        var values = new double[n + 1];
        simplex[0] = (double[])start.Clone();
        for (var i = 0; i < n; i++)
        {
            var point = (double[])start.Clone();
            point[i] += 0.5;
            simplex[i + 1] = point;
        }
        for (var i = 0; i <= n; i++) values[i] = f(simplex[i]);

        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var order = Enumerable.Range(0, n + 1).OrderBy(i => values[i]).ToArray();
            simplex = order.Select(i => simplex[i]).ToArray();
            values = order.Select(i => values[i]).ToArray();
            if (Math.Abs(values[n] - values[0]) <= tolerance * (Math.Abs(values[0]) + tolerance)) break;

            var centroid = new double[n];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++) centroid[j] += simplex[i][j] / n;
            double[] Along(double t) => centroid.Select((c, j) => c + t * (simplex[n][j] - c)).ToArray();

            var reflected = Along(-1);
            var fr = f(reflected);
            if (fr < values[0])
            {
                var expanded = Along(-2);
                var fe = f(expanded);
                (simplex[n], values[n]) = fe < fr ? (expanded, fe) : (reflected, fr);
            }
            else if (fr < values[n - 1])
            {
                (simplex[n], values[n]) = (reflected, fr);
            }
            else
            {
                var contracted = fr < values[n] ? Along(-0.5) : Along(0.5);
                var fc = f(contracted);
                if (fc < Math.Min(fr, values[n]))
                {
                    (simplex[n], values[n]) = (contracted, fc);
                }
                else
                {
                    for (var i = 1; i <= n; i++)
                    {
                        simplex[i] = simplex[i].Select((v, j) => simplex[0][j] + 0.5 * (v - simplex[0][j])).ToArray();
                        values[i] = f(simplex[i]);
                    }
                }
            }
        }
        var bestIndex = Array.IndexOf(values, values.Min());
        return simplex[bestIndex];
    }
}
