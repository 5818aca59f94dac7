namespace Inroad.Testing.NetLab;

/// <summary>Delay, jitter, loss and rate on one lab interface (see <see cref="NetLab.ImpairAsync"/>).</summary>
public sealed record NetLabImpairment
{
    /// <summary>Added one-way delay in milliseconds. Defaults to 0.</summary>
    public int DelayMs { get; init; }

    /// <summary>Uniform ± jitter in milliseconds (may reorder). Defaults to 0.</summary>
    public int JitterMs { get; init; }

    /// <summary>Loss in percent, 0–100. Defaults to 0.</summary>
    public double LossPercent { get; init; }

    /// <summary>tc rate such as <c>"1mbit"</c>, or null for none. Defaults to null.</summary>
    public string? Rate { get; init; }

    /// <summary><c>out</c>, <c>in</c> or <c>both</c>. Defaults to <c>out</c>.</summary>
    public string Direction { get; init; } = "out";

    /// <summary>Seed of the impairer's random generator, so a lossy run can be replayed. Defaults to 1.</summary>
    public int Seed { get; init; } = 1;
}
