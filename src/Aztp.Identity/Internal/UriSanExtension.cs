using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Aztp.Identity.Internal;

/// <summary>
/// Encodes a subjectAltName extension of URIs exactly as given. <see cref="SubjectAlternativeNameBuilder"/> goes through
/// <see cref="Uri"/>, which normalizes (adds a trailing slash to <c>spiffe://td</c>, removes dot segments), and a SPIFFE ID
/// must be written verbatim.
/// </summary>
internal static class UriSanExtension
{
    internal static X509Extension Create(bool critical, params ReadOnlySpan<string> uris)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var uri in uris)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
            }
        }
        return new X509Extension(CertificateFacts.SanOid, writer.Encode(), critical);
    }
}
