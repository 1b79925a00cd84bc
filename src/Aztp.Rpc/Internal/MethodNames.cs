using System.Text;

namespace Aztp.Rpc.Internal;

internal static class MethodNames
{
    /// <summary>The default Cedar action of an rpc: its name in kebab case (<c>/pkg.Svc/CalculateTax</c> → <c>calculate-tax</c>).</summary>
    public static string ToAction(string method)
    {
        var slash = method.LastIndexOf('/');
        var name = slash >= 0 ? method[(slash + 1)..] : method;
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && name[i - 1] != '-' && name[i - 1] != '_')
                {
                    sb.Append('-');
                }
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c == '_' ? '-' : c);
            }
        }
        return sb.ToString();
    }
}
