using System.Globalization;
using System.Net;
using System.Numerics;

namespace Aztp.Policy.Internal;

/// <summary>The Cedar extension types: ipaddr, decimal, datetime and duration (parsing and methods).</summary>
internal static class Extensions
{
    private const long MsPerDay = 86_400_000;

    public static Value Call(string name, Value[] args)
    {
        if (args.Length != 1)
        {
            throw new EvaluationException($"wrong number of arguments provided to extension function `{name}`: expected 1, got {args.Length}");
        }
        if (args[0] is not StringValue s)
        {
            throw EvaluationException.Type("string", args[0]);
        }
        return name switch
        {
            "ip" => ParseIp(s.V) ?? throw new EvaluationException($"error while evaluating `ipaddr` extension function: invalid IP address: {s.V}"),
            "decimal" => ParseDecimal(s.V) ?? throw new EvaluationException($"error while evaluating `decimal` extension function: `{s.V}` is not a well-formed decimal value"),
            "datetime" => ParseDatetime(s.V) ?? throw new EvaluationException($"error while evaluating `datetime` extension function: invalid datetime `{s.V}`"),
            "duration" => ParseDuration(s.V) ?? throw new EvaluationException($"error while evaluating `duration` extension function: invalid duration `{s.V}`"),
            _ => throw new EvaluationException($"unknown extension function `{name}`"),
        };
    }

    /// <summary>Cedar's <c>ip()</c>: IPv4 dotted quad or IPv6 (no embedded IPv4), optional <c>/prefix</c>.</summary>
    public static IpValue? ParseIp(string s)
    {
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        var addrText = slash < 0 ? s : s[..slash];
        var prefixText = slash < 0 ? null : s[(slash + 1)..];
        bool v6;
        UInt128 addr;
        if (addrText.Contains(':', StringComparison.Ordinal))
        {
            foreach (var c in addrText)
            {
                if (!(char.IsAsciiHexDigit(c) || c == ':'))
                {
                    return null;
                }
            }
            if (!IPAddress.TryParse(addrText, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return null;
            }
            var bytes = ip.GetAddressBytes();
            addr = UInt128.Zero;
            foreach (var b in bytes)
            {
                addr = (addr << 8) | b;
            }
            v6 = true;
        }
        else
        {
            var parts = addrText.Split('.');
            if (parts.Length != 4)
            {
                return null;
            }
            uint a = 0;
            foreach (var p in parts)
            {
                if (p.Length is 0 or > 3 || (p.Length > 1 && p[0] == '0') || !p.All(char.IsAsciiDigit))
                {
                    return null;
                }
                var octet = int.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture);
                if (octet > 255)
                {
                    return null;
                }
                a = (a << 8) | (uint)octet;
            }
            addr = a;
            v6 = false;
        }
        var width = v6 ? 128 : 32;
        var prefix = width;
        if (prefixText is not null)
        {
            if (prefixText.Length == 0 || prefixText.Length > (v6 ? 3 : 2) || !prefixText.All(char.IsAsciiDigit)
                || (prefixText.Length > 1 && prefixText[0] == '0'))
            {
                return null;
            }
            prefix = int.Parse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture);
            if (prefix > width)
            {
                return null;
            }
        }
        return new IpValue(v6, addr, prefix);
    }

    /// <summary>Cedar's <c>decimal()</c>: <c>-?digits.digits</c> with 1 to 4 fraction digits, within i64 at scale 10^4.</summary>
    public static DecimalValue? ParseDecimal(string s)
    {
        var i = 0;
        var neg = false;
        if (i < s.Length && s[i] == '-')
        {
            neg = true;
            i++;
        }
        var intStart = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }
        if (i == intStart || i >= s.Length || s[i] != '.')
        {
            return null;
        }
        var intPart = s[intStart..i];
        i++;
        var fracStart = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }
        var frac = s[fracStart..i];
        if (i != s.Length || frac.Length is 0 or > 4)
        {
            return null;
        }
        var v = BigInteger.Parse(intPart, CultureInfo.InvariantCulture) * 10000
            + BigInteger.Parse(frac.PadRight(4, '0'), CultureInfo.InvariantCulture);
        if (neg)
        {
            v = -v;
        }
        return v < long.MinValue || v > long.MaxValue ? null : new DecimalValue((long)v);
    }

    /// <summary>Cedar's <c>datetime()</c>: date, or date-time with <c>Z</c> or <c>±hhmm</c>, optional milliseconds.</summary>
    public static DatetimeValue? ParseDatetime(string s)
    {
        if (s.Length < 10 || !Digits(s, 0, 4) || s[4] != '-' || !Digits(s, 5, 2) || s[7] != '-' || !Digits(s, 8, 2))
        {
            return null;
        }
        var year = Num(s, 0, 4);
        var month = Num(s, 5, 2);
        var day = Num(s, 8, 2);
        if (month is < 1 or > 12 || day < 1 || day > DaysInMonth(year, month))
        {
            return null;
        }
        long days = DaysFromCivil(year, month, day);
        long ms = days * MsPerDay;
        if (s.Length == 10)
        {
            return new DatetimeValue(ms);
        }
        if (s.Length < 20 || s[10] != 'T' || !Digits(s, 11, 2) || s[13] != ':' || !Digits(s, 14, 2) || s[16] != ':' || !Digits(s, 17, 2))
        {
            return null;
        }
        var hh = Num(s, 11, 2);
        var mi = Num(s, 14, 2);
        var ss = Num(s, 17, 2);
        if (hh > 23 || mi > 59 || ss > 59)
        {
            return null;
        }
        ms += ((hh * 60L + mi) * 60L + ss) * 1000L;
        var i = 19;
        if (s[i] == '.')
        {
            if (!Digits(s, i + 1, 3))
            {
                return null;
            }
            ms += Num(s, i + 1, 3);
            i += 4;
        }
        if (i >= s.Length)
        {
            return null;
        }
        if (s[i] == 'Z' && i + 1 == s.Length)
        {
            return new DatetimeValue(ms);
        }
        if ((s[i] == '+' || s[i] == '-') && i + 5 == s.Length && Digits(s, i + 1, 4))
        {
            var oh = Num(s, i + 1, 2);
            var om = Num(s, i + 3, 2);
            if (oh > 23 || om > 59)
            {
                return null;
            }
            var off = (oh * 60L + om) * 60_000L;
            return new DatetimeValue(s[i] == '+' ? ms - off : ms + off);
        }
        return null;
    }

    private static int DaysInMonth(int year, int month)
    {
        var leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        return month switch
        {
            2 => leap ? 29 : 28,
            4 or 6 or 9 or 11 => 30,
            _ => 31,
        };
    }

    private static bool Digits(string s, int start, int count)
    {
        if (start + count > s.Length)
        {
            return false;
        }
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static int Num(string s, int start, int count) =>
        int.Parse(s.AsSpan(start, count), NumberStyles.None, CultureInfo.InvariantCulture);

    // Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's civil algorithm).
    private static long DaysFromCivil(int y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - (era * 400);
        var doy = ((153 * (m + (m > 2 ? -3 : 9))) + 2) / 5 + d - 1;
        var doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146097L) + doe - 719468L;
    }

    /// <summary>Cedar's <c>duration()</c>: optional <c>-</c>, then units d, h, m, s, ms in that order, each at most once.</summary>
    public static DurationValue? ParseDuration(string s)
    {
        var i = 0;
        var neg = false;
        if (s.Length > 0 && s[0] == '-')
        {
            neg = true;
            i = 1;
        }
        if (i >= s.Length)
        {
            return null;
        }
        string[] units = ["d", "h", "m", "s", "ms"];
        long[] factors = [MsPerDay, 3_600_000, 60_000, 1000, 1];
        var next = 0;
        BigInteger total = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            if (i == start || i >= s.Length)
            {
                return null;
            }
            var n = BigInteger.Parse(s.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
            int unit;
            if (s[i] == 'm' && i + 1 < s.Length && s[i + 1] == 's')
            {
                unit = 4;
                i += 2;
            }
            else
            {
                unit = s[i] switch { 'd' => 0, 'h' => 1, 'm' => 2, 's' => 3, _ => -1 };
                i++;
            }
            if (unit < next)
            {
                return null;
            }
            _ = units;
            next = unit + 1;
            total += n * factors[unit];
        }
        if (neg)
        {
            total = -total;
        }
        return total < long.MinValue || total > long.MaxValue ? null : new DurationValue((long)total);
    }

    public static Value Method(string name, Value[] args)
    {
        var recv = args[0];
        switch (name)
        {
            case "isIpv4":
            case "isIpv6":
            case "isLoopback":
            case "isMulticast":
                {
                    Arity(name, args, 0);
                    var ip = recv as IpValue ?? throw EvaluationException.Type("ipaddr", recv);
                    return BoolValue.Of(name switch
                    {
                        "isIpv4" => !ip.IsV6,
                        "isIpv6" => ip.IsV6,
                        "isLoopback" => ip.InRange(ip.IsV6 ? LoopbackV6 : LoopbackV4),
                        _ => ip.InRange(ip.IsV6 ? MulticastV6 : MulticastV4),
                    });
                }
            case "isInRange":
                {
                    Arity(name, args, 1);
                    var ip = recv as IpValue ?? throw EvaluationException.Type("ipaddr", recv);
                    var range = args[1] as IpValue ?? throw EvaluationException.Type("ipaddr", args[1]);
                    return BoolValue.Of(ip.InRange(range));
                }
            case "lessThan":
            case "lessThanOrEqual":
            case "greaterThan":
            case "greaterThanOrEqual":
                {
                    Arity(name, args, 1);
                    var a = recv as DecimalValue ?? throw EvaluationException.Type("decimal", recv);
                    var b = args[1] as DecimalValue ?? throw EvaluationException.Type("decimal", args[1]);
                    return BoolValue.Of(name switch
                    {
                        "lessThan" => a.Scaled < b.Scaled,
                        "lessThanOrEqual" => a.Scaled <= b.Scaled,
                        "greaterThan" => a.Scaled > b.Scaled,
                        _ => a.Scaled >= b.Scaled,
                    });
                }
            case "offset":
                {
                    Arity(name, args, 1);
                    var dt = recv as DatetimeValue ?? throw EvaluationException.Type("datetime", recv);
                    var d = args[1] as DurationValue ?? throw EvaluationException.Type("duration", args[1]);
                    return new DatetimeValue(Checked(() => checked(dt.Ms + d.Ms), "offset"));
                }
            case "durationSince":
                {
                    Arity(name, args, 1);
                    var dt = recv as DatetimeValue ?? throw EvaluationException.Type("datetime", recv);
                    var other = args[1] as DatetimeValue ?? throw EvaluationException.Type("datetime", args[1]);
                    return new DurationValue(Checked(() => checked(dt.Ms - other.Ms), "durationSince"));
                }
            case "toDate":
                {
                    Arity(name, args, 0);
                    var dt = recv as DatetimeValue ?? throw EvaluationException.Type("datetime", recv);
                    var floor = Math.DivRem(dt.Ms, MsPerDay, out var rem);
                    if (rem < 0)
                    {
                        floor -= 1;
                    }
                    return new DatetimeValue(Checked(() => checked(floor * MsPerDay), "toDate"));
                }
            case "toTime":
                {
                    Arity(name, args, 0);
                    var dt = recv as DatetimeValue ?? throw EvaluationException.Type("datetime", recv);
                    var rem = dt.Ms % MsPerDay;
                    return new DurationValue(rem < 0 ? rem + MsPerDay : rem);
                }
            case "toMilliseconds":
            case "toSeconds":
            case "toMinutes":
            case "toHours":
            case "toDays":
                {
                    Arity(name, args, 0);
                    var d = recv as DurationValue ?? throw EvaluationException.Type("duration", recv);
                    return LongValue.Of(name switch
                    {
                        "toMilliseconds" => d.Ms,
                        "toSeconds" => d.Ms / 1000,
                        "toMinutes" => d.Ms / 60_000,
                        "toHours" => d.Ms / 3_600_000,
                        _ => d.Ms / MsPerDay,
                    });
                }
            default:
                throw new EvaluationException($"unknown extension method `{name}`");
        }
    }

    private static readonly IpValue LoopbackV4 = ParseIp("127.0.0.0/8")!;
    private static readonly IpValue LoopbackV6 = ParseIp("::1/128")!;
    private static readonly IpValue MulticastV4 = ParseIp("224.0.0.0/4")!;
    private static readonly IpValue MulticastV6 = ParseIp("ff00::/8")!;

    private static void Arity(string name, Value[] args, int expected)
    {
        if (args.Length - 1 != expected)
        {
            throw new EvaluationException($"wrong number of arguments provided to extension method `{name}`: expected {expected + 1}, got {args.Length}");
        }
    }

    private static long Checked(Func<long> f, string op)
    {
        try
        {
            return f();
        }
        catch (OverflowException)
        {
            throw new EvaluationException($"overflow while evaluating `{op}`");
        }
    }
}
