namespace Aztp.Core;

/// <summary>How a <see cref="DirectoryChangeWatcher"/> finds changes in a directory.</summary>
public sealed class DirectoryWatchOptions
{
    /// <summary>
    /// Poll every <see cref="PollInterval"/> instead of using file notifications, for network file systems and containers
    /// where notifications don't arrive. Without it, polling is still used when notifications can't start (for example
    /// the inotify instance limit). Default <see langword="false"/>.
    /// </summary>
    public bool UsePolling { get; set; }

    /// <summary>How often polling looks at the files (name, size, last write time). Default 2 seconds; 10 ms to 1 hour.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Quiet time after the last change before the change is reported, so several writes report once. Default 200 ms; 0 to 1 minute.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(200);

    // Creates the notification watcher for a directory; tests replace it to make notifications fail to start.
    internal Func<string, FileSystemWatcher>? NotificationFactory { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentException("DirectoryWatchOptions.PollInterval must be between 10 ms and 1 hour.", nameof(PollInterval));
        }
        if (Debounce < TimeSpan.Zero || Debounce > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException("DirectoryWatchOptions.Debounce must be between 0 and 1 minute.", nameof(Debounce));
        }
    }
}
