using System.Text;

namespace Aztp.Identity.Internal;

/// <summary>snake_case reason codes for failure enums (events and CLI JSON use these).</summary>
internal static class ReasonCodes
{
    private static readonly string[] X509 = Build<X509SvidFailure>();
    private static readonly string[] Jwt = Build<JwtSvidFailure>();

    internal static string Of(X509SvidFailure failure) => Lookup(X509, (int)failure);

    internal static string Of(JwtSvidFailure failure) => Lookup(Jwt, (int)failure);

    private static string Lookup(string[] table, int index) => (uint)index < (uint)table.Length ? table[index] : "unknown";

    private static string[] Build<T>()
        where T : struct, Enum
    {
        var values = Enum.GetValues<T>();
        var max = 0;
        foreach (var value in values)
        {
            max = Math.Max(max, Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture));
        }
        var table = new string[max + 1];
        foreach (var value in values)
        {
            table[Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)] = Snake(value.ToString());
        }
        return table;
    }

    internal static string Snake(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
