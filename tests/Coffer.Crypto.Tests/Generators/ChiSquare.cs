namespace Coffer.Crypto.Tests.Generators;

/// <summary>Pearson's statistic Σ (observed − expected)² / expected.</summary>
internal static class ChiSquare
{
    public static double Statistic(IReadOnlyList<long> observed, IReadOnlyList<double> expected)
    {
        Assert.Equal(expected.Count, observed.Count);
        double sum = 0;
        for (int i = 0; i < observed.Count; i++)
        {
            double d = observed[i] - expected[i];
            sum += d * d / expected[i];
        }
        return sum;
    }

    public static double Uniform(IReadOnlyList<long> observed)
    {
        double each = (double)observed.Sum() / observed.Count;
        return Statistic(observed, [.. Enumerable.Repeat(each, observed.Count)]);
    }
}
