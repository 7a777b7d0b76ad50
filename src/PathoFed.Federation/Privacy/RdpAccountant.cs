namespace PathoFed.Federation.Privacy;

/// <summary>How an RDP curve becomes (ε, δ).</summary>
public enum RdpConversion
{
    /// <summary>ε = RDP(α) + log(1/δ)/(α − 1) (Mironov 2017, Proposition 3).</summary>
    Standard,

    /// <summary>
    /// ε = RDP(α) + log((α − 1)/α) − (log δ + log α)/(α − 1) (Balle et al. 2020, "Hypothesis testing interpretations and
    /// Rényi DP", Theorem 21), as in Opacus <c>get_privacy_spent</c> and TF-Privacy; never worse than the standard one.
    /// </summary>
    Improved,
}

/// <summary>The privacy spent: (ε, δ) and the Rényi order that gave the smallest ε.</summary>
public sealed record PrivacySpent(double Epsilon, double Delta, int Order, RdpConversion Conversion);

/// <summary>
/// Rényi DP accountant of the (Poisson-subsampled) Gaussian mechanism at integer orders: Mironov 2017 for q = 1
/// (RDP(α) = α/(2σ²) per step), Mironov, Talwar and Zhang 2019 ("Rényi Differential Privacy of the Sampled Gaussian
/// Mechanism", Section 3.3) for q &lt; 1: RDP(α) = log A_α/(α − 1) with
/// A_α = Σ_{i=0..α} C(α,i)·(1−q)^{α−i}·q^i·exp((i² − i)/(2σ²)), the computation of TF-Privacy/Opacus <c>compute_rdp</c>
/// for integer orders. Steps with different (q, σ) compose by adding their curves.
/// </summary>
public sealed class RdpAccountant
{
    private readonly int[] _orders;
    private readonly double[] _rdp;

    /// <summary>Starts at zero privacy loss over <paramref name="orders"/> (null: <see cref="DefaultOrders"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An order is below 2.</exception>
    public RdpAccountant(IReadOnlyList<int>? orders = null)
    {
        _orders = [.. orders ?? DefaultOrders];
        foreach (var order in _orders)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(order, 2, nameof(orders));
        }

        _rdp = new double[_orders.Length];
    }

    /// <summary>Orders 2..64 then 72, 80, ..., 256: integer orders as dense as Opacus's where the optimum usually lies.</summary>
    public static IReadOnlyList<int> DefaultOrders { get; } = BuildDefaultOrders();

    /// <summary>The orders tracked.</summary>
    public IReadOnlyList<int> Orders => _orders;

    /// <summary>The accumulated RDP at each order.</summary>
    public IReadOnlyList<double> Rdp => _rdp;

    /// <summary>Accounts <paramref name="steps"/> releases of the Gaussian mechanism with noise multiplier σ, each sampling with rate q.</summary>
    /// <exception cref="ArgumentOutOfRangeException">q outside [0, 1], σ negative, or steps negative.</exception>
    public void Step(double noiseMultiplier, double sampleRate = 1.0, int steps = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        for (var k = 0; k < _orders.Length; k++)
        {
            _rdp[k] += steps * ComputeRdp(sampleRate, noiseMultiplier, _orders[k]);
        }
    }

    /// <summary>(ε, δ) at the best tracked order.</summary>
    public PrivacySpent GetPrivacySpent(double delta, RdpConversion conversion = RdpConversion.Improved) =>
        ConvertToEpsilon(_orders, _rdp, delta, conversion);

    /// <summary>RDP at integer <paramref name="order"/> of one step of the sampled Gaussian mechanism.</summary>
    /// <exception cref="ArgumentOutOfRangeException">q outside [0, 1], σ negative, or the order below 2.</exception>
    public static double ComputeRdp(double sampleRate, double noiseMultiplier, int order)
    {
        if (!(sampleRate >= 0 && sampleRate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "The sampling rate must lie in [0, 1].");
        }

        if (!(noiseMultiplier >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier must be non-negative.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(order, 2);
        if (sampleRate == 0)
        {
            return 0;
        }

        if (noiseMultiplier == 0)
        {
            return double.PositiveInfinity;
        }

        var variance = noiseMultiplier * noiseMultiplier;
        if (sampleRate == 1)
        {
            return order / (2 * variance);
        }

        // log A_α as a log-sum-exp over the binomial expansion, so large orders do not overflow.
        var logQ = Math.Log(sampleRate);
        var logOneMinusQ = Math.Log(1 - sampleRate);
        var logBinomial = 0.0;
        var logA = double.NegativeInfinity;
        for (var i = 0; i <= order; i++)
        {
            if (i > 0)
            {
                logBinomial += Math.Log(order - i + 1) - Math.Log(i);
            }

            var term = logBinomial + i * logQ + (order - i) * logOneMinusQ + (i * (double)i - i) / (2 * variance);
            logA = LogAdd(logA, term);
        }

        return logA / (order - 1);
    }

    /// <summary>The smallest ε over <paramref name="orders"/> for the RDP curve <paramref name="rdp"/> at <paramref name="delta"/>.</summary>
    /// <exception cref="ArgumentException">Mismatched lengths, no orders, δ outside (0, 1), or a negative RDP value.</exception>
    public static PrivacySpent ConvertToEpsilon(IReadOnlyList<int> orders, IReadOnlyList<double> rdp, double delta, RdpConversion conversion)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(rdp);
        if (orders.Count != rdp.Count || orders.Count == 0)
        {
            throw new ArgumentException($"{orders.Count} orders but {rdp.Count} RDP values; need the same, at least one.", nameof(rdp));
        }

        if (!(delta > 0 && delta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must lie in (0, 1).");
        }

        var bestEpsilon = double.PositiveInfinity;
        var bestOrder = orders[0];
        for (var k = 0; k < orders.Count; k++)
        {
            double alpha = orders[k];
            var value = rdp[k];
            if (value < 0)
            {
                throw new ArgumentException($"RDP at order {orders[k]} is negative ({value}).", nameof(rdp));
            }

            double epsilon;
            if (conversion == RdpConversion.Standard)
            {
                epsilon = value - Math.Log(delta) / (alpha - 1);
            }
            else if (delta * delta + Math.Exp(-value) - 1 >= 0)
            {
                // As TF-Privacy: the KL bound δ ≤ √(1 − exp(−RDP)) already gives ε = 0.
                epsilon = 0;
            }
            else
            {
                epsilon = value + Math.Log((alpha - 1) / alpha) - (Math.Log(delta) + Math.Log(alpha)) / (alpha - 1);
            }

            if (epsilon < bestEpsilon)
            {
                bestEpsilon = epsilon;
                bestOrder = orders[k];
            }
        }

        return new PrivacySpent(Math.Max(0, bestEpsilon), delta, bestOrder, conversion);
    }

    private static double LogAdd(double logA, double logB)
    {
        var (high, low) = logA > logB ? (logA, logB) : (logB, logA);
        return double.IsNegativeInfinity(low) ? high : high + Math.Log(1 + Math.Exp(low - high));
    }

    private static int[] BuildDefaultOrders()
    {
        var orders = new List<int>();
        for (var order = 2; order <= 64; order++)
        {
            orders.Add(order);
        }

        for (var order = 72; order <= 256; order += 8)
        {
            orders.Add(order);
        }

        return [.. orders];
    }
}
