using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Aztp.Audit.Internal;

/// <summary>
/// Starts writing a file range to disk without waiting for it (Linux <c>sync_file_range</c> with
/// <c>SYNC_FILE_RANGE_WRITE</c>), so that the <c>fsync</c> that ends a batch finds the early parts already on their way
/// and waits less. Only a hint: durability still comes from that <c>fsync</c>; where the call is unavailable it is skipped.
/// </summary>
internal static class FileWriteback
{
    // <linux/fs.h>: start writeback of dirty pages in the range; do not wait for it.
    private const uint SyncFileRangeWrite = 2;
    private static volatile bool s_unavailable = !OperatingSystem.IsLinux();

    public static void Start(SafeFileHandle handle, long offset, long length)
    {
        if (s_unavailable || length <= 0)
        {
            return;
        }
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            // The result is ignored on purpose: a failed hint changes nothing but timing.
            _ = SyncFileRange((int)handle.DangerousGetHandle(), offset, length, SyncFileRangeWrite);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", EntryPoint = "sync_file_range")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SyncFileRange(int fd, long offset, long nbytes, uint flags);
}
