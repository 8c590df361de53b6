using LiveCommerce.Grains.Analytics;

namespace LiveCommerce.Tests.Domain;

/// <summary>
/// The lifetime value model on synthetic buyers whose behaviour is known: each buyer purchases as a Poisson
/// process of a known weekly rate, drops out after each purchase with a known probability, and spends
/// Gamma-distributed amounts of a known mean. The model sees 52 weeks, predicts the next 26, and is compared with
/// what the same simulated buyers then do.
/// </summary>
public sealed class LifetimeValueModelTests
{
    private sealed record Buyer(bool Heavy, double Rate, double MeanValue, RfmObservation Calibration, int HoldoutPurchases, double HoldoutValue, bool AliveAtCutoff);

    private const double CalibrationWeeks = 52, HoldoutWeeks = 26;

    /// <summary>
    /// Heavy buyers order 0.8 times a week, light ones 0.1; every buyer drops out with probability 5% after each
    /// order. Half of each group spends 80 yuan an order on average, half 30 (Gamma, shape 4): spend independent of
    /// frequency, as the Gamma-Gamma model assumes.
    /// </summary>
    private static List<Buyer> Simulate(int perGroup, int seed)
    {
        var random = new Random(seed);
        double Exp(double rate) => -Math.Log(1 - random.NextDouble()) / rate;
        double GammaDraw(double shape, double scale)
        {
            // Marsaglia-Tsang for shape >= 1.
            var d = shape - 1.0 / 3; var c = 1 / Math.Sqrt(9 * d);
            while (true)
            {
                double x, v;
                do
                {
                    var u1 = random.NextDouble(); var u2 = random.NextDouble();
                    x = Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);
                    v = 1 + c * x;
                } while (v <= 0);
                v = v * v * v;
                var u = random.NextDouble();
                if (Math.Log(u) < 0.5 * x * x + d - d * v + d * Math.Log(v)) return d * v * scale;
            }
        }

        var buyers = new List<Buyer>();
        foreach (var heavy in new[] { true, false })
        {
            for (var i = 0; i < perGroup; i++)
            {
                var rate = heavy ? 0.8 : 0.1;
                var mean = i % 2 == 0 ? 80.0 : 30.0;
                var first = random.NextDouble() * 26; // first purchase in the first half year
                var times = new List<double> { first };
                var values = new List<double> { GammaDraw(4, mean / 4) };
                var t = first;
                var alive = true;
                while (alive = random.NextDouble() >= 0.05) // alive after this purchase
                {
                    t += Exp(rate);
                    if (t >= CalibrationWeeks + HoldoutWeeks) break;
                    times.Add(t);
                    values.Add(GammaDraw(4, mean / 4));
                }
                var inCalibration = times.Count(x => x < CalibrationWeeks);
                var calValues = values.Take(inCalibration).ToList();
                var last = times[inCalibration - 1];
                var observation = new RfmObservation(inCalibration - 1, last - first, CalibrationWeeks - first, inCalibration, calValues.Average());
                // Alive at the cutoff: it did not drop out after a purchase made before week 52.
                var aliveAtCutoff = alive || times[^1] >= CalibrationWeeks;
                buyers.Add(new Buyer(heavy, rate, mean, observation, times.Count - inCalibration, values.Skip(inCalibration).Sum(), aliveAtCutoff));
            }
        }
        return buyers;
    }

    [Fact]
    public void Log_gamma_and_the_hypergeometric_series_match_known_values()
    {
        Assert.Equal(Math.Log(24), LifetimeValueModel.LnGamma(5), 10);
        Assert.Equal(Math.Log(Math.Sqrt(Math.PI)), LifetimeValueModel.LnGamma(0.5), 10);
        Assert.Equal(Math.Log(362880), LifetimeValueModel.LnGamma(10), 9);
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        Assert.Equal(-Math.Log(1 - 0.7) / 0.7, LifetimeValueModel.Hyp2F1(1, 1, 2, 0.7), 9);
    }

    [Fact]
    public void Predicted_purchases_and_value_over_the_holdout_land_within_15_percent_of_what_the_buyers_did()
    {
        var buyers = Simulate(perGroup: 600, seed: 7);
        var data = buyers.Select(b => b.Calibration).ToList();
        var bgnbd = LifetimeValueModel.FitBgNbd(data);
        var gg = LifetimeValueModel.FitGammaGamma(data);

        var predictedPurchases = buyers.Sum(b => LifetimeValueModel.ExpectedPurchases(bgnbd, b.Calibration, HoldoutWeeks));
        var actualPurchases = buyers.Sum(b => b.HoldoutPurchases);
        Assert.InRange(predictedPurchases / actualPurchases, 0.85, 1.15);

        var predictedValue = buyers.Sum(b => LifetimeValueModel.ExpectedPurchases(bgnbd, b.Calibration, HoldoutWeeks)
                                             * LifetimeValueModel.ExpectedOrderValue(gg, b.Calibration));
        var actualValue = buyers.Sum(b => b.HoldoutValue);
        Assert.InRange(predictedValue / actualValue, 0.85, 1.15);

        // Per group too: the model tells heavy from light buyers, not only the total.
        foreach (var heavy in new[] { true, false })
        {
            var group = buyers.Where(b => b.Heavy == heavy).ToList();
            var p = group.Sum(b => LifetimeValueModel.ExpectedPurchases(bgnbd, b.Calibration, HoldoutWeeks));
            Assert.InRange(p / group.Sum(b => b.HoldoutPurchases), 0.75, 1.25);
        }
    }

    [Fact]
    public void Heavy_buyers_rank_above_light_ones()
    {
        var buyers = Simulate(perGroup: 400, seed: 11);
        var data = buyers.Select(b => b.Calibration).ToList();
        var bgnbd = LifetimeValueModel.FitBgNbd(data);
        var gg = LifetimeValueModel.FitGammaGamma(data);
        double Clv(Buyer b) => LifetimeValueModel.ExpectedPurchases(bgnbd, b.Calibration, HoldoutWeeks) * LifetimeValueModel.ExpectedOrderValue(gg, b.Calibration);

        // Among buyers still alive at the cutoff (a buyer who dropped out is worth nothing, however heavy it was),
        // a heavy buyer outranks a light one in at least 95% of pairs.
        var active = buyers.Where(b => b.AliveAtCutoff && b.Calibration.Orders >= 2).ToList();
        var heavy = active.Where(b => b.Heavy).Select(Clv).ToList();
        var light = active.Where(b => !b.Heavy).Select(Clv).ToList();
        var pairs = heavy.SelectMany(h => light.Select(l => h > l ? 1.0 : 0.0)).Average();
        Assert.True(pairs >= 0.95, $"heavy above light in {pairs:P1} of pairs");
        Assert.True(heavy.Average() > 5 * light.Average());

        // Expected order value recovers each buyer's spend level within 15% for buyers with enough orders to tell
        // (Gamma-Gamma shrinks a buyer's own mean toward the population's, less so the more orders it has).
        Assert.InRange(buyers.Where(b => b.MeanValue == 80 && b.Calibration.Orders >= 5).Average(b => LifetimeValueModel.ExpectedOrderValue(gg, b.Calibration)), 68, 92);
        Assert.InRange(buyers.Where(b => b.MeanValue == 30 && b.Calibration.Orders >= 5).Average(b => LifetimeValueModel.ExpectedOrderValue(gg, b.Calibration)), 25.5, 34.5);
    }

    [Fact]
    public void A_buyer_silent_for_long_after_frequent_purchases_is_probably_gone()
    {
        var p = LifetimeValueModel.DefaultBgNbd;
        var recent = new RfmObservation(X: 10, Tx: 30, T: 31, Orders: 11, MeanValue: 50);
        var silent = new RfmObservation(X: 10, Tx: 10, T: 50, Orders: 11, MeanValue: 50);
        Assert.True(LifetimeValueModel.ProbabilityAlive(p, recent) > 0.9);
        Assert.True(LifetimeValueModel.ProbabilityAlive(p, silent) < 0.2);
        Assert.True(LifetimeValueModel.ExpectedPurchases(p, recent, 26) > 5 * LifetimeValueModel.ExpectedPurchases(p, silent, 26));
    }
}
