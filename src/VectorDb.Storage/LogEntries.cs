using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;

namespace VectorDb.Storage;

/// <summary>
/// How a record is framed in the write-ahead log's FasterLog entries, and read back from them.
/// </summary>
/// <remarks>
/// <para>
/// FasterLog checks its own per-entry checksums only on entries it reads from disk below its head address; the
/// entries of the last page, which its recovery loads into memory, come back unchecked. A damaged record there was
/// decoded and applied — or, damaged inside a payload, made the database refuse to open. So each entry carries a
/// checksum of ours: <see cref="ChecksummedEntry"/>, the XxHash3 of the rest, then the rest.
/// </para>
/// <para>
/// A FasterLog entry must fit in one page (4 MiB), but a record may not: an upsert of 10,000 points of 784
/// dimensions is 31 MB. A record larger than <see cref="MaxEntryBytes"/> is framed as consecutive fragment entries
/// (<see cref="FragmentMarker"/>, index, count, bytes), and <see cref="Reader"/> returns it only once all of them are
/// there: replay never sees part of a record, whether a crash cut the sequence short or an append failed midway.
/// </para>
/// </remarks>
internal static class LogEntries
{
    /// <summary>
    /// The largest entry framed whole; larger records are split. An entry cannot cross a page (4 MiB), so one that
    /// does not fit in the rest of the current page starts the next: a quarter of a page wastes at most that much.
    /// </summary>
    public const int MaxEntryBytes = 1 << 20;

    // A first byte MessagePack never writes ("never used" in its format), so entries written before they carried
    // a checksum of ours — which start with the record's own MessagePack header — are told apart and still read.
    private const byte ChecksummedEntry = 0xC1;
    private const int EntryHeaderBytes = 1 + sizeof(ulong);

    // Inside a checksummed entry, a record starts with its MessagePack array header; a fragment starts with this
    // byte, which MessagePack never writes, then its index and the fragment count.
    private const byte FragmentMarker = 0xC1;
    private const int FragmentHeaderBytes = 1 + sizeof(int) + sizeof(int);

    /// <summary>The entries that carry <paramref name="record"/>: one, or its fragments in order.</summary>
    public static byte[][] Frame(ReadOnlySpan<byte> record, int maxEntryBytes = MaxEntryBytes)
    {
        if (EntryHeaderBytes + record.Length <= maxEntryBytes)
        {
            var entry = new byte[EntryHeaderBytes + record.Length];
            record.CopyTo(entry.AsSpan(EntryHeaderBytes));
            return [Checksummed(entry)];
        }

        int fragmentBytes = maxEntryBytes - EntryHeaderBytes - FragmentHeaderBytes;
        int count = (record.Length + fragmentBytes - 1) / fragmentBytes;
        var entries = new byte[count][];
        for (int index = 0; index < count; index++)
        {
            var part = record.Slice(index * fragmentBytes, Math.Min(fragmentBytes, record.Length - (index * fragmentBytes)));
            var entry = new byte[EntryHeaderBytes + FragmentHeaderBytes + part.Length];
            entry[EntryHeaderBytes] = FragmentMarker;
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(EntryHeaderBytes + 1), index);
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(EntryHeaderBytes + 1 + sizeof(int)), count);
            part.CopyTo(entry.AsSpan(EntryHeaderBytes + FragmentHeaderBytes));
            entries[index] = Checksummed(entry);
        }

        return entries;
    }

    /// <summary>Fills in an entry's header: our marker and the checksum of what follows it.</summary>
    private static byte[] Checksummed(byte[] entry)
    {
        entry[0] = ChecksummedEntry;
        BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(1), XxHash3.HashToUInt64(entry.AsSpan(EntryHeaderBytes)));
        return entry;
    }

    /// <summary>Reads the records of a log from its entries, in order; one reader per pass over the log.</summary>
    internal sealed class Reader(ILogger logger)
    {
        private readonly List<ReadOnlyMemory<byte>> _fragments = [];
        private int _count;

        /// <summary>
        /// The record an entry completes: the entry's own, or the last fragment's whole record; null for a fragment
        /// that does not complete one. Entries written before they carried a checksum are taken as they are.
        /// </summary>
        /// <param name="entry">The entry; kept (not copied) while its record is incomplete.</param>
        /// <param name="address">Where the entry is, for the log message when fragments are discarded.</param>
        /// <exception cref="InvalidDataException">The entry fails its checksum or is shorter than its header.</exception>
        public ReadOnlyMemory<byte>? Read(ReadOnlyMemory<byte> entry, long address)
        {
            var bytes = entry.Span;
            if (bytes.IsEmpty || bytes[0] != ChecksummedEntry)
            {
                DiscardIncomplete(address);
                return entry;
            }

            if (bytes.Length < EntryHeaderBytes || XxHash3.HashToUInt64(bytes[EntryHeaderBytes..]) != BinaryPrimitives.ReadUInt64LittleEndian(bytes[1..]))
            {
                throw new InvalidDataException("A write-ahead log entry fails its checksum.");
            }

            var content = entry[EntryHeaderBytes..];
            if (content.Span is not [FragmentMarker, ..])
            {
                DiscardIncomplete(address);
                return content;
            }

            if (content.Length < FragmentHeaderBytes)
            {
                throw new InvalidDataException("A write-ahead log fragment is shorter than its header.");
            }

            int index = BinaryPrimitives.ReadInt32LittleEndian(content.Span[1..]);
            int count = BinaryPrimitives.ReadInt32LittleEndian(content.Span[(1 + sizeof(int))..]);
            // Typed, because a null byte[] converts to an empty ReadOnlyMemory, not to a null one.
            return Add(index, count, content[FragmentHeaderBytes..], address) is { } whole ? (ReadOnlyMemory<byte>?)whole : null;
        }

        /// <summary>Drops the fragments of a record that did not complete before <paramref name="address"/> (the end of the log, say).</summary>
        public void DiscardIncomplete(long address)
        {
            if (_fragments.Count > 0)
            {
                StorageLog.FragmentsDiscarded(logger, _fragments.Count, address);
                _fragments.Clear();
                _count = 0;
            }
        }

        private byte[]? Add(int index, int count, ReadOnlyMemory<byte> fragment, long address)
        {
            if (index == 0 || index != _fragments.Count || count != _count)
            {
                DiscardIncomplete(address);
                if (index != 0 || count < 2)
                {
                    StorageLog.FragmentsDiscarded(logger, 1, address);
                    return null;
                }

                _count = count;
            }

            _fragments.Add(fragment);
            if (_fragments.Count < _count)
            {
                return null;
            }

            var whole = new byte[_fragments.Sum(f => f.Length)];
            int offset = 0;
            foreach (var part in _fragments)
            {
                part.Span.CopyTo(whole.AsSpan(offset));
                offset += part.Length;
            }

            _fragments.Clear();
            _count = 0;
            return whole;
        }
    }
}
