using FinanceAgent.Protos;

namespace FinanceAgent;

/// <summary>A small progressive bracket table: the real calculation behind calculate-tax.</summary>
public static class TaxTable
{
    private static readonly (long UpTo, int RatePercent)[] Brackets =
    [
        (10_000, 0),
        (40_000, 10),
        (100_000, 20),
        (long.MaxValue, 30),
    ];

    /// <summary>Tax on an annual income in whole currency units.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The income is negative.</exception>
    public static TaxReply Calculate(long income)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(income);
        decimal tax = 0;
        long lower = 0;
        var top = 0;
        foreach (var (upTo, rate) in Brackets)
        {
            if (income <= lower)
            {
                break;
            }
            tax += (Math.Min(income, upTo) - lower) * rate / 100m;
            top = rate;
            lower = upTo;
        }
        var cents = (long)decimal.Round(tax * 100, MidpointRounding.AwayFromZero);
        var rateBp = income == 0 ? 0 : (int)decimal.Round(tax / income * 10_000, MidpointRounding.AwayFromZero);
        return new TaxReply { TaxCents = cents, EffectiveRateBp = rateBp, TopBracket = $"{top}%" };
    }
}
