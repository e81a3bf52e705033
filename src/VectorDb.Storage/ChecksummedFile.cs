using System.Buffers.Binary;
using System.IO.Hashing;

namespace VectorDb.Storage;

/// <summary>
/// Files written whole and atomically, with a trailer {content length, CRC-64 of the content, magic} so a torn
/// or bit-rotted file is detected before anything trusts it.
/// </summary>
internal static class ChecksummedFile
{
    internal const ulong TrailerMagic = 0x4B_43_45_48_43_42_44_56; // "VDBCHECK"
    internal const int TrailerBytes = 24;

    /// <summary>Writes <paramref name="path"/> through a temporary file, fsyncs it, renames it into place and fsyncs the directory.</summary>
    public static void Write(string path, Action<Stream> writeContent)
    {
        using var file = CapturedFile.Capture(path, writeContent, CaptureBudget.None);
        file.Complete();
    }

    /// <summary>Verifies the whole file, then opens its content (without the trailer) for reading.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, has no trailer, or its checksum does not match.</exception>
    public static Stream OpenVerified(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        try
        {
            long contentLength = file.Length - TrailerBytes;
            if (contentLength < 0)
            {
                throw new InvalidDataException($"{path} is too short to hold its checksum trailer.");
            }

            var crc = new Crc64();
            var buffer = new byte[1 << 20];
            for (long remaining = contentLength; remaining > 0;)
            {
                int read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (read == 0)
                {
                    throw new InvalidDataException($"{path} ended early.");
                }

                crc.Append(buffer.AsSpan(0, read));
                remaining -= read;
            }

            Span<byte> trailer = stackalloc byte[TrailerBytes];
            file.ReadExactly(trailer);
            if (BinaryPrimitives.ReadUInt64LittleEndian(trailer[16..]) != TrailerMagic
                || BinaryPrimitives.ReadInt64LittleEndian(trailer) != contentLength
                || BinaryPrimitives.ReadUInt64LittleEndian(trailer[8..]) != crc.GetCurrentHashAsUInt64())
            {
                throw new InvalidDataException($"{path} is damaged: its checksum does not match its content.");
            }

            file.Position = 0;
            return new ContentStream(file, contentLength);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Read-only view of the first <c>length</c> bytes of a file; owns the file.</summary>
    private sealed class ContentStream(FileStream file, long length) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => file.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            long remaining = length - file.Position;
            return remaining <= 0 ? 0 : file.Read(buffer[..(int)Math.Min(buffer.Length, remaining)]);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                file.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
