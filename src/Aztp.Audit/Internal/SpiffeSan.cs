using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Audit.Internal;

/// <summary>Reads the <c>spiffe://</c> URI SAN of a certificate (X509-SVID §2: exactly one URI SAN).</summary>
internal static class SpiffeSan
{
    private const string SubjectAltNameOid = "2.5.29.17";

    /// <summary>The single spiffe:// URI SAN, or null when there is none or more than one URI SAN.</summary>
    public static string? GetSpiffeId(X509Certificate2 certificate)
    {
        var uris = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }
            try
            {
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
                var names = reader.ReadSequence();
                while (names.HasData)
                {
                    var tag = names.PeekTag();
                    // GeneralName uniformResourceIdentifier [6] IA5String (RFC 5280 §4.2.1.6).
                    if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 6)
                    {
                        uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6)));
                    }
                    else
                    {
                        names.ReadEncodedValue();
                    }
                }
            }
            catch (AsnContentException)
            {
                return null;
            }
        }
        if (uris.Count != 1 || !uris[0].StartsWith("spiffe://", StringComparison.Ordinal) || uris[0].Length <= "spiffe://".Length)
        {
            return null;
        }
        return uris[0];
    }
}
