using System.Diagnostics;
using VectorDb.CrashHost;
using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>
/// Fills a small tmpfs: writes must then fail with a clear <see cref="StorageException"/>, reads keep working,
/// and everything acknowledged before is still there after a restart. Needs root to mount the tmpfs;
/// skipped otherwise.
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly string _mount;
    private bool _mounted;

    public DiskFullTests() => _mount = Path.Combine(_directory.Path, "small-disk");

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", _mount);
        }

        _directory.Dispose();
    }

    [Fact]
    public void A_full_disk_refuses_writes_clearly_keeps_reads_and_loses_nothing()
    {
        Directory.CreateDirectory(_mount);
        if (!OperatingSystem.IsLinux() || Run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", _mount) != 0)
        {
            Assert.Skip("Mounting a small tmpfs needs root on Linux.");
        }

        _mounted = true;
        string data = Path.Combine(_mount, "db");
        var options = new StorageOptions { MinFreeDiskBytes = 4 << 20, PointStoreMemoryBytes = 16 << 20 };
        var acknowledged = new List<ulong>();
        StorageException? full = null;
        using (var database = VectorDatabase.Open(data, options))
        {
            var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid });
            for (ulong id = 0; id < 2_000_000 && full is null; id += 100)
            {
                var batch = Enumerable.Range(0, 100).Select(i => CrashWorkload.PointFor(id + (ulong)i)).ToList();
                try
                {
                    collection.Upsert(batch);
                    acknowledged.AddRange(batch.Select(p => p.Id.Number));
                }
                catch (StorageException e)
                {
                    full = e;
                }
            }

            Assert.NotNull(full);
            Assert.Contains("disk space", full.Message, StringComparison.Ordinal);
            // The refusal lasts while the disk is full; a checkpoint that was running when it came may have freed log
            // segments since, and then a write fits again and must be kept like any other.
            try
            {
                collection.Upsert(CrashWorkload.PointFor(99_999_999));
                acknowledged.Add(99_999_999);
            }
            catch (StorageException again)
            {
                Assert.Contains("disk space", again.Message, StringComparison.Ordinal);
            }

            Assert.Equal(acknowledged.Count, collection.Count());
            Assert.Equal(new PointId(acknowledged[^1]), collection.Search(CrashWorkload.PointFor(acknowledged[^1]).Vector, 1)[0].Id);
        }

        // Give the data more room (as an operator would) and check nothing acknowledged was lost.
        string copy = Path.Combine(_directory.Path, "copy");
        Assert.Equal(0, Run("cp", "-r", data, copy));
        using (var database = VectorDatabase.Open(copy))
        {
            var collection = database.GetCollection("c");
            Assert.Equal(acknowledged.Count, collection.Count());
            foreach (ulong id in acknowledged.Where(id => id % 97 == 0).Append(acknowledged[^1]))
            {
                Assert.Equal(CrashWorkload.PointFor(id).Vector, collection.Get(id)!.Vector);
            }
        }
    }

    private static int Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
