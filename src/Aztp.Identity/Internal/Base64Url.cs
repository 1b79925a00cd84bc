using System.Buffers.Text;

namespace Aztp.Identity.Internal;

/// <summary>Strict unpadded base64url (RFC 7515 §2) on top of the BCL's encoder.</summary>
internal static class Base64Url
{
    internal static string Encode(ReadOnlySpan<byte> data) => Base64UrlEncode(data);

    internal static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.IndexOf('=') >= 0)
        {
            return false; // JWS uses unpadded base64url only.
        }
        if (!System.Buffers.Text.Base64Url.IsValid(text, out var length))
        {
            return false;
        }
        bytes = new byte[length];
        return System.Buffers.Text.Base64Url.TryDecodeFromChars(text, bytes, out var written) && written == length;
    }

    private static string Base64UrlEncode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);
}
