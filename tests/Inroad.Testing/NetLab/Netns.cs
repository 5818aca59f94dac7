using System.Runtime.InteropServices;

namespace Inroad.Testing.NetLab;

/// <summary>
/// Runs code inside a named network namespace (<c>/run/netns/NAME</c>) by calling <c>setns(2)</c> on a fresh,
/// dedicated OS thread that ends afterwards. Sockets created there stay bound to that namespace for their
/// whole life and may be used from any thread. Never setns a thread-pool thread: it would return to the
/// pool in the wrong namespace.
/// </summary>
public static partial class Netns
{
    private const int CloneNewNet = 0x40000000;
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000;

    /// <summary>Runs <paramref name="body"/> in namespace <paramref name="name"/> and returns its result.</summary>
    public static T Run<T>(string name, Func<T> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(body);
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                int fd = NativeMethods.open("/run/netns/" + name, ORdOnly | OCloExec);
                if (fd < 0)
                {
                    throw new InvalidOperationException($"open /run/netns/{name}: errno {Marshal.GetLastPInvokeError()}");
                }

                try
                {
                    if (NativeMethods.setns(fd, CloneNewNet) != 0)
                    {
                        throw new InvalidOperationException($"setns {name}: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                finally
                {
                    _ = NativeMethods.close(fd);
                }

                result = body();
            }
#pragma warning disable CA1031 // rethrown on the calling thread below
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = e;
            }
        })
        {
            IsBackground = true,
            Name = "netns " + name,
        };
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }

        return result;
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable CA1401, SYSLIB1054 // private P/Invokes; LibraryImport would need unsafe blocks (disallowed)
        internal static extern int open(string path, int flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int setns(int fd, int nstype);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int close(int fd);
#pragma warning restore CA1401, SYSLIB1054
    }
}
