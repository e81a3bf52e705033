using System.Security.Cryptography;
using System.Text;

namespace VectorDb.VectorData;

/// <summary>
/// How records with <c>string</c> keys are stored: VectorDb's point ids are unsigned integers or UUIDs, so a string key
/// becomes the name-based UUID (RFC 9562 version 5) of its UTF-8 text in <see cref="Namespace"/>, and the key itself is
/// kept in the payload under the key property's name, which is where records read it back from. The same key always
/// gives the same point, so gets, deletes and upserts by key need no lookup table; REST and gRPC clients can compute the
/// id the same way.
/// </summary>
public static class StringKeys
{
    /// <summary>The namespace of the name-based UUIDs of string keys.</summary>
    public static readonly Guid Namespace = new("8f5a3c1e-6b2d-4e7f-9a0c-3d1b5e7f9a2c");

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The point id of a string key: the version 5 UUID of its UTF-8 text in <see cref="Namespace"/>.</summary>
    /// <exception cref="ArgumentException">An empty key, or one that is not valid text (a lone surrogate, which UTF-8 cannot hold).</exception>
    public static PointId IdOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return TryIdOf(key, out var id) ? id : throw new ArgumentException("A string key must be valid text: it holds a lone surrogate, which UTF-8 cannot encode.", nameof(key));
    }

    /// <summary>The point id of a string key; false for an empty key or one that is not valid text, which no point has.</summary>
    public static bool TryIdOf(string key, out PointId id)
    {
        ArgumentNullException.ThrowIfNull(key);
        id = default;
        if (key.Length == 0)
        {
            return false;
        }

        try
        {
            id = NameBased(Namespace, key);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The version 5 (SHA-1, name-based) UUID of <paramref name="name"/>'s UTF-8 text in <paramref name="space"/>.</summary>
    /// <exception cref="EncoderFallbackException">The name is not valid text.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "RFC 9562 defines version 5 UUIDs by SHA-1; the hash names keys, it protects nothing.")]
    internal static Guid NameBased(Guid space, string name)
    {
        var bytes = new byte[16 + StrictUtf8.GetByteCount(name)];
        space.TryWriteBytes(bytes, bigEndian: true, out _);
        StrictUtf8.GetBytes(name, bytes.AsSpan(16));
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(bytes, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(hash[..16], bigEndian: true);
    }
}
