namespace Inroad.WebRtc.Tests;

/// <summary>
/// The lab tests of this project run one class after another: the namespace lab is one per machine (a lock), and a
/// class that waits for it while another class of ours holds it would spend its own time bound on the wait.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NetLabCollection
{
    public const string Name = "NetLab";
}
