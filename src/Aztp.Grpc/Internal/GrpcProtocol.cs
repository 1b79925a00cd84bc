using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Google.Protobuf.Reflection;

namespace Aztp.Grpc.Internal;

/// <summary>Constants and helpers of gRPC's PROTOCOL-HTTP2 specification, shared by server and client.</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string ContentTypeProto = "application/grpc+proto";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string StatusTrailer = "grpc-status";
    public const string MessageTrailer = "grpc-message";
    public const string TeHeader = "te";
    public const string UserAgent = "aztp-grpc-dotnet/1.0";
    public const string IdentityEncoding = "identity";
    public const string GzipEncoding = "gzip";
    public const string SupportedEncodings = "identity,gzip";
    public const int HeaderSize = 5;
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>Deadlines further away than this run no timer (timers cap near 49 days); they cannot expire in practice.</summary>
    public static readonly TimeSpan MaxTimerDelay = TimeSpan.FromDays(30);

    public static MethodType GetMethodType(MethodDescriptor method) => (method.IsClientStreaming, method.IsServerStreaming) switch
    {
        (false, false) => MethodType.Unary,
        (true, false) => MethodType.ClientStreaming,
        (false, true) => MethodType.ServerStreaming,
        _ => MethodType.DuplexStreaming,
    };

    /// <summary>PROTOCOL-HTTP2: Content-Type is "application/grpc" [("+proto" / "+json" / {custom})]; we serve protobuf only.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var span = contentType.AsSpan();
        var semicolon = span.IndexOf(';');
        if (semicolon >= 0)
        {
            span = span[..semicolon];
        }

        span = span.Trim();
        return span.Equals(ContentType, StringComparison.OrdinalIgnoreCase) || span.Equals(ContentTypeProto, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether the metadata key is reserved by the transport and must not be sent as custom metadata.</summary>
    public static bool IsReservedHeader(string key) =>
        key.StartsWith(':') ||
        key is "content-type" or "te" or "user-agent" or "host" or "connection" or "transfer-encoding" or "upgrade" or "content-length"
            or TimeoutHeader or EncodingHeader or AcceptEncodingHeader or StatusTrailer or MessageTrailer or "grpc-status-details-bin";

    public static bool IsSupportedEncoding(string encoding) =>
        encoding.Equals(IdentityEncoding, StringComparison.OrdinalIgnoreCase) || encoding.Equals(GzipEncoding, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a <c>grpc-accept-encoding</c> list names an encoding.</summary>
    public static bool AcceptsEncoding(string? acceptEncoding, string encoding)
    {
        if (string.IsNullOrEmpty(acceptEncoding))
        {
            return false;
        }

        foreach (var range in acceptEncoding.AsSpan().Split(','))
        {
            if (acceptEncoding.AsSpan()[range].Trim().Equals(encoding, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Encodes a timeout as <c>grpc-timeout</c>: at most 8 digits and a unit (H M S m u n), rounded up.</summary>
    public static string EncodeTimeout(TimeSpan timeout)
    {
        var ticks = Math.Clamp(timeout.Ticks, 1, long.MaxValue / 2);
        const long maxValue = 99_999_999;

        // One tick is 100 ns; pick the finest unit whose value fits in 8 digits (checked before multiplying).
        if (ticks <= maxValue / 100)
        {
            return (ticks * 100).ToString(CultureInfo.InvariantCulture) + "n";
        }

        long micros = (ticks + 9) / 10;
        if (micros <= maxValue)
        {
            return micros.ToString(CultureInfo.InvariantCulture) + "u";
        }

        long millis = (ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        if (millis <= maxValue)
        {
            return millis.ToString(CultureInfo.InvariantCulture) + "m";
        }

        long seconds = (ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        if (seconds <= maxValue)
        {
            return seconds.ToString(CultureInfo.InvariantCulture) + "S";
        }

        long minutes = (seconds + 59) / 60;
        if (minutes <= maxValue)
        {
            return minutes.ToString(CultureInfo.InvariantCulture) + "M";
        }

        return Math.Min((minutes + 59) / 60, maxValue).ToString(CultureInfo.InvariantCulture) + "H";
    }

    /// <summary>Parses <c>grpc-timeout</c> (PROTOCOL-HTTP2: TimeoutValue = 1*8DIGIT, TimeoutUnit = H/M/S/m/u/n).</summary>
    public static bool TryParseTimeout(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > 9)
        {
            return false;
        }

        long amount = 0;
        for (var i = 0; i < value.Length - 1; i++)
        {
            var c = value[i];
            if (c is < '0' or > '9')
            {
                return false;
            }

            amount = (amount * 10) + (c - '0');
        }

        long ticks;
        switch (value[^1])
        {
            case 'H': ticks = amount * TimeSpan.TicksPerHour; break;
            case 'M': ticks = amount * TimeSpan.TicksPerMinute; break;
            case 'S': ticks = amount * TimeSpan.TicksPerSecond; break;
            case 'm': ticks = amount * TimeSpan.TicksPerMillisecond; break;
            case 'u': ticks = amount * 10; break;
            case 'n': ticks = amount / 100; break;
            default: return false;
        }

        timeout = TimeSpan.FromTicks(ticks);
        return true;
    }

    /// <summary>
    /// Percent-encodes <c>grpc-message</c>: UTF-8 bytes outside 0x20-0x7E, and '%' itself, become %XX.
    /// </summary>
    public static string PercentEncode(string message)
    {
        var needs = false;
        foreach (var c in message)
        {
            if (c is < ' ' or > '~' or '%')
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return message;
        }

        var bytes = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(bytes.Length * 2);
        foreach (var b in bytes)
        {
            if (b is < 0x20 or > 0x7E or (byte)'%')
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append((char)b);
            }
        }

        return builder.ToString();
    }

    /// <summary>Decodes <c>grpc-message</c>; malformed %-sequences are kept as they are (the spec asks receivers not to fail).</summary>
    public static string PercentDecode(string value)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%' && i + 2 < value.Length &&
                byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                foreach (var x in Encoding.UTF8.GetBytes(c.ToString()))
                {
                    bytes.Add(x);
                }
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>PROTOCOL-HTTP2 / http-grpc-status-mapping.md: the status of a response that has no grpc-status.</summary>
    public static StatusCode MapHttpStatus(int httpStatus) => httpStatus switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    /// <summary>Base64 without padding for sending; receivers accept both.</summary>
    public static string EncodeBinaryHeader(byte[] value) => Convert.ToBase64String(value).TrimEnd('=');

    public static bool TryDecodeBinaryHeader(string value, out byte[] bytes)
    {
        var trimmed = value.Trim();
        var padding = (4 - (trimmed.Length % 4)) % 4;
        if (padding == 3)
        {
            bytes = [];
            return false;
        }

        var padded = padding == 0 ? trimmed : trimmed + new string('=', padding);
        try
        {
            bytes = Convert.FromBase64String(padded);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    /// <summary>Adds a received header to metadata; <c>-bin</c> values may hold several comma-separated base64 values.</summary>
    public static bool TryAddReceivedHeader(Metadata metadata, string key, string value)
    {
        if (Metadata.IsBinaryKey(key))
        {
            foreach (var part in value.Split(','))
            {
                if (!TryDecodeBinaryHeader(part, out var bytes))
                {
                    return false;
                }

                metadata.Add(key, bytes);
            }

            return true;
        }

        try
        {
            metadata.Add(key, value);
        }
        catch (ArgumentException)
        {
            // A value or key we cannot represent (e.g. obs-text from a non-gRPC proxy) is dropped, never fatal.
        }

        return true;
    }

    public static byte[] Compress(ReadOnlySequence<byte> data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            foreach (var segment in data)
            {
                gzip.Write(segment.Span);
            }
        }

        return output.ToArray();
    }

    /// <summary>Decompresses a gzip message, refusing to produce more than <paramref name="limit"/> bytes.</summary>
    public static byte[] Decompress(ReadOnlySequence<byte> data, int limit)
    {
        using var input = new ReadOnlySequenceStream(data);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = gzip.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + read > limit)
                {
                    throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Decompressed message exceeds the maximum of {limit} bytes."));
                }

                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Failed to decompress a gzip message."));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return output.ToArray();
    }
}
