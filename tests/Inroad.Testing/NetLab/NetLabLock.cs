namespace Inroad.Testing.NetLab;

/// <summary>
/// The machine-wide lock that serializes lab tests across every test process: an exclusive
/// <see cref="FileShare.None"/> open of <c>/run/inroad-netlab.lock</c>, which .NET maps to <c>flock(2)</c>, so the
/// kernel releases it when a process dies.
/// </summary>
internal sealed class NetLabLock : IDisposable
{
    private const string LockPath = "/run/inroad-netlab.lock";
    private readonly FileStream _stream;

    private NetLabLock(FileStream stream) => _stream = stream;

    /// <summary>Waits for the lock, polling, until <paramref name="ct"/> is cancelled.</summary>
    public static async Task<NetLabLock> AcquireAsync(CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return new NetLabLock(new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
