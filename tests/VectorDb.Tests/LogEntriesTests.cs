using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>Records framed in log entries come back whole or not at all, whatever cut their fragments short.</summary>
public sealed class LogEntriesTests
{
    private const int MaxEntryBytes = 64;

    [Fact]
    public void A_record_larger_than_an_entry_is_split_and_read_back_whole()
    {
        var record = Record(1, 500);
        var entries = LogEntries.Frame(record, MaxEntryBytes);

        Assert.True(entries.Length > 1);
        Assert.All(entries, entry => Assert.True(entry.Length <= MaxEntryBytes));
        Assert.Equal([record], ReadAll(entries, out _));
    }

    [Fact]
    public void Fragments_cut_short_are_skipped_whether_a_whole_record_or_a_new_sequence_follows()
    {
        var cut = LogEntries.Frame(Record(1, 300), MaxEntryBytes)[..3];
        var whole = LogEntries.Frame(Record(2, 20), MaxEntryBytes);
        var fragmented = LogEntries.Frame(Record(3, 300), MaxEntryBytes);
        var cutAgain = LogEntries.Frame(Record(4, 300), MaxEntryBytes)[..2];

        var read = ReadAll([.. cut, .. whole, .. cut, .. fragmented, .. cutAgain], out var logger);

        Assert.Equal([Record(2, 20), Record(3, 300)], read);
        Assert.Equal(3, logger.Messages.Count); // each cut-short record is reported once
    }

    [Fact]
    public void A_fragment_out_of_order_is_skipped_with_its_record()
    {
        var fragments = LogEntries.Frame(Record(5, 300), MaxEntryBytes);
        (fragments[1], fragments[2]) = (fragments[2], fragments[1]);

        Assert.Empty(ReadAll(fragments, out _));
    }

    [Fact]
    public void A_damaged_entry_is_refused()
    {
        var entry = LogEntries.Frame(Record(6, 20), MaxEntryBytes)[0];
        entry[^1] ^= 0x20;

        Assert.Throws<InvalidDataException>(() => new LogEntries.Reader(new ListLogger()).Read(entry, 0));
    }

    private static List<byte[]> ReadAll(byte[][] entries, out ListLogger logger)
    {
        logger = new ListLogger();
        var reader = new LogEntries.Reader(logger);
        var records = new List<byte[]>();
        for (int i = 0; i < entries.Length; i++)
        {
            if (reader.Read(entries[i], i) is { } record)
            {
                records.Add(record.ToArray());
            }
        }

        reader.DiscardIncomplete(entries.Length);
        return records;
    }

    /// <summary>Bytes that look like a MessagePack array (as records do), distinct per seed.</summary>
    private static byte[] Record(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        bytes[0] = 0x92;
        return bytes;
    }
}
